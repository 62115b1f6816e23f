"""Random sequences of add / delete / re-add / save / load keep index and docstore in step."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from rag_app.store import CompactionPolicy
from tests.rag_app.store.store_helpers import chunks_for, open_store, unit_vectors

SOURCES = ["a.txt", "b.pdf", "c.md"]
TEXTS = [f"passage {i}" for i in range(8)]


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="store-sm-"))
        self.store = open_store(self.root, compaction=CompactionPolicy(fan_in=3))
        self.model: dict[str, tuple[str, list[str]]] = {}  # source -> (sha, texts)

    @rule(
        source=st.sampled_from(SOURCES),
        texts=st.lists(st.sampled_from(TEXTS), min_size=1, max_size=5, unique=True),
        version=st.integers(0, 2),
    )
    def add_file(self, source, texts, version):
        sha = f"{source}-v{version}"
        self.store.add_file(source, sha, chunks_for(source, texts, sha), unit_vectors(texts))
        self.model[source] = (sha, texts)

    @rule(source=st.sampled_from(SOURCES))
    def delete(self, source):
        self.store.delete_file(source)
        self.model.pop(source, None)

    @rule()
    def reopen(self):
        self.store = open_store(self.root, compaction=CompactionPolicy(fan_in=3))

    @rule()
    def compact(self):
        self.store.compact(everything=True)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    @invariant()
    def index_and_docstore_agree(self):
        records = self.store.all_records()
        assert len(self.store) == len(records)
        expected_texts = {t for _, texts in self.model.values() for t in texts}
        assert {r.text for r in records} == expected_texts
        assert {s["source"]: s["sha256"] for s in self.store.list_files()} == {
            s: sha for s, (sha, _) in self.model.items()
        }
        for record in records:
            holders = {s for s, (_, texts) in self.model.items() if record.text in texts}
            assert record.metadata["source"] in holders

    @invariant()
    def every_text_is_findable(self):
        for _, texts in self.model.values():
            for text in texts:
                hit = self.store.search(unit_vectors([text])[0], 1)[0]
                assert hit.chunk.text == text


TestStoreStateMachine = StoreMachine.TestCase
TestStoreStateMachine.settings = settings(max_examples=40, stateful_step_count=15, deadline=None)
