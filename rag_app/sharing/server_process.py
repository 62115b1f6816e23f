"""Thread settings for the native libraries, applied where a server process starts (never at import,
and never by merely constructing a service: a library user keeps the threads they chose).

NumPy's bundled OpenBLAS is not safe to enter from several threads at once while it runs
its own thread pool: two Gradio workers computing the knowledge-base health check at the
same moment deadlocked inside ``ssyrk_thread_LT`` (one thread spinning at 100% CPU, the other
waiting on OpenBLAS's mutex). With one OpenBLAS thread that code path is never taken. Our
NumPy products are small (a few thousand vectors at most); the heavy work runs in torch
and FAISS, which keep their own thread settings.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
_done = threading.Event()


def prepare_server_process() -> None:
    """What a multi-threaded server process needs before it takes requests."""
    single_threaded_numpy_blas()


def single_threaded_numpy_blas() -> None:
    """Limit NumPy's OpenBLAS to one thread, once per process; other BLAS libraries are left alone."""
    if _done.is_set():
        return
    try:
        import numpy  # noqa: F401  (loads the BLAS library so threadpoolctl can see it)
        from threadpoolctl import ThreadpoolController

        ThreadpoolController().select(internal_api="openblas").limit(limits=1)
    except Exception as exc:  # a missing or unusual BLAS must not stop the app
        log.warning("could not limit OpenBLAS threads (%s); concurrent requests may contend", exc)
    _done.set()
