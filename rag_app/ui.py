"""The Gradio app: layout and callbacks only. Everything it calls works from the CLI and Python too."""

from __future__ import annotations

import html
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from loaders import LoadLimits
from rag_app.answer import Answer, get_backend, stream_answer
from rag_app.health import check_health
from rag_app.ingest import InputFile
from rag_app.retrieval import RetrievalResult
from rag_app.service import RagService
from rag_app.settings import Settings

SAMPLE_DOCS = Path(__file__).resolve().parent.parent / "sample_docs"
CSS = """
.passage {border-left: 6px solid var(--c); padding: 6px 10px; margin: 8px 0; background: var(--block-background-fill);}
.passage .meta {font-size: 0.85em; opacity: 0.8;}
.passage .bar {height: 6px; background: var(--c); border-radius: 3px; margin: 4px 0;}
.passage .text {white-space: pre-wrap; font-size: 0.9em;}
.ambiguity {background: #fff4ce; color: #5c4400; border: 1px solid #e0b400; padding: 8px; border-radius: 6px;}
.fallback {background: #fde8e8; color: #7a1c1c; padding: 6px 10px; border-radius: 6px;}
"""
GREEN, AMBER = "#2e9d4f", "#c98a00"


# ---- rendering (pure functions, tested directly) -------------------------------------------


def render_banner(service: RagService, backend_name: str) -> str:
    info = service.model_info()
    text = (
        f"**Embedding model:** {info['name']} · {info['dimensions']} dims · {info['device']} ({info['dtype']}) "
        f"&nbsp;|&nbsp; **Answers:** {html.escape(backend_name)}"
    )
    if info["is_fallback"]:
        text += (
            "\n\n<div class='fallback'>Running on the offline fallback model, not Qwen3-Embedding-4B "
            f"({html.escape(info['reason'])}). See the README to use Qwen3-Embedding-4B.</div>"
        )
    return text


def render_passages(result: RetrievalResult) -> str:
    """Scored passages as HTML; every piece of document text is escaped, never rendered."""
    if not result.passages:
        return "<p>No passages: the knowledge base is empty.</p>"
    parts = []
    if result.ambiguity.ambiguous:
        parts.append(
            f"<div class='ambiguity'>⚠️ Top-3 ambiguity: {html.escape(result.ambiguity.message)}</div>"
        )
    relevant = result.thresholds.relevant
    for p in result.passages:
        colour = GREEN if p.score >= relevant else AMBER
        page = f", page {p.page}" if p.page else ""
        width = max(0.0, min(1.0, p.score)) * 100
        parts.append(
            f"<div class='passage' style='--c:{colour}'>"
            f"<div class='meta'><b>[{p.rank}]</b> cosine <b>{p.score:.3f}</b> · "
            f"{html.escape(str(p.source))}{page}</div>"
            f"<div class='bar' style='width:{width:.0f}%'></div>"
            f"<div class='text'>{html.escape(p.text)}</div></div>"
        )
    parts.append(
        f"<p class='meta'>Green: cosine ≥ {relevant} (relevant for this model). "
        f"Ambiguity gap: {result.ambiguity.threshold}.</p>"
    )
    return "\n".join(parts)


def render_answer(answer: Answer) -> str:
    lines = [answer.text]
    if answer.citations:
        sources = [
            f"[{c.number}] {c.source}"
            + (f", p. {c.page}" if c.page else "")
            + (" (matched)" if c.attributed else "")
            for c in answer.citations
        ]
        lines.append("\n**Sources:** " + "; ".join(sources))
    lines.extend(f"\n_{n}_" for n in answer.notices)
    return "\n".join(lines)


def documents_table(service: RagService) -> pd.DataFrame:
    rows = [(d["source"], d["chunks"], d["pages"] or "") for d in service.store.list_sources()]
    return pd.DataFrame(rows, columns=["document", "chunks", "pages"])


