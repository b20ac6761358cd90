"""A LangChain chat model over llama-cpp-python, so local GGUFs look like every other provider."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from agentic_recsys.llm.json_replies import bounded_schema


def threads_from_env() -> int:
    """$ARS_THREADS, else 1: two threads on two shared cores stalled llama.cpp 100x here."""
    return int(os.environ.get("ARS_THREADS", "1"))


class LlamaCppChatModel(BaseChatModel):
    """A GGUF model run in this process by llama.cpp.

    Call options beyond LangChain's: `json_schema=<dict>` holds decoding to that schema (a
    grammar, with arrays and strings capped), `timeout=<seconds>` stops generation at a
    deadline (raising TimeoutError), `max_tokens=<n>` overrides the default.
    """

    model_path: str
    n_ctx: int = 2048  # prompts stay under ~700 tokens, replies under ~250
    cache_bytes: int = 1 << 30  # saved states: a prompt sharing a cached prefix skips it
    n_threads: int = Field(default_factory=threads_from_env)
    max_tokens: int = 512
    temperature: float = 0.2
    seed: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any, /) -> None:
        """Load the GGUF now, so a bad file fails when the model is chosen, not mid-turn."""
        from llama_cpp import Llama, LlamaRAMCache

        self._llama = Llama(
            model_path=self.model_path,
            n_ctx=self.n_ctx,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            seed=self.seed,
            verbose=False,
        )
        # The roles' system prompts repeat every turn: without the cache, each call pays
        # for its whole prompt again, since the other role's call replaced the context.
        self._llama.set_cache(LlamaRAMCache(capacity_bytes=self.cache_bytes))

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        *,
        json_schema: dict[str, Any] | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        deadline = time.monotonic() + timeout if timeout else None
        grammar = _grammar(json.dumps(bounded_schema(json_schema))) if json_schema else None
        # One llama.cpp context cannot serve two generations at once (an abandoned, timed-out
        # call may still be running in its thread until its own deadline).
        with self._lock:
            parts = self._llama.create_chat_completion(
                messages=convert_to_openai_messages(messages),
                stream=True,
                grammar=grammar,
                max_tokens=max_tokens or self.max_tokens,
                temperature=self.temperature,
                stop=stop or [],
            )
            for part in parts:
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{self.model_path}: no reply within {timeout:g} s")
                text = part["choices"][0]["delta"].get("content")
                if not text:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager is not None:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk


@lru_cache(maxsize=32)
def _grammar(schema_json: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)
