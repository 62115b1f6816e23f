"""Who may log in: salted scrypt password hashes in an auth file, and a login check that slows down.

The auth file has one ``user:scrypt$n$r$p$salt$hash`` line per person (hex salt and hash), written
by ``rag-app passwd``, and a ``user:apikey$sha256`` line per API key (``rag_app.sharing.keys``);
passwords and keys are never stored, only their hashes. The check is scrypt, run in a worker thread (one
at a time) so the server's event loop never waits on it; slowing and locking out failed logins is the
guard's job (``rag_app.sharing.guard.logins``), decided before a check runs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import anyio
import anyio.to_thread

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_USER = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")


class AccountError(ValueError):
    """A bad user name, password or auth file; the message says which."""


def check_user_name(user: str) -> str:
    if not _USER.match(user):
        raise AccountError(f"user name {user!r}: use 1 to 64 letters, digits and . _ @ + -")
    return user


def hash_password(
    password: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> str:
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=64 * 1024 * 1024
        )
        return hmac.compare_digest(candidate.hex(), digest)
    except (ValueError, TypeError):
        return False


API_KEY_PREFIX = "apikey$"


def read_auth_lines(path: Path) -> list[tuple[str, str]]:
    """(user, stored) for every line, passwords and API keys, in file order; a malformed line is an
    error naming its number (never silently skipped)."""
    lines: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not stored.startswith(("scrypt$", API_KEY_PREFIX)) or not _USER.match(user):
            raise AccountError(
                f"{path}, line {number}: expected USER:scrypt$... (write it with `rag-app passwd`)"
            )
        lines.append((user, stored))
    return lines


def write_auth_lines(path: Path, lines: list[tuple[str, str]]) -> None:
    """The whole file, replaced atomically (a reader sees the old file or the new one), 0600."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # 0600 from the first byte: the hashes are never readable by others, not even for a moment
    with os.fdopen(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as out:
        out.write("".join(f"{u}:{h}\n" for u, h in lines))
    os.replace(tmp, path)


def read_auth_file(path: Path) -> dict[str, str]:
    """user -> stored password hash (API key lines are ``rag_app.sharing.keys``' business)."""
    return {user: stored for user, stored in read_auth_lines(path) if stored.startswith("scrypt$")}


def set_password(path: Path, user: str, password: str) -> bool:
    """Add ``user`` or change their password; True if they were new. Their API keys are kept."""
    check_user_name(user)
    lines = read_auth_lines(path) if path.is_file() else []
    new = not any(u == user and h.startswith("scrypt$") for u, h in lines)
    kept = [(u, h) for u, h in lines if not (u == user and h.startswith("scrypt$"))]
    write_auth_lines(path, sorted([*kept, (user, hash_password(password))], key=lambda line: line[0]))
    return new


class Accounts:
    """The people who may log in; ``acheck`` is Gradio's ``auth`` (a coroutine function, so Gradio
    awaits it instead of running the hashing inside its event loop)."""

    def __init__(self, users: dict[str, str], *, checks_at_once: int = 1) -> None:
        self.users = users
        self._checks_at_once = checks_at_once
        self._limiter: anyio.CapacityLimiter | None = None

    @classmethod
    def from_file(cls, path: Path) -> Accounts:
        return cls(read_auth_file(path))

    @classmethod
    def single(cls, user: str, password: str) -> Accounts:
        """One person (``RAG_AUTH=user:pass`` or ``--auth``), hashed in memory."""
        return cls({check_user_name(user): hash_password(password, n=2**12)})

    def check(self, user: str, password: str) -> bool:
        stored = self.users.get(user)
        # An unknown name costs the same hashing as a known one: the answer time tells nothing.
        ok = password_matches(password, stored) if stored else password_matches(password, _DECOY)
        return ok and stored is not None

    async def acheck(self, user: str, password: str) -> bool:
        """``check`` in a worker thread, at most ``checks_at_once`` at a time (scrypt wants a core each)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._checks_at_once)
        return await anyio.to_thread.run_sync(self.check, user, password, limiter=self._limiter)

    def __call__(self, user: str, password: str) -> bool:
        return self.check(user, password)


_DECOY = hash_password("decoy-password", salt=b"\0" * 16)
