"""Accounts: salted scrypt hashes in an auth file, and logins that slow down after each failure."""

from __future__ import annotations

import pytest

from rag_app.sharing.accounts import (
    AccountError,
    Accounts,
    hash_password,
    password_matches,
    read_auth_file,
    set_password,
)


def test_hashes_are_salted_and_verify(tmp_path):
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$16384$8$1$")  # a new salt each time
    assert password_matches("correct horse", first) and not password_matches("correct house", first)
    assert not password_matches("anything", "md5$abc")


def test_auth_file_round_trip_keeps_no_password(tmp_path):
    path = tmp_path / "people.auth"
    assert set_password(path, "alice", "alice-secret-1") is True
    assert set_password(path, "bob", "bob-secret-22") is True
    assert set_password(path, "alice", "alice-secret-2") is False  # changed, not added
    text = path.read_text()
    assert "alice-secret" not in text and "bob-secret" not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    accounts = Accounts.from_file(path)
    assert accounts.check("alice", "alice-secret-2") and accounts.check("bob", "bob-secret-22")


@pytest.mark.parametrize(("content", "message"), [("alice:plain\n", "line 1"), ("a b:scrypt$1\n", "line 1")])
def test_a_malformed_auth_file_names_its_line(tmp_path, content, message):
    path = tmp_path / "bad.auth"
    path.write_text(content)
    with pytest.raises(AccountError, match=message):
        read_auth_file(path)


def test_names_and_passwords_are_checked():
    with pytest.raises(AccountError, match="user name"):
        Accounts.single("../../etc", "long enough password")
    with pytest.raises(AccountError, match="at least 8"):
        hash_password("short")


def test_the_check_runs_in_a_worker_thread_and_never_waits_itself(monkeypatch):
    """Gradio awaits a coroutine ``auth``; the scrypt work (the decoy's too) runs off the event loop,
    and a failure answers at once: slowing guessers down is the guard's job, before any check."""
    import inspect
    import threading

    import anyio

    import rag_app.sharing.accounts as accounts_module

    accounts = Accounts({"alice": hash_password("alice-secret-1", n=2**10)})
    hashed_in: list[int] = []
    real = accounts_module.password_matches

    def watched(password: str, stored: str) -> bool:
        hashed_in.append(threading.get_ident())
        return real(password, stored)

    monkeypatch.setattr(accounts_module, "password_matches", watched)

    async def logins() -> list[bool]:
        return [
            await accounts.acheck("alice", "alice-secret-1"),
            await accounts.acheck("alice", "guess"),
            await accounts.acheck("nobody", "guess"),
        ]

    assert inspect.iscoroutinefunction(accounts.acheck)
    assert anyio.run(logins) == [True, False, False]
    assert len(hashed_in) == 3 and threading.get_ident() not in hashed_in  # unknown names hash too
    assert not hasattr(accounts, "_sleep")
