"""The MCP server: ``search``, ``ask`` and ``list_documents`` as tools, for Claude Desktop-style
clients (stdio, ``rag-app mcp``) and for any MCP client over streamable HTTP (``/mcp`` under
``rag-app serve``).

Built on the official ``mcp`` Python SDK (``MCPServer``): it follows the protocol's revisions and
runs both transports from one set of tools. Gradio's own MCP support would publish the app's UI
callbacks as tools, shaped for the page (HTML panels, gr.State); these tools return the CLI's JSON.
Over HTTP, whose knowledge base a tool reads comes from the key the door checked; over stdio it is
the store the command was given (the user who started it owns it).
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from rag_app.api.callers import caller_of
from rag_app.service import Service, ServiceProvider

INSTRUCTIONS = (
    "Searches and answers from the user's own documents. `search` returns passages with their cosine "
    "similarity, source and page; `ask` returns an answer whose every sentence is checked against the "
    "passage it cites ([n] markers), or says that nothing relevant was found; `list_documents` lists "
    "what is indexed. Quote the answer with its citations; do not add facts the passages do not hold."
)


def mcp_server(provider: ServiceProvider, *, local: bool = False) -> MCPServer:
    """``local``: every call is this machine's own knowledge base (stdio); otherwise the caller the
    HTTP door identified."""
    server = MCPServer("rag-app", instructions=INSTRUCTIONS)

    def service(ctx: Context) -> Service:
        if local:
            return provider.for_user(None)
        request = ctx.request_context.request
        if request is None:  # never guessed: a call the door did not identify reaches nobody's documents
            raise PermissionError("this MCP call did not come through the server's door")
        return provider.for_user(caller_of(request.scope).user)

    @server.tool()
    def search(query: str, ctx: Context, k: Annotated[int, Field(ge=1, le=50)] = 5) -> dict[str, Any]:
        """The k passages closest to the query: text, cosine, the score that ranked them, source, page,
        and the Top-3 ambiguity verdict."""
        return service(ctx).query(query, k).to_json(provider.model_info())

    @server.tool()
    def ask(question: str, ctx: Context, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """The checked answer to a question, with its citations (source, page) and whether it was
        refused or is low-confidence. ``history``: earlier turns, ``{"role", "content"}``, oldest first."""
        return service(ctx).answer(question, None, history or None).to_json(provider.model_info())

    @server.tool()
    def list_documents(ctx: Context) -> dict[str, Any]:
        """The indexed documents: source name, chunks, pages."""
        return {"documents": service(ctx).documents()}

    return server
