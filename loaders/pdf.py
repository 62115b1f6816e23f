"""PDF loading through the sandboxed worker process."""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from loaders.errors import (
    LoaderError,
    NotReadablePdfError,
    PasswordProtectedError,
    TimedOutError,
    TooLargeError,
)
from loaders.limits import LoadLimits

log = logging.getLogger(__name__)
_WORKER = Path(__file__).with_name("pdf_worker.py")


@dataclass
class PdfText:
    pages: list[str]
    total_pages: int
    notes: list[str]


def extract_pdf(path: Path, *, password: str | None, limits: LoadLimits) -> PdfText:
    """Text of each page, extracted in a child process bounded by ``limits``."""
    request = json.dumps(
        {
            "path": str(path),
            "password": password,
            "max_pages": limits.max_pages,
            "max_chars": limits.max_chars,
        }
    )

    def _limit_resources() -> None:  # runs in the child before exec
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    try:
        proc = subprocess.run(
            [sys.executable, "-I", str(_WORKER)],
            input=request,
            capture_output=True,
            text=True,
            timeout=limits.timeout_s,
            preexec_fn=_limit_resources,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TimedOutError(f"timed out: parsing took longer than {limits.timeout_s:g} s") from exc
    if proc.returncode != 0 or not proc.stdout:
        out_of_memory = ("MemoryError", "failed to map segment", "Cannot allocate memory")
        if any(marker in proc.stderr for marker in out_of_memory) or proc.returncode in (-9, 137):
            raise TooLargeError(
                f"too large: parsing needed more than {limits.memory_bytes // 2**20} MiB of memory"
            )
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise NotReadablePdfError(f"not a readable PDF: the parser failed ({last})")
    reply = json.loads(proc.stdout)
    if not reply["ok"]:
        raise _error_for(reply["code"], reply.get("detail", ""))
    notes: list[str] = []
    if reply["log_records"]:
        # One line per file instead of the thousands some PDFs make pypdf print.
        log.info(
            "%s: the PDF parser reported %d problems (first: %s)",
            path.name,
            reply["log_records"],
            reply["first_log_record"],
        )
    if reply["truncated_pages"]:
        notes.append(f"only the first {limits.max_pages} of {reply['total_pages']} pages were read")
    if reply["truncated_chars"]:
        notes.append(f"text was cut at {limits.max_chars:,} characters")
    return PdfText(pages=reply["pages"], total_pages=reply["total_pages"], notes=notes)


def _error_for(code: str, detail: str) -> LoaderError:
    if code == "password_protected":
        suffix = f" ({detail})" if detail else "; supply its password"
        return PasswordProtectedError(f"password-protected{suffix}")
    if code == "too_large":
        return TooLargeError(f"too large: {detail}")
    return NotReadablePdfError(f"not a readable PDF: {detail}" if detail else "not a readable PDF")
