"""How the app's callbacks refuse: a plain, escaped message for the person, no traceback in the log;
and what the app needs to know of Gradio's upload cache (who uploaded what)."""

from __future__ import annotations

import functools
import html
import inspect
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from rag_app.service import StoreError


class UploadOwners(Protocol):
    """Who uploaded each file in Gradio's upload cache (``rag_app.sharing.guard.UploadCache``)."""

    def owns(self, user: str | None, path: str | Path) -> bool: ...
    def release(self, user: str | None, paths: Iterable[str | Path]) -> None: ...
    def forget(self, user: str | None) -> None: ...


def refusal(message: str) -> gr.Error:
    """A plain refusal: escaped (Gradio shows toasts as HTML, and names come from files) and never
    logged with a traceback (it is an answer, not a fault)."""
    return gr.Error(html.escape(message, quote=False), print_exception=False)


def plainly(fn: Any) -> Any:
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
