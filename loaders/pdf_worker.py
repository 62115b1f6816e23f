"""Extract PDF text in a separate, resource-limited process.

Run as a script (``python -I pdf_worker.py``) so it imports nothing of ours: the parent
sends one JSON request as one line on stdin and reads one JSON reply on stdout. JSON, not pickle,
crosses the boundary, so a hostile PDF that subverts this process still cannot make the
parent execute anything.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings


class _CountingHandler(logging.Handler):
    """Counts pypdf's log records instead of printing them: some PDFs emit thousands."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:200]


def extract(request: dict) -> dict:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    handler = _CountingHandler()
    for name in ("pypdf", "fontTools"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
    warnings.simplefilter("ignore")

    max_pages = int(request["max_pages"])
    max_chars = int(request["max_chars"])
    # This worker reads pages offset, offset + stride, ...: several workers share a long file.
    offset = int(request.get("offset", 0))
    stride = max(1, int(request.get("stride", 1)))
    password = request.get("password")
    try:
        reader = PdfReader(request["path"], strict=False)
        if reader.is_encrypted:
            # pypdf tries the empty password itself; an explicit one is tried here.
            if password:
                if not reader.decrypt(password):
                    return {"ok": False, "code": "password_protected", "detail": "the password is wrong"}
            elif not _opened_with_empty_password(reader):
                return {"ok": False, "code": "password_protected", "detail": ""}
        total_pages = len(reader.pages)
        pages: list[str] = []
        chars = 0
        truncated = False
        for index in range(offset, min(total_pages, max_pages), stride):
            text = reader.pages[index].extract_text() or ""
            if chars + len(text) > max_chars:
                text = text[: max(0, max_chars - chars)]
                truncated = True
            pages.append(text)
            chars += len(text)
            if truncated:
                break
    except FileNotDecryptedError:
        return {"ok": False, "code": "password_protected", "detail": ""}
    except DependencyError as exc:
        return {"ok": False, "code": "not_readable_pdf", "detail": f"missing dependency: {exc}"}
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return {"ok": False, "code": "not_readable_pdf", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    except RecursionError:
        return {
            "ok": False,
            "code": "not_readable_pdf",
            "detail": "the file's structure is nested too deeply",
        }
    return {
        "ok": True,
        "pages": pages,
        "total_pages": total_pages,
        "truncated_pages": total_pages > max_pages,
        "truncated_chars": truncated,
        "log_records": handler.count,
        "first_log_record": handler.first,
    }


def _opened_with_empty_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def limit_self(memory_bytes: int) -> None:
    """Cap this process's address space and forbid core dumps, before any PDF byte is parsed."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main() -> None:
    # One line, not to end of input: the parent starts every worker before it waits on any.
    request = json.loads(sys.stdin.readline())
    limit_self(int(request["memory_bytes"]))
    try:
        reply = extract(request)
    except MemoryError:
        reply = {"ok": False, "code": "too_large", "detail": "parsing needed more memory than allowed"}
    sys.stdout.write(json.dumps(reply))


if __name__ == "__main__":
    main()
