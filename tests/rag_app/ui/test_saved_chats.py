"""Saved chats on a shared server: kept in each person's own knowledge base, there after a restart,
reachable by no one else, exported with every citation."""

from __future__ import annotations

import json

import pytest
from gradio_client import Client, handle_file

from tests.conftest import ROOT
from tests.rag_app.ui.conftest import free_port
from tests.rag_app.ui.serving import start_server, stop_server, write_auth_file

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(600)]
PEOPLE = {"alice": "alice-secret-1", "bob": "bob-secret-22"}
SATURDAYS = "When does the library open on Saturdays?"


def test_a_saved_chat_survives_a_restart_and_is_visible_only_to_its_owner(tmp_path):
    auth = write_auth_file(tmp_path / "people.auth", PEOPLE)
    args = ["--store", str(tmp_path / "kb"), "--auth-file", str(auth)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_server([*args, "--port", str(port)])
    try:
        alice = Client(url, auth=("alice", PEOPLE["alice"]), verbose=False)
        alice.predict([handle_file(str(ROOT / "sample_docs" / "everyday.md"))], "", api_name="/upload")
        first, _, _, _, _ = alice.predict(SATURDAYS, [], api_name="/ask")
        _, _, result, _, _ = alice.predict("And on Sundays?", first, api_name="/ask")
        assert "closed on Sundays" in result["answer"]
        exported = json.loads(alice.predict("JSON", api_name="/export_chat"))
        cited = [c for turn in exported["turns"] for c in turn["citations"]]
        assert cited and all(
            c["source"] == "everyday.md" and c["chunk_id"] and not c["removed"] for c in cited
        )
        assert exported["turns"][-1]["searched_for"] == ["And on Sundays?", SATURDAYS]
        bob = Client(url, auth=("bob", PEOPLE["bob"]), verbose=False)
        assert bob.predict(api_name="/chats") == []
        alice.close()
    finally:
        stop_server(proc)

    proc = start_server([*args, "--port", str(port)])
    try:
        alice = Client(url, auth=("alice", PEOPLE["alice"]), verbose=False)
        chats = alice.predict(api_name="/chats")
        assert [title for title, _ in chats] == [SATURDAYS]
        chat_id = chats[0][1]
        messages = alice.predict(chat_id, api_name="/open_chat")
        assert len(messages) == 4 and "closed on Sundays" in str(messages[-1]["content"])
        bob = Client(url, auth=("bob", PEOPLE["bob"]), verbose=False)
        with pytest.raises(Exception, match="no chat"):
            bob.predict(chat_id, api_name="/open_chat")  # an id alone reaches nothing of another person's
        assert bob.predict(api_name="/chats") == []
        alice.close()
        bob.close()
    finally:
        stop_server(proc)
