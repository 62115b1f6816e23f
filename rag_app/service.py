"""The pieces wired together once per process: embeddings, store, searcher. Used by the CLI and the UI."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import Any

from loaders import LoadLimits
from rag_app.chunking import ChunkingConfig, hf_token_counter
from rag_app.embeddings import LocalEmbeddings, embeddings_for
from rag_app.ingest import FileOutcome, IngestReport, InputFile, ProgressFn, collect_files, ingest_files
from rag_app.retrieval import RagRetriever, RetrievalResult, Searcher
from rag_app.settings import Settings
from rag_app.store import FaissStore
from rag_app.threads import single_threaded_numpy_blas

log = logging.getLogger(__name__)


class RagService:
    def __init__(
        self, settings: Settings, *, embeddings: LocalEmbeddings | None = None, rebuild: bool = False
    ):
        single_threaded_numpy_blas()
        self.settings = settings
        self._embeddings = embeddings
        self._rebuild = rebuild
        self._write_lock = threading.Lock()

    @cached_property
    def embeddings(self) -> LocalEmbeddings:
        if self._embeddings is not None:
            return self._embeddings
        s = self.settings
        return embeddings_for(
            s.embedding_model,
            dimensions=s.dimensions,
            device=s.device,
            dtype=s.dtype,
            batch_size=s.batch_size,
            batch_tokens=s.batch_tokens,
        )

    @cached_property
    def chunking(self) -> ChunkingConfig:
        limit = min(self.settings.chunk_tokens, self.embeddings.chunk_token_limit())
        return ChunkingConfig(max_tokens=limit, overlap_tokens=min(self.settings.chunk_overlap, limit // 4))

    @cached_property
    def store(self) -> FaissStore:
        emb = self.embeddings
        kwargs: dict[str, Any] = {
            "dimensions": emb.output_dimensions,
            "model_name": emb.resolved.name,
            "chunking": asdict(self.chunking),
        }
        if self._rebuild:
            return FaissStore(emb, path=self.settings.store_dir, **kwargs)
        return FaissStore.load(self.settings.store_dir, emb, **kwargs)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.store, self.embeddings, mode=self.settings.retrieval_mode)

    def retriever(self, k: int | None = None) -> RagRetriever:
        return RagRetriever(searcher=self.searcher, k=k or self.settings.top_k)

    def model_info(self) -> dict[str, Any]:
        return self.embeddings.model_info()

    # ---- writing --------------------------------------------------------------------

    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        password: str | None = None,
        progress: ProgressFn | None = None,
        limits: LoadLimits | None = None,
    ) -> IngestReport:
        files, missing = collect_files(paths)
        return self.ingest_inputs(files, password=password, progress=progress, limits=limits, extra=missing)

    def ingest_inputs(
        self,
        files: Sequence[InputFile],
        *,
        password: str | None = None,
        progress: ProgressFn | None = None,
        limits: LoadLimits | None = None,
        extra: Sequence[FileOutcome] = (),
    ) -> IngestReport:
        counter = hf_token_counter(self.embeddings.tokenizer)
        with self._write_lock:
            report = ingest_files(
                files,
                self.store,
                self.embeddings,
                counter,
                self.chunking,
                password=password,
                limits=limits,
                progress=progress,
            )
            report.outcomes[:0] = list(extra)
            if any(o.status == "indexed" for o in report.outcomes) or self._rebuild or not self._has_saved():
                self.store.save()
        return report

    def delete_source(self, source: str) -> int:
        with self._write_lock:
            removed = self.store.delete_source(source)
            if removed:
                self.store.save()
            return removed

    def _has_saved(self) -> bool:
        return (Path(self.settings.store_dir) / "CURRENT").is_file()

    # ---- reading --------------------------------------------------------------------

    def query(self, question: str, k: int | None = None) -> RetrievalResult:
        return self.searcher.retrieve(question, k or self.settings.top_k)
