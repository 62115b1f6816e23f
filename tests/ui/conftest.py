from __future__ import annotations

import socket

import pytest

from rag_app.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def running_app(tmp_path_factory, bundled_embeddings):
    """A real Gradio server on loopback, with the extractive backend (fast, deterministic)."""
    from rag_app.service import RagService
    from rag_app.ui import build_app, launch

    settings = Settings(store_dir=tmp_path_factory.mktemp("ui-store"), llm="none", max_upload_mb=1)
    service = RagService(settings, embeddings=bundled_embeddings)
    demo = build_app(service, llm_spec="none", max_upload_mb=1)
    launch(demo, settings, prevent_thread_lock=True, port=free_port())
    yield demo, service
    demo.close()
