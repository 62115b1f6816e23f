"""`serve --library STORE --watch FOLDER`: the app searches the library read-only while a background
watcher keeps it in step with the folder."""

from __future__ import annotations

import logging
import threading

import pytest

from rag_app.settings import Settings
from rag_app.sharing.serve import keep_library_in_step, service_provider

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
WITHIN_S = 10.0


class Heard(logging.Handler):
    """Sets ``event`` when the watcher logs a line about ``name``: something to wait on, not to poll."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name_wanted, self.event = name, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.name_wanted in record.getMessage():
            self.event.set()


def library_sources(app, question: str) -> set[str]:
    return {p.source for p in app.query(question, 5).passages if p.collection == "library"}


def test_the_served_library_follows_its_folder(tmp_path):
    folder, library = tmp_path / "shared", tmp_path / "library"
    folder.mkdir()
    (folder / "tea.txt").write_text("Green tea is brewed with water at about eighty degrees.")
    settings = Settings(store_dir=tmp_path / "mine", embedding_model="bundled")
    stop = threading.Event()
    heard = Heard("shared/otters.txt")
    logging.getLogger("rag_app.sharing.serve").addHandler(heard)
    watcher = keep_library_in_step(settings, library, [folder], stop)
    try:
        app = service_provider(settings, per_person=False, library=library).for_user(None)
        assert "shared/tea.txt" in library_sources(app, "How hot should the water be for green tea?")
        (folder / "otters.txt").write_text("Otters hold hands while they sleep so they do not drift apart.")
        assert heard.event.wait(WITHIN_S), "the watcher did not index the new file"
        assert "shared/otters.txt" in library_sources(app, "Why do otters hold hands?")  # the app sees it
    finally:
        logging.getLogger("rag_app.sharing.serve").removeHandler(heard)
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
