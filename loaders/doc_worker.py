"""Read an Office file, EPUB, ODT, HTML page or image in a separate, resource-limited process.

Run as a script (``python -I doc_worker.py``) by ``documents.py``, like ``pdf_worker.py``: one JSON
request line on stdin, JSON lines back::

    {"event": "open", "format": "docx"}
    {"event": "meta", "title": "Budget", "extractor": "python-docx", "total_pages": null}
    {"event": "ocr", "page": 2}                                  (OCR of an image page begins: it is slow)
    {"event": "section", "text": "...", "location": "Budget > 2024", "heading": "Budget > 2024", "page": null}
    {"event": "done", "truncated_chars": false}
    {"event": "error", "code": "unsafe", "detail": "a zip bomb: ..."}

A ZIP container is looked over by ``zip_guard.py`` before its parser opens it; every parser here reads
XML without DTDs, entities or the network. The modules of ours it loads are files beside it, loaded
by path (``worker_runtime.py`` first).
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any


def _runtime() -> Any:
    """``worker_runtime.py``, loaded by its path: every worker starts here (see its docstring)."""
    import importlib.util

    name = "rag_worker_worker_runtime"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("worker_runtime.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


runtime = _runtime()

READERS = {
    "docx": "docx_reader",
    "pptx": "pptx_reader",
    "xlsx": "sheets",
    "epub": "epub_reader",
    "odt": "odt_reader",
    "html": "html_reader",
    "image": "image_reader",
}


def run(request: dict[str, Any], emit: Any) -> None:
    logging.disable(logging.WARNING)  # the parsers' complaints about odd files are not the person's to read
    warnings.simplefilter("ignore")
    path, kind = request["path"], request["format"]
    if kind == "zip":
        kind = runtime.sibling("zip_guard").inspect(path, request["limits"], runtime.Refused)
    emit({"event": "open", "format": kind})
    reader = runtime.sibling(READERS[kind])
    room = int(request["max_chars"])
    try:
        for event in reader.read(path, request, runtime):
            if event["event"] == "section":
                if len(event["text"]) > room:
                    event["text"] = event["text"][:room]
                    emit(event)
                    emit({"event": "done", "truncated_chars": True})
                    return
                room -= len(event["text"])
            emit(event)
    except (runtime.Refused, MemoryError, RecursionError):
        raise
    except Exception as exc:  # each library fails its own way on a damaged file: name it, not crash
        detail = f"{type(exc).__name__}: {exc}"[:300]
        raise runtime.Refused("not_readable", detail) from exc
    emit({"event": "done", "truncated_chars": False})


if __name__ == "__main__":
    runtime.serve(run, unreadable="not_readable")
