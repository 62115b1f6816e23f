"""PDF loading through the sandboxed worker process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
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


PARALLEL_MIN_BYTES = 512 * 1024
"""Files at least this big are parsed by several workers at once (pypdf uses one core)."""


def parse_workers(path: Path) -> int:
    """How many worker processes share this file: one for small files, else one per core (at most 4)."""
    try:
        big = path.stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:
        big = False
    return max(1, min(4, os.cpu_count() or 1)) if big else 1


def extract_pdf(
    path: Path, *, password: str | None, limits: LoadLimits, workers: int | None = None
) -> PdfText:
    """Text of each page, extracted in child processes bounded by ``limits``.

    With ``workers`` > 1 (default: :func:`parse_workers`), worker *i* reads pages i, i + n, ...
    so a long file is parsed on every core; each worker has the full memory limit, and all of
    them share one wall-clock deadline.
    """
    workers = max(1, workers if workers is not None else parse_workers(path))
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}

    deadline = time.monotonic() + limits.timeout_s
    procs: list[subprocess.Popen] = []
    replies = []
    try:
        for offset in range(workers):
            request = {
                "path": str(path),
                "password": password,
                "max_pages": limits.max_pages,
                "max_chars": limits.max_chars,
                "offset": offset,
                "stride": workers,
                # The worker limits itself before it parses anything: setting limits between fork
                # and exec (preexec_fn) can deadlock a child forked while other threads run.
                "memory_bytes": limits.memory_bytes,
            }
            proc = subprocess.Popen(
                [sys.executable, "-I", str(_WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            procs.append(proc)
            # Sent now, as one line, so that every worker is busy before we wait on the first.
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
        for proc in procs:
            try:
                stdout, stderr = proc.communicate(timeout=max(0.01, deadline - time.monotonic()))
            except subprocess.TimeoutExpired as exc:
                raise TimedOutError(f"timed out: parsing took longer than {limits.timeout_s:g} s") from exc
            replies.append(_reply(proc.returncode, stdout, stderr, limits))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return _merge(path, replies, limits)


def _reply(returncode: int, stdout: str, stderr: str, limits: LoadLimits) -> dict:
    if returncode != 0 or not stdout:
        out_of_memory = ("MemoryError", "failed to map segment", "Cannot allocate memory")
        if any(marker in stderr for marker in out_of_memory) or returncode in (-9, 137):
            raise TooLargeError(
                f"too large: parsing needed more than {limits.memory_bytes // 2**20} MiB of memory"
            )
        last = (stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise NotReadablePdfError(f"not a readable PDF: the parser failed ({last})")
    reply = json.loads(stdout)
    if not reply["ok"]:
        raise _error_for(reply["code"], reply.get("detail", ""))
    return reply


def _merge(path: Path, replies: list[dict], limits: LoadLimits) -> PdfText:
    """Interleave the workers' pages back into page order and apply the character cap to the whole."""
    n = len(replies)
    pages: list[str] = []
    chars = 0
    truncated = any(r["truncated_chars"] for r in replies)
    index = 0
    while index // n < len(replies[index % n]["pages"]):  # stops where a worker stopped early
        text = replies[index % n]["pages"][index // n]
        if chars + len(text) > limits.max_chars:
            text = text[: max(0, limits.max_chars - chars)]
            truncated = True
        pages.append(text)
        chars += len(text)
        index += 1
        if truncated and chars >= limits.max_chars:
            break
    first = replies[0]
    problems = sum(r["log_records"] for r in replies)
    if problems:
        # One line per file instead of the thousands some PDFs make pypdf print.
        log.info(
            "%s: the PDF parser reported %d problems (first: %s)",
            path.name,
            problems,
            next((r["first_log_record"] for r in replies if r["first_log_record"]), "?"),
        )
    notes: list[str] = []
    if first["truncated_pages"]:
        notes.append(f"only the first {limits.max_pages} of {first['total_pages']} pages were read")
    if truncated:
        notes.append(f"text was cut at {limits.max_chars:,} characters")
    return PdfText(pages=pages, total_pages=first["total_pages"], notes=notes)


def _error_for(code: str, detail: str) -> LoaderError:
    if code == "password_protected":
        suffix = f" ({detail})" if detail else "; supply its password"
        return PasswordProtectedError(f"password-protected{suffix}")
    if code == "too_large":
        return TooLargeError(f"too large: {detail}")
    return NotReadablePdfError(f"not a readable PDF: {detail}" if detail else "not a readable PDF")
