"""An OpenAI-compatible chat door: ``GET /v1/models`` and ``POST /v1/chat/completions``.

The messages are the conversation: the last one, a user's, is the question; the user and assistant
turns before it are its history (what a follow-up like "And on Sundays?" is resolved against);
system messages are not used (the answer's rules are the app's). The reply's content is the
checked answer with its [n] markers and a short "Sources" list, so a client that knows nothing of
extras (Open WebUI, LibreChat) still shows where each sentence comes from; the citations, scores,
pages, ``refused``, ``low_confidence`` and ``searched_for`` travel in the extra field ``rag_app``
(the same JSON as ``rag-app ask --json``). Usage counts are left out: the answer is mostly the
documents' own sentences, and counting a tokenizer's tokens of them would be a made-up figure.

Streaming sends only checked text: a model's draft is checked sentence by sentence before any of it
is shown, so the content arrives when the check is done (the first chunk, the role, at once).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from rag_app.api.callers import caller_of, refusal_status
from rag_app.service import Answer, ServiceProvider, StoreError

log = logging.getLogger(__name__)

MODEL = "rag-app"
LIBRARY_MODEL = "rag-app:library"
_PIECE_END = re.compile(r"(?<=[.!?。！？\n])")
"""Where a streamed reply is cut into chunks: after each sentence and line (the pieces add up to the text)."""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The fields of OpenAI's request that mean something here; the rest (temperature, ...) are
    accepted and not used (the answer is checked text, not sampled)."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL
    messages: list[ChatMessage]
    stream: bool = False


def text_of(message: ChatMessage) -> str:
    """A message's text: a string, or the text parts of a list of parts (images are not read)."""
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def conversation(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """(the question, the history before it); a ValueError when the last message is not a user's."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user" or not text_of(turns[-1]).strip():
        raise ValueError("the last message must be the user's question")
    history = [{"role": m.role, "content": text_of(m)} for m in turns[:-1]]
    return text_of(turns[-1]), history


def content_of(answer: Answer) -> str:
    """The answer, then one line per cited passage: what any chat client shows."""
    if not answer.citations:
        return answer.text
    lines = []
    for c in answer.citations:
        where = f", page {c.page}" if c.page else (f", {c.location}" if c.location else "")
        lines.append(f"[{c.number}] {c.source}{where}")
    return answer.text + "\n\nSources:\n" + "\n".join(lines)


def error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": None}}, status_code=status)


OPENAI_KINDS = {429: "rate_limit_exceeded", 403: "permission_error", 503: "server_error"}


def refusal(exc: Exception) -> JSONResponse:
    """A refusal in OpenAI's error shape, with the status every door gives it."""
    status = refusal_status(exc)
    return error(status, str(exc), OPENAI_KINDS.get(status, "invalid_request_error"))


def models(provider: ServiceProvider) -> list[str]:
    """``rag-app``: the caller's knowledge base with the library; ``rag-app:library``: the library
    alone, where the server has one."""
    return [MODEL, *([LIBRARY_MODEL] if getattr(provider, "has_library", lambda: False)() else [])]


def openai_router(provider: ServiceProvider) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @router.get("/models")
    def list_models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "rag-app"} for m in models(provider)
            ],
        }

    @router.post("/chat/completions", response_model=None)
    def chat_completions(body: ChatRequest, request: Request) -> Any:
        if body.model not in models(provider):
            return error(
                404,
                f"no model {body.model!r} here: use one of {', '.join(models(provider))}",
                "invalid_request_error",
            )
        caller = caller_of(request.scope)
        try:
            question, history = conversation(body.messages)
            if body.model == LIBRARY_MODEL:
                service = provider.library_for(caller.user)  # type: ignore[attr-defined]
            else:
                service = provider.for_user(caller.user)
            events = service.stream_answer(question, history=history)
            first = next(events)  # the question's checks and the retrieval run before any reply
        except (ValueError, StoreError) as exc:
            return refusal(exc)
        events = itertools.chain([first], events)
        model_info = provider.model_info()
        reply = Reply(body.model)
        if not body.stream:
            try:
                answer = next(value for kind, value in events if kind == "done")
            except (ValueError, StoreError) as exc:
                return refusal(exc)
            return reply.whole(answer, model_info)
        return StreamingResponse(reply.chunks(events, model_info), media_type="text/event-stream")

    return router


class Reply:
    """One completion's id, time and model, in OpenAI's shapes."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), model

    def whole(self, answer: Answer, model_info: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content_of(answer)},
                    "finish_reason": "stop",
                }
            ],
            "rag_app": answer.to_json(model_info),
        }

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        chunk = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    def chunks(self, events: Iterator[tuple[str, Any]], model_info: dict[str, Any]) -> Iterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        try:
            answer = next(value for kind, value in events if kind == "done")
        except Exception as exc:  # after the stream began: said in the stream, which still ends
            log.warning("a streamed answer failed (%s)", type(exc).__name__)  # no message: it may hold a URL
            message = (
                str(exc) if isinstance(exc, (ValueError, StoreError)) else "the answer failed on the server"
            )
            yield f"data: {json.dumps({'error': {'message': message, 'type': 'server_error'}})}\n\n"
            yield "data: [DONE]\n\n"
            return
        for piece in _PIECE_END.split(content_of(answer)):
            if piece:
                yield self._chunk({"content": piece})
        yield self._chunk({}, "stop", rag_app=answer.to_json(model_info))
        yield "data: [DONE]\n\n"


__all__ = ["LIBRARY_MODEL", "MODEL", "ChatRequest", "openai_router"]
