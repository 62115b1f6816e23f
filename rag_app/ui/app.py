"""The Gradio app: layout and callbacks only. Everything it does goes through the service."""

from __future__ import annotations

import base64
import functools
import html
import inspect
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from PIL import Image

from rag_app.service import (
    Answer,
    HealthReport,
    InputFile,
    KnowledgeBase,
    PageView,
    RetrievalResult,
    StoreError,
)
from rag_app.settings import Settings

CSS = """
.passage {border-left: 6px solid var(--c); padding: 6px 10px; margin: 8px 0; background: var(--block-background-fill);}
.passage .meta {font-size: 0.85em; opacity: 0.8;}
.passage .bar {height: 6px; background: var(--c); border-radius: 3px; margin: 4px 0;}
.passage .text {white-space: pre-wrap; font-size: 0.9em;}
.ambiguity {background: #fff4ce; color: #5c4400; border: 1px solid #e0b400; padding: 8px; border-radius: 6px;}
.fallback {background: #fde8e8; color: #7a1c1c; padding: 6px 10px; border-radius: 6px;}
.text-view {white-space: pre-wrap; font-size: 0.9em; max-height: 420px; overflow-y: auto;}
.text-view mark {background: #ffd60060;}
"""
GREEN, AMBER = "#2e9d4f", "#c98a00"


# ---- rendering (pure functions, tested directly) -------------------------------------------


def render_banner(info: dict[str, Any], backend_name: str) -> str:
    text = (
        f"**Embedding model:** {html.escape(info['name'])} · {info['dimensions']} dims · "
        f"{html.escape(info['device'])} ({html.escape(info['dtype'])}) "
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
        page += " · <i>library</i>" if p.collection else ""
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


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")


def safe_text(text: str) -> str:
    """Text from a document or a model, shown literally in the chat's Markdown: no HTML, and no
    image or link syntax (a passage holding ``![x](http://host/p)`` must not make a browser fetch)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def render_draft(draft: str) -> str:
    """What a model has written so far: shown as a draft, never as fact, until it is checked."""
    return f"{safe_text(draft)}\n\n_(draft: being checked against the passages)_"


def render_answer(answer: Answer) -> str:
    lines = [safe_text(answer.text)]
    if answer.citations:
        sources = [
            f"\\[{c.number}\\] {safe_text(str(c.source))}"
            + (f", p. {c.page}" if c.page else "")
            + (" (matched)" if c.attributed else "")
            for c in answer.citations
        ]
        lines.append("\n**Sources:** " + "; ".join(sources))
    if answer.unsupported:
        left_out = "; ".join(f"“{safe_text(s)}”" for s in answer.unsupported)
        lines.append(f"\n**Left out, not supported by the passages:** ~~{left_out}~~")
    lines.extend(f"\n_{safe_text(n)}_" for n in answer.notices)
    return "\n".join(lines)


def documents_frame(documents: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per document: what read its pages (pdfium, pypdf, pdfminer, ocr) and which it could not."""
    rows = []
    for d in documents:
        read_by = ", ".join(f"{name} {n}" for name, n in (d.get("extractors") or {}).items())
        unreadable = ", ".join(str(page) for page, _ in d.get("unreadable_pages") or [])
        rows.append((d["source"], d["chunks"], d["pages"] or "", read_by, unreadable))
    return pd.DataFrame(rows, columns=["document", "chunks", "pages", "read by", "unreadable pages"])


def render_summary(stats: dict[str, Any], health: HealthReport) -> str:
    spread = "n/a" if health.mean_pairwise_cosine is None else f"{health.mean_pairwise_cosine:.2f}"
    lines = [
        f"**{stats['files']} documents · {stats['vectors']} chunks · {stats['dimensions']} dimensions**",
        (
            f"Index holds {stats['index_bytes']:,} bytes; "
            if stats["index_bytes"] is not None
            else "Index kept by Milvus; "
        )
        + f"N × d × 4 = {stats['estimate_bytes']:,} bytes ({stats['search']}).",
        f"Health: {health.short_chunks} very short, {health.long_chunks} very long chunks, "
        f"{health.near_duplicate_pairs} near-duplicate pairs, mean pairwise cosine {spread}.",
        *[f"- {a}" for a in health.advice],
    ]
    return "\n\n".join(lines)


def passage_choices(result: RetrievalResult) -> Any:
    """The passages as choices to open: labelled like their citations, valued by chunk id (looked up
    in the asker's own knowledge base, never used as a path)."""
    choices = [
        (f"[{p.rank}] {p.source}" + (f", page {p.page}" if p.page else ""), p.chunk_id)
        for p in result.passages
    ]
    return gr.Radio(choices=choices, value=None)


def viewer_outputs(view: PageView, chunk_id: str) -> tuple[Any, ...]:
    """What the viewer shows: a page image, or a text passage in its surroundings."""
    state = {"chunk_id": chunk_id, "page": view.page, "pages": view.pages}
    if view.png is not None:
        return Image.open(io.BytesIO(view.png)), "", state
    return None, view.html or "", state


def vector_frame(vector: list[float], label: str, n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"dimension": list(range(min(n, len(vector)))), "value": vector[:n], "query": label})


