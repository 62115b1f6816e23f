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


def test_failed_logins_are_slowed_down_more_each_time_and_success_resets():
    waits: list[float] = []
    accounts = Accounts({"alice": hash_password("alice-secret-1", n=2**10)}, sleep=waits.append)
    assert not accounts.check("alice", "guess-1") and not accounts.check("alice", "guess-2")
    assert not accounts.check("alice", "guess-3") and not accounts.check("nobody", "guess")
    assert waits == [0.5, 1.0, 2.0, 0.5]
    assert accounts.check("alice", "alice-secret-1")
    assert not accounts.check("alice", "guess-4") and waits[-1] == 0.5  # the count started over
    many = Accounts({}, sleep=waits.append)
    for _ in range(10):
        many.check("mallory", "x")
    assert waits[-1] == 8.0  # capped
