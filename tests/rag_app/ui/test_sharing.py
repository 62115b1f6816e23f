"""A shared server, for real: `rag-app serve` with an auth file of people and a library, driven through
gradio_client as each person would drive it."""

from __future__ import annotations

import pytest
from gradio_client import Client, handle_file

from tests.rag_app.ui.conftest import free_port, screenshot
from tests.rag_app.ui.serving import rag_app, start_server, stop_server, write_auth_file

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(600)]
PEOPLE = {"alice": "alice-secret-1", "bob": "bob-secret-22", "carol": "carol-secret-3"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    auth = root / "people.auth"
    write_auth_file(auth, PEOPLE)
    library_doc = root / "owls.txt"
    library_doc.write_text("The owl museum opens at noon and keeps forty barn owls in its gardens.")
    assert rag_app("ingest", "--store", str(root / "library"), str(library_doc)).returncode == 0
    port = free_port()
    env = {"RAG_LIMIT_QUESTIONS_PER_MINUTE": "12", "RAG_LIMIT_FILES_PER_UPLOAD": "3"}
    args = ["--store", str(root / "kb"), "--auth-file", str(auth), "--library", str(root / "library")]
    proc = start_server([*args, "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}/"
    clients = {user: Client(url, auth=(user, password), verbose=False) for user, password in PEOPLE.items()}
    yield url, clients, root
    for client in clients.values():
        client.close()
    stop_server(proc)


def upload(client, *paths):
    outcomes, docs, _summary, _ = client.predict([handle_file(str(p)) for p in paths], "", api_name="/upload")
    return {row[0]: row[1] for row in outcomes["data"]}, [row[0] for row in docs["data"]]


def documents(client) -> list[str]:
    docs, _summary, _ = client.predict(api_name="/documents")
    return [row[0] for row in docs["data"]]


def ask(client, question):
    _history, _html, result, _, _ = client.predict(question, [], api_name="/ask")
    return result


def test_each_person_sees_only_their_own_documents(server, tmp_path):
    _url, clients, _root = server
    alice_file, bob_file = tmp_path / "a" / "notes.txt", tmp_path / "b" / "notes.txt"
    alice_file.parent.mkdir()
    bob_file.parent.mkdir()
    alice_file.write_text("Alice's secret: the blue submarine is moored at pier seven.")
    bob_file.write_text("Bob's plan: the red balloon launches from the hill at dawn.")
    assert upload(clients["alice"], alice_file)[0] == {"notes.txt": "indexed"}
    # Same name, other bytes: kept, private, and no "same content as" hint across people.
    assert upload(clients["bob"], bob_file)[0] == {"notes.txt": "indexed"}
    assert documents(clients["alice"]) == ["notes.txt"] and documents(clients["bob"]) == ["notes.txt"]
    for user, own, other in (("alice", "submarine", "balloon"), ("bob", "balloon", "submarine")):
        result = ask(clients[user], f"Where is the {own} and where is the {other}?")
        texts = " ".join(r["text"] for r in result["results"])
        assert own in texts and other not in texts
    # Bob deletes his notes.txt: Alice's is untouched.
    clients["bob"].predict("notes.txt", api_name="/delete")
    assert documents(clients["bob"]) == [] and documents(clients["alice"]) == ["notes.txt"]
    texts = " ".join(
        r["text"] for r in ask(clients["alice"], "Where is the blue submarine moored?")["results"]
    )
    assert "pier seven" in texts


def test_the_library_is_searched_by_everyone_and_written_by_no_one(server, tmp_path):
    _url, clients, root = server
    for user in ("alice", "bob"):
        result = ask(clients[user], "When does the owl museum open?")
        top = result["results"][0]
        assert "owl museum" in top["text"] and top["collection"] == "library"
        assert "owls.txt" not in documents(clients[user])  # not theirs to list or delete
        with pytest.raises(Exception, match=r"not in the list of choices|No document named"):
            clients[user].predict("owls.txt", api_name="/delete")
    listing = rag_app("list", "--store", str(root / "library"), "--json")
    assert '"owls.txt"' in listing.stdout


def test_limits_reach_the_person_as_plain_messages(server, tmp_path):
    _url, clients, _root = server
    many = []
    for i in range(4):
        path = tmp_path / f"f{i}.txt"
        path.write_text(f"File number {i} talks about hedgehogs.")
        many.append(path)
    with pytest.raises(Exception, match="at most 3 files per upload; you sent 4"):
        upload(clients["carol"], *many)
    with pytest.raises(Exception, match="at most 12 questions a minute"):
        for i in range(13):
            ask(clients["carol"], f"question {i} about owls")
    assert ask(clients["alice"], "Is Alice still allowed to ask?")["query"]  # limits are per person


def test_a_wrong_password_is_refused_and_the_next_try_must_wait(server):
    import httpx

    url, _clients, _root = server
    with pytest.raises(Exception, match=r"(?i)login|credentials|unauthori"):
        Client(url, auth=("alice", "not-her-password"), verbose=False)
    again = httpx.post(f"{url}login", data={"username": "alice", "password": "another-guess"})
    assert again.status_code == 429 and again.headers["retry-after"] == "1"
    assert again.json()["detail"] == "too many failed logins for this account: try again in 1 s"


def test_listening_beyond_this_machine_without_accounts_is_refused():
    out = rag_app("serve", "--host", "0.0.0.0")
    assert out.returncode == 1 and "--host 0.0.0.0 without accounts" in out.stderr


@pytest.mark.browser
def test_in_a_browser_a_person_logs_in_uploads_asks_and_sees_only_their_documents(server, browser, tmp_path):
    import re

    from playwright.sync_api import expect

    url, clients, _root = server
    assert "notes.txt" in documents(clients["alice"])  # Alice has a document of her own
    recipes = tmp_path / "recipes.txt"
    recipes.write_text("Dave's pancake recipe needs three eggs, flour and a pinch of salt.")
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(url)
    expect(page.get_by_label("username")).to_be_visible(timeout=60_000)
    screenshot(page, "screenshot-login.png", tmp_path)
    page.get_by_label("username").fill("bob")
    page.get_by_label("password").fill(PEOPLE["bob"])
    page.get_by_role("button", name=re.compile("login", re.I)).click()
    expect(page.locator("#banner")).to_contain_text("Embedding model", timeout=60_000)
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload input[type=file]").set_input_files([str(recipes)])
    expect(page.locator("#upload")).to_contain_text(
        re.compile(r"recipes\s*\.txt\s*[\d.]+\s*B"), timeout=60_000
    )
    page.locator("#index").click()
    expect(page.locator("#outcomes")).to_contain_text("recipes.txt", timeout=120_000)
    expect(page.locator("#documents")).to_contain_text("recipes.txt")
    screenshot(page, "screenshot-upload.png", tmp_path)
    assert "notes.txt" not in page.locator("#documents").inner_text()  # Alice's stays hers
    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").fill("How many eggs does the pancake recipe need?")
    page.locator("#ask").click()
    expect(page.locator("#chat")).to_contain_text("three eggs", timeout=120_000)
    assert "submarine" not in page.locator("#passages").inner_text()
    # Deleting asks first, naming the document and its chunks; Cancel keeps it.
    page.get_by_role("tab", name="Documents").click()
    page.locator("#chosen input").fill("recipes.txt")
    page.get_by_role("option", name="recipes.txt").click()
    page.locator("#delete").click()
    expect(page.locator("#confirm-text")).to_contain_text("Delete recipes.txt and its 1 chunks?")
    page.locator("#cancel-delete").click()
    expect(page.locator("#confirm-delete")).to_be_hidden()
    expect(page.locator("#documents")).to_contain_text("recipes.txt")
    # Who is signed in, and a way out that leads back to the login page.
    expect(page.locator("#who")).to_contain_text("Signed in as bob")
    page.locator("#log-out").click()
    expect(page.get_by_label("username")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("rag-app: ask your documents")).to_be_visible()
