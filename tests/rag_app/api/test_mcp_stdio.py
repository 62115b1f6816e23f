"""`rag-app mcp --store DIR` as Claude Desktop runs it: a subprocess spoken to over stdio by the `mcp`
SDK's client; its stdout carries the protocol and nothing else."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from tests.conftest import PDF_FIXTURES, ROOT, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.timeout(600)]


async def over_stdio(store: str) -> tuple[list[str], dict, dict, dict]:
    from mcp import Client, StdioServerParameters

    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rag_app.cli", "mcp", "--store", store],
        cwd=str(ROOT),
        env={**os.environ, "RAG_EMBEDDING_MODEL": "bundled", "RAG_LLM": "none", "RAG_MULTILINGUAL": "off"},
    )
    async with Client(server) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        found = (
            await client.call_tool("search", {"query": "What is on the third page?", "k": 4})
        ).structured_content
        asked = (await client.call_tool("ask", {"question": "What is on the third page?"})).structured_content
        listed = (await client.call_tool("list_documents", {})).structured_content
        return tools, found, asked, listed


def test_the_mcp_client_over_stdio_lists_the_tools_and_searches_with_pages(tmp_path):
    pdf = PDF_FIXTURES / "multipage-4-pages.pdf"
    store = str(tmp_path / "kb")
    assert run_cli("ingest", "--store", store, str(pdf), env={"RAG_MULTILINGUAL": "off"}).returncode == 0
    tools, found, asked, listed = asyncio.run(over_stdio(store))
    assert sorted(tools) == ["ask", "list_documents", "search"]
    assert found["results"] and {r["source"] for r in found["results"]} == {pdf.name}
    assert all(1 <= r["page"] <= 4 and -1 <= r["score"] <= 1 for r in found["results"])
    assert found["ambiguity"]["threshold"] > 0
    assert asked["refused"] or (asked["citations"] and asked["citations"][0]["page"] in range(1, 5))
    assert [d["source"] for d in listed["documents"]] == [pdf.name]
