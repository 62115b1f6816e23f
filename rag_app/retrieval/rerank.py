"""A reranker seam: Qwen3-Reranker as a LangChain ``BaseDocumentCompressor``.

Qwen3-Reranker is a causal LM asked, for each (query, document), whether the document meets the
query; its score is the probability of "yes" against "no" at the answer position, as the model card
does it. It runs in process when the weights are local (a folder, or a hub name in the local cache:
never downloaded), or calls a served ``/rerank`` endpoint (text-embeddings-inference, vLLM, Jina-style
APIs). Off by default: on a CPU a 0.6B reranker costs seconds per question.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import ConfigDict, PrivateAttr

from prompts.rerank import DEFAULT_INSTRUCTION, reranker_input
from rag_app.text.urls import split_url_model


def yes_probability(last_logits: Any, yes_id: int, no_id: int) -> list[float]:
    """P(yes) from each row's logits at the answer position, over the two answers only (a softmax of
    the "no" and "yes" logits), as Qwen3-Reranker's authors compute its score."""
    import torch

    pair = torch.stack([last_logits[:, no_id], last_logits[:, yes_id]], dim=1).float()
    return torch.log_softmax(pair, dim=1)[:, 1].exp().tolist()


class Qwen3Reranker(BaseDocumentCompressor):
    """Scores documents for a query and keeps the best ``top_n``, each with ``metadata["rerank_score"]``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str | None = None
    """A local folder or a hub name in the local Hugging Face cache (in process)."""
    base_url: str | None = None
    """A served reranker, e.g. http://localhost:8080 (POST {base_url}/rerank)."""
    served_model: str | None = None
    top_n: int = 5
    instruction: str = DEFAULT_INSTRUCTION
    batch_size: int = 4
    max_length: int = 1024
    _loaded: tuple[Any, Any] | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        if self.base_url:
            return self._served(query, texts)
        if not self.model:
            raise ValueError("Qwen3Reranker needs a local model (model=...) or a served one (base_url=...)")
        return self._local(query, texts)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        scored = self.scores(query, [d.page_content for d in documents])
        ranked = sorted(zip(scored, documents, strict=True), key=lambda pair: -pair[0])[: self.top_n]
        return [
            Document(page_content=d.page_content, metadata={**d.metadata, "rerank_score": s}, id=d.id)
            for s, d in ranked
        ]

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                from transformers import AutoModelForCausalLM, AutoTokenizer

                from rag_app.embeddings.models import find_in_hf_cache

                folder = Path(self.model).expanduser()
                if not folder.is_dir():
                    cached = find_in_hf_cache(self.model)
                    if cached is None:
                        raise ValueError(
                            f"reranker {self.model!r} is neither a folder nor in the local Hugging Face cache "
                            f"(this app never downloads models)"
                        )
                    folder = cached
                tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left", local_files_only=True)
                model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
                self._loaded = (tokenizer, model)
            return self._loaded

    def _local(self, query: str, texts: Sequence[str]) -> list[float]:
        import torch

        tokenizer, model = self._load()
        yes_id, no_id = tokenizer.convert_tokens_to_ids("yes"), tokenizer.convert_tokens_to_ids("no")
        if yes_id is None or no_id is None or yes_id == tokenizer.unk_token_id:
            raise ValueError(f"{self.model} has no 'yes'/'no' tokens: it is not a Qwen3-Reranker")
        out: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            pairs = [
                reranker_input(self.instruction, query, t) for t in texts[start : start + self.batch_size]
            ]
            inputs = tokenizer(
                pairs, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
            with self._lock, torch.inference_mode():
                logits = model(**inputs).logits[:, -1, :]
            out += yes_probability(logits, yes_id, no_id)
        return out

    def _served(self, query: str, texts: Sequence[str]) -> list[float]:
        import httpx

        body: dict[str, Any] = {"query": query, "documents": list(texts), "texts": list(texts)}
        if self.served_model:
            body["model"] = self.served_model
        response = httpx.post(f"{self.base_url.rstrip('/')}/rerank", json=body, timeout=60)
        response.raise_for_status()
        data = response.json()
        # TEI answers a list of {index, score}; vLLM and Jina-style servers {"results": [{index, relevance_score}]}.
        items = data["results"] if isinstance(data, dict) else data
        scores = [0.0] * len(texts)
        for item in items:
            scores[int(item["index"])] = float(item.get("relevance_score", item.get("score", 0.0)))
        return scores


def reranker_for(spec: str | None) -> Qwen3Reranker | None:
    """``hf:PATH_OR_NAME`` (in process) or ``http(s)://HOST:PORT[#MODEL]`` (a served /rerank); None: off."""
    if not spec:
        return None
    if spec.startswith("hf:"):
        return Qwen3Reranker(model=spec[3:])
    base, model = split_url_model(
        spec, what="reranker", example="hf:PATH_OR_NAME or http://HOST:PORT[#MODEL]", model_required=False
    )
    return Qwen3Reranker(base_url=base, served_model=model or None)
