"""The guard in front of a shared Gradio server: a pure ASGI middleware that answers at the door.

It sees every request before Gradio does and refuses, at once and with a plain JSON ``detail``:
logins during their back-off or lock-out (429, no password checked), logins older than the session
lifetime (the token is dropped, so Gradio answers 401), raw uploads over a person's quota (429),
bodies over the cap (413), another person's cached upload (403) and another person's queue stream,
event, heartbeat or cancel (403). Who is asking comes from Gradio's login cookie, looked up in the
Gradio app's own ``tokens`` (``scope["app"]``); nothing the browser says about itself is believed.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request, cookie_parser

from rag_app.settings import Settings
from rag_app.sharing.guard.logins import LoginPolicy, LoginThrottle
from rag_app.sharing.guard.owners import Owners, UploadCache
from rag_app.sharing.guard.quotas import UploadPolicy, UploadQuota

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
LOGIN_BODY_LIMIT = 16 * 1024
TOKEN_COOKIE = "access-token-"


@dataclass
class GuardConfig:
    """What the guard enforces, and the state it shares with the app (the upload cache)."""

    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    quota: UploadQuota = field(default_factory=UploadQuota)
    owners: Owners = field(default_factory=Owners)
    uploads: UploadCache | None = None
    session_ttl_s: float = 12 * 3600.0
    body_limit: int = 1024 * 1024
    prefix: str = "/gradio_api"
    clock: Callable[[], float] = time.monotonic
    api_upload_path: str = "/api/documents"
    api_user: Callable[[Scope], str | None] | None = None
    """Whose an API request is, as the doors decide it from its key: the API's uploads count against
    the same quota as the person's uploads in the app."""

    @classmethod
    def from_settings(cls, s: Settings, uploads: UploadCache | None = None) -> GuardConfig:
        lockout_s = s.login_lockout_minutes * 60
        policy = LoginPolicy(s.login_lockout_failures, lockout_s, 3 * s.login_lockout_failures)
        window = UploadPolicy(
            s.limit_upload_window_files, s.limit_upload_window_mb * 2**20, s.limit_upload_window_minutes * 60
        )
        return cls(
            throttle=LoginThrottle(policy),
            quota=UploadQuota(window),
            uploads=uploads,
            session_ttl_s=s.session_ttl_hours * 3600,
            body_limit=s.limit_request_kb * 1024,
        )


async def refuse(send: Send, status: int, message: str, retry_after_s: float | None = None) -> None:
    body = json.dumps({"detail": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after_s is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after_s))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is longer than ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then whatever the client sends next."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


