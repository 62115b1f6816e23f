"""Texts, per-file ledger, chunk references and the BM25 lexicon, in one SQLite database (WAL).

Every change is one transaction that touches only the rows it changes, so an upload costs the
same whatever the store already holds; readers (each on a connection of its own, in this process
or another) keep reading while a writer commits. JSON, never pickle, for anything structured.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag_app.store.errors import DamagedStoreError, StoreError, rebuild_advice
from rag_app.store.records import StoredChunk

DOCSTORE = "docstore.sqlite"
MAX_QUERY_TERMS = 64  # a long question still makes a bounded FTS query

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments(
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, rows INTEGER NOT NULL,
    bytes INTEGER NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records(
    fid INTEGER PRIMARY KEY, segment INTEGER NOT NULL, text_key TEXT UNIQUE NOT NULL,
    text TEXT NOT NULL, context TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS records_by_segment ON records(segment);
CREATE TABLE IF NOT EXISTS refs(
    chunk_id TEXT NOT NULL, fid INTEGER NOT NULL, source TEXT NOT NULL, metadata TEXT NOT NULL,
    UNIQUE(source, chunk_id));
CREATE INDEX IF NOT EXISTS refs_by_fid ON refs(fid);
CREATE INDEX IF NOT EXISTS refs_by_chunk ON refs(chunk_id);
CREATE TABLE IF NOT EXISTS files(
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, chunks INTEGER NOT NULL, pages INTEGER,
    info TEXT NOT NULL DEFAULT '{}');
CREATE INDEX IF NOT EXISTS files_by_sha ON files(sha256);
CREATE TABLE IF NOT EXISTS dead(fid INTEGER PRIMARY KEY, segment INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dead_by_segment ON dead(segment);
CREATE VIRTUAL TABLE IF NOT EXISTS lexicon USING fts5(tokens, tokenize='unicode61 remove_diacritics 0');
"""


@dataclass(frozen=True)
class SegmentRow:
    id: int
    name: str
    rows: int
    bytes: int
    sha256: str


