"""A chat as Markdown or JSON, with every citation (source, page, chunk id, score); a citation whose
passage is no longer in the knowledge base (its document was deleted) is marked as removed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rag_app.conversation.chats import Chat

StillStored = Callable[[Iterable[str]], set[str]]
"""Given chunk ids, those still in the knowledge base."""


def _citations(chat: Chat, still_stored: StillStored) -> dict[int, list[dict[str, Any]]]:
    ids = [c["chunk_id"] for t in chat.turns for c in t.details.get("citations", []) if c.get("chunk_id")]
    present = still_stored(ids) if ids else set()
    out = {}
    for index, turn in enumerate(chat.turns):
        out[index] = [
            {**c, "removed": c.get("chunk_id") not in present} for c in turn.details.get("citations", [])
        ]
    return out


def chat_json(chat: Chat, still_stored: StillStored) -> dict[str, Any]:
    citations = _citations(chat, still_stored)
    return {
        "id": chat.id,
        "title": chat.title,
        "created": chat.created,
        "updated": chat.updated,
        "turns": [
            {
                "role": t.role,
                "content": t.content,
                **{k: v for k, v in t.details.items() if k != "citations"},
                "citations": citations[i],
            }
            for i, t in enumerate(chat.turns)
        ],
    }


def chat_markdown(chat: Chat, still_stored: StillStored) -> str:
    citations = _citations(chat, still_stored)
    lines = [f"# {chat.title}", ""]
    for index, turn in enumerate(chat.turns):
        who = "**You:**" if turn.role == "user" else "**Answer:**"
        lines += [f"{who} {turn.content}", ""]
        searched = turn.details.get("searched_for")
        if searched:
            lines += ["Searched for: " + "; ".join(f"“{q}”" for q in searched), ""]
        for c in citations[index]:
            where = f", page {c['page']}" if c.get("page") else ""
            score = f", cosine {c['score']:.3f}" if isinstance(c.get("score"), int | float) else ""
            gone = " (removed from the knowledge base)" if c["removed"] else ""
            lines.append(
                f"- [{c.get('number')}] {c.get('source')}{where}{score}, chunk {c.get('chunk_id')}{gone}"
            )
        if citations[index]:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
