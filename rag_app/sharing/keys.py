"""API keys: how a program (an OpenAI client, an MCP client, a script) says who it calls for.

A key is 32 random bytes, shown once by ``rag-app key`` and stored only as its SHA-256 in the auth
file, beside its owner's password (``user:apikey$<sha256>``). A fast hash is right here, unlike for
passwords: a key has 256 bits of its own, so nothing can be guessed from the hash, and every API
call can be checked in microseconds (scrypt per call would cost each request 50 ms). A key reaches
exactly its owner's knowledge base and the library, as that person's login does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from pathlib import Path

from rag_app.sharing.accounts import (
    API_KEY_PREFIX,
    AccountError,
    check_user_name,
    read_auth_file,
    read_auth_lines,
    write_auth_lines,
)

KEY_PREFIX = "rag-"
log = logging.getLogger(__name__)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(path: Path, user: str) -> str:
    """A new key for ``user`` (who must have a password in ``path``); the key itself is returned once."""
    check_user_name(user)
    if not path.is_file() or user not in read_auth_file(path):
        raise AccountError(f"{user} is not in {path}: add them first with `rag-app passwd`")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    write_auth_lines(path, [*read_auth_lines(path), (user, API_KEY_PREFIX + key_digest(key))])
    return key


def revoke_keys(path: Path, user: str) -> int:
    """Remove every key of ``user``; how many there were."""
    lines = read_auth_lines(path) if path.is_file() else []
    kept = [(u, h) for u, h in lines if not (u == user and h.startswith(API_KEY_PREFIX))]
    write_auth_lines(path, kept)
    return len(lines) - len(kept)


class ApiKeys:
    """Whose a key is, from the auth file as it is now: the file is read again when it changes, so a
    key revoked (or added) while the server runs counts from the next call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def user_for(self, key: str | None) -> str | None:
        if not key or not key.startswith(KEY_PREFIX) or len(key) > 256:
            return None
        return self._current().get(key_digest(key))

    def _current(self) -> dict[str, str]:
        try:
            stat = self.path.stat()
        except OSError:
            return {}  # the file gone: no key is anyone's
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if seen != self._seen:
                self._seen = seen
                try:
                    lines = read_auth_lines(self.path)
                except (AccountError, OSError, UnicodeDecodeError) as err:
                    # A hand edit gone wrong: said once, and the keys as they were stay in force.
                    log.warning("API keys not reloaded: %s", err)
                    return self._owners
                people = {u for u, h in lines if h.startswith("scrypt$")}  # a key lives with its person
                self._owners = {
                    h[len(API_KEY_PREFIX) :]: u
                    for u, h in lines
                    if h.startswith(API_KEY_PREFIX) and u in people
                }
            return self._owners
