"""The commands that work on one knowledge base: ingest, query, ask, list, delete, verify, info, passwd."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rag_app.cli.parser import EXIT_ERROR, EXIT_OK, settings_from


def _service(args: argparse.Namespace, **kwargs: Any):
    from rag_app.service import RagService

    return RagService(settings_from(args), **kwargs)


def _tell_waiting(message: str) -> None:
    print(message, file=sys.stderr)


def _banner(service) -> str:
    info = service.model_info()
    fallback = " [offline fallback]" if info["is_fallback"] else ""
    second = f"; other languages: {info['second_model']}" if info.get("second_model") else ""
    words = f"; words: {info['lexical']}" if info.get("lexical_fallback") else ""
    return (
        f"embedding model: {info['name']} ({info['dimensions']} dims, {info['device']})"
        f"{fallback}{second}{words}"
    )


def quiet_libraries(verbose: bool) -> None:
    if verbose:
        return
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    quiet_libraries(args.verbose)
    service = _service(args, rebuild=args.rebuild, on_wait=_tell_waiting)
    print(_banner(service), file=sys.stderr)
    password = args.password or service.settings.secret("pdf_password")
    bar = tqdm(
        total=1000,
        unit="‰",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        bar_format="{l_bar}{bar}| {elapsed}",
    )

    def progress(fraction: float, text: str) -> None:
        if bar.disable:  # no terminal: a line for each slow step only (OCR), not a redrawn bar
            if "OCR page" in text:
                print(text, file=sys.stderr, flush=True)
            return
        bar.set_description_str(text[:60])
        bar.update(int(fraction * 1000) - bar.n)

    report = service.ingest(args.paths, password=password, progress=progress)
    bar.close()
    from rag_app.store import StoreUnavailableError

    for outcome in report.outcomes:
        print(f"{outcome.source}: {outcome.line()}")
    try:
        stats = service.stats()
    except StoreUnavailableError as err:  # the files above were said; a re-run finishes the rest
        print(f"error: {err}", file=sys.stderr)
        return report.exit_code
    print(
        f"store {service.settings.store_dir}: {stats['files']} files, {stats['vectors']} vectors, "
        f"{len(report.rejected)} rejected",
        file=sys.stderr,
    )
    return report.exit_code


def _asked(args: argparse.Namespace, how: str) -> tuple[Any, Any]:
    """(the service, its ``query`` or ``answer`` of the question), printed as JSON with ``--json``."""
    quiet_libraries(args.verbose)
    service = _service(args)
    found = getattr(service, how)(args.question, args.top_k, read_history(args.history))
    if args.json:
        print(json.dumps(found.to_json(service.model_info()), ensure_ascii=False))
    return service, found


def cmd_query(args: argparse.Namespace) -> int:
    service, result = _asked(args, "query")
    if args.json:
        return EXIT_OK
    print(_banner(service), file=sys.stderr)
    _print_passages(result)
    return EXIT_OK


def _print_passages(result) -> None:
    if not result.passages:
        print("no passages: the store is empty (run `rag-app ingest` first)")
    from rag_app.service import SCORE_NAMES

    for p in result.passages:
        page = f" p.{p.page}" if p.page else ""
        page += f" ({p.location})" if p.location else ""
        mark = "relevant" if p.relevant else "weak"
        cosine = (
            f"{p.score:.3f}" if result.evidence == "dense" else f"{p.score:.3f} (cosine not meaningful here)"
        )
        ranked = (
            f", {SCORE_NAMES[result.rank_by]} {p.rank_score:.3f}"
            if result.rank_by != "cosine" and p.rank_score is not None
            else ""
        )
        text = " ".join(p.text.split())
        print(f"[{p.rank}] {cosine} ({mark}{ranked}) {p.source}{page}\n    {text[:300]}")
    if result.ambiguity.ambiguous:
        print(f"warning: {result.ambiguity.message}")


def cmd_ask(args: argparse.Namespace) -> int:
    service, answer = _asked(args, "answer")
    if args.json:
        return EXIT_OK
    print(_banner(service) + f"; answer backend: {answer.backend}", file=sys.stderr)
    for notice in answer.notices:
        print(f"note: {notice}", file=sys.stderr)
    if answer.low_confidence:
        print(f"low confidence: {answer.confidence}")
    print(answer.text)
    print("\nSources:")
    _print_passages(answer.retrieval)
    return EXIT_OK


def read_history(path: str | None) -> list | None:
    """The --history file: a JSON list of {"role", "content"} turns; a bad file is named, with why."""
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"--history {path}: {exc}") from exc


def cmd_list(args: argparse.Namespace) -> int:
    service = _service(args)
    documents, stats = service.documents(), service.stats()
    if args.json:
        print(json.dumps({"documents": documents, "stats": stats}, ensure_ascii=False))
        return EXIT_OK
    for item in documents:
        pages = f", {item['pages']} pages" if item["pages"] else ""
        print(f"{item['source']}: {item['chunks']} chunks{pages}")
    held = "kept by Milvus" if stats["index_bytes"] is None else f"{stats['index_bytes']:,} bytes"
    print(
        f"{stats['vectors']} vectors x {stats['dimensions']} dims ({stats['model']}); index "
        f"{held} (N x d x 4 = {stats['estimate_bytes']:,}); search {stats['search']}"
    )
    for model in stats["models"][1:]:
        missing = model.get("files_missing", 0)
        todo = f"; {missing} files without its vectors: run `rag-app upgrade --store DIR`" if missing else ""
        print(f"also {model['name']} ({model['dimensions']} dims, {model['role']}){todo}")
    return EXIT_OK


def cmd_upgrade(args: argparse.Namespace) -> int:
    """Add the multilingual vectors to documents indexed before them, from the kept originals."""
    quiet_libraries(args.verbose)
    service = _service(args, on_wait=_tell_waiting)
    if service.companion is None:
        print("nothing to do: this store's model reads every language (or RAG_MULTILINGUAL=off)")
        return EXIT_OK
    report = service.upgrade()
    for outcome in report.outcomes:
        print(f"{outcome.source}: {outcome.line()}")
    if not report.outcomes:
        print("every document already has its multilingual vectors")
    return report.exit_code


def cmd_delete(args: argparse.Namespace) -> int:
    removed = _service(args, on_wait=_tell_waiting).delete(args.source)
    if not removed:
        print(f"error: no document named {args.source!r} in the store (see `rag-app list`)", file=sys.stderr)
        return EXIT_ERROR
    print(f"deleted {args.source} ({removed} chunks)")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    problems = _service(args).verify_checksums()
    for problem in problems:
        print(problem)
    print("store verified: every vector file matches its checksum" if not problems else "store damaged")
    return EXIT_ERROR if problems else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    info = _service(args).model_info()
    print(json.dumps(info, indent=2))
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    """Add a person to an auth file, or change their password (read from stdin, or asked twice)."""
    import getpass

    from rag_app.sharing.accounts import AccountError, set_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.user}: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return EXIT_ERROR
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        new = set_password(Path(args.auth_file), args.user, password)
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{'added' if new else 'changed the password of'} {args.user} in {args.auth_file}")
    return EXIT_OK
