"""`rag-app chat`: a conversation in the terminal, each follow-up searched with what came before.

Questions come one a line from the terminal (or a pipe); an empty line or end of input ends the chat.
With ``--json`` each answer is one JSON object on its own line, for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys

from rag_app.cli.commands import _banner, _service, quiet_libraries
from rag_app.cli.parser import EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    quiet_libraries(args.verbose)
    service = _service(args)
    interactive = sys.stdin.isatty()
    if interactive:
        print(_banner(service) + " · an empty line ends the chat", file=sys.stderr)
    history: list[dict[str, str]] = []
    while True:
        if interactive:
            print("you> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        question = line.strip()
        if not question:
            return EXIT_OK
        try:
            answer = service.answer(question, args.top_k, history)
        except ValueError as exc:  # a question over the limit: said, and the chat goes on
            print(f"error: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(answer.to_json(service.model_info()), ensure_ascii=False), flush=True)
        else:
            if answer.low_confidence:
                print(f"low confidence: {answer.confidence}")
            print(answer.text)
            print("searched for: " + " | ".join(answer.retrieval.searched_for), file=sys.stderr, flush=True)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
