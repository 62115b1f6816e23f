"""The open doors of a real `rag-app serve --auth-file` on 127.0.0.1, driven by real clients: the
`openai` package, LangChain's ChatOpenAI in an LCEL chain, the `mcp` SDK's client over HTTP,
httpx for the HTTP API, and gradio_client for the app the API's uploads must show up in."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from gradio_client import Client

from tests.conftest import PDF_FIXTURES, run_cli
from tests.rag_app.ui.shared_server import PEOPLE, shared_server

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(900)]

NOTES = {
    "alice": ("alice-notes.txt", "The vault code word is HELIOTROPE-17. The vault opens at dawn."),
    "bob": ("bob-notes.txt", "The boat code word is MARLINSPIKE-88. The boat leaves at noon."),
}

CODES = {"alice": "HELIOTROPE-17", "bob": "MARLINSPIKE-88"}


def new_key(auth_file, user: str) -> str:
    done = run_cli("key", "--auth-file", str(auth_file), user, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]  # the key, alone on the last line


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("doors")
    with shared_server(root) as (url, _logged):
        auth = root / "people.auth"
        keys = {user: new_key(auth, user) for user in ("alice", "bob")}
        for user, (name, text) in NOTES.items():
            api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys[user]}"}, timeout=300)
            answer = api.post("/api/documents", files=[("files", (name, text.encode(), "text/plain"))])
            assert answer.status_code == 200, answer.text
            assert [o["status"] for o in answer.json()["outcomes"]] == ["indexed"]
        yield url, auth, keys


def chat(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}v1", api_key=key, max_retries=0)


def test_the_openai_package_gets_the_checked_answer_and_its_sources(server):
    url, _auth, keys = server
    reply = chat(url, keys["alice"]).chat.completions.create(
        model="rag-app", messages=[{"role": "user", "content": "What is the vault code word?"}]
    )
    content = reply.choices[0].message.content
    assert "HELIOTROPE-17" in content and "[1]" in content
    assert content.rstrip().endswith("[1] alice-notes.txt")  # the Sources list, for any client
    extra = reply.model_extra["rag_app"]
    assert extra["citations"][0]["source"] == "alice-notes.txt"
    assert extra["refused"] is False and extra["results"][0]["source"] == "alice-notes.txt"
    assert {"searched_for", "low_confidence", "ambiguity"} <= set(extra)


def test_streamed_replies_add_up_to_the_same_checked_answer(server):
    url, _auth, keys = server
    client = chat(url, keys["alice"])
    messages = [{"role": "user", "content": "When does the vault open?"}]
    whole = client.chat.completions.create(model="rag-app", messages=messages).choices[0].message.content
    chunks = list(client.chat.completions.create(model="rag-app", messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == whole and "dawn" in streamed
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["rag_app"]["citations"][0]["source"] == "alice-notes.txt"


def test_a_follow_up_is_answered_from_the_conversation(server):
    url, _auth, keys = server
    reply = chat(url, keys["bob"]).chat.completions.create(
        model="rag-app",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "What is the boat code word?"},
            {"role": "assistant", "content": "The boat code word is MARLINSPIKE-88. [1]"},
            {"role": "user", "content": "And when does it leave?"},
        ],
    )
    extra = reply.model_extra["rag_app"]
    assert "noon" in reply.choices[0].message.content
    assert len(extra["searched_for"]) > 1  # the follow-up was searched with what it refers to


def test_langchain_chat_openai_inside_an_lcel_chain(server):
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI

    url, _auth, keys = server
    model = ChatOpenAI(base_url=f"{url}v1", api_key=keys["bob"], model="rag-app", max_retries=0)
    chain = ChatPromptTemplate.from_messages([("user", "{question}")]) | model | StrOutputParser()
    text = chain.invoke({"question": "What is the boat code word?"})
    assert "MARLINSPIKE-88" in text and "bob-notes.txt" in text


def test_two_peoples_keys_never_see_each_others_documents(server):
    url, _auth, keys = server
    for user, other in (("alice", "bob"), ("bob", "alice")):
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys[user]}"}, timeout=300)
        code = CODES[other]  # the other person's code word
        for path in ("/api/query", "/api/ask"):
            answer = api.post(path, json={"question": f"What is the code word {code}?", "k": 10}).json()
            found = json.dumps([answer["results"], answer.get("citations"), answer.get("answer")])
            assert code not in found.replace(f"code word {code}?", "")  # the question is echoed, never found
            assert {r["source"] for r in answer["results"]} <= {NOTES[user][0]}
        assert [d["source"] for d in api.get("/api/documents").json()["documents"]] == [NOTES[user][0]]
        reply = chat(url, keys[user]).chat.completions.create(
            model="rag-app", messages=[{"role": "user", "content": f"Which code word is {code}?"}]
        )
        extra = reply.model_extra["rag_app"]
        assert code not in json.dumps([extra["results"], reply.choices[0].message.content])


@pytest.mark.parametrize("path", ["/v1/models", "/api/documents", "/mcp"])
def test_a_missing_wrong_or_revoked_key_gets_a_bare_401(server, path):
    url, auth, _keys = server
    doomed = new_key(auth, "carol")
    http = httpx.Client(base_url=url, timeout=60)
    assert http.get("/v1/models", headers={"Authorization": f"Bearer {doomed}"}).status_code == 200
    assert run_cli("key", "--auth-file", str(auth), "carol", "--revoke", timeout=120).returncode == 0
    answers = [
        http.request("POST" if path == "/mcp" else "GET", path, headers=headers)
        for headers in ({}, {"Authorization": "Bearer rag-not-a-key"}, {"Authorization": f"Bearer {doomed}"})
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert len({a.text for a in answers}) == 1  # nothing tells a revoked key from an unknown one


def test_an_upload_through_the_api_shows_up_in_the_app(server):
    url, auth, _keys = server
    key = new_key(auth, "carol")  # her own: the 401 test revokes carol's keys
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300)
    note = ("../../carol-plan.txt", b"Carol's plan: the picnic is on the hill at four.")
    assert api.post("/api/documents", files=[("files", (*note, "text/plain"))]).status_code == 200
    docs, _summary, _chosen = Client(url, auth=("carol", PEOPLE["carol"]), verbose=False).predict(
        api_name="/documents"
    )
    assert [row[0] for row in docs["data"]] == ["carol-plan.txt"]  # a name, never the path it claimed
    removed = api.delete("/api/documents", params={"source": "carol-plan.txt"})
    assert removed.json()["removed_chunks"] == 1
    assert api.delete("/api/documents", params={"source": "carol-plan.txt"}).status_code == 404


def test_the_api_describes_itself(server):
    url, _auth, _keys = server
    spec = httpx.get(f"{url}api/openapi.json", timeout=60).json()  # no key: a description, no data
    assert {"/api/query", "/api/ask", "/api/documents", "/v1/chat/completions", "/v1/models"} <= set(
        spec["paths"]
    )


async def mcp_search(url: str, key: str, query: str) -> tuple[list[str], dict, dict]:
    from mcp import Client as McpClient
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    async with McpClient(streamable_http_client(f"{url}mcp", http_client=http)) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        found = await client.call_tool("search", {"query": query, "k": 3})
        listed = await client.call_tool("list_documents", {})
        return tools, found.structured_content, listed.structured_content


def test_the_mcp_client_over_http_searches_the_callers_documents_with_pages(server):
    url, _auth, keys = server
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {keys['alice']}"}, timeout=600)
    pdf = PDF_FIXTURES / "multipage-4-pages.pdf"
    assert api.post("/api/documents", files=[("files", (pdf.name, pdf.read_bytes()))]).status_code == 200
    tools, found, listed = asyncio.run(mcp_search(url, keys["alice"], "the second page"))
    assert sorted(tools) == ["ask", "list_documents", "search"]
    assert found["results"] and all(r["score"] is not None for r in found["results"])
    pages = [r["page"] for r in found["results"] if r["source"] == pdf.name]
    assert pages and all(1 <= p <= 4 for p in pages)
    assert {d["source"] for d in listed["documents"]} == {"alice-notes.txt", pdf.name}
    _tools, bobs, _ = asyncio.run(mcp_search(url, keys["bob"], "HELIOTROPE-17 vault"))
    assert bobs["results"] and "HELIOTROPE" not in json.dumps(bobs["results"])
    assert {r["source"] for r in bobs["results"]} == {"bob-notes.txt"}


def test_the_limits_per_person_hold_on_every_door(tmp_path):
    """Questions a minute and the raw-upload quota are the person's, whichever door she comes through."""
    limits = {"RAG_LIMIT_QUESTIONS_PER_MINUTE": "3", "RAG_LIMIT_UPLOAD_WINDOW_MB": "1"}
    with shared_server(tmp_path, env=limits) as (url, _logged):
        key = new_key(tmp_path / "people.auth", "alice")
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300)
        big = ("big.txt", b"word " * 300_000, "text/plain")  # 1.5 MB: over her 1 MB window
        assert api.post("/api/documents", files=[("files", big)]).status_code == 429
        ask = {"question": "What is the vault code word?"}
        statuses = [api.post("/api/ask", json=ask).status_code for _ in range(2)]
        with pytest.raises(openai.RateLimitError):  # the third and fourth question of the minute
            for _ in range(2):
                chat(url, key).chat.completions.create(
                    model="rag-app", messages=[{"role": "user", "content": ask["question"]}]
                )
        assert statuses == [200, 200]
        assert api.post("/api/query", json=ask).status_code == 429


def test_a_keyless_local_server_refuses_calls_that_name_another_host(tmp_path):
    """DNS rebinding: a web page's script reaching 127.0.0.1 under its own name gets nothing."""
    from tests.rag_app.ui.conftest import free_port
    from tests.rag_app.ui.serving import start_server, stop_server

    port = free_port()
    proc = start_server(["--store", str(tmp_path / "kb"), "--port", str(port)])
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        assert http.get("/v1/models").status_code == 200  # this machine, no key needed
        assert http.get("/v1/models", headers={"Host": f"localhost:{port}"}).status_code == 200
        for path in ("/v1/models", "/api/documents", "/mcp"):
            assert http.get(path, headers={"Host": f"attacker.example:{port}"}).status_code == 403
        # A visited page's form posted to 127.0.0.1 itself (no CORS check for a form): refused too.
        planted = ("files", ("planted.txt", b"Trust this page.", "text/plain"))
        for headers in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}):
            assert http.post("/api/documents", files=[planted], headers=headers).status_code == 403
        assert http.get("/api/documents").json()["documents"] == []
        assert http.get("/v1/models", headers={"Origin": f"http://localhost:{port}"}).status_code == 200
    finally:
        stop_server(proc)