# ---- the app -------------------------------------------------------------------------------


def _plainly(fn: Any) -> Any:
    """A callback whose refusals (a limit reached, a damaged store) reach the person as a plain message."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except (ValueError, StoreError) as exc:
                raise gr.Error(str(exc)) from exc

        return streaming

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ValueError, StoreError) as exc:
            raise gr.Error(str(exc)) from exc

    return plain


def build_app(settings: Settings, service: KnowledgeBase) -> gr.Blocks:
    """The app over ``service``; tests pass a fake one. Who is asking comes from Gradio's login
    (``gr.Request.username``), never from anything the browser sends."""

    def kb(request: gr.Request | None) -> KnowledgeBase:
        return service.for_user(getattr(request, "username", None))

    def panels(base: KnowledgeBase) -> tuple[Any, ...]:
        names = [d["source"] for d in base.documents()]
        return (
            documents_frame(base.documents()),
            render_summary(base.stats(), base.health()),
            gr.Dropdown(choices=names, value=None),
        )

    @_plainly
    def ask(message: str, history: list[dict[str, Any]], request: gr.Request) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            raise gr.Error("Type a question first.")
        base = kb(request)
        history = [
            *history,
            {"role": "user", "content": safe_text(message)},
            {"role": "assistant", "content": ""},
        ]
        retrieval: RetrievalResult | None = None
        result_json: dict[str, Any] = {}
        draft = ""
        for kind, value in base.stream_answer(message):
            if kind == "retrieval":
                retrieval = value
                result_json = value.to_json(base.model_info())
            elif kind == "token":
                draft += str(value)
                history[-1]["content"] = render_draft(draft)
            else:
                history[-1]["content"] = render_answer(value)
                result_json = value.to_json(base.model_info())
            assert retrieval is not None
            yield history, render_passages(retrieval), result_json, "", passage_choices(retrieval)

    @_plainly
    def open_passage(chunk_id: str | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        if not chunk_id:
            return gr.update(), gr.update(), None
        return viewer_outputs(kb(request).page_view(chunk_id, None, zoom), chunk_id)

    def page_api(chunk_id: str, page: int | None, zoom: float, request: gr.Request) -> dict[str, Any]:
        """A passage's page for scripts: the image as base64 PNG (PDFs) or the marked text (HTML)."""
        try:
            view = kb(request).page_view(chunk_id, page, zoom)
        except (ValueError, StoreError) as exc:
            raise gr.Error(str(exc)) from exc
        return {
            "source": view.source,
            "page": view.page,
            "pages": view.pages,
            "highlighted": view.highlighted,
            "png_base64": base64.b64encode(view.png).decode() if view.png else None,
            "html": view.html,
        }

    def turn(step: int, viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        if not viewing or not viewing.get("pages"):
            raise gr.Error("Open a passage of a PDF first.")
        page = min(max(1, viewing["page"] + step), viewing["pages"])
        return viewer_outputs(kb(request).page_view(viewing["chunk_id"], page, zoom), viewing["chunk_id"])

    @_plainly
    def turn_back(viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        return turn(-1, viewing, zoom, request)

    @_plainly
    def turn_on(viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        return turn(1, viewing, zoom, request)

    @_plainly
    def upload(
        files: list[str] | None,
        password: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects progress through this default
    ) -> tuple[Any, ...]:
        if not files:
            raise gr.Error("Choose one or more PDF, text or Markdown files first.")
        base = kb(request)
        inputs = [InputFile(Path(f), Path(f).name) for f in files]
        report = base.ingest_uploads(
            inputs, password=password or None, progress=lambda f, text: progress(f, desc=text)
        )
        outcomes = pd.DataFrame(
            [(o.source, o.status, o.line()) for o in report.outcomes], columns=["file", "status", "details"]
        )
        return (outcomes, *panels(base))

    @_plainly
    def delete(source: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not source:
            raise gr.Error("Pick a document to delete.")
        base = kb(request)
        removed = base.delete(source)
        if not removed:
            raise gr.Error(f"No document named {source!r}.")
        gr.Info(f"Deleted {source} ({removed} chunks).")
        return panels(base)

    @_plainly
    def refresh(request: gr.Request) -> tuple[Any, ...]:
        return panels(kb(request))

    @_plainly
    def inspect_vectors(first: str, second: str, request: gr.Request) -> tuple[Any, ...]:
        if not (first or "").strip():
            raise gr.Error("Type a query to inspect.")
        texts = [t for t in (first, second) if (t or "").strip()]
        vectors = kb(request).embed_queries(texts)
        frames = [vector_frame(v.tolist(), f"query {i + 1}") for i, v in enumerate(vectors)]
        frame = pd.concat(frames, ignore_index=True)
        summary = f"Each query becomes a vector of **{vectors.shape[1]}** numbers (unit length)."
        if len(vectors) == 2:
            summary += f" Cosine similarity of the two queries: **{float(vectors[0] @ vectors[1]):.3f}**."
        table = pd.DataFrame({f"query {i + 1}": v[:50].round(4) for i, v in enumerate(vectors)})
        return summary, frame, table

    with gr.Blocks(title="rag-app: ask your documents", delete_cache=(1800, 3600)) as demo:
        gr.Markdown("# Ask your documents")
        gr.Markdown(render_banner(service.model_info(), service.answer_backend()), elem_id="banner")
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat")
                question = gr.Textbox(
                    label="Question", placeholder="Ask about your documents…", elem_id="question"
                )
                send = gr.Button("Ask", variant="primary", elem_id="ask")
            with gr.Column(scale=2):
                passages = gr.HTML("<p>Retrieved passages appear here.</p>", elem_id="passages")
                opener = gr.Radio(
                    label="Open a passage where it stands in its document", choices=[], elem_id="open-passage"
                )
                with gr.Row():
                    previous_page = gr.Button("◀ Previous page", size="sm", elem_id="previous-page")
                    next_page = gr.Button("Next page ▶", size="sm", elem_id="next-page")
                    zoom = gr.Slider(0.5, 3.0, value=1.0, step=0.25, label="Zoom", elem_id="zoom")
                page_image = gr.Image(label="Page", type="pil", interactive=False, elem_id="page-view")
                text_view = gr.HTML(elem_id="text-view")
                viewing = gr.State(None)
                with gr.Accordion("Raw result (JSON)", open=False):
                    raw = gr.JSON(label="result")
        with gr.Tab("Documents"):
            files = gr.File(
                label="PDF, text or Markdown files",
                file_count="multiple",
                file_types=[".pdf", ".txt", ".md"],
                elem_id="upload",
            )
            password = gr.Textbox(label="Password for protected PDFs (optional)", type="password")
            index = gr.Button("Add to knowledge base", variant="primary", elem_id="index")
            outcomes = gr.Dataframe(label="Upload results", interactive=False, elem_id="outcomes")
            summary = gr.Markdown(elem_id="summary")
            docs = gr.Dataframe(label="Documents", interactive=False, elem_id="documents")
            with gr.Row():
                chosen = gr.Dropdown(choices=[], label="Document", allow_custom_value=False, elem_id="chosen")
                remove = gr.Button("Delete document", variant="stop", elem_id="delete")
        with gr.Tab("Behind the scenes"):
            gr.Markdown("How a question looks to the retriever: its vector, first 50 values.")
            with gr.Row():
                first = gr.Textbox(label="Query 1", value="I want something to eat")
                second = gr.Textbox(label="Query 2 (compare)", value="I am hungry")
            show = gr.Button("Show vectors")
            vec_summary = gr.Markdown()
            plot = gr.BarPlot(x="dimension", y="value", color="query", height=300, label="First 50 values")
            values = gr.Dataframe(label="First 50 values", interactive=False)

        asked = [chat, passages, raw, question, opener]
        send.click(ask, [question, chat], asked, api_name="ask")
        question.submit(ask, [question, chat], asked, api_name=False)
        shown = [page_image, text_view, viewing]
        opener.change(open_passage, [opener, zoom], shown, api_name=False)
        gr.api(page_api, api_name="page")
        zoom.release(open_passage, [opener, zoom], shown, api_name=False)
        previous_page.click(turn_back, [viewing, zoom], shown, api_name=False)
        next_page.click(turn_on, [viewing, zoom], shown, api_name=False)
        index.click(upload, [files, password], [outcomes, docs, summary, chosen], api_name="upload")
        remove.click(delete, [chosen], [docs, summary, chosen], api_name="delete")
        show.click(inspect_vectors, [first, second], [vec_summary, plot, values], api_name="inspect")
        demo.load(refresh, None, [docs, summary, chosen], api_name="documents")
    return demo


def launch(
    demo: gr.Blocks,
    settings: Settings,
    *,
    share: bool = False,
    auth: Any = None,
    blocked_paths: list[str] | None = None,
    port: int | None = None,
) -> gr.Blocks:
    """Start the server without blocking, with the safety settings a shared link needs."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(
        server_name=settings.host,
        server_port=port if port is not None else settings.port,
        share=share,
        auth=auth,
        max_file_size=f"{settings.max_upload_mb}mb",
        blocked_paths=[str(Path(settings.store_dir).resolve()), *(blocked_paths or [])],
        show_error=False,
        prevent_thread_lock=True,
        css=CSS,
        footer_links=["api"],
        quiet=True,
    )
    return demo
