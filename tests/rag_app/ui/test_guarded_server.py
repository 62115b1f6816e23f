"""A shared server under attack from its own people: `rag-app serve --auth-file` in a process of its own,
alice, bob and carol logged in, driven by raw HTTP (httpx) and gradio_client as an attacker would."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from tests.rag_app.ui.shared_server import PEOPLE, shared_server

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("guarded")
    leftover = root / "upload-cache" / ("0" * 8)
    leftover.mkdir(parents=True)
    (leftover / "from-a-killed-run.txt").write_text("someone's upload from before")
    with shared_server(root) as (url, logged):
        yield url, root, logged


def logged_in(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    assert client.post("/login", data={"username": user, "password": PEOPLE[user]}).status_code == 200
    return client


def raw_upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    return client.post("/gradio_api/upload", files={"files": (name, data)})


def call(client: httpx.Client, api: str, data: list) -> list[tuple[str, str]]:
    """POST /gradio_api/call/API then read its event stream: [(event, data), ...]."""
    answer = client.post(f"/gradio_api/call/{api}", json={"data": data})
    assert answer.status_code == 200, answer.text
    events, name = [], ""
    with client.stream("GET", f"/gradio_api/call/{api}/{answer.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, line.split(":", 1)[1].strip()))
                if name in ("complete", "error"):
                    break
    return events


def cached_files(root: Path) -> list[Path]:
    return [p for p in (root / "upload-cache").rglob("*") if p.is_file()]


def test_the_upload_cache_is_private_and_swept_at_start(server):
    _url, root, _logged = server
    cache = root / "upload-cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert not any(p.name == "from-a-killed-run.txt" for p in cached_files(root))


def test_bob_cannot_fetch_alices_cached_upload_by_any_path(server, tmp_path):
    url, root, _logged = server
    alice, bob = logged_in(url, "alice"), logged_in(url, "bob")
    secret = b"Alice's cached secret: the vault code is 4417."
    hers = raw_upload(alice, "vault.txt", secret).json()[0]
    assert alice.get(f"/gradio_api/file={hers}").content == secret  # her own: served
    folder = Path(hers).parent
    tries = [
        hers,
        f"{folder}/../{folder.name}/vault.txt",
        f"{folder}//vault.txt",
        os.path.relpath(hers),
        f"/gradio_api/file={hers}",
    ]
    for path in tries:
        answer = bob.get(f"/gradio_api/file={path}")
        assert answer.status_code in (403, 404) and secret not in answer.content, path
    # The same-content trick: bob uploads the bytes he suspects, lands in the same folder, and asks
    # for her file name there. His own copy is his; hers stays refused.
    his = raw_upload(bob, "guess.txt", secret).json()[0]
    assert Path(his).parent == folder
    assert bob.get(f"/gradio_api/file={his}").status_code == 200
    refused = bob.get(f"/gradio_api/file={hers}")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("this file is not yours")
    # Nor can he index her cached file into his own knowledge base by naming its path.
    events = call(bob, "upload", [[{"path": hers, "meta": {"_type": "gradio.FileData"}}], ""])
    assert events[-1][0] == "error" and "not uploaded by you" in events[-1][1]
    # Alice indexes her file (through gradio_client, as the page does): her cached copy is gone.
    client = Client(url, auth=("alice", PEOPLE["alice"]), verbose=False)
    note = tmp_path / "vault-notes.txt"
    note.write_bytes(secret + b" It opens the blue door.")
    outcomes, _docs, _summary, _ = client.predict([handle_file(str(note))], "", api_name="/upload")
    assert [row[1] for row in outcomes["data"]] == ["indexed"]
    assert not any(p.name == "vault-notes.txt" for p in cached_files(root))
    # What she uploaded and never indexed goes when she deletes a document.
    client.predict("vault-notes.txt", api_name="/delete")
    assert not Path(hers).exists() and Path(his).exists()  # bob's copy is bob's
    assert bob.get(f"/gradio_api/file={hers}").status_code in (403, 404)
    client.close()


def test_store_files_and_folders_are_private(server, tmp_path):
    url, root, _logged = server
    client = Client(url, auth=("bob", PEOPLE["bob"]), verbose=False)
    doc = tmp_path / "bobs-plan.txt"
    doc.write_text("Bob's plan: the red balloon launches from the hill at dawn.")
    client.predict([handle_file(str(doc))], "", api_name="/upload")
    client.close()
    kb = root / "kb"
    entries = list(kb.rglob("*"))
    assert any(p.is_file() and p.name.endswith(".sqlite") for p in entries)
    loose = [f"{p} {oct(stat.S_IMODE(p.stat().st_mode))}" for p in [kb, *entries] if p.stat().st_mode & 0o077]
    assert loose == []


def test_a_burst_of_raw_uploads_stops_at_the_persons_quota(server):
    url, _root, _logged = server
    carol = logged_in(url, "carol")
    answers = [raw_upload(carol, f"junk-{i}.bin", os.urandom(64)).status_code for i in range(500)]
    assert answers[:100] == [200] * 100 and answers[100:] == [429] * 400
    refused = raw_upload(carol, "one-more.bin", b"x")
    assert refused.json()["detail"].startswith("upload quota reached: at most 100 files every 10 minutes")
    assert raw_upload(logged_in(url, "alice"), "hers.bin", b"fine").status_code == 200  # per person


def test_huge_inspect_texts_are_refused_at_the_door_and_long_ones_by_the_app(server):
    url, _root, logged = server
    bob = logged_in(url, "bob")
    three_mb = "word " * (3 * 2**20 // 5)
    refused = bob.post("/gradio_api/call/inspect", json={"data": [three_mb, "I am hungry"]})
    assert refused.status_code == 413 and refused.json()["detail"] == "request too large: at most 1,024 KB"
    events = call(bob, "inspect", ["x" * 5000, "I am hungry"])
    assert events[-1][0] == "error" and "limited to 2,000 characters; this one has 5,000" in events[-1][1]
    assert not any("Traceback" in line for line in logged), "".join(logged)[-3000:]


def test_an_empty_question_gets_a_plain_message_and_no_traceback_in_the_log(server):
    url, _root, logged = server
    events = call(logged_in(url, "carol"), "ask", ["   ", []])
    assert events[-1][0] == "error" and "Type a question first." in events[-1][1]
    assert not any("Traceback" in line for line in logged), "".join(logged)[-3000:]


def test_bob_cannot_read_alices_queue_stream_event_or_heartbeat(server):
    url, _root, _logged = server
    alice = Client(url, auth=("alice", PEOPLE["alice"]), verbose=False)
    job = alice.submit("What opens the blue door?", [], api_name="/ask")
    bob = logged_in(url, "bob")
    session = alice.session_hash
    stream = bob.get("/gradio_api/queue/data", params={"session_hash": session})
    assert stream.status_code == 403 and "belongs to someone else" in stream.json()["detail"]
    assert bob.get(f"/gradio_api/heartbeat/{session}").status_code == 403
    cancel = bob.post("/gradio_api/cancel", json={"session_hash": session, "fn_index": 0, "event_id": "x"})
    assert cancel.status_code == 403
    assert httpx.get(f"{url}gradio_api/heartbeat/{session}").status_code == 401
    assert job.result(timeout=120)[2]["query"] == "What opens the blue door?"  # hers, untouched
    her_event = logged_in(url, "alice").post("/gradio_api/call/documents", json={"data": []}).json()
    assert bob.get(f"/gradio_api/call/documents/{her_event['event_id']}").status_code == 403
    alice.close()


def test_an_expired_or_unknown_session_gets_401_not_a_traceback(server):
    url, _root, logged = server
    bob = Client(url, auth=("bob", PEOPLE["bob"]), verbose=False)
    with pytest.raises(Exception, match="No document named") as refused:
        bob.predict("<a href='http://evil.invalid/'>x</a>.txt", api_name="/delete")
    assert "&lt;a href=" in str(refused.value) and "<a href" not in str(refused.value)
    with pytest.raises(Exception, match="Choose one or more files first"):
        bob.predict([], "", api_name="/upload")
    bob.close()
    stranger = httpx.Client(base_url=url, cookies={"access-token-unsecure-x": "forged"})
    assert stranger.get("/config").status_code == 401
    assert stranger.post("/gradio_api/upload", files={"files": ("a.txt", b"a")}).status_code == 401
    assert json.loads(stranger.get("/gradio_api/queue/data", params={"session_hash": "s"}).text)
    assert not any("Traceback" in line for line in logged), "".join(logged)[-5000:]