class Docstore:
    """One SQLite connection, used by one thread at a time (it may pass between threads).

    The store keeps one for its writer, used only under the writer lock, and lends readers
    connections of their own opened with ``read_only``: a reader sharing the writer's connection
    would see the writer's uncommitted rows.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a commit reported is a commit on disk
            self._db.execute("PRAGMA journal_size_limit=4194304")  # the WAL shrinks back after checkpoints
            # On a store that exists this changes nothing and takes no lock; on one being created by
            # another process meanwhile it makes sure the tables are there.
            self._db.executescript(SCHEMA)
            if read_only:
                self._db.execute("PRAGMA query_only=ON")  # so a reader never asks for the write lock
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc):
                raise StoreError(
                    "this Python's SQLite lacks the FTS5 extension the store's BM25 index needs"
                ) from exc
            raise DamagedStoreError(
                f"the docstore {path} cannot be opened ({exc}); {rebuild_advice(path.parent)}"
            ) from exc
        except sqlite3.DatabaseError as exc:
            raise DamagedStoreError(
                f"the docstore {path} is damaged ({exc}); {rebuild_advice(path.parent)}"
            ) from exc

    def close(self) -> None:
        self._db.close()

    # ---- transactions and change detection ----------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read transaction: every query inside sees the same commit, the last one before its first
        query. In WAL mode it neither waits for a writer nor holds one up."""
        self._db.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            if self._db.in_transaction:  # a failed query may have ended it already
                self._db.execute("COMMIT")  # it only read: nothing to keep or undo

    def generation(self) -> int:
        """Bumped by every transaction that changes what a reader could see."""
        return int(self.meta("generation", "0"))

    def bump_generation(self) -> None:
        self.set_meta("generation", str(self.generation() + 1))

    def meta(self, key: str, default: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- segments and dead vectors --------------------------------------------------------

    def segments(self) -> list[SegmentRow]:
        return [
            SegmentRow(*row)
            for row in self._db.execute("SELECT id, name, rows, bytes, sha256 FROM segments ORDER BY id")
        ]

    def add_segment(self, name: str, rows: int, nbytes: int, sha256: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO segments(name, rows, bytes, sha256) VALUES (?, ?, ?, ?)",
            (name, rows, nbytes, sha256),
        )
        return int(cursor.lastrowid or 0)

    def replace_segments(self, old: Sequence[int], new: int | None) -> None:
        """``old`` segments are gone (their live rows now in ``new``, if any), and so are their dead rows."""
        marks = ",".join("?" * len(old))
        if new is not None:
            self._db.execute(f"UPDATE records SET segment = ? WHERE segment IN ({marks})", (new, *old))
        self._db.execute(f"DELETE FROM dead WHERE segment IN ({marks})", tuple(old))
        self._db.execute(f"DELETE FROM segments WHERE id IN ({marks})", tuple(old))

    def dead(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for fid, segment in self._db.execute("SELECT fid, segment FROM dead ORDER BY fid"):
            out.setdefault(segment, []).append(fid)
        return out

    def segment_of(self, fids: Iterable[int]) -> dict[int, int]:
        return self._in(
            "SELECT fid, segment FROM records WHERE fid IN ({})", list(fids), lambda r: (r[0], r[1])
        )

    # ---- records and references -----------------------------------------------------------

    def fid_for_chunk(self, chunk_id: str) -> int | None:
        row = self._db.execute(
            "SELECT fid FROM refs WHERE chunk_id = ? ORDER BY rowid LIMIT 1", (chunk_id,)
        ).fetchone()
        return row[0] if row else None

    def last_ref(self) -> int:
        """Row number of the newest reference: refs added later have larger ones."""
        return int(self._db.execute("SELECT coalesce(max(rowid), 0) FROM refs").fetchone()[0])

    def fids_for_texts(self, text_keys: Sequence[str]) -> dict[str, int]:
        return self._in(
            "SELECT text_key, fid FROM records WHERE text_key IN ({})",
            list(text_keys),
            lambda r: (r[0], r[1]),
        )

    def add_records(
        self, rows: Sequence[tuple[int, int, str, str, str]], lexical: Sequence[tuple[int, str]]
    ) -> None:
        """``rows``: (fid, segment, text_key, text, context); ``lexical``: (fid, BM25 tokens)."""
        self._db.executemany(
            "INSERT INTO records(fid, segment, text_key, text, context) VALUES (?, ?, ?, ?, ?)", rows
        )
        self._db.executemany("INSERT INTO lexicon(rowid, tokens) VALUES (?, ?)", lexical)

    def add_refs(self, refs: Sequence[tuple[str, int, str, dict[str, Any]]]) -> None:
        """(chunk_id, fid, source, metadata) for each holder of a stored text."""
        self._db.executemany(
            "INSERT OR REPLACE INTO refs(chunk_id, fid, source, metadata) VALUES (?, ?, ?, ?)",
            [(c, f, s, json.dumps(m, ensure_ascii=False)) for c, f, s, m in refs],
        )

    def drop_refs(self, where: str, args: tuple[Any, ...]) -> tuple[int, list[int]]:
        """Remove the references matching ``where``; texts left without any holder die.

        Returns (references removed, ids of the vectors that died).
        """
        fids = [row[0] for row in self._db.execute(f"SELECT DISTINCT fid FROM refs WHERE {where}", args)]
        removed = self._db.execute(f"DELETE FROM refs WHERE {where}", args).rowcount
        return removed, self.bury(fids)

    def ref_fids(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """Ids that the references (source, chunk id) point to now, for those that exist."""
        out = []
        for source, chunk_id in pairs:
            row = self._db.execute(
                "SELECT fid FROM refs WHERE source = ? AND chunk_id = ?", (source, chunk_id)
            ).fetchone()
            if row:
                out.append(row[0])
        return out

    def bury(self, fids: Iterable[int]) -> list[int]:
        """Of these ids, those no reference holds any more become dead; returns them."""
        orphans = self._in(
            "SELECT fid, segment FROM records WHERE fid IN ({}) AND fid NOT IN (SELECT fid FROM refs)",
            sorted(set(fids)),
            lambda r: (r[0], r[1]),
        )
        if orphans:
            self._db.executemany("INSERT INTO dead(fid, segment) VALUES (?, ?)", list(orphans.items()))
            self._db.executemany("DELETE FROM records WHERE fid = ?", [(f,) for f in orphans])
            self._db.executemany("DELETE FROM lexicon WHERE rowid = ?", [(f,) for f in orphans])
        return sorted(orphans)

    def chunks(self, fids: Sequence[int]) -> dict[int, StoredChunk]:
        """Stored texts by id, each shown as its earliest remaining holder (source, page, chunk id)."""
        out: dict[int, StoredChunk] = {}
        for fid, text, chunk_id, metadata in self._in_rows(
            "SELECT r.fid, r.text, f.chunk_id, f.metadata FROM records r JOIN refs f ON f.fid = r.fid "
            "WHERE r.fid IN ({}) ORDER BY f.rowid",
            list(fids),
        ):
            if fid not in out:
                out[fid] = StoredChunk(fid, text, chunk_id, {**json.loads(metadata), "chunk_id": chunk_id})
        return out

    def texts(self) -> Iterator[tuple[int, str, str]]:
        """(fid, text, context) of every stored text, in id order."""
        yield from self._db.execute("SELECT fid, text, context FROM records ORDER BY fid")

    def text_lengths(self) -> list[tuple[int, int]]:
        # UTF-8 bytes, not characters: a Chinese character holds about what three letters do, so a
        # 27-character Chinese sentence (81 bytes) is a sentence, not a header (see store.health).
        return list(self._db.execute("SELECT fid, length(CAST(text AS BLOB)) FROM records ORDER BY fid"))

    def lexical_top(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(id, BM25 score) of the ``k`` best texts for these tokens; higher is better."""
        terms = list(dict.fromkeys(tokens))[:MAX_QUERY_TERMS]
        if not terms or k <= 0:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self._db.execute(
            "SELECT rowid, bm25(lexicon) AS s FROM lexicon WHERE lexicon MATCH ? ORDER BY s LIMIT ?",
            (match, k),
        )
        return [(int(fid), -float(score)) for fid, score in rows]

    # ---- the per-file ledger ------------------------------------------------------------

    def file(self, source: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT source, sha256, chunks, pages, info FROM files WHERE source = ?", (source,)
        ).fetchone()
        return _file_row(row) if row else None

    def source_with_sha(self, sha256: str) -> str | None:
        row = self._db.execute(
            "SELECT source FROM files WHERE sha256 = ? ORDER BY source LIMIT 1", (sha256,)
        ).fetchone()
        return row[0] if row else None

    def put_file(
        self, source: str, sha256: str, chunks: int, pages: int | None, info: dict[str, Any]
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO files(source, sha256, chunks, pages, info) VALUES (?, ?, ?, ?, ?)",
            (source, sha256, chunks, pages, json.dumps(info, ensure_ascii=False)),
        )

    def delete_file(self, source: str) -> None:
        self._db.execute("DELETE FROM files WHERE source = ?", (source,))

    def files(self) -> list[dict[str, Any]]:
        return [
            _file_row(r)
            for r in self._db.execute("SELECT source, sha256, chunks, pages, info FROM files ORDER BY source")
        ]

    def counts(self) -> tuple[int, int]:
        """(stored texts, files)."""
        records = self._db.execute("SELECT count(*) FROM records").fetchone()[0]
        files = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
        return int(records), int(files)

    # ---- helpers ------------------------------------------------------------------------

    def _in_rows(self, sql: str, values: list[Any], batch: int = 500) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(values), batch):
            part = values[start : start + batch]
            yield from self._db.execute(sql.format(",".join("?" * len(part))), part)

    def _in(self, sql: str, values: list[Any], pair: Any) -> dict[Any, Any]:
        return dict(pair(row) for row in self._in_rows(sql, values))


def _file_row(row: tuple[Any, ...]) -> dict[str, Any]:
    source, sha256, chunks, pages, info = row
    return {**json.loads(info), "source": source, "sha256": sha256, "chunks": chunks, "pages": pages}