def knowledge_base_summary(service: RagService) -> str:
    stats = service.store.stats()
    health = check_health(service.store)
    spread = "n/a" if health.mean_pairwise_cosine is None else f"{health.mean_pairwise_cosine:.2f}"
    lines = [
        f"**{stats['files']} documents · {stats['vectors']} chunks · {stats['dimensions']} dimensions**",
        f"Index holds {stats['index_bytes']:,} bytes; N × d × 4 = {stats['estimate_bytes']:,} bytes "
        f"({stats['search']}).",
        f"Health: {health.short_chunks} very short, {health.long_chunks} very long chunks, "
        f"{health.near_duplicate_pairs} near-duplicate pairs, mean pairwise cosine {spread}.",
        *[f"- {a}" for a in health.advice],
    ]
    return "\n\n".join(lines)


def vector_frame(vector: list[float], label: str, n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"dimension": list(range(min(n, len(vector)))), "value": vector[:n], "query": label})


# ---- the app -------------------------------------------------------------------------------


def build_app(service: RagService, *, llm_spec: str | None = None, max_upload_mb: int = 50) -> gr.Blocks:
    backend = get_backend(llm_spec or service.settings.llm)
    limits = LoadLimits(max_file_bytes=max_upload_mb * 1024 * 1024)

    def ask(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a question first.")
        retrieval = service.query(message)
        result_json = retrieval.to_json(service.model_info())
        history = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": ""}]
        yield history, render_passages(retrieval), result_json, ""
        for kind, value in stream_answer(retrieval, backend):
            if kind == "token":
                history[-1]["content"] += str(value)
            else:
                assert isinstance(value, Answer)
                history[-1]["content"] = render_answer(value)
                result_json = value.to_json(service.model_info())
            yield history, render_passages(retrieval), result_json, ""

    def upload(
        files: list[str] | None,
        password: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects progress through this default
    ) -> tuple[Any, ...]:
        if not files:
            raise gr.Error("Choose one or more PDF, text or Markdown files first.")
        inputs = [InputFile(Path(f), Path(f).name) for f in files]
        report = service.ingest_inputs(
            inputs, password=password or None, limits=limits, progress=lambda f, text: progress(f, desc=text)
        )
        outcomes = pd.DataFrame(
            [(o.source, o.status, o.line()) for o in report.outcomes], columns=["file", "status", "details"]
        )
        return outcomes, documents_table(service), knowledge_base_summary(service), _choices(service)

    def delete(source: str | None) -> tuple[Any, ...]:
        if not source:
            raise gr.Error("Pick a document to delete.")
        removed = service.delete_source(source)
        if not removed:
            raise gr.Error(f"No document named {source!r}.")
        gr.Info(f"Deleted {source} ({removed} chunks).")
        return documents_table(service), knowledge_base_summary(service), _choices(service)

    def refresh() -> tuple[Any, ...]:
        return documents_table(service), knowledge_base_summary(service), _choices(service)

    def inspect(first: str, second: str) -> tuple[Any, ...]:
        if not (first or "").strip():
            raise gr.Error("Type a query to inspect.")
        texts = [t for t in (first, second) if (t or "").strip()]
        vectors = service.embeddings.encode_queries(texts)
        frames = [vector_frame(v.tolist(), f"query {i + 1}") for i, v in enumerate(vectors)]
        frame = pd.concat(frames, ignore_index=True)
        summary = f"Each query becomes a vector of **{vectors.shape[1]}** numbers (unit length)."
        if len(vectors) == 2:
            summary += f" Cosine similarity of the two queries: **{float(vectors[0] @ vectors[1]):.3f}**."
        table = pd.DataFrame({f"query {i + 1}": v[:50].round(4) for i, v in enumerate(vectors)})
        return summary, frame, table

    with gr.Blocks(title="rag-app: ask your documents", delete_cache=(1800, 3600)) as demo:
        gr.Markdown("# Ask your documents")
        gr.Markdown(render_banner(service, backend.name), elem_id="banner")
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat")
                question = gr.Textbox(
                    label="Question", placeholder="Ask about your documents…", elem_id="question"
                )
                send = gr.Button("Ask", variant="primary", elem_id="ask")
            with gr.Column(scale=2):
                passages = gr.HTML("<p>Retrieved passages appear here.</p>", elem_id="passages")
                with gr.Accordion("Raw result (JSON)", open=False):
                    raw = gr.JSON(label="result")
        with gr.Tab("Documents"):
            files = gr.File(
                label="PDF, text or Markdown files", file_count="multiple", file_types=[".pdf", ".txt", ".md"],
                elem_id="upload",
            )  # fmt: skip
            password = gr.Textbox(label="Password for protected PDFs (optional)", type="password")
            index = gr.Button("Add to knowledge base", variant="primary", elem_id="index")
            outcomes = gr.Dataframe(label="Upload results", interactive=False, elem_id="outcomes")
            summary = gr.Markdown(knowledge_base_summary(service))
            docs = gr.Dataframe(value=documents_table(service), label="Documents", interactive=False)
            with gr.Row():
                chosen = gr.Dropdown(
                    choices=_source_names(service), label="Document", allow_custom_value=False
                )
                remove = gr.Button("Delete document", variant="stop")
        with gr.Tab("Behind the scenes"):
            gr.Markdown("How a question looks to the retriever: its vector, first 50 values.")
            with gr.Row():
                first = gr.Textbox(label="Query 1", value="I want something to eat")
                second = gr.Textbox(label="Query 2 (compare)", value="I am hungry")
            show = gr.Button("Show vectors")
            vec_summary = gr.Markdown()
            plot = gr.BarPlot(x="dimension", y="value", color="query", height=300, label="First 50 values")
            values = gr.Dataframe(label="First 50 values", interactive=False)

        send.click(ask, [question, chat], [chat, passages, raw, question], api_name="ask")
        question.submit(ask, [question, chat], [chat, passages, raw, question], api_name=False)
        index.click(upload, [files, password], [outcomes, docs, summary, chosen], api_name="upload")
        remove.click(delete, [chosen], [docs, summary, chosen], api_name="delete")
        show.click(inspect, [first, second], [vec_summary, plot, values], api_name="inspect")
        demo.load(refresh, None, [docs, summary, chosen], api_name=False)
    return demo


def _source_names(service: RagService) -> list[str]:
    return [d["source"] for d in service.store.list_sources()]


def _choices(service: RagService) -> Any:
    return gr.Dropdown(choices=_source_names(service), value=None)


def launch(demo: gr.Blocks, settings: Settings, *, share: bool = False, auth: tuple[str, str] | None = None,
           extra_blocked: list[str] | None = None, prevent_thread_lock: bool = False, port: int | None = None) -> gr.Blocks:  # fmt: skip
    """Start the server with the safety settings a shared link needs."""
    blocked = [str(Path(settings.store_dir).resolve()), str(Path.home() / ".cache" / "huggingface")]
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(
        server_name=settings.host,
        server_port=port if port is not None else settings.port,
        share=share,
        auth=auth,
        max_file_size=f"{settings.max_upload_mb}mb",
        blocked_paths=blocked + (extra_blocked or []),
        show_error=False,
        prevent_thread_lock=prevent_thread_lock,
        css=CSS,
        footer_links=["api"],
        quiet=True,
    )
    return demo


def _warm_up_in_background(backend: Any) -> None:
    """Load the local LLM while the page is already served, so the first answer need not wait for it."""
    load = getattr(backend.model, "load", None)
    if callable(load):
        threading.Thread(target=load, name="llm-warm-up", daemon=True).start()


def serve(args: Any, settings: Settings) -> int:
    """`rag-app serve`: refuse an unprotected public link, seed the samples, launch."""
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("error: --auth must be USER:PASS", file=sys.stderr)
            return 1
        auth = (user, password)
    if args.share and auth is None and not args.allow_public_without_auth:
        print(
            "error: --share without --auth would let anyone with the link read and change your documents. "
            "Add --auth USER:PASS, or pass --allow-public-without-auth to accept that risk.",
            file=sys.stderr,
        )
        return 1
    service = RagService(settings)
    if args.seed_samples and len(service.store) == 0 and SAMPLE_DOCS.is_dir():
        print(f"indexing the sample documents in {SAMPLE_DOCS} …", file=sys.stderr)
        service.ingest([SAMPLE_DOCS])
    demo = build_app(service, llm_spec=settings.llm, max_upload_mb=settings.max_upload_mb)
    _warm_up_in_background(get_backend(settings.llm))
    model_dirs = [str(service.embeddings.resolved.path)]
    launch(demo, settings, share=args.share, auth=auth, extra_blocked=model_dirs, prevent_thread_lock=True)
    print(f"serving on {demo.local_url}", file=sys.stderr)
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
    return 0
