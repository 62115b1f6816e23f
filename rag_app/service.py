"""``RagService``: the one way into the core for the UI, the CLI and Python users.

It wires embeddings, store, searcher and answer backend together once, lazily: opening a store
reads its manifest and nothing else, so listing or deleting never loads model weights, and a
store built with another model is refused before any are loaded. The faces (``rag_app.ui.app``,
``rag_app.cli``) import from the core only this module and the settings; the result types they
need are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from loaders import LoadLimits
from rag_app.answer.llm import AnswerBackend, parse_backend
from rag_app.answer.pipeline import Answer, AnswerEvent, AnswerPipeline, checked_question
from rag_app.conversation import starters
from rag_app.conversation.chats import Chat, ChatStore
from rag_app.conversation.kept import KeptChats
from rag_app.conversation.resolve import checked_history
from rag_app.conversation.turn import retrieve_turn, stream_turn
from rag_app.embeddings import multilingual
from rag_app.embeddings.local import embeddings_for
from rag_app.faces import History, LimitExceeded, NotAllowed, Service, ServiceProvider
from rag_app.ingest.chunking import ChunkingConfig
from rag_app.ingest.pipeline import (
    FileOutcome,
    IngestPipeline,
    IngestReport,
    InputFile,
    ProgressFn,
    collect_files,
)
from rag_app.ingest.sync import plan, register
from rag_app.ingest.upgrade import originals_to_upgrade
from rag_app.pages.view import PageView, view_of
from rag_app.retrieval.rerank import reranker_for
from rag_app.retrieval.results import SCORE_NAMES, RetrievalResult
from rag_app.retrieval.retriever import RagRetriever
from rag_app.retrieval.searcher import Searcher
from rag_app.retrieval.thresholds import thresholds_for
from rag_app.settings import Settings
from rag_app.store import Companion, KnowledgeStore, StoreError, open_companion, open_store
from rag_app.store.health import HealthReport, check_health

if TYPE_CHECKING:
    from rag_app.embeddings.local import AppEmbeddings

__all__ = [
    "SCORE_NAMES",
    "Answer",
    "AnswerEvent",
    "Chat",
    "FileOutcome",
    "HealthReport",
    "History",
    "IngestReport",
    "InputFile",
    "KeptChats",
    "LimitExceeded",
    "NotAllowed",
    "PageView",
    "RagService",
    "RetrievalResult",
    "Service",
    "ServiceProvider",
    "StoreError",
]


class RagService:
    """One knowledge base (a store folder) with its embedding model and answer backend."""

    def __init__(
        self,
        settings: Settings,
        *,
        embeddings: AppEmbeddings | None = None,
        backend: AnswerBackend | None = None,
        rebuild: bool = False,
        on_wait: Callable[[str], None] | None = None,
        library: KnowledgeStore | None = None,
        library_companion: Companion | None = None,
    ) -> None:
        """``on_wait`` hears when a write has to wait for another process writing to the store;
        ``library``: a read-only store searched alongside this one (see ``rag_app.sharing.people``)."""
        self.settings = settings
        self._embeddings = embeddings
        self._backend = backend
        self._rebuild = rebuild
        self._on_wait = on_wait
        self._library = library
        self._library_companion = library_companion

    can_write = True
    """A visitor's service (``rag_app.sharing.people``) writes nothing: no documents, no saved chats."""

    def for_user(self, user: str | None) -> RagService:
        """Without people logged in there is one knowledge base: this one."""
        return self

    # ---- the parts, built on first use ------------------------------------------------------

    @cached_property
    def embeddings(self) -> AppEmbeddings:
        """The embedding wrapper; constructing it reads the model's config, never its weights."""
        if self._embeddings is not None:
            return self._embeddings
        s = self.settings
        return embeddings_for(
            s.embedding_model,
            api_key=s.secret("embedding_api_key"),
            dimensions=s.dimensions,
            device=s.device,
            dtype=s.dtype,
            batch_size=s.batch_size,
            batch_tokens=s.batch_tokens,
        )

    @cached_property
    def store(self) -> KnowledgeStore:
        """The store, opened from its manifest alone (no model check: see ``checked_store``)."""
        store = open_store(self.settings, self.embeddings, rebuild=self._rebuild)
        store.on_wait = self._on_wait
        return store

    @cached_property
    def companion(self) -> Companion | None:
        """The multilingual model's store beside this one, where the main model reads English only
        (the offline default); None with Qwen3 (it reads every language), or ``RAG_MULTILINGUAL=off``."""
        if self._second_model_name() is None:
            return None
        emb = multilingual.MultilingualEmbeddings(dtype=self.settings.dtype)
        return open_companion(self.settings, Path(self.settings.store_dir), emb, rebuild=self._rebuild)

    def checked_store(self) -> KnowledgeStore:
        """The store, refused if it was built with another model than this service's."""
        emb = self.embeddings
        self.store.check_model(emb.resolved.name, emb.output_dimensions)
        return self.store

    @cached_property
    def chunking(self) -> ChunkingConfig:
        s = self.settings
        limit = min(s.chunk_tokens, self.embeddings.chunk_token_limit())
        return ChunkingConfig(
            max_tokens=limit,
            overlap_tokens=min(s.chunk_overlap, limit // 4),
            tables=s.table_chunks,
            context=s.contextual_headers,
        )

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(
            self.checked_store(),
            self.embeddings,
            mode=self.settings.retrieval_mode,
            reranker=reranker_for(self.settings.reranker),
            library=self._library,
            companion=self.companion,
            library_companion=self._library_companion,
        )

    @cached_property
    def backend(self) -> AnswerBackend:
        """The answer backend, built once (a local LLM loads once per process)."""
        if self._backend is not None:
            return self._backend
        return parse_backend(self.settings.llm, api_key=self.settings.secret("openai_api_key"))

    def retriever(self, k: int | None = None) -> RagRetriever:
        """A LangChain retriever over this knowledge base."""
        return RagRetriever(searcher=self.searcher, k=k or self.settings.top_k)

    def model_info(self) -> dict[str, Any]:
        """The live model, the multilingual one beside it (``second_model``) where there is one, and
        how words are matched (``lexical``: an old Milvus server has no BM25 of its own)."""
        words = {"lexical": self.store.lexical_mode, "lexical_fallback": self.store.lexical_fallback}
        return {**self.embeddings.model_info(), "second_model": self._second_model_name(), **words}

    def _second_model_name(self) -> str | None:
        if self.settings.multilingual == "off" or thresholds_for(self.embeddings.resolved).multilingual:
            return None
        return multilingual.MULTILINGUAL_NAME if multilingual.available() else None

    def answer_backend(self) -> str:
        return self.backend.name

    def warm_up(self) -> None:
        """Load the embedding weights and a local LLM now, so the first question need not wait."""
        self.embeddings.load()
        load = getattr(self.backend.model, "load", None)
        if callable(load):
            load()

    # ---- writing ------------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        password: str | None = None,
        progress: ProgressFn | None = None,
        limits: LoadLimits | None = None,
    ) -> IngestReport:
        """Index files and folders (the CLI's door): hidden files and symlinks in folders are skipped."""
        files, missing = collect_files(paths)
        report = self._ingest(files, password=password, progress=progress, limits=limits)
        report.outcomes[:0] = missing
        return report

    def ingest_uploads(
        self, files: Sequence[InputFile], *, password: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Index files a person uploaded, each under the upload size limit."""
        limits = LoadLimits(max_file_bytes=self.settings.max_upload_mb * 1024 * 1024)
        return self._ingest(files, password=password, progress=progress, limits=limits)

    def _ingest(
        self,
        files: Sequence[InputFile],
        *,
        password: str | None,
        progress: ProgressFn | None,
        limits: LoadLimits | None,
        on_outcome: Callable[[FileOutcome], None] | None = None,
    ) -> IngestReport:
        store = self.store
        store.check_model(
            self.embeddings.resolved.name, self.embeddings.output_dimensions, asdict(self.chunking)
        )
        pipeline = IngestPipeline(
            store,
            self.embeddings,
            self.embeddings.token_counter(),
            self.chunking,
            password=password,
            limits=limits,
            ocr=self.settings.ocr,
            progress=progress,
            companion=self.companion,
            on_outcome=on_outcome,
        )
        return pipeline.run(files)

    def sync(
        self,
        folders: Sequence[str | Path],
        *,
        progress: ProgressFn | None = None,
        on_outcome: Callable[[FileOutcome], None] | None = None,
    ) -> IngestReport:
        """Make the store hold exactly each folder's current files: new files indexed, changed ones
        replaced, deleted ones removed (only those that came from that folder), each reported.

        Removals come first, so a renamed file is indexed under its new name rather than skipped as a
        twin of its old one. Every file is committed on its own: a sync stopped at any moment (even
        killed) leaves whole files only, and the next sync finishes the job. ``on_outcome`` hears of
        each file as soon as it ends.
        """
        synced = [register(Path(self.settings.store_dir), Path(folder)) for folder in folders]
        ledger = self.store.list_files()
        plans = [plan(folder, ledger) for folder in synced]
        removed = []
        for source in (source for folder_plan in plans for source in folder_plan.gone):
            if self.store.delete_file(source):
                removed.append(FileOutcome(source, "removed", reason="deleted from the folder"))
                if on_outcome is not None:
                    on_outcome(removed[-1])
        files = [item for folder_plan in plans for item in folder_plan.files]
        report = IngestReport()
        if files:
            report = self._ingest(files, password=None, progress=progress, limits=None, on_outcome=on_outcome)
        report.outcomes[:0] = removed
        return report

    def delete(self, source: str) -> int:
        """Remove a document; returns how many of its chunks went (0: no such document)."""
        removed = self.store.delete_file(source)
        if self.companion is not None:
            self.companion.store.delete_file(source)
        return removed

    # ---- reading --------------------------------------------------------------------------

    def query(self, question: str, k: int | None = None, history: History = None) -> RetrievalResult:
        """Passages for a question, with the conversation so far (``history``: ``{"role", "content"}``
        turns, oldest first, the question not included). An empty or over-long question is refused."""
        question = checked_question(question, self.settings.limit_question_chars)
        return retrieve_turn(self.searcher, question, checked_history(history), k or self.settings.top_k)

    @cached_property
    def chats(self) -> KeptChats | None:
        """This knowledge base's saved chats, in a file beside its docstore (None for a visitor)."""
        if not self.can_write:
            return None
        stored = lambda ids: [d.id for d in self.store.get_by_ids(ids) if d.id]  # noqa: E731
        return KeptChats(ChatStore(Path(self.settings.store_dir)), stored)

    @cached_property
    def answer_pipeline(self) -> AnswerPipeline:
        emb = self.embeddings
        # Sentences are scored by meaning where embedding them is cheap: not a 4B model on a CPU.
        cheap = not (emb.resolved.family == "qwen3" and emb.model_info()["device"] == "cpu")
        return AnswerPipeline(self.backend, sentence_vectors=emb.encode_documents if cheap else None)

    def stream_answer(
        self, question: str, k: int | None = None, history: History = None
    ) -> Iterator[AnswerEvent]:
        """("retrieval", result), then ("token", draft) while a model writes, then ("done", Answer).

        A follow-up is searched with the conversation (and with an LLM's standalone rewrite beside it);
        one that cannot be tied to anything is answered with a question back."""
        return stream_turn(
            self.searcher,
            self.answer_pipeline,
            question,
            checked_history(history),
            k or self.settings.top_k,
            self.settings.limit_question_chars,
        )

    def answer(self, question: str, k: int | None = None, history: History = None) -> Answer:
        for kind, value in self.stream_answer(question, k, history):
            if kind == "done":
                assert isinstance(value, Answer)
                return value
        raise AssertionError("the answer stream ended without an answer")

    def documents(self) -> list[dict[str, Any]]:
        return self.store.list_files()

    def stats(self) -> dict[str, Any]:
        """The store's counts, and every model it holds vectors of (the multilingual one beside the
        main one, with how many files still lack its vectors)."""
        stats = self.store.stats()
        models = [{"name": stats.get("model"), "dimensions": stats.get("dimensions"), "role": "main"}]
        if self.companion is not None:
            missing = len(self._missing_second_vectors())
            models.append(
                {
                    "name": self.companion.model_name,
                    "dimensions": self.companion.embeddings.output_dimensions,
                    "role": "multilingual",
                    "files_missing": missing,
                }
            )
        return {**stats, "models": models}

    def _missing_second_vectors(self) -> list[dict[str, Any]]:
        companion = self.companion
        return [d for d in self.documents() if companion and companion.missing(d["source"], d["sha256"])]

    def upgrade(self, *, progress: ProgressFn | None = None) -> IngestReport:
        """Give every document indexed before the multilingual model its vectors, from the kept originals
        (``rag-app upgrade``); nothing to do without a second model."""
        files, report = originals_to_upgrade(self.store, self._missing_second_vectors())
        done = self._ingest(files, password=None, progress=progress, limits=None) if files else IngestReport()
        done.outcomes[:0] = report.outcomes
        return done

    def health(self) -> HealthReport:
        return check_health(self.store)

    def example_questions(self, count: int = 4) -> list[str]:
        """Questions drawn from what is indexed, each one the app answers from its own document
        (``rag_app.conversation.starters``); not counted as the person's questions."""
        top = lambda q: next((p.source for p in self.searcher.retrieve(q, 1).passages), None)  # noqa: E731
        return starters.pick(starters.candidates(self.store), top, count)

    def verify_checksums(self) -> list[str]:
        """Read every vector file in full against its checksum; the problems found (none: [])."""
        return self.store.verify_checksums()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors as the retriever computes them (instruction included for Qwen3); each text is
        held to the question length limit, refused at once over it."""
        limit = self.settings.limit_question_chars
        return self.embeddings.encode_queries([checked_question(t, limit) for t in texts])

    def page_view(self, chunk_id: str, page: int | None = None, zoom: float = 1.0) -> PageView:
        """The page a passage stands on (or ``page`` of its document), with the passage marked; for a text
        file, the passage within its text. The chunk is looked up in this knowledge base (and its library)
        only: what another person stored cannot be shown, whatever id is asked for."""
        for store in (self.store, self._library):
            if store is None:
                continue
            found = store.get_by_ids([chunk_id])
            if found:
                return view_of(found[0], store, page, zoom)
        raise ValueError("that passage is not in your documents")
