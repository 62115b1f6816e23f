"""The doors beside the Gradio app: ``/v1`` (OpenAI-compatible), ``/api`` (HTTP API) and ``/mcp``.

A pure ASGI middleware, so the doors share the app's host, port, guard (body caps, upload quotas)
and process, and Gradio never sees these paths. Every call is identified here, from its
``Authorization: Bearer KEY`` header, before any door runs: an unknown, revoked or missing key gets
the same bare 401, so a client learns nothing about which keys exist.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

from rag_app.api.callers import CALLER_KEY, Identify, bearer_token
from rag_app.api.http_api import http_api
from rag_app.api.mcp_tools import mcp_server
from rag_app.service import ServiceProvider

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
PREFIXES = ("/v1", "/api", "/mcp")
PUBLIC = {"/api/openapi.json", "/api/docs"}
"""The API's description: no data, so no key (a client's setup screen reads it first)."""


def is_door(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


class ProtocolDoors:
    """``Middleware(ProtocolDoors, provider=..., identify=...)`` in front of the Gradio app."""

    def __init__(
        self, app: ASGIApp, *, provider: ServiceProvider, identify: Identify, loopback_only: bool = False
    ) -> None:
        """``loopback_only``: a keyless server for this machine alone, where a web page the person
        visits could reach the doors through a DNS name rebound to 127.0.0.1; such calls name another
        host than this machine's, and are refused."""
        self.app, self.identify, self.loopback_only = app, identify, loopback_only
        mcp = mcp_server(provider)
        self.mcp = mcp.streamable_http_app(
            streamable_http_path="/mcp",
            stateless_http=True,
            json_response=True,
            # The SDK's own host check would refuse a shared link's host; ours covers the keyless
            # case (above), and a key the rest.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._mcp_sessions = mcp.session_manager
        self._mcp_started = asyncio.Event()
        self._mcp_task: asyncio.Task[None] | None = None
        self.api = http_api(provider)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_door(path):
            return await self.app(scope, receive, send)
        if self.loopback_only and not (names_this_machine(scope) and not from_another_site(scope)):
            return await refuse_host(send)
        if path.rstrip("/") not in PUBLIC:
            caller = self.identify(bearer_token(scope))
            if caller is None:
                return await unauthorized(send)
            scope.setdefault("state", {})[CALLER_KEY] = caller
        if path == "/mcp" or path.startswith("/mcp/"):
            await self._start_mcp()
            return await self.mcp(scope, receive, send)
        return await self.api(scope, receive, send)

    async def _start_mcp(self) -> None:
        """MCP's session manager runs a task group for the server's whole life; it is started on the
        first MCP call, inside the server's own event loop (Gradio owns the app's lifespan). A start
        that fails is said to every call after it, never waited on for ever."""
        if self._mcp_task is None:
            started = self._mcp_started

            async def run() -> None:
                async with self._mcp_sessions.run():
                    started.set()
                    await asyncio.Event().wait()  # until the server's loop ends

            self._mcp_task = asyncio.get_running_loop().create_task(run())
        if self._mcp_started.is_set():
            return
        waiting = asyncio.ensure_future(self._mcp_started.wait())
        await asyncio.wait({waiting, self._mcp_task}, return_when=asyncio.FIRST_COMPLETED)
        if not self._mcp_started.is_set():
            waiting.cancel()
            raise RuntimeError(f"the MCP server could not start: {self._mcp_task.exception()!r}")


def names_this_machine(scope: Scope) -> bool:
    """The request names this machine: localhost or a loopback address (127.0.0.2, [::1]), any port."""
    host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
    name = host if host.endswith("]") or host.count(":") > 1 else host.rsplit(":", 1)[0]
    if name.startswith("[") and "]" in name:
        name = name[1 : name.index("]")]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def from_another_site(scope: Scope) -> bool:
    """A browser's request made by some other site's page: a form posted to 127.0.0.1 needs no CORS
    permission, so a visited page could plant documents in a keyless local server."""
    headers = {
        k: v.decode("latin-1") for k, v in scope.get("headers", []) if k in (b"origin", b"sec-fetch-site")
    }
    if headers.get(b"sec-fetch-site") == "cross-site":
        return True
    origin = headers.get(b"origin")
    if origin is None or origin == "null":
        return origin == "null"
    return not names_this_machine({"headers": [(b"host", urlsplit(origin).netloc.encode("latin-1"))]})


async def answer_json(send: Any, status: int, payload: Any, *headers: tuple[bytes, bytes]) -> None:
    """A whole JSON response, sent before any door (or Gradio) sees the request."""
    body = json.dumps(payload).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


async def refuse_host(send: Any) -> None:
    await answer_json(
        send, 403, {"detail": "this server answers only this machine's own programs (localhost)"}
    )


async def unauthorized(send: Any) -> None:
    error = {"error": {"message": "Unauthorized", "type": "invalid_request_error"}}
    await answer_json(send, 401, error, (b"www-authenticate", b"Bearer"))
