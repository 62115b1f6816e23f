"""Chats kept in a knowledge base's own folder: created, titled, appended, renamed, deleted."""

from __future__ import annotations

import pytest

from rag_app.conversation.chats import ChatNotFound, ChatStore, Turn


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def test_a_chat_keeps_its_turns_and_takes_its_title_from_the_first_question(tmp_path):
    store = ChatStore(tmp_path, clock=Clock())
    chat = store.create()
    store.add_turns(
        chat.id,
        Turn("user", "When does the library open on Saturdays?"),
        Turn("assistant", "At ten. [1]", {"citations": [{"number": 1, "chunk_id": "c1"}]}),
    )
    again = ChatStore(tmp_path).get(chat.id)  # a new process reads what the first wrote
    assert again.title == "When does the library open on Saturdays?"
    assert again.history() == [
        {"role": "user", "content": "When does the library open on Saturdays?"},
        {"role": "assistant", "content": "At ten. [1]"},
    ]
    assert again.turns[1].details["citations"][0]["chunk_id"] == "c1"
    assert (tmp_path / "chats.sqlite").stat().st_mode & 0o777 == 0o600


def test_chats_are_listed_most_recent_first_renamed_and_deleted(tmp_path):
    store = ChatStore(tmp_path, clock=Clock())
    first, second = store.create("one"), store.create("two")
    store.add_turns(first.id, Turn("user", "a later question"))
    assert [c.id for c in store.list()] == [first.id, second.id]
    assert store.get(first.id).title == "one"  # a chat named by hand keeps its name
    store.rename(second.id, "  renamed   chat ")
    assert store.get(second.id).title == "renamed chat"
    store.delete(first.id)
    assert [c.id for c in store.list()] == [second.id]
    with pytest.raises(ChatNotFound):
        store.get(first.id)
    with pytest.raises(ChatNotFound):
        store.add_turns(first.id, Turn("user", "x"))


def test_a_chat_id_reaches_nothing_in_another_folder(tmp_path):
    alice, bob = ChatStore(tmp_path / "alice"), ChatStore(tmp_path / "bob")
    chat = alice.create()
    with pytest.raises(ChatNotFound):
        bob.get(chat.id)
    with pytest.raises(ChatNotFound):
        bob.delete(chat.id)
