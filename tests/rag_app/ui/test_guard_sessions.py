"""The guard on a real Gradio server (in this process, over a fake knowledge base) with an injected
clock: logins refused during back-off without a password check, lock-out, sessions that expire, and
refusals that reach the person escaped."""

from __future__ import annotations

import httpx
import pytest
from gradio_client import Client
from starlette.middleware import Middleware

from rag_app.settings import Settings
from rag_app.sharing.accounts import Accounts, hash_password
from rag_app.sharing.guard import Guard, GuardConfig, LoginPolicy, LoginThrottle
from tests.rag_app.ui.conftest import free_port
from tests.rag_app.ui.fake_service import FakeKnowledgeBase

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]
TTL_S = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HostileNames(FakeKnowledgeBase):
    """A library file named with a link, as an owner might ingest it."""

    def page_view(self, chunk_id, page=None, zoom=1.0):
        raise ValueError('cannot show page 9 of <a href="http://evil.invalid/">owls.txt</a>')


class CountedAccounts(Accounts):
    checks = 0

    def check(self, user: str, password: str) -> bool:
        type(self).checks += 1
        return super().check(user, password)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    from rag_app.ui import build_app, launch

    clock = Clock()
    settings = Settings(store_dir=tmp_path_factory.mktemp("guarded-fake"), llm="none")
    accounts = CountedAccounts({"alice": hash_password("alice-secret-1", n=2**10)})
    config = GuardConfig(
        throttle=LoginThrottle(LoginPolicy(lockout_failures=3, lockout_s=900), clock=clock),
        session_ttl_s=TTL_S,
        clock=clock,
    )
    demo = build_app(settings, HostileNames(settings))
    launch(
        demo, settings, port=free_port(), auth=accounts.acheck, middleware=[Middleware(Guard, config=config)]
    )
    yield demo, clock
    demo.close()


def login(url: str, user: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}login", data={"username": user, "password": password})


def test_a_login_during_back_off_is_refused_at_once_without_a_check_and_then_locked(guarded):
    demo, clock = guarded
    url = demo.local_url
    before = CountedAccounts.checks
    assert login(url, "alice", "guess-1").status_code == 400
    refused = login(url, "alice", "alice-secret-1")  # even the right password waits its turn
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json() == {"detail": "too many failed logins for this account: try again in 1 s"}
    assert CountedAccounts.checks == before + 1  # the refusal hashed nothing
    for wait in (0.5, 1.0):
        clock.now += wait
        assert login(url, "alice", "guess").status_code == 400
    locked = login(url, "alice", "alice-secret-1")
    assert locked.status_code == 429 and locked.headers["retry-after"] == "900"
    assert locked.json()["detail"] == (
        "this account is locked for 15 minutes after 3 failed logins: try again in 900 s"
    )
    clock.now += 900
    assert login(url, "alice", "alice-secret-1").status_code == 200


def test_a_session_expires_after_its_lifetime(guarded):
    demo, clock = guarded
    url = demo.local_url
    clock.now += 900  # any back-off of the test before is over
    session = httpx.Client(base_url=url)
    assert session.post("/login", data={"username": "alice", "password": "alice-secret-1"}).status_code == 200
    assert session.get("/config").status_code == 200
    token = next(v for k, v in session.cookies.items() if k.startswith("access-token-unsecure"))
    assert demo.app.tokens[token] == "alice"
    clock.now += TTL_S - 1
    assert session.get("/config").status_code == 200
    clock.now += 1
    assert session.get("/config").status_code == 401
    assert token not in demo.app.tokens
    assert session.post("/gradio_api/upload", files={"files": ("a.txt", b"a")}).status_code == 401


def test_a_refusal_naming_a_hostile_file_reaches_the_person_escaped(guarded):
    demo, clock = guarded
    clock.now += 900
    client = Client(demo.local_url, auth=("alice", "alice-secret-1"), verbose=False)
    with pytest.raises(Exception) as refused:
        client.predict("c9", None, 1.0, api_name="/page")
    message = str(refused.value)
    assert "&lt;a href=" in message and "<a href" not in message
    client.close()


def test_the_login_page_s_multipart_form_is_counted_under_its_name_too(guarded):
    demo, clock = guarded
    clock.now += 900
    form = {"username": (None, "alice"), "password": (None, "not-it")}
    assert httpx.post(f"{demo.local_url}login", files=form).status_code == 400
    again = httpx.post(f"{demo.local_url}login", files=form)
    assert again.status_code == 429 and "for this account" in again.json()["detail"]
