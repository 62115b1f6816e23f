"""`rag-app key` and `rag-app mcp`, and who may call the open doors of `rag-app serve`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rag_app.cli.commands import _banner, _service, quiet_libraries
from rag_app.cli.parser import EXIT_ERROR, EXIT_OK


def cmd_key(args: argparse.Namespace) -> int:
    """A new key, printed once and alone on the last line (``KEY=$(rag-app key ... | tail -1)``)."""
    from rag_app.sharing.accounts import AccountError
    from rag_app.sharing.keys import add_key, revoke_keys

    path = Path(args.auth_file)
    try:
        if args.revoke:
            removed = revoke_keys(path, args.user)
            print(f"revoked {removed} API key{'s' if removed != 1 else ''} of {args.user} in {path}")
            return EXIT_OK
        key = add_key(path, args.user)
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(f"a new API key for {args.user} (shown once; only its hash is kept in {path}):")
    print(key)
    return EXIT_OK


def cmd_mcp(args: argparse.Namespace) -> int:
    """MCP over stdio: stdout is the protocol's, so everything a person reads goes to stderr."""
    from rag_app.api import mcp_server

    quiet_libraries(args.verbose)
    service = _service(args)
    print(f"rag-app MCP server on {service.settings.store_dir}; {_banner(service)}", file=sys.stderr)
    mcp_server(service, local=True).run("stdio")
    return EXIT_OK


def door_identity(accounts: Any, auth_file: str | None) -> Any:
    """Who a call is for, from its key. With accounts, a key of the auth file and nothing else (a
    single ``RAG_AUTH`` person has no auth file, so no key: the doors stay shut); without accounts,
    the server is this machine's alone (loopback) or a public library, and a call needs no key, as
    the page needs no login."""
    from rag_app.api import Caller

    if accounts is None:
        return lambda token: Caller(None)
    if not auth_file:
        return lambda token: None
    from rag_app.sharing.keys import ApiKeys

    keys = ApiKeys(Path(auth_file))

    def identify(token: str | None) -> Caller | None:
        user = keys.user_for(token)
        return Caller(user) if user is not None else None

    return identify


def door_user(identify: Any) -> Any:
    """Whose a request to the doors is (None: nobody's), from its key as the doors read it."""
    from rag_app.api.callers import bearer_token

    return lambda scope: getattr(identify(bearer_token(scope)), "user", None)


def doors_middleware(provider: Any, identify: Any, *, loopback_only: bool = False) -> list:
    from starlette.middleware import Middleware

    from rag_app.api import ProtocolDoors

    return [Middleware(ProtocolDoors, provider=provider, identify=identify, loopback_only=loopback_only)]
