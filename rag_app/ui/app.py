"""The Gradio app: layout and callbacks only. Everything it does goes through the service."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from rag_app.ui.chats import chat_choices, saved_messages
from rag_app.ui.conversation import plain_history
from rag_app.ui.inspector import inspector_tab
from rag_app.ui.progress import WithTimeLeft
from rag_app.ui.refusals import UploadOwners, plainly, refusal
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
    viewer_outputs,
)
from rag_app.ui.starters import ExampleQuestions, example_buttons

# ---- the app -------------------------------------------------------------------------------


def build_app(
    settings: Settings, service: ServiceProvider, *, uploads: UploadOwners | None = None
) -> gr.Blocks:
    """The app over ``service``; tests pass a fake one. Who is asking comes from Gradio's login
    (``gr.Request.username``), never from anything the browser sends. With ``uploads``, a file is
    indexed only for the person who uploaded it, and its cached copy is deleted once read."""

    drawn = ExampleQuestions()

    def kb(request: gr.Request | None) -> Service:
        return service.for_user(getattr(request, "username", None))

    def panels(base: Service) -> tuple[Any, ...]:
        names = [d["source"] for d in base.documents()]
        return (
            documents_frame(base.documents()),
            render_summary(base.stats(), base.health()),
            gr.Dropdown(choices=names, value=None),
        )

    @plainly
    def ask(
        message: str, history: list[dict[str, Any]], chat_id: str | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            raise refusal("Type a question first.")
        base = kb(request)
        earlier = plain_history(history)
        cleared = False
        history = [
            *history,
            {"role": "user", "content": safe_text(message)},
            {"role": "assistant", "content": ""},
        ]
        retrieval: RetrievalResult | None = None
        result_json: dict[str, Any] = {}
        draft = ""
        for kind, value in base.stream_answer(message, history=earlier):
            if kind == "retrieval":
                retrieval = value
                result_json = value.to_json(base.model_info())
            elif kind == "token":
                draft += str(value)
                history[-1]["content"] = render_draft(draft)
            else:
                history[-1]["content"] = render_answer(value)
                result_json = value.to_json(base.model_info())
                if base.chats is not None:  # kept in this person's own folder, chosen by the login
                    chat_id = base.chats.record(chat_id, message, value)
            assert retrieval is not None
            # The question box is cleared once, with the first output: a later one would wipe what the
            # person has started typing meanwhile.
            question_box = gr.skip() if cleared else ""
            cleared = True
            yield (
                history,
                render_passages(retrieval),
                result_json,
                question_box,
                passage_choices(retrieval),
                chat_id,
            )

    @plainly
    def list_chats(chat_id: str | None, request: gr.Request) -> Any:
        return gr.Dropdown(choices=chat_choices(kb(request).chats), value=chat_id)

    def saved_chats(request: gr.Request) -> list[list[str]]:
        """[title, id] of the caller's saved chats, most recent first."""
        return [list(choice) for choice in chat_choices(kb(request).chats)]

    def signed_in(request: gr.Request) -> tuple[Any, ...]:
        user = getattr(request, "username", None)
        return (f"Signed in as **{safe_text(user)}**" if user else ""), gr.Button(visible=bool(user))

    @plainly
    def open_chat(chat_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        kept = kb(request).chats
        if not chat_id or kept is None:
            return [], None
        return saved_messages(kept.open(chat_id)), chat_id

    @plainly
    def latest_chat(request: gr.Request) -> tuple[Any, ...]:
        """On opening the page: the chat used last, as it was left (a reload or a restart loses nothing)."""
        kept = kb(request).chats
        choices = chat_choices(kept)
        if kept is None or not choices:
            return [], None, gr.Dropdown(choices=[], value=None)
        chat_id = choices[0][1]
        return saved_messages(kept.open(chat_id)), chat_id, gr.Dropdown(choices=choices, value=chat_id)

    @plainly
    def new_chat(request: gr.Request) -> tuple[Any, ...]:
        return [], None, gr.Dropdown(choices=chat_choices(kb(request).chats), value=None)

    @plainly
    def rename_chat(chat_id: str | None, title: str, request: gr.Request) -> Any:
        kept = kb(request).chats
        if not chat_id or kept is None:
            raise refusal("Pick a saved chat to rename.")
        if not (title or "").strip():
            raise refusal("Type the chat's new name.")
        kept.rename(chat_id, title)
        return gr.Dropdown(choices=chat_choices(kept), value=chat_id)

    @plainly
    def delete_chat(chat_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        kept = kb(request).chats
        if not chat_id or kept is None:
            raise refusal("Pick a saved chat to delete.")
        kept.delete(chat_id)
        return [], None, gr.Dropdown(choices=chat_choices(kept), value=None)

    @plainly
    def export_chat(chat_id: str | None, kind: str, request: gr.Request) -> str:
        kept = kb(request).chats
        if not chat_id or kept is None:
            raise refusal("Pick a saved chat to export.")
        return kept.export(chat_id, "json" if kind == "JSON" else "markdown")

    @plainly
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

    @plainly
    def turn_back(viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        return turn(-1, viewing, zoom, request)

    @plainly
    def turn_on(viewing: dict[str, Any] | None, zoom: float, request: gr.Request) -> tuple[Any, ...]:
        return turn(1, viewing, zoom, request)

    @plainly
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
                inputs,
                password=password or None,
                progress=WithTimeLeft(lambda f, text: progress(f, desc=text)),
            )
        finally:  # read (or refused): the cached copy goes now, not at Gradio's hourly cleanup
            if uploads is not None:
                uploads.release(user, files)
        outcomes = pd.DataFrame(
            [(o.source, o.status, o.line()) for o in report.outcomes], columns=["file", "status", "details"]
        )
        return (outcomes, *panels(base))

    @plainly
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

    @plainly
    def ask_to_delete(source: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Deleting cannot be undone: name the document and what goes with it, and ask first."""
        if not source:
            raise refusal("Pick a document to delete.")
        found = next((d for d in kb(request).documents() if d["source"] == source), None)
        if found is None:
            raise refusal(f"No document named {source!r}.")
        question = f"Delete **{safe_text(source)}** and its {found['chunks']} chunks? This cannot be undone."
        return question, gr.Row(visible=True)

    def indexed(request: gr.Request) -> str:
        """What the person can ask about, said where they ask."""
        documents = kb(request).documents()
        if not documents:
            return "_Nothing indexed yet: add documents in the **Documents** tab._"
        names = ", ".join(safe_text(d["source"]) for d in documents[:6])
        more = f" and {len(documents) - 6} more" if len(documents) > 6 else ""
        chunks = sum(int(d.get("chunks") or 0) for d in documents)
        return f"**Indexed:** {len(documents)} documents ({names}{more}), {chunks} passages."

    def show_examples(request: gr.Request) -> list[Any]:
        return drawn.buttons(kb(request))

    @plainly
    def refresh(request: gr.Request) -> tuple[Any, ...]:
        return panels(kb(request))

    with gr.Blocks(title="rag-app: ask your documents", delete_cache=(1800, 3600)) as demo:
        gr.Markdown("# Ask your documents")
        gr.Markdown(render_banner(service.model_info(), service.answer_backend()), elem_id="banner")
        with gr.Row():
            who = gr.Markdown(elem_id="who")
            log_out = gr.Button("Log out", size="sm", visible=False, scale=0, elem_id="log-out")
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chat_id = gr.State(
                    None
                )  # kept on the server for this page; a chat id reaches only its owner's
                with gr.Row():
                    saved = gr.Dropdown(
                        choices=[],
                        label="Saved chats",
                        scale=3,
                        allow_custom_value=True,
                        elem_id="saved-chats",
                    )
                    fresh = gr.Button("New chat", size="sm", scale=1, elem_id="new-chat")
                what_is_indexed = gr.Markdown(elem_id="indexed")
                examples = example_buttons()
                chat = gr.Chatbot(label="Conversation", height=460, elem_id="chat")
                question = gr.Textbox(
                    label="Question", placeholder="Ask about your documents…", elem_id="question"
                )
                send = gr.Button("Ask", variant="primary", elem_id="ask")
                with gr.Accordion("Rename, delete or export this chat", open=False):
                    with gr.Row():
                        title = gr.Textbox(label="New name", scale=3, elem_id="chat-title")
                        rename = gr.Button("Rename", size="sm", scale=1, elem_id="rename-chat")
                    with gr.Row():
                        kind = gr.Radio(["Markdown", "JSON"], value="Markdown", label="Export as")
                        export = gr.Button("Export", size="sm", elem_id="export-chat")
                        forget = gr.Button("Delete chat", variant="stop", size="sm", elem_id="delete-chat")
                    exported = gr.Code(
                        label="Export (copy it from here)", language="markdown", elem_id="export"
                    )
            with gr.Column(scale=2):
                passages = gr.HTML("<p>Retrieved passages appear here.</p>", elem_id="passages")
                opener = gr.Radio(
                    label="Open a passage where it stands in its document", choices=[], elem_id="open-passage"
                )
                with gr.Row():
                    previous_page = gr.Button("◀ Previous page", size="sm", elem_id="previous-page")
                    next_page = gr.Button("Next page ▶", size="sm", elem_id="next-page")
                    zoom = gr.Slider(0.5, 3.0, value=1.0, step=0.25, label="Zoom", elem_id="zoom")
                # Where a clicked [n] puts its passage's chunk id (the page script; see launch.CITE_SCRIPT).
                cite_target = gr.Textbox(
                    elem_id="cite-target", elem_classes=["hidden-input"], container=False
                )
                page_image = gr.Image(
                    label="Page", type="pil", interactive=False, elem_id="page-view", visible=False
                )
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
            # Shown once there is something to say: an empty table says nothing.
            outcomes = gr.Dataframe(
                label="Upload results", interactive=False, visible=False, elem_id="outcomes"
            )
            summary = gr.Markdown(elem_id="summary")
            docs = gr.Dataframe(label="Documents", interactive=False, elem_id="documents")
            with gr.Row():
                # Custom values pass Gradio's check (which answers a name not in the list with the raw name
                # and a logged traceback); ``delete`` refuses a name that is not one's own, escaped.
                chosen = gr.Dropdown(choices=[], label="Document", allow_custom_value=True, elem_id="chosen")
                remove = gr.Button("Delete document…", variant="stop", elem_id="delete")
            with gr.Row(visible=False) as confirm_row:
                confirm_text = gr.Markdown(elem_id="confirm-text")
                confirm = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete")
                cancel = gr.Button("Cancel", elem_id="cancel-delete")
        inspector_tab(kb)

        asked = [chat, passages, raw, question, opener, chat_id]
        for example in examples:  # a click asks the example, as typing it and pressing Ask would
            example.click(lambda text: text, [example], [question], api_name=False).then(
                ask, [question, chat, chat_id], asked, api_name=False
            ).then(list_chats, [chat_id], [saved], api_name=False)
        send.click(ask, [question, chat, chat_id], asked, api_name="ask").then(
            list_chats, [chat_id], [saved], api_name=False
        )
        question.submit(ask, [question, chat, chat_id], asked, api_name=False).then(
            list_chats, [chat_id], [saved], api_name=False
        )
        saved.input(open_chat, [saved], [chat, chat_id], api_name="open_chat")
        fresh.click(new_chat, None, [chat, chat_id, saved], api_name="new_chat")
        rename.click(rename_chat, [chat_id, title], [saved], api_name="rename_chat")
        forget.click(delete_chat, [chat_id], [chat, chat_id, saved], api_name="delete_chat")
        export.click(export_chat, [chat_id, kind], [exported], api_name="export_chat")
        gr.api(saved_chats, api_name="chats")
        demo.load(latest_chat, None, [chat, chat_id, saved], api_name=False)
        demo.load(signed_in, None, [who, log_out], api_name=False)
        # Gradio's own route ends the session and returns to its login page.
        log_out.click(None, js="() => { window.location.href = '/logout'; }")
        shown = [page_image, text_view, viewing]
        opener.change(open_passage, [opener, zoom], shown, api_name=False)
        cite_target.change(open_passage, [cite_target, zoom], shown, api_name=False)
        gr.api(page_api, api_name="page")
        zoom.release(open_passage, [opener, zoom], shown, api_name=False)
        previous_page.click(turn_back, [viewing, zoom], shown, api_name=False)
        next_page.click(turn_on, [viewing, zoom], shown, api_name=False)
        index.click(upload, [files, password], [outcomes, docs, summary, chosen], api_name="upload").then(
            lambda: gr.Dataframe(visible=True), None, [outcomes], api_name=False
        ).then(indexed, None, [what_is_indexed], api_name=False).then(
            show_examples, None, examples, api_name=False
        )
        remove.click(ask_to_delete, [chosen], [confirm_text, confirm_row], api_name=False)
        confirm.click(delete, [chosen], [docs, summary, chosen], api_name="delete").then(
            lambda: gr.Row(visible=False), None, [confirm_row], api_name=False
        ).then(indexed, None, [what_is_indexed], api_name=False).then(
            show_examples, None, examples, api_name=False
        )
        cancel.click(lambda: gr.Row(visible=False), None, [confirm_row], api_name=False)
        demo.load(refresh, None, [docs, summary, chosen], api_name="documents")
        demo.load(indexed, None, [what_is_indexed], api_name=False).then(
            show_examples, None, examples, api_name=False
        )
    return demo
