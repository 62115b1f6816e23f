"""Starting the app's server with the safety settings a shared link needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from rag_app.settings import Settings

CSS = """
.passage {border-left: 6px solid var(--c); padding: 6px 10px; margin: 8px 0; background: var(--block-background-fill);}
.passage .meta {font-size: 0.85em; opacity: 0.8;}
.passage .bar {height: 6px; background: var(--c); border-radius: 3px; margin: 4px 0;}
.passage .text {white-space: pre-wrap; font-size: 0.9em;}
.ambiguity {background: #fff4ce; color: #5c4400; border: 1px solid #e0b400; padding: 8px; border-radius: 6px;}
.muted {opacity: 0.6;}
.fallback {font-size: 0.85em; opacity: 0.75;}
.text-view {white-space: pre-wrap; font-size: 0.9em; max-height: 420px; overflow-y: auto;}
.text-view mark {background: #ffd60060;}
.hidden-input {display: none !important;}
a.cite {cursor: pointer; text-decoration: none; font-weight: 600;}
#examples {align-items: center; gap: 6px;}
.examples-label {flex: 0 0 auto !important; min-width: 0 !important;}
"""

CITE_SCRIPT = """<script>
// A click on an answer's [n] opens that passage in the viewer: the link carries the passage's chunk id,
// handed to the app through a hidden box (the server looks it up in the asker's own knowledge base).
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const box = document.querySelector("#cite-target textarea, #cite-target input");
  const chunk = (link.getAttribute("href") || "").replace(/^#cite-/, "");
  if (!box || !chunk) return;
  // Emptied first, so a second click on the same [n] is a change too (the app ignores the empty value).
  for (const value of ["", chunk]) {
    box.value = value;
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }
  const viewer = document.querySelector("#page-view");
  if (viewer) viewer.scrollIntoView({behavior: "smooth", block: "nearest"});
}, true);
</script>"""


def launch(
    demo: gr.Blocks,
    settings: Settings,
    *,
    share: bool = False,
    auth: Any = None,
    blocked_paths: list[str] | None = None,
    port: int | None = None,
    middleware: list[Any] | None = None,
) -> gr.Blocks:
    """Start the server without blocking, with the safety settings a shared link needs.

    ``middleware``: Starlette ``Middleware`` entries put in front of every route (the sharing guard);
    they are given to the app as it is made, so no request ever reaches Gradio without them."""
    demo.queue(default_concurrency_limit=4, max_size=64)
    demo.launch(
        app_kwargs={"middleware": middleware} if middleware else None,
        server_name=settings.host,
        server_port=port if port is not None else settings.port,
        share=share,
        auth=auth,
        auth_message="rag-app: ask your documents. Sign in with the name and password the owner gave you.",
        max_file_size=f"{settings.max_upload_mb}mb",
        blocked_paths=[str(Path(settings.store_dir).resolve()), *(blocked_paths or [])],
        show_error=False,
        prevent_thread_lock=True,
        css=CSS,
        head=CITE_SCRIPT,
        footer_links=["api"],
        quiet=True,
    )
    return demo
