"""The guard's bookkeeping, on an injected clock: login back-off and lock-out, upload quotas, owners."""

from __future__ import annotations

import os

import pytest

from rag_app.sharing.guard import (
    LoginPolicy,
    LoginThrottle,
    Owners,
    UploadCache,
    UploadPolicy,
    UploadQuota,
    back_off,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: LoginThrottle, user: str, address: str = "10.0.0.1") -> None:
    assert throttle.admit(user, address) is None
    throttle.done(user, address, ok=False)


def test_back_off_doubles_from_half_a_second_to_eight():
    assert [back_off(n) for n in range(0, 7)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_an_account_backs_off_then_locks_and_a_success_clears_it():
    clock = Clock()
    throttle = LoginThrottle(LoginPolicy(lockout_failures=4, lockout_s=900), clock=clock)
    fail(throttle, "alice")
    refusal = throttle.admit("alice", "10.0.0.2")  # another address: the account still waits
    assert refusal and refusal.message == "too many failed logins for this account: try again in 1 s"
    assert throttle.admit("bob", "10.0.0.1") is None  # other accounts are not held up
    throttle.done("bob", "10.0.0.1", ok=True)
    for wait in (0.5, 1.0, 2.0):
        clock.now += wait
        fail(throttle, "alice")
    refusal = throttle.admit("alice", "10.0.0.1")
    assert refusal and "locked for 15 minutes after 4 failed logins: try again in 900 s" in refusal.message
    clock.now += 899
    assert throttle.admit("alice", "10.0.0.1").retry_after_s == pytest.approx(1.0)
    clock.now += 1  # the lock-out is over and the failures forgotten
    assert throttle.admit("alice", "10.0.0.1") is None
    throttle.done("alice", "10.0.0.1", ok=True)
    fail(throttle, "alice")
    assert throttle.admit("alice", "10.0.0.1").retry_after_s == pytest.approx(0.5)


def test_an_address_guessing_many_names_is_slowed_then_locked():
    clock = Clock()
    throttle = LoginThrottle(LoginPolicy(lockout_failures=3, address_lockout_failures=6), clock=clock)
    for i in range(3):  # an address may fail as often as one account before it waits
        fail(throttle, f"name-{i}")
    refusal = throttle.admit("name-new", "10.0.0.1")
    assert refusal and refusal.message == "too many failed logins from your address: try again in 1 s"
    assert throttle.admit("name-new", "10.0.0.9") is None  # another address is not
    throttle.done("name-new", "10.0.0.9", ok=True)
    for i in range(3):
        clock.now += 8
        fail(throttle, f"other-{i}")
    refusal = throttle.admit("anyone", "10.0.0.1")
    assert refusal and refusal.message.startswith("your address is locked for 15 minutes after 6 failed")


def test_one_check_at_a_time_per_account_and_a_few_per_address():
    throttle = LoginThrottle(LoginPolicy(checks_per_address=2), clock=Clock())
    assert throttle.admit("alice", "a") is None
    assert "being checked" in throttle.admit("alice", "b").message
    assert throttle.admit("bob", "a") is None
    assert "at once" in throttle.admit("carol", "a").message
    throttle.done("bob", "a", ok=True)
    assert throttle.admit("carol", "a") is None


def test_the_upload_quota_counts_files_and_bytes_in_a_sliding_window():
    clock = Clock()
    quota = UploadQuota(UploadPolicy(files=3, bytes=3 * 2**20, window_s=600), clock=clock)
    for _ in range(3):
        ticket, reason = quota.admit("alice", 100)
        quota.settle(ticket, 1, 100)
    ticket, reason = quota.admit("alice", 100)
    assert (
        ticket is None
        and reason == "upload quota reached: at most 3 files every 10 minutes; try again in 600 s"
    )
    assert quota.admit("bob", int(2.5 * 2**20))[0] is not None  # per person
    assert quota.admit("bob", 2**20)[1].startswith("upload quota reached: at most 3 MB every 10 minutes")
    clock.now += 600
    assert quota.admit("alice", 100)[0] is not None


def test_owners_are_the_first_seen():
    owners = Owners()
    assert owners.claim("session", "s1", "alice") and owners.claim("session", "s1", "alice")
    assert not owners.claim("session", "s1", "bob") and owners.claim("event", "s1", "bob")


def test_the_upload_cache_is_private_swept_and_serves_each_upload_to_its_uploader(tmp_path):
    root = tmp_path / "cache"
    (root / "old").mkdir(parents=True)
    (root / "old" / "left.txt").write_text("from a run that was killed")
    cache = UploadCache(root)
    assert cache.prepare() == root.resolve()
    assert list(root.iterdir()) == [] and oct(root.stat().st_mode & 0o777) == "0o700"
    folder = root / "same-bytes-hash"
    folder.mkdir()
    hers, his = folder / "alice-notes.txt", folder / "bob-guess.txt"
    for path in (hers, his):
        path.write_text("the same bytes")
    cache.received("alice", [str(hers)])
    cache.received("bob", [str(his)])
    assert cache.may_read("alice", str(hers)) and not cache.may_read("bob", str(hers))
    assert not cache.may_read("bob", f"{root}/../{root.name}/same-bytes-hash/alice-notes.txt")
    (folder / "stray.bin").write_text("not registered")
    assert not cache.may_read("alice", str(folder / "stray.bin"))  # in an upload's folder: nobody's
    assert cache.may_read("bob", str(tmp_path / "elsewhere.png"))  # outside the cache: Gradio decides
    cache.release("alice", [hers])
    assert not hers.exists() and his.exists() and not cache.owns("alice", hers)
    hers.write_text("the same bytes")
    cache.received("bob", [str(hers)])  # same name, same bytes: shared, kept until both are done
    cache.received("alice", [str(hers)])
    cache.release("bob", [hers])
    assert cache.owns("alice", hers) and hers.exists()
    cache.forget("alice")
    cache.forget("bob")
    assert not hers.exists() and not his.exists()


def test_a_cache_folder_that_is_not_ours_is_refused(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    os.symlink(target, tmp_path / "link")
    with pytest.raises(OSError, match="not a folder of this user's"):
        UploadCache(tmp_path / "link").prepare()
