"""API keys in the auth file: shown once, kept as a hash beside the password, revoked at once."""

from __future__ import annotations

import pytest

from rag_app.sharing.accounts import AccountError, read_auth_file, set_password
from rag_app.sharing.keys import ApiKeys, add_key, key_digest, revoke_keys


def test_a_key_is_kept_only_as_its_hash_beside_the_password(tmp_path):
    auth = tmp_path / "people.auth"
    set_password(auth, "alice", "alice-secret-1")
    key = add_key(auth, "alice")
    text = auth.read_text()
    assert key not in text and key_digest(key) in text
    assert auth.stat().st_mode & 0o777 == 0o600
    set_password(auth, "alice", "alice-secret-2")  # a new password keeps the keys
    assert ApiKeys(auth).user_for(key) == "alice"
    assert list(read_auth_file(auth)) == ["alice"]  # key lines are not logins


def test_a_key_needs_a_person_and_reaches_only_its_owner(tmp_path):
    auth = tmp_path / "people.auth"
    with pytest.raises(AccountError, match="rag-app passwd"):
        add_key(auth, "nobody")
    set_password(auth, "alice", "alice-secret-1")
    set_password(auth, "bob", "bob-secret-22")
    alice, bob = add_key(auth, "alice"), add_key(auth, "bob")
    keys = ApiKeys(auth)
    assert (keys.user_for(alice), keys.user_for(bob)) == ("alice", "bob")
    assert keys.user_for(alice[:-1] + ("A" if alice[-1] != "A" else "B")) is None
    assert (
        keys.user_for(None) is None and keys.user_for("") is None and keys.user_for(key_digest(alice)) is None
    )


def test_a_revoked_key_stops_at_the_next_call_of_a_running_server(tmp_path):
    auth = tmp_path / "people.auth"
    set_password(auth, "alice", "alice-secret-1")
    first, second = add_key(auth, "alice"), add_key(auth, "alice")
    keys = ApiKeys(auth)  # as the server holds it
    assert keys.user_for(first) == keys.user_for(second) == "alice"
    assert revoke_keys(auth, "alice") == 2
    assert keys.user_for(first) is None and keys.user_for(second) is None
    assert list(read_auth_file(auth)) == ["alice"]  # her password stays


def test_a_broken_hand_edit_keeps_the_keys_as_they_were_and_a_removed_person_takes_hers(tmp_path):
    auth = tmp_path / "people.auth"
    set_password(auth, "alice", "alice-secret-1")
    set_password(auth, "bob", "bob-secret-22")
    alice, bob = add_key(auth, "alice"), add_key(auth, "bob")
    keys = ApiKeys(auth)
    assert keys.user_for(alice) == "alice"
    good = auth.read_text()
    auth.write_text(good + "this line is not an account\n")
    assert keys.user_for(alice) == "alice"  # not a 500 on every call: the last good keys hold
    auth.write_text("\n".join(line for line in good.splitlines() if not line.startswith("bob:scrypt")) + "\n")
    assert keys.user_for(bob) is None and keys.user_for(alice) == "alice"  # no person, no key