class Capped:
    """A ``receive`` that stops the body after ``limit`` bytes (the app sees the client leave)."""

    def __init__(self, receive: Receive, limit: float) -> None:
        self.receive, self.limit, self.size, self.exceeded = receive, limit, 0, False

    async def __call__(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self.receive()
        self.size += len(message.get("body", b""))
        if self.size > self.limit:
            self.exceeded = True
            return {"type": "http.disconnect"}
        return message


class Watch:
    """A ``send`` that notes the status, headers and (small) body, and calls ``done`` before the end."""

    def __init__(self, send: Send, done: Callable[[Watch], None] | None = None) -> None:
        self.send, self.done = send, done
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            if self.done is not None and len(self.body) < 1 << 20:
                self.body += message.get("body", b"")
            if not message.get("more_body") and self.done is not None:
                self.done(self)
        await self.send(message)

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.status == 200 else None
        except ValueError:
            return None


class Guard:
    """``Guard(app, config=GuardConfig(...))``; Starlette builds it from ``Middleware(Guard, config=...)``."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], config: GuardConfig) -> None:
        self.app, self.config = app, config
        self._born: dict[str, float] = {}

    # ---- who is asking -------------------------------------------------------------------------
    def _user(self, scope: Scope) -> str | None:
        app = scope.get("app")
        tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
        if tokens is None or cookie_id is None:
            return None
        header = next((v for k, v in scope.get("headers", []) if k == b"cookie"), b"")
        cookies = cookie_parser(header.decode("latin-1"))
        token = cookies.get(f"{TOKEN_COOKIE}{cookie_id}") or cookies.get(
            f"{TOKEN_COOKIE}unsecure-{cookie_id}"
        )
        if not token or token not in tokens:
            return None
        now = self.config.clock()
        if now - self._born.setdefault(token, now) >= self.config.session_ttl_s:
            tokens.pop(token, None)  # Gradio now answers 401 (or shows the login page)
            self._born.pop(token, None)
            return None
        return tokens[token]

    def _sweep(self, scope: Scope) -> None:
        tokens = getattr(scope.get("app"), "tokens", None) or {}
        now = self.config.clock()
        for token, born in list(self._born.items()):
            if token not in tokens:
                del self._born[token]
            elif now - born >= self.config.session_ttl_s:
                tokens.pop(token, None)
                del self._born[token]

    @staticmethod
    def _auth_on(scope: Scope) -> bool:
        return getattr(scope.get("app"), "auth", None) is not None

    # ---- the doors ---------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        user = self._user(scope)
        api = path[len(self.config.prefix) :] if path.startswith(self.config.prefix + "/") else None
        if method == "POST" and path == "/login":
            return await self._login(scope, receive, send)
        if method == "POST" and path == self.config.api_upload_path and self.config.api_user is not None:
            return await self._upload(scope, receive, send, self.config.api_user(scope))
        if api is not None:
            parts = api.strip("/").split("/")
            if method == "POST" and api == "/upload":
                return await self._upload(scope, receive, send, user)
            if method in ("GET", "HEAD") and api.startswith(("/file=", "/file/")):
                file = api[len("/file=") :]
                if self.config.uploads is not None and not self.config.uploads.may_read(user, file):
                    return await refuse(send, 403, "this file is not yours: only its uploader may fetch it")
            elif method == "GET" and (api == "/queue/data" or (parts[0] == "heartbeat" and len(parts) == 2)):
                if parts[0] == "heartbeat" and user is None and self._auth_on(scope):
                    return await refuse(send, 401, "log in first")
                session = parts[1] if parts[0] == "heartbeat" else _query(scope, "session_hash")
                if session and not self.config.owners.claim("session", session, user):
                    return await refuse(send, 403, "this queue session belongs to someone else")
            elif method == "GET" and parts[0] == "call" and len(parts) >= 3:
                if not self.config.owners.claim("event", parts[-1], user):
                    return await refuse(send, 403, "this event belongs to someone else")
            elif parts[0] == "stream" and len(parts) >= 2:  # media streams (GET) and streamed inputs (POST)
                kind = "session" if method == "GET" else "event"
                if not self.config.owners.claim(kind, parts[1], user):
                    return await refuse(send, 403, f"this queue {kind} belongs to someone else")
            elif method == "POST" and (
                api in ("/queue/join", "/cancel") or parts[0] in ("run", "api", "call")
            ):
                return await self._join(scope, receive, send, user, cancel=api == "/cancel")
        if method in ("POST", "PUT", "PATCH"):
            return await self._capped(scope, receive, send, self.config.body_limit)
        await self.app(scope, receive, send)

    async def _capped(self, scope: Scope, receive: Receive, send: Send, limit: float) -> None:
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            return await refuse(send, 413, _too_large(limit))
        await self._within(scope, Capped(receive, limit), send, Watch(send), 413, _too_large(limit))

    async def _within(
        self, scope: Scope, capped: Capped, send: Send, watch: Watch, status: int, message: str
    ) -> None:
        """Run the app on a body read through ``capped``; past its limit, refuse (unless the app has
        already answered), whatever the app made of the cut-off body."""
        try:
            await self.app(scope, capped, watch)
        except Exception:
            if not capped.exceeded:
                raise
        if capped.exceeded and watch.status is None:
            await refuse(send, status, message)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, LOGIN_BODY_LIMIT)
        if body is None:
            return await refuse(send, 413, _too_large(LOGIN_BODY_LIMIT))
        try:
            form = await Request(scope, replay(body, receive)).form()
            user = str(form.get("username") or "").strip()
        except Exception:
            user = ""
        address = (scope.get("client") or ("unknown",))[0]
        refusal = self.config.throttle.admit(user, address)
        if refusal is not None:
            return await refuse(send, 429, refusal.message, refusal.retry_after_s)
        settled = False

        def settle(ok: bool | None) -> None:
            nonlocal settled
            if not settled:
                settled = True
                self.config.throttle.done(user, address, ok=ok)

        async def noted(message: Message) -> None:
            if message["type"] == "http.response.start":
                ok = message["status"] == 200
                if ok:
                    self._sweep(scope)
                    now = self.config.clock()
                    for name, value in message.get("headers", []):
                        cookie = value.decode("latin-1")
                        if name == b"set-cookie" and cookie.startswith(TOKEN_COOKIE):
                            self._born[cookie.partition("=")[2].partition(";")[0]] = now
                settle(ok)  # before the answer leaves: the next try already sees this one
            await send(message)

        try:
            await self.app(scope, replay(body, receive), noted)
        finally:
            settle(None)  # no answer at all (the client left): nothing to count

    async def _upload(self, scope: Scope, receive: Receive, send: Send, user: str | None) -> None:
        if user is None and self._auth_on(scope):
            return await self.app(scope, receive, send)  # Gradio answers 401
        who = user if user is not None else f"address {(scope.get('client') or ('unknown',))[0]}"
        declared = _header(scope, b"content-length")
        size = int(declared) if declared.isdigit() else 0
        ticket, reason = self.config.quota.admit(who, size)
        if ticket is None:
            return await refuse(send, 429, reason or "upload quota reached")
        room = self.config.quota.room(who, ticket)

        def landed(watch: Watch) -> None:
            answer = watch.json()
            paths = [p for p in answer if isinstance(p, str)] if isinstance(answer, list) else []
            files = (
                len(answer["outcomes"]) if isinstance(answer, dict) and "outcomes" in answer else len(paths)
            )
            self.config.quota.settle(ticket, files, max(size, capped.size))
            if self.config.uploads is not None:
                self.config.uploads.received(user, paths)

        capped = Capped(receive, room)
        message = "upload quota reached: this upload is larger than what is left of it"
        await self._within(scope, capped, send, Watch(send, landed), 429, message)

    async def _join(
        self, scope: Scope, receive: Receive, send: Send, user: str | None, *, cancel: bool
    ) -> None:
        if cancel and user is None and self._auth_on(scope):
            return await refuse(send, 401, "log in first")
        body = await read_body(receive, self.config.body_limit)
        if body is None:
            return await refuse(send, 413, _too_large(self.config.body_limit))
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            payload = {}
        payload = payload if isinstance(payload, dict) else {}
        owners = self.config.owners
        for kind, key in (("session", payload.get("session_hash")), ("event", payload.get("event_id"))):
            if isinstance(key, str) and key and not owners.claim(kind, key, user):
                return await refuse(send, 403, f"this queue {kind} belongs to someone else")

        def joined(watch: Watch) -> None:
            answer = watch.json()
            if isinstance(answer, dict) and isinstance(answer.get("event_id"), str):
                owners.claim("event", answer["event_id"], user)

        await self.app(scope, replay(body, receive), Watch(send, joined))


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == name), "")


def _query(scope: Scope, name: str) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else None


def _too_large(limit: float) -> str:
    return f"request too large: at most {limit / 1024:,.0f} KB"
