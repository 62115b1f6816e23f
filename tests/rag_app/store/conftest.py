"""The real Milvus server (embedded Milvus standalone 2.3.5) the server-backed store tests share."""

from __future__ import annotations

import os

import pytest

from tests.milvus_server import MilvusServer

SERVER_URI_ENV = "RAG_TEST_MILVUS_URI"
"""Where the session's server listens: read by ``open_backend`` here and in its child processes."""

FAST_TICKS = {
    "proxy.timeTickInterval": 20,
    "queryCoord.checkInterval": 100,
    "queryCoord.distPullInterval": 50,
}
"""A strongly consistent read waits for the server's next time tick (200 ms by default, so about a
quarter second a query); the tests make hundreds of them. Production keeps the defaults."""


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """One server per session (it starts in seconds, but not in milliseconds), on a free port under a
    temp folder; skipped, with the reason, where ``make test`` has not built its environment."""
    if reason := MilvusServer.available():
        pytest.skip(reason)
    server = MilvusServer(tmp_path_factory.mktemp("milvus-server"), settings=FAST_TICKS).start()
    os.environ[SERVER_URI_ENV] = server.uri
    try:
        yield server
    finally:
        os.environ.pop(SERVER_URI_ENV, None)
        server.kill()  # its data is thrown away: a graceful stop would only cost half a minute
