"""The Gradio app: layout and callbacks only. Everything it does goes through the service."""

from __future__ import annotations

import base64
import functools
import html
import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
import pandas as pd

from rag_app.service import (
    InputFile,
    RetrievalResult,
    Service,
    ServiceProvider,
    StoreError,
)
from rag_app.settings import Settings
from rag_app.ui.render import (
    documents_frame,
    excerpt_html,
    passage_choices,
    render_answer,
    render_banner,
    render_draft,
    render_passages,
    render_summary,
    safe_text,
    vector_frame,
    viewer_outputs,
)

# ---- the app -------------------------------------------------------------------------------


class UploadOwners(Protocol):
    """Who uploaded each file in Gradio's upload cache (``rag_app.sharing.guard.UploadCache``)."""

    def owns(self, user: str | None, path: str | Path) -> bool: ...
    def release(self, user: str | None, paths: Iterable[str | Path]) -> None: ...
    def forget(self, user: str | None) -> None: ...


def refusal(message: str) -> gr.Error:
    """A plain refusal: escaped (Gradio shows toasts as HTML, and names come from files) and never
    logged with a traceback (it is an answer, not a fault)."""
    return gr.Error(html.escape(message, quote=False), print_exception=False)


def _plainly(fn: Any) -> Any:
    """A callback whose refusals (a limit reached, a damaged store) reach the person as a plain message."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streaming(*args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise  # already a refusal (gr.Error is a ValueError: never escaped twice)
            except (ValueError, StoreError) as exc:
                raise refusal(str(exc)) from exc

        return streaming

    @functools.wraps(fn)
    def plain(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, StoreError) as exc:
            raise refusal(str(exc)) from exc

    return plain


def build_app(
    settings: Settings, service: ServiceProvider, *, uploads: UploadOwners | None = None
) -> gr.Blocks:
    """The app over ``service``; tests pass a fake one. Who is asking comes from Gradio's login
    (``gr.Request.username``), never from anything the browser sends. With ``uploads``, a file is
    indexed only for the person who uploaded it, and its cached copy is deleted once read."""

    def kb(request: gr.Request | None) -> Service:
        return service.for_user(getattr(request, "username", None))

    def panels(base: Service) -> tuple[Any, ...]:
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
            raise refusal("Type a question first.")
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
            raise refusal(str(exc)) from exc
        return {
            "source": view.source,
            "page": view.page,
            "pages": view.pages,
            "highlighted": view.highlighted,
            "png_base64": base64.b64encode(view.png).decode() if view.png else None,
            "html": excerpt_html(view) or None,
        }

    def turn(step: int, viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        if not viewing or not viewing.get("pages"):
            raise refusal("Open a passage of a PDF first.")
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
            raise refusal("Choose one or more files first.")
        base = kb(request)
        user = getattr(request, "username", None)
        if uploads is not None and (foreign := [Path(f).name for f in files if not uploads.owns(user, f)]):
            raise refusal(f"{', '.join(foreign)}: not uploaded by you, or already read; upload it again")
        inputs = [InputFile(Path(f), Path(f).name) for f in files]
        try:
            report = base.ingest_uploads(
                inputs, password=password or None, progress=lambda f, text: progress(f, desc=text)
            )
        finally:  # read (or refused): the cached copy goes now, not at Gradio's hourly cleanup
            if uploads is not None:
                uploads.release(user, files)
        outcomes = pd.DataFrame(
            [(o.source, o.status, o.line()) for o in report.outcomes], columns=["file", "status", "details"]
        )
        return (outcomes, *panels(base))

    @_plainly
    def delete(source: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not source:
            raise refusal("Pick a document to delete.")
        base = kb(request)
        if uploads is not None:
            uploads.forget(getattr(request, "username", None))
        # Only one's own names reach the store (a name typed in, or a store never written to, is refused here).
        removed = base.delete(source) if source in {d["source"] for d in base.documents()} else 0
        if not removed:
            raise refusal(f"No document named {source!r}.")
        gr.Info(html.escape(f"Deleted {source} ({removed} chunks).", quote=False))
        return panels(base)

    @_plainly
    def refresh(request: gr.Request) -> tuple[Any, ...]:
        return panels(kb(request))

    @_plainly
    def inspect_vectors(first: str, second: str, request: gr.Request) -> tuple[Any, ...]:
        if not (first or "").strip():
            raise refusal("Type a query to inspect.")
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
            # No file_types filter: Gradio's checks only the name and drops the rest unseen; every file
            # reaches the server, whose loaders sniff the bytes, and gets its line in the upload report.
            files = gr.File(
                label="PDF, Word, PowerPoint, Excel, CSV, HTML, EPUB, ODT, Markdown, text or image files",
                file_count="multiple",
                elem_id="upload",
            )
            password = gr.Textbox(label="Password for protected PDFs (optional)", type="password")
            index = gr.Button("Add to knowledge base", variant="primary", elem_id="index")
            outcomes = gr.Dataframe(label="Upload results", interactive=False, elem_id="outcomes")
            summary = gr.Markdown(elem_id="summary")
            docs = gr.Dataframe(label="Documents", interactive=False, elem_id="documents")
            with gr.Row():
                # Custom values pass Gradio's check (which answers a name not in the list with the raw name
                # and a logged traceback); ``delete`` refuses a name that is not one's own, escaped.
                chosen = gr.Dropdown(choices=[], label="Document", allow_custom_value=True, elem_id="chosen")
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
