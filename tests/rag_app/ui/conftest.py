from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from rag_app.settings import Settings
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(settings: Settings, service):
    """Build and launch the app on a free loopback port, as `rag-app serve` does."""
    from rag_app.sharing.server_process import prepare_server_process
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


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "Chromium is not installed (Debian package chromium; scripts/browser-deps.sh installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-quic",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def screenshot(page, name: str, tmp_path) -> None:
    """RAG_UPDATE_SCREENSHOT=1 refreshes the README's picture ``docs/NAME``; otherwise nothing tracked is touched."""
    target = ROOT / "docs" / name if os.environ.get("RAG_UPDATE_SCREENSHOT") else tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
