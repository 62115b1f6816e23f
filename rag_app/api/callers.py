"""Who is calling a door, as the server decided it from the request's key (never as the client says)."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

CALLER_KEY = "rag_app.caller"
"""Where the door puts the caller in the ASGI scope's ``state`` (Starlette's ``request.state``)."""


@dataclass(frozen=True)
class Caller:
    user: str | None
    """The person whose knowledge base the call reaches; None: this machine's own (no accounts), or a
    visitor of a public library."""


Identify = Callable[[str | None], Caller | None]
"""The bearer token of a request (None when it sent none) -> its caller, or None: refused (401)."""


def bearer_token(scope: MutableMapping[str, Any]) -> str | None:
    header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
    kind, _, token = header.decode("latin-1").partition(" ")
    return token.strip() or None if kind.lower() == "bearer" else None


def caller_of(scope: MutableMapping[str, Any]) -> Caller:
    caller = scope.get("state", {}).get(CALLER_KEY)
    if not isinstance(caller, Caller):
        raise PermissionError("no caller: the request did not come through the doors")
    return caller


def refusal_status(exc: Exception) -> int:
    """The HTTP status of a refusal, the same on every door: a limit 429, what this person may not do
    403, a damaged store 503, any other bad input 400."""
    from rag_app.service import LimitExceeded, NotAllowed, StoreError

    if isinstance(exc, LimitExceeded):
        return 429
    if isinstance(exc, NotAllowed):
        return 403
    return 503 if isinstance(exc, StoreError) else 400
