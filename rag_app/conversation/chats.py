"""Conversations kept: each knowledge base's chats in a SQLite file beside its docstore.

A person's chats live in that person's own store folder, so whose chats these are is decided by the
folder the server opened for the login, never by anything a browser sends; a chat id alone reaches
nothing in another folder. Each turn keeps what was asked, what was answered, what was searched for
and the citations (source, page, chunk id, score), so an export holds every citation even after the
document is gone (it is then marked as removed).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHATS = "chats.sqlite"
MAX_TITLE = 80
SCHEMA = """
CREATE TABLE IF NOT EXISTS chats(id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL,
                                 updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns(chat TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
                                 seq INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
                                 details TEXT NOT NULL DEFAULT '{}', at REAL NOT NULL,
                                 PRIMARY KEY(chat, seq));
"""


class ChatNotFound(ValueError):
    """No chat of this knowledge base has that id."""


@dataclass
class Turn:
    role: str
    content: str
    details: dict[str, Any] = field(default_factory=dict)
    """For an answer: ``citations`` [{number, source, page, chunk_id, score}], ``searched_for``, ``refused``,
    ``low_confidence``, ``clarifying``."""


@dataclass
class Chat:
    id: str
    title: str
    created: float
    updated: float
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[dict[str, str]]:
        """The turns as the service takes them: ``{"role", "content"}``, oldest first."""
        return [{"role": t.role, "content": t.content} for t in self.turns]


class ChatStore:
    """The chats of one knowledge base (one folder); safe to share between threads."""

    def __init__(self, folder: Path, *, clock: Any = time.time) -> None:
        self.path = Path(folder) / CHATS
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            self.path.chmod(0o600)  # a person's questions are as private as their documents
        return self._db

    def create(self, title: str = "New chat") -> Chat:
        now = self._clock()
        chat = Chat(secrets.token_hex(8), _title(title), now, now)
        with self._lock:
            self._conn().execute(
                "INSERT INTO chats(id, title, created, updated) VALUES (?, ?, ?, ?)",
                (chat.id, chat.title, now, now),
            )
        return chat

    def list(self) -> list[Chat]:
        """Every chat, most recently used first, without their turns."""
        with self._lock:
            rows = (
                self._conn()
                .execute("SELECT id, title, created, updated FROM chats ORDER BY updated DESC")
                .fetchall()
            )
        return [Chat(*row) for row in rows]

    def get(self, chat_id: str) -> Chat:
        with self._lock:
            db = self._conn()
            row = db.execute(
                "SELECT id, title, created, updated FROM chats WHERE id = ?", (chat_id,)
            ).fetchone()
            if row is None:
                raise ChatNotFound(f"no chat {chat_id!r} in this knowledge base")
            turns = db.execute(
                "SELECT role, content, details FROM turns WHERE chat = ? ORDER BY seq", (chat_id,)
            ).fetchall()
        return Chat(*row, turns=[Turn(r, c, json.loads(d)) for r, c, d in turns])

    def add_turns(self, chat_id: str, *turns: Turn) -> None:
        """Append turns (a question and its answer) in one transaction; the first question titles a new chat."""
        now = self._clock()
        with self._lock:
            db = self._conn()
            row = db.execute("SELECT title FROM chats WHERE id = ?", (chat_id,)).fetchone()
            if row is None:
                raise ChatNotFound(f"no chat {chat_id!r} in this knowledge base")
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM turns WHERE chat = ?", (chat_id,)
            ).fetchone()
            db.execute("BEGIN")
            for offset, turn in enumerate(turns, start=1):
                db.execute(
                    "INSERT INTO turns(chat, seq, role, content, details, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        chat_id,
                        seq + offset,
                        turn.role,
                        turn.content,
                        json.dumps(turn.details, ensure_ascii=False),
                        now,
                    ),
                )
            first_question = next((t.content for t in turns if t.role == "user"), None)
            title = _title(first_question) if row[0] == "New chat" and seq < 0 and first_question else row[0]
            db.execute("UPDATE chats SET updated = ?, title = ? WHERE id = ?", (now, title, chat_id))
            db.execute("COMMIT")

    def rename(self, chat_id: str, title: str) -> None:
        with self._lock:
            changed = (
                self._conn()
                .execute("UPDATE chats SET title = ? WHERE id = ?", (_title(title), chat_id))
                .rowcount
            )
        if not changed:
            raise ChatNotFound(f"no chat {chat_id!r} in this knowledge base")

    def delete(self, chat_id: str) -> None:
        with self._lock:
            changed = self._conn().execute("DELETE FROM chats WHERE id = ?", (chat_id,)).rowcount
        if not changed:
            raise ChatNotFound(f"no chat {chat_id!r} in this knowledge base")

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _title(text: str | None) -> str:
    title = " ".join((text or "").split()) or "New chat"
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"
