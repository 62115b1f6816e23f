"""What every sandboxed worker shares: loading its modules by path, refusing a file, capping itself,
and the JSON-lines loop.

A worker script (``pdf_worker.py``, ``doc_worker.py``) loads this file by its path first; it imports
no package of ours (the package would pull in far more than a parser needs), only the standard
library. The parent's side of the protocol is ``sandbox.py``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Emit = Callable[[dict[str, Any]], None]


class Refused(Exception):
    """The whole file cannot be read: ``code`` and ``detail`` go back to the parent."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def sibling(name: str) -> Any:
    """A module beside this file that imports no package of ours, loaded by its path (once)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"rag_worker_{name}", Path(__file__).with_name(f"{name}.py")
    )
    assert spec is not None and spec.loader is not None
    if spec.name not in sys.modules:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[spec.name]


def limit_self(memory_bytes: int, ocr_memory_bytes: int) -> None:
    """Cap this process's address space and forbid core dumps, before any byte of the file is parsed.

    The hard limit leaves room for OCR (ONNX Runtime maps ~2 GB of address space); parsing runs
    under the lower soft limit, raised only while a page is being OCR'd (see ``ocr.ocr_memory``).
    """
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, max(memory_bytes, ocr_memory_bytes)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def serve(run: Callable[[dict[str, Any], Emit], None], *, unreadable: str) -> None:
    """Read one request line, cap this process, run the job, and answer every failure as an event.

    ``unreadable``: the error code for a file whose structure breaks the parser (nested too deeply).
    """
    request = json.loads(sys.stdin.readline())
    limit_self(int(request["memory_bytes"]), int(request.get("ocr_memory_bytes", 0)))

    def emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    try:
        run(request, emit)
    except Refused as refused:
        emit({"event": "error", "code": refused.code, "detail": refused.detail})
    except MemoryError:
        emit({"event": "error", "code": "too_large", "detail": "parsing needed more memory than allowed"})
    except RecursionError:
        emit({"event": "error", "code": unreadable, "detail": "the file's structure is nested too deeply"})
