"""The command line's words: every command, its flags and their help."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag_app.settings import RETRIEVAL_MODES

EXIT_OK, EXIT_ERROR, EXIT_REJECTED = 0, 1, 2
SAMPLE_DOCS = Path(__file__).resolve().parents[2] / "sample_docs"


def _common(parser: argparse.ArgumentParser, *, store_required: bool = True) -> None:
    parser.add_argument("--store", dest="store_dir", required=store_required, help="index folder")
    parser.add_argument(
        "--embedding-model", help="folder, hub name in the local HF cache, 'bundled' or 'auto'"
    )
    parser.add_argument("--dimensions", type=int, help="Matryoshka cut (Qwen3 default 1024)")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:N, mps")
    parser.add_argument(
        "--mode",
        dest="retrieval_mode",
        choices=RETRIEVAL_MODES,
        help="retrieval mode (auto: fused cosine and BM25, BM25 alone for CJK on an English-only model)",
    )
    parser.add_argument(
        "--vector-store", choices=["faiss", "milvus"], help="where vectors live (default faiss, in --store)"
    )
    parser.add_argument(
        "--milvus-uri", help="./kb.db (Milvus Lite) or http://host:19530 (token from RAG_MILVUS_TOKEN)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag-app", description="Ask questions of your documents.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="index files or folders")
    _common(p)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--password", help="password for protected PDFs (or RAG_PDF_PASSWORD)")
    p.add_argument("--rebuild", action="store_true", help="start a new, empty store in this folder")
    p.add_argument(
        "--no-ocr",
        dest="ocr",
        action="store_false",
        default=None,
        help="do not OCR scanned pages (OCR is slow on a CPU: ~10-30 s a page)",
    )

    for name, help_text in (
        ("sync", "make the store hold exactly these folders' current files (add, replace, remove)"),
        ("watch", "sync, then keep syncing as the folders change (Ctrl-C to stop)"),
    ):
        p = sub.add_parser(name, help=help_text)
        _common(p)
        p.add_argument("folders", nargs="+", metavar="FOLDER")

    for name, help_text in (
        ("query", "show the passages that match a question"),
        ("ask", "answer a question"),
    ):
        p = sub.add_parser(name, help=help_text)
        _common(p)
        p.add_argument("question")
        p.add_argument("-k", dest="top_k", type=int, help="passages to return (default 5)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument(
            "--history",
            metavar="FILE.json",
            help='the conversation so far: [{"role": "user"|"assistant", "content": "..."}, ...], oldest first',
        )
        if name == "ask":
            p.add_argument(
                "--llm", help="auto (extractive), none, smollm2, hf:PATH_OR_NAME or openai:BASE_URL#MODEL"
            )

    p = sub.add_parser("chat", help="a conversation in the terminal: follow-up questions understood")
    _common(p)
    p.add_argument("-k", dest="top_k", type=int, help="passages per answer (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object per turn")
    p.add_argument("--llm", help="answer backend (see `ask --help`)")

    p = sub.add_parser("list", help="list indexed documents (loads no model)")
    _common(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "upgrade", help="add the multilingual vectors to documents indexed before them (from kept originals)"
    )
    _common(p)

    p = sub.add_parser("delete", help="remove a document from the index (loads no model)")
    _common(p)
    p.add_argument("source")

    p = sub.add_parser("verify", help="check every vector file of a store against its checksum")
    _common(p)

    p = sub.add_parser("info", help="show which embedding model would be used and why")
    _common(p, store_required=False)

    p = sub.add_parser("serve", help="start the Gradio app")
    _common(p, store_required=False)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--share", action="store_true", help="ask Gradio for a public link")
    p.add_argument(
        "--auth-file",
        help="people who may log in (written by `rag-app passwd`); each gets a private knowledge base",
    )
    p.add_argument(
        "--auth",
        help="USER:PASS for one person (readable by other users in ps: prefer RAG_AUTH or --auth-file)",
    )
    p.add_argument(
        "--library",
        help="a knowledge base built with `rag-app ingest` or `sync`, searched by everyone, written by no one",
    )
    p.add_argument(
        "--watch",
        metavar="FOLDER",
        action="append",
        help="keep the --library store in step with FOLDER while serving (repeatable)",
    )
    p.add_argument(
        "--allow-public-without-auth",
        action="store_true",
        help="listen beyond this machine without accounts: visitors may search the --library, never upload",
    )
    p.add_argument("--seed-samples", action="store_true", help="index sample_docs/ if the store is empty")
    p.add_argument("--llm", help="answer backend (see `ask --help`)")
    p.add_argument(
        "--no-ocr", dest="ocr", action="store_false", default=None, help="do not OCR scanned pages"
    )
    p = sub.add_parser("passwd", help="add a person to an auth file, or change their password")
    p.add_argument("--auth-file", required=True)
    p.add_argument("user")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser(
        "key", help="a new API key for a person of an auth file (printed once, alone on its last line)"
    )
    p.add_argument("--auth-file", required=True)
    p.add_argument("user")
    p.add_argument("--revoke", action="store_true", help="remove every API key of the person instead")
    p.add_argument("-v", "--verbose", action="store_true")
    p = sub.add_parser("mcp", help="an MCP server over stdio on one store (for Claude Desktop-style clients)")
    _common(p)
    p.add_argument("--llm", help="answer backend (see `ask --help`)")
    return parser


def settings_from(args: argparse.Namespace):
    from rag_app.settings import Settings

    names = (
        "store_dir",
        "embedding_model",
        "dimensions",
        "device",
        "retrieval_mode",
        "top_k",
        "llm",
        "host",
        "port",
        "ocr",
        "vector_store",
        "milvus_uri",
    )
    return Settings.from_env(**{n: getattr(args, n, None) for n in names})
