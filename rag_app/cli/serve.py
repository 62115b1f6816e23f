"""`rag-app serve`: who may log in, what is refused before anything starts, and the server's wiring."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from rag_app.cli.commands import quiet_libraries
from rag_app.cli.doors import door_identity, door_user, doors_middleware
from rag_app.cli.parser import EXIT_ERROR, EXIT_OK, SAMPLE_DOCS, settings_from


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _accounts(args: argparse.Namespace, settings):
    """The people who may log in, from --auth-file, RAG_AUTH or --auth (in that order); None for nobody."""
    from rag_app.sharing.accounts import Accounts

    if args.auth_file:
        return Accounts.from_file(Path(args.auth_file))
    single = settings.secret("auth") or args.auth
    if not single:
        return None
    if args.auth:
        print(
            "warning: --auth puts the password where every user of this machine can read it (ps); "
            "use RAG_AUTH=user:pass or --auth-file instead",
            file=sys.stderr,
        )
    user, sep, password = single.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth and RAG_AUTH must be USER:PASS")
    return Accounts.single(user, password)


def private_upload_cache(settings):
    """Gradio's upload cache for this server: a 0700 folder of its own, emptied of an earlier run's
    leftovers. Gradio reads ``GRADIO_TEMP_DIR`` whenever it stores or checks a file, so it is set for
    the life of the process, before the app is built."""
    from rag_app.sharing.guard import UploadCache, default_cache_dir

    uploads = UploadCache(settings.upload_cache_dir or default_cache_dir(settings.store_dir))
    os.environ["GRADIO_TEMP_DIR"] = str(uploads.prepare())
    return uploads


def guard_middleware(settings, uploads, api_user=None) -> list:
    from starlette.middleware import Middleware

    from rag_app.sharing.guard import Guard, GuardConfig

    config = GuardConfig.from_settings(settings, uploads)
    config.api_user = api_user
    return [Middleware(Guard, config=config)]


def _door_rule(accounts, auth_file: str | None) -> str:
    if accounts is None:
        return ""
    if not auth_file:
        return "; closed: one RAG_AUTH person has no auth file to hold API keys"
    return "; each call needs a key (`rag-app key`)"


def cmd_serve(args: argparse.Namespace) -> int:
    """Refuse to listen beyond this machine without accounts, seed the samples, start the app and wait."""
    settings = settings_from(args)
    accounts = _accounts(args, settings)
    public = args.share or not _is_loopback(settings.host)
    if public and accounts is None and not args.allow_public_without_auth:
        where = "--share" if args.share else f"--host {settings.host}"
        print(
            f"error: {where} without accounts would let anyone who reaches this server read your documents. "
            "Add --auth-file FILE (see `rag-app passwd`) or RAG_AUTH=user:pass; or pass "
            "--allow-public-without-auth, and visitors may only search the --library, never upload.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    from rag_app.sharing.serve import service_provider
    from rag_app.sharing.server_process import prepare_server_process
    from rag_app.ui import build_app, launch

    quiet_libraries(args.verbose)
    prepare_server_process()
    os.umask(0o077)  # every store file, kept original and cached upload: this user's alone (0600/0700)
    uploads = private_upload_cache(settings)
    library = Path(args.library) if args.library else None
    if args.watch and library is None:
        print(
            "error: --watch FOLDER needs --library STORE, the store the folder is synced into",
            file=sys.stderr,
        )
        return EXIT_ERROR
    stop_watching = threading.Event()
    if args.watch:
        from rag_app.sharing.serve import keep_library_in_step

        print(f"syncing {', '.join(args.watch)} into the library {library} …", file=sys.stderr)
        keep_library_in_step(settings, library, [Path(f) for f in args.watch], stop_watching)
    per_person = accounts is not None or public
    app_service = service_provider(settings, per_person=per_person, library=library)
    if not per_person:
        local = app_service.for_user(None)
        if args.seed_samples and not local.documents() and SAMPLE_DOCS.is_dir():
            print(f"indexing the sample documents in {SAMPLE_DOCS} …", file=sys.stderr)
            local.ingest([SAMPLE_DOCS])
    elif accounts is None and library is None:
        print("warning: no accounts and no --library: visitors will have nothing to search", file=sys.stderr)
    demo = build_app(settings, app_service, uploads=uploads)
    identify = door_identity(accounts, args.auth_file)
    threading.Thread(target=app_service.warm_up, name="warm-up", daemon=True).start()
    blocked = [str(Path.home() / ".cache" / "huggingface"), *([str(library.resolve())] if library else [])]
    launch(
        demo,
        settings,
        share=args.share,
        auth=accounts.acheck if accounts else None,
        blocked_paths=blocked,
        middleware=[
            *guard_middleware(settings, uploads, api_user=door_user(identify)),
            *doors_middleware(app_service, identify, loopback_only=not public and accounts is None),
        ],
    )
    who = (
        "people with accounts, each with a private knowledge base"
        if accounts
        else ("anyone, searching the library only" if per_person else "this machine only")
    )
    print(f"serving on {demo.local_url} for {who}", file=sys.stderr)
    print(
        f"open doors: {demo.local_url}v1 (OpenAI-compatible), {demo.local_url}mcp (MCP), "
        f"{demo.local_url}api/docs (HTTP API){_door_rule(accounts, args.auth_file)}",
        file=sys.stderr,
    )
    if args.share and not demo.share_url:
        print(
            "note: the public share link could not be opened (no route to Gradio's share server from this "
            "machine); the app keeps serving locally.",
            file=sys.stderr,
        )
    elif demo.share_url:
        print(f"public link: {demo.share_url}", file=sys.stderr)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
    finally:
        stop_watching.set()
    return EXIT_OK
