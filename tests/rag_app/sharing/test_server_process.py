"""NumPy's OpenBLAS must not run its own thread pool in a multi-threaded server, and only there."""

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
from rag_app.sharing.server_process import prepare_server_process
from rag_app.settings import Settings

def openblas():
    return [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]

before = openblas()
RagService(Settings(store_dir=tempfile.mkdtemp())).documents()
as_a_library = openblas()
prepare_server_process()
print(json.dumps([before, as_a_library, openblas()]))
"""


def test_only_a_server_process_limits_openblas_to_one_thread():
    # A fresh process, so the limit does not leak into other tests. Two OpenBLAS threads are
    # asked for up front: a library user who constructs a service keeps them.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, check=True, env=env
    )
    before, as_a_library, server = json.loads(out.stdout.strip().splitlines()[-1])
    assert before and as_a_library == before and server == [1] * len(before)
    if (os.cpu_count() or 1) > 1:
        assert max(before) > 1
