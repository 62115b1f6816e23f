"""Failed logins that cost the one who fails, never the server.

Back-off and lock-out are kept per account and per client address and decided before any password is
checked: a refused login takes no hashing, no sleep and no worker, and answers at once with the time
to wait. After each failure the account (and the address) may try again only after 0.5 s, 1 s, 2 s ...
at most 8 s; after ``lockout_failures`` failures the account is locked for ``lockout_s``. An address
(many people may share one) backs off only once it has failed ``lockout_failures`` times, and is
locked after ``address_lockout_failures``. Failures are forgotten after ``lockout_s`` without one; a success
clears the account's count (not the address's: one good account must not buy a guesser more tries).
One check runs per account at a time, and a few per address. The clock is injectable.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

BASE_DELAY_S = 0.5
MAX_DELAY_S = 8.0
MAX_TRACKED = 20_000  # names and addresses remembered; the oldest are forgotten first


def back_off(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row: 0.5 s doubling, at most 8 s."""
    return 0.0 if failures <= 0 else min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures - 1))


@dataclass(frozen=True)
class LoginPolicy:
    lockout_failures: int = 10
    lockout_s: float = 900.0
    address_lockout_failures: int = 30
    checks_per_address: int = 2


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused without a check, and when to try again."""

    message: str
    retry_after_s: float


@dataclass
class _Record:
    failures: int = 0
    last: float = -math.inf
    checking: int = 0


class LoginThrottle:
    """``admit`` before checking a password, ``done`` after; a ``Refusal`` means answer 429 at once."""

    def __init__(self, policy: LoginPolicy | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.policy = policy or LoginPolicy()
        self.clock = clock
        self._accounts: OrderedDict[str, _Record] = OrderedDict()
        self._addresses: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def _record(self, table: OrderedDict[str, _Record], key: str, now: float) -> _Record:
        record = table.get(key)
        if record is None:
            record = table[key] = _Record()
        elif not record.checking and now - record.last >= self.policy.lockout_s:
            record.failures, record.last = 0, -math.inf  # quiet for a whole lock-out: forgotten
        table.move_to_end(key)
        while len(table) > MAX_TRACKED:
            table.popitem(last=False)
        return record

    def _refusal(self, record: _Record, limit: int, what: str, now: float, free: int = 0) -> Refusal | None:
        if record.failures >= limit:
            wait = record.last + self.policy.lockout_s - now
            minutes = self.policy.lockout_s / 60
            return Refusal(
                f"{what} is locked for {minutes:g} minutes after {record.failures} failed logins: "
                f"try again in {math.ceil(wait)} s",
                wait,
            )
        counted = record.failures
        if free:  # the first back-off comes with the ``free``-th failure
            counted = record.failures - free + 1 if record.failures >= free else 0
        wait = record.last + back_off(counted) - now
        if wait > 0:
            return Refusal(f"too many failed logins {_FOR[what]}: try again in {math.ceil(wait)} s", wait)
        return None

    def admit(self, user: str, address: str) -> Refusal | None:
        """None: check this login now (then call ``done``); otherwise refuse it with the ``Refusal``."""
        with self._lock:
            now = self.clock()
            account = self._record(self._accounts, user, now)
            place = self._record(self._addresses, address, now)
            p = self.policy
            refusal = self._refusal(account, p.lockout_failures, "this account", now) or (
                self._refusal(place, p.address_lockout_failures, "your address", now, free=p.lockout_failures)
            )
            if refusal:
                return refusal
            if account.checking:
                return Refusal("a login for this account is being checked: try again in 1 s", 1.0)
            if place.checking >= self.policy.checks_per_address:
                return Refusal("too many logins from your address at once: try again in 1 s", 1.0)
            account.checking += 1
            place.checking += 1
            return None

    def done(self, user: str, address: str, *, ok: bool | None) -> None:
        """The check admitted for ``user`` from ``address`` answered ``ok`` (None: it never answered)."""
        with self._lock:
            now = self.clock()
            account = self._record(self._accounts, user, now)
            place = self._record(self._addresses, address, now)
            account.checking = max(0, account.checking - 1)
            place.checking = max(0, place.checking - 1)
            if ok:
                account.failures, account.last = 0, -math.inf
            if ok is not False:
                return
            for record in (account, place):
                record.failures += 1
                record.last = now


_FOR = {"this account": "for this account", "your address": "from your address"}
