"""BM25 scored here, over the tokens a Milvus store keeps beside each text, for servers without
Milvus's BM25 function (before 2.5).

The index is SQLite FTS5 in memory, the same scoring the FAISS store's docstore uses, so a word
matches the same passages on either backend. Several processes write to one server: every write
bumps a generation row in the store's ``meta`` collection, and a search first reads it (one
primary-key lookup) and rebuilds the index when another writer has changed the texts since.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence

MAX_QUERY_TERMS = 64  # a long question still makes a bounded FTS query


class LocalLexicon:
    """An in-memory BM25 index of (id, spelled tokens), rebuilt when its generation is stale."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE lexicon USING fts5(tokens, tokenize='unicode61')")
        self._generation: object = None
        self._lock = threading.Lock()

    def top(
        self,
        terms: Sequence[str],
        k: int,
        generation: object,
        rows: Callable[[], Iterable[tuple[int, str]]],
    ) -> list[tuple[int, float]]:
        """(id, BM25 score) of the ``k`` best texts for ``terms``; higher is better. ``rows`` is
        read only when ``generation`` differs from the one the index was built at."""
        terms = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
        if not terms or k <= 0:
            return []
        with self._lock:
            if generation != self._generation or generation is None:
                self._rebuild(rows())
                self._generation = generation
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
            found = self._db.execute(
                "SELECT rowid, bm25(lexicon) AS s FROM lexicon WHERE lexicon MATCH ? ORDER BY s LIMIT ?",
                (match, k),
            ).fetchall()
        return [(int(fid), -float(score)) for fid, score in found]

    def _rebuild(self, rows: Iterable[tuple[int, str]]) -> None:
        with self._db:
            self._db.execute("DELETE FROM lexicon")
            self._db.executemany("INSERT INTO lexicon(rowid, tokens) VALUES (?, ?)", rows)
