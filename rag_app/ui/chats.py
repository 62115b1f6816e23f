"""Saved chats in the app: the list a person picks from, and a saved chat shown as the chatbot shows one."""

from __future__ import annotations

from typing import Any

from rag_app.service import Chat, KeptChats
from rag_app.ui.render import safe_text


def chat_choices(kept: KeptChats | None) -> list[tuple[str, str]]:
    """(title, id) of every saved chat, most recent first; none where nothing is kept."""
    return [(chat.title, chat.id) for chat in kept.list()] if kept is not None else []


def saved_messages(chat: Chat) -> list[dict[str, Any]]:
    """The chat's turns as chatbot messages: what was asked, what was answered and its sources."""
    messages: list[dict[str, Any]] = []
    for turn in chat.turns:
        if turn.role == "user":
            messages.append({"role": "user", "content": safe_text(turn.content)})
            continue
        lines = [safe_text(turn.content)]
        citations = turn.details.get("citations") or []
        if citations:
            lines.append(
                "\n**Sources:** "
                + "; ".join(
                    f"\\[{c.get('number')}\\] {safe_text(str(c.get('source')))}"
                    + (f", p. {c['page']}" if c.get("page") else "")
                    for c in citations
                )
            )
        searched = turn.details.get("searched_for") or []
        if len(searched) > 1:
            lines.append("\n_Searched for: " + " · ".join(f"“{safe_text(q)}”" for q in searched) + "_")
        messages.append({"role": "assistant", "content": "\n".join(lines)})
    return messages
