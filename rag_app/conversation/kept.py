"""A knowledge base's saved chats as every face uses them: record a turn, list, open, rename, delete,
export. Whose chats these are is the folder the service was opened on, never anything a client sends."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rag_app.answer.pipeline import Answer
from rag_app.conversation.chats import Chat, ChatStore, Turn
from rag_app.conversation.export import chat_json, chat_markdown


@dataclass
class KeptChats:
    store: ChatStore
    stored_chunks: Callable[[Sequence[str]], Iterable[str]]
    """Given chunk ids, those the knowledge base still holds (a deleted document's citations are marked)."""

    def list(self) -> list[Chat]:
        return self.store.list()

    def open(self, chat_id: str) -> Chat:
        return self.store.get(chat_id)

    def new(self) -> Chat:
        return self.store.create()

    def rename(self, chat_id: str, title: str) -> None:
        self.store.rename(chat_id, title)

    def delete(self, chat_id: str) -> None:
        self.store.delete(chat_id)

    def record(self, chat_id: str | None, question: str, answer: Answer) -> str:
        """Append a question and its answer (to a new chat when ``chat_id`` is None); the chat's id."""
        if chat_id is None:
            chat_id = self.store.create().id
        scores = {p.chunk_id: p.score for p in answer.retrieval.passages}
        details: dict[str, Any] = {
            "citations": [{**c.to_json(), "score": scores.get(c.chunk_id)} for c in answer.citations],
            "searched_for": answer.retrieval.searched_for,
            "refused": answer.refused,
            "low_confidence": answer.low_confidence,
            "clarifying": answer.clarifying,
        }
        self.store.add_turns(chat_id, Turn("user", question), Turn("assistant", answer.text, details))
        return chat_id

    def export(self, chat_id: str, kind: str) -> str:
        """The chat as ``markdown`` or ``json`` text, with every citation."""
        chat = self.store.get(chat_id)

        def still(ids: Iterable[str]) -> set[str]:
            return set(self.stored_chunks(list(ids)))

        if kind == "markdown":
            return chat_markdown(chat, still)
        if kind == "json":
            return json.dumps(chat_json(chat, still), ensure_ascii=False, indent=1)
        raise ValueError(f"export as 'markdown' or 'json', not {kind!r}")
