"""The HTTP API: upload, list, delete, query and ask, in the same JSON as the CLI's ``--json``.

FastAPI (which Gradio already runs on) gives the OpenAPI description at ``/api/openapi.json`` and a
page of it at ``/api/docs``. Each call reaches the caller's own knowledge base through the service,
so the limits per person (questions a minute, upload sizes, one upload at a time) hold here as in
the app. File names from a client are names, never paths: only the last part is kept.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from rag_app.api.callers import caller_of, refusal_status
from rag_app.api.openai_chat import openai_router
from rag_app.service import InputFile, Service, ServiceProvider, StoreError

COPY_CHUNK = 1 << 20
MAX_NAME_CHARS = 120
"""Longer names are cut (a file system takes 255 bytes, and a CJK character is three)."""


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class QuestionBody(BaseModel):
    question: str
    k: int | None = Field(None, ge=1, le=50, description="passages to retrieve (default: the server's)")
    history: list[Turn] = Field(default_factory=list, description="the conversation so far, oldest first")


def refused(exc: Exception) -> JSONResponse:
    """A refusal as ``{"detail": message}``, with the status every door gives it."""
    return JSONResponse({"detail": str(exc)}, status_code=refusal_status(exc))


def upload_name(raw: str | None) -> str | None:
    """The file's own name from what a client sent (``../../x.pdf`` is ``x.pdf``); None for no name."""
    name = Path((raw or "").replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable()).strip()[:MAX_NAME_CHARS]
    return name if name and name not in (".", "..") else None


def http_api(provider: ServiceProvider) -> FastAPI:
    app = FastAPI(
        title="rag-app",
        summary="Your documents, searched and answered with checked citations.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.include_router(openai_router(provider))

    def service(request: Request) -> Service:
        return provider.for_user(caller_of(request.scope).user)

    def asked(body: QuestionBody, request: Request, how: str) -> Any:
        """``how`` ("query" or "answer") of the caller's service, in the CLI's JSON, or the refusal."""
        history = [t.model_dump() for t in body.history]
        try:
            found = getattr(service(request), how)(body.question, body.k, history)
        except (ValueError, StoreError) as exc:
            return refused(exc)
        return found.to_json(provider.model_info())

    @app.post("/api/query", tags=["search"], response_model=None)
    def query(body: QuestionBody, request: Request) -> Any:
        """The passages for a question, with their scores, sources and pages (``rag-app query --json``)."""
        return asked(body, request, "query")

    @app.post("/api/ask", tags=["search"], response_model=None)
    def ask(body: QuestionBody, request: Request) -> Any:
        """The checked answer with its citations (``rag-app ask --json``)."""
        return asked(body, request, "answer")

    @app.get("/api/documents", tags=["documents"], response_model=None)
    def documents(request: Request) -> Any:
        """The caller's documents and their store's counts (``rag-app list --json``)."""
        try:
            kb = service(request)
            return {"documents": kb.documents(), "stats": kb.stats() if kb.documents() else {}}
        except (ValueError, StoreError) as exc:
            return refused(exc)

    @app.post("/api/documents", tags=["documents"], response_model=None)
    def upload(
        request: Request,
        files: Annotated[list[UploadFile], File(description="the documents to index")],
        password: Annotated[str | None, Form(description="a password for encrypted PDFs")] = None,
    ) -> Any:
        """Index the files sent; each gets exactly one line: indexed, skipped or rejected."""
        try:
            kb = service(request)
            with tempfile.TemporaryDirectory(prefix="rag-api-upload-") as folder:
                inputs = []
                for number, sent in enumerate(files):
                    name = upload_name(sent.filename)
                    if name is None:
                        raise ValueError(f"file {number + 1} has no name")
                    path = Path(folder) / str(number) / name
                    path.parent.mkdir()
                    with path.open("wb") as out:
                        shutil.copyfileobj(sent.file, out, COPY_CHUNK)
                    inputs.append(InputFile(path, name))
                report = kb.ingest_uploads(inputs, password=password or None)
        except (ValueError, StoreError) as exc:
            return refused(exc)
        except OSError as exc:  # the upload could not be written where it is read from
            return JSONResponse(
                {"detail": f"the upload could not be stored: {exc.strerror}"}, status_code=400
            )
        return {
            "outcomes": [o.to_json() for o in report.outcomes],
            "indexed_chunks": report.indexed_chunks,
            "rejected": len(report.rejected),
        }

    @app.delete("/api/documents", tags=["documents"], response_model=None)
    def delete(source: str, request: Request) -> Any:
        """Remove one of the caller's documents by its name (``source`` in ``GET /api/documents``)."""
        try:
            kb = service(request)
            if source not in {d["source"] for d in kb.documents()}:
                return JSONResponse(
                    {"detail": f"no document {source!r} in your knowledge base"}, status_code=404
                )
            return {"source": source, "removed_chunks": kb.delete(source)}
        except (ValueError, StoreError) as exc:
            return refused(exc)

    return app
