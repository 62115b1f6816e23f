"""`rag-app`: ingest, query, ask, list, delete, info, verify and serve from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

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
        choices=["auto", "dense", "lexical", "hybrid", "fused"],
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
    parser = argparse.ArgumentParser(prog="rag-app", description="Ask questions of your PDFs and text files.")
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
        ("query", "show the passages that match a question"),
        ("ask", "answer a question"),
    ):
        p = sub.add_parser(name, help=help_text)
        _common(p)
        p.add_argument("question")
        p.add_argument("-k", dest="top_k", type=int, help="passages to return (default 5)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "ask":
            p.add_argument(
                "--llm", help="auto (extractive), none, smollm2, hf:PATH_OR_NAME or openai:BASE_URL#MODEL"
            )

    p = sub.add_parser("list", help="list indexed documents (loads no model)")
    _common(p)
    p.add_argument("--json", action="store_true")

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
        help="a knowledge base built with `rag-app ingest`, searched by everyone, written by no one",
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


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # library bars (GGUF loading); ours pass disable explicitly
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from rag_app.service import StoreError

    try:
        return _COMMANDS[args.command](args)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'setting'}: {e['msg']}" for e in err.errors())
        print(f"error: invalid setting ({problems})", file=sys.stderr)
        return EXIT_ERROR
    except (StoreError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR


def _service(args: argparse.Namespace, **kwargs: Any):
    from rag_app.service import RagService

    return RagService(settings_from(args), **kwargs)


def _tell_waiting(message: str) -> None:
    print(message, file=sys.stderr)


def _banner(service) -> str:
    info = service.model_info()
    fallback = " [offline fallback]" if info["is_fallback"] else ""
    return f"embedding model: {info['name']} ({info['dimensions']} dims, {info['device']}){fallback}"


def _quiet_libraries(verbose: bool) -> None:
    if verbose:
        return
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    _quiet_libraries(args.verbose)
    service = _service(args, rebuild=args.rebuild, on_wait=_tell_waiting)
    print(_banner(service), file=sys.stderr)
    password = args.password or service.settings.secret("pdf_password")
    bar = tqdm(
        total=1000,
        unit="‰",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        bar_format="{l_bar}{bar}| {elapsed}",
    )

    def progress(fraction: float, text: str) -> None:
        if bar.disable:  # no terminal: a line for each slow step only (OCR), not a redrawn bar
            if "OCR of page" in text:
                print(text, file=sys.stderr, flush=True)
            return
        bar.set_description_str(text[:60])
        bar.update(int(fraction * 1000) - bar.n)

    report = service.ingest(args.paths, password=password, progress=progress)
    bar.close()
    for outcome in report.outcomes:
        print(f"{outcome.source}: {outcome.line()}")
    stats = service.stats()
    print(
        f"store {service.settings.store_dir}: {stats['files']} files, {stats['vectors']} vectors, "
        f"{len(report.rejected)} rejected",
        file=sys.stderr,
    )
    return report.exit_code


def cmd_query(args: argparse.Namespace) -> int:
    _quiet_libraries(args.verbose)
    service = _service(args)
    result = service.query(args.question, args.top_k)
    if args.json:
        print(json.dumps(result.to_json(service.model_info()), ensure_ascii=False))
        return EXIT_OK
    print(_banner(service), file=sys.stderr)
    _print_passages(result)
    return EXIT_OK


def _print_passages(result) -> None:
    if not result.passages:
        print("no passages: the store is empty (run `rag-app ingest` first)")
    for p in result.passages:
        page = f" p.{p.page}" if p.page else ""
        mark = "relevant" if p.score >= result.thresholds.relevant else "weak"
        text = " ".join(p.text.split())
        print(f"[{p.rank}] {p.score:.3f} ({mark}) {p.source}{page}\n    {text[:300]}")
    if result.ambiguity.ambiguous:
        print(f"warning: {result.ambiguity.message}")


def cmd_ask(args: argparse.Namespace) -> int:
    _quiet_libraries(args.verbose)
    service = _service(args)
    answer = service.answer(args.question, args.top_k)
    if args.json:
        print(json.dumps(answer.to_json(service.model_info()), ensure_ascii=False))
        return EXIT_OK
    print(_banner(service) + f"; answer backend: {answer.backend}", file=sys.stderr)
    for notice in answer.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(answer.text)
    print("\nSources:")
    _print_passages(answer.retrieval)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    service = _service(args)
    documents, stats = service.documents(), service.stats()
    if args.json:
        print(json.dumps({"documents": documents, "stats": stats}, ensure_ascii=False))
        return EXIT_OK
    for item in documents:
        pages = f", {item['pages']} pages" if item["pages"] else ""
        print(f"{item['source']}: {item['chunks']} chunks{pages}")
    held = "kept by Milvus" if stats["index_bytes"] is None else f"{stats['index_bytes']:,} bytes"
    print(
        f"{stats['vectors']} vectors x {stats['dimensions']} dims ({stats['model']}); index "
        f"{held} (N x d x 4 = {stats['estimate_bytes']:,}); search {stats['search']}"
    )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    removed = _service(args, on_wait=_tell_waiting).delete(args.source)
    if not removed:
        print(f"error: no document named {args.source!r} in the store (see `rag-app list`)", file=sys.stderr)
        return EXIT_ERROR
    print(f"deleted {args.source} ({removed} chunks)")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    problems = _service(args).verify()
    for problem in problems:
        print(problem)
    print("store verified: every vector file matches its checksum" if not problems else "store damaged")
    return EXIT_ERROR if problems else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    info = _service(args).model_info()
    print(json.dumps(info, indent=2))
    return EXIT_OK


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _accounts(args: argparse.Namespace, settings):
    """The people who may log in, from --auth-file, RAG_AUTH or --auth (in that order); None for nobody."""
    from rag_app.sharing.accounts import Accounts

    if args.auth_file:
        return Accounts.from_file(Path(args.auth_file))
    single = settings.secret("auth") or args.auth
    if not single:
        return None
    if args.auth:
        print(
            "warning: --auth puts the password where every user of this machine can read it (ps); "
            "use RAG_AUTH=user:pass or --auth-file instead",
            file=sys.stderr,
        )
    user, sep, password = single.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth and RAG_AUTH must be USER:PASS")
    return Accounts.single(user, password)


def cmd_serve(args: argparse.Namespace) -> int:
    """Refuse to listen beyond this machine without accounts, seed the samples, start the app and wait."""
    settings = settings_from(args)
    accounts = _accounts(args, settings)
    public = args.share or not _is_loopback(settings.host)
    if public and accounts is None and not args.allow_public_without_auth:
        where = "--share" if args.share else f"--host {settings.host}"
        print(
            f"error: {where} without accounts would let anyone who reaches this server read your documents. "
            "Add --auth-file FILE (see `rag-app passwd`) or RAG_AUTH=user:pass; or pass "
            "--allow-public-without-auth, and visitors may only search the --library, never upload.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    from rag_app.service import RagService, prepare_server_process
    from rag_app.sharing.people import People
    from rag_app.ui.app import build_app, launch

    _quiet_libraries(args.verbose)
    prepare_server_process()
    library = Path(args.library) if args.library else None
    if accounts is None and not public:
        people = None
        service = RagService(settings)
        if library is not None:
            service = RagService(settings, library=People(settings, library=library).library())
        if args.seed_samples and not service.documents() and SAMPLE_DOCS.is_dir():
            print(f"indexing the sample documents in {SAMPLE_DOCS} …", file=sys.stderr)
            service.ingest([SAMPLE_DOCS])
        app_service = service
    else:
        people = People(settings, library=library)
        app_service = people
        if accounts is None and library is None:
            print(
                "warning: no accounts and no --library: visitors will have nothing to search", file=sys.stderr
            )
    demo = build_app(settings, app_service)
    threading.Thread(target=app_service.warm_up, name="warm-up", daemon=True).start()
    blocked = [str(Path.home() / ".cache" / "huggingface"), *([str(library.resolve())] if library else [])]
    launch(demo, settings, share=args.share, auth=accounts, blocked_paths=blocked)
    who = (
        "people with accounts, each with a private knowledge base"
        if accounts
        else ("anyone, searching the library only" if people else "this machine only")
    )
    print(f"serving on {demo.local_url} for {who}", file=sys.stderr)
    if args.share and not demo.share_url:
        print(
            "note: the public share link could not be opened (no route to Gradio's share server from this "
            "machine); the app keeps serving locally.",
            file=sys.stderr,
        )
    elif demo.share_url:
        print(f"public link: {demo.share_url}", file=sys.stderr)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    """Add a person to an auth file, or change their password (read from stdin, or asked twice)."""
    import getpass

    from rag_app.sharing.accounts import AccountError, set_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.user}: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return EXIT_ERROR
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        new = set_password(Path(args.auth_file), args.user, password)
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{'added' if new else 'changed the password of'} {args.user} in {args.auth_file}")
    return EXIT_OK


_COMMANDS = {
    "ingest": cmd_ingest,
    "query": cmd_query,
    "ask": cmd_ask,
    "list": cmd_list,
    "delete": cmd_delete,
    "verify": cmd_verify,
    "info": cmd_info,
    "serve": cmd_serve,
    "passwd": cmd_passwd,
}

if __name__ == "__main__":
    sys.exit(main())
