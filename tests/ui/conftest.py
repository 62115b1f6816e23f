from __future__ import annotations

import socket

import pytest

from rag_app.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(settings: Settings, service):
    """Build and launch the app on a free loopback port, as `rag-app serve` does."""
    from rag_app.service import prepare_server_process
    from rag_app.ui import build_app, launch

    prepare_server_process()
    demo = build_app(settings, service)
    launch(demo, settings, port=free_port())
    return demo


@pytest.fixture(scope="package")
def running_app(tmp_path_factory, bundled_embeddings):
    """A real Gradio server on loopback over a real service, with the extractive backend (fast, deterministic)."""
    from rag_app.service import RagService

    settings = Settings(store_dir=tmp_path_factory.mktemp("ui-store"), llm="none", max_upload_mb=1)
    service = RagService(settings, embeddings=bundled_embeddings)
    demo = serve(settings, service)
    yield demo, service
    demo.close()
