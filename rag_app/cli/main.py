"""`rag-app`: ingest, sync, watch, query, ask, list, delete, info, verify and serve from the command line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from rag_app.cli.chat import cmd_chat
from rag_app.cli.commands import (
    cmd_ask,
    cmd_delete,
    cmd_info,
    cmd_ingest,
    cmd_list,
    cmd_passwd,
    cmd_query,
    cmd_upgrade,
    cmd_verify,
)
from rag_app.cli.doors import cmd_key, cmd_mcp
from rag_app.cli.parser import EXIT_ERROR, build_parser
from rag_app.cli.serve import cmd_serve
from rag_app.cli.sync import cmd_sync, cmd_watch


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # library bars (GGUF loading); ours pass disable explicitly
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    from rag_app.service import StoreError

    try:
        return _COMMANDS[args.command](args)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'setting'}: {e['msg']}" for e in err.errors())
        print(f"error: invalid setting ({problems})", file=sys.stderr)
        return EXIT_ERROR
    except (StoreError, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR


_COMMANDS = {
    "ingest": cmd_ingest,
    "sync": cmd_sync,
    "watch": cmd_watch,
    "query": cmd_query,
    "ask": cmd_ask,
    "chat": cmd_chat,
    "list": cmd_list,
    "delete": cmd_delete,
    "upgrade": cmd_upgrade,
    "verify": cmd_verify,
    "info": cmd_info,
    "serve": cmd_serve,
    "key": cmd_key,
    "mcp": cmd_mcp,
    "passwd": cmd_passwd,
}
