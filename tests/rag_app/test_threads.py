"""NumPy's OpenBLAS must not run its own thread pool under a multi-threaded server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import json, tempfile
from threadpoolctl import threadpool_info
from rag_app.service import RagService
from rag_app.settings import Settings

def openblas():
    return [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]

before = openblas()
RagService(Settings(store_dir=tempfile.mkdtemp()))
print(json.dumps([before, openblas()]))
"""


def test_starting_a_service_limits_openblas_to_one_thread():
    # A fresh process, so the limit does not leak into other tests. Two OpenBLAS threads are
    # asked for up front: without the limit the service would keep them.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, check=True, env=env
    )
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before and after == [1] * len(before)
    if (os.cpu_count() or 1) > 1:
        assert max(before) > 1
