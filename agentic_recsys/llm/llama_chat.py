"""A LangChain chat model over llama-cpp-python, so local GGUFs look like every other provider."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, PrivateAttr

from agentic_recsys.llm.json_replies import bounded_schema

MAX_TOOL_CALLS = 4  # what the tool-call grammar lets through in one reply
# Qwen's (and Hermes') chat templates ask for calls in these tags; the grammar holds them to it.
TOOL_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.DOTALL)


def threads_from_env() -> int:
    """$ARS_THREADS, else 1: two threads on two shared cores stalled llama.cpp 100x here."""
    return int(os.environ.get("ARS_THREADS", "1"))


class LlamaCppChatModel(BaseChatModel):
    """A GGUF model run in this process by llama.cpp.

    Call options beyond LangChain's: `json_schema=<dict>` holds decoding to that schema (a
    grammar, with arrays and strings capped), `timeout=<seconds>` stops generation at a
    deadline (raising TimeoutError), `max_tokens=<n>` overrides the default. Bound tools
    (`bind_tools`) reach the GGUF's chat template, and decoding is held to up to
    `MAX_TOOL_CALLS` calls of them, each a tool's name with arguments of its schema.
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
        self._llama.set_cache(_sized_cache(LlamaRAMCache, self.cache_bytes))

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools by their OpenAI schemas; the reply holds only calls of them."""
        if tool_choice not in (None, "any", "required"):
            raise NotImplementedError("llama.cpp tool calls: tool_choice must be 'any'")
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

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
        tools: list[dict[str, Any]] | None = None,
        timeout: float | None = None,
        max_tokens: int | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if tools:
            grammar = _tool_grammar(json.dumps(tools))
        else:
            grammar = _grammar(json.dumps(bounded_schema(json_schema))) if json_schema else None
        texts = self._texts(messages, stop, grammar, tools, timeout, max_tokens)
        if tools:  # a call is whole only at the end of the reply: one chunk carries them all
            text = "".join(texts)
            chunks = [
                tool_call_chunk(name=c["name"], args=json.dumps(c["args"]), id=c["id"], index=n)
                for n, c in enumerate(_tool_calls(text))
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content=text, tool_call_chunks=chunks))
            return
        for text in texts:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager is not None:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk

    def _texts(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        grammar: Any,
        tools: list[dict[str, Any]] | None,
        timeout: float | None,
        max_tokens: int | None,
    ) -> Iterator[str]:
        """The reply's text as llama.cpp generates it, stopped at the deadline."""
        deadline = time.monotonic() + timeout if timeout else None
        # One llama.cpp context cannot serve two generations at once (an abandoned, timed-out
        # call may still be running in its thread until its own deadline).
        with self._lock:
            parts = self._llama.create_chat_completion(
                messages=convert_to_openai_messages(messages),
                tools=tools or None,  # the GGUF's chat template writes them into the prompt
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
                if text:
                    yield text


def _sized_cache(ram_cache: type, capacity_bytes: int) -> Any:
    """llama.cpp's RAM cache of saved states, held to `capacity_bytes` of what they really hold.

    Its own count leaves out each state's logits (a row of the whole vocabulary per prompt
    token, ~90 MB for a 150-token prompt on Qwen2.5): a "1 GB" cache grew a process to 22 GB.
    """

    class SizedCache(ram_cache):
        @property
        def cache_size(self) -> int:
            return sum(
                s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes
                for s in self.cache_state.values()
            )

    return SizedCache(capacity_bytes=capacity_bytes)


@lru_cache(maxsize=32)
def _grammar(schema_json: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


@lru_cache(maxsize=8)
def _tool_grammar(tools_json: str) -> Any:
    """Up to MAX_TOOL_CALLS `<tool_call>` blocks, each one bound tool's name and arguments."""
    from llama_cpp import LlamaGrammar
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    one_call = {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "name": {"const": tool["function"]["name"]},
                    "arguments": bounded_schema(tool["function"].get("parameters") or {}),
                },
                "required": ["name", "arguments"],
            }
            for tool in json.loads(tools_json)
        ]
    }
    rules = json_schema_to_gbnf(json.dumps(one_call)).replace("root ::=", "call ::=", 1)
    calls = "block"
    for _ in range(MAX_TOOL_CALLS - 1):
        calls = f'block ("\\n" {calls})?'
    block = 'block ::= "<tool_call>\\n" call "\\n</tool_call>"'
    return LlamaGrammar.from_string(f"root ::= {calls}\n{block}\n{rules}", verbose=False)


def _tool_calls(text: str) -> list[ToolCall]:
    """The calls in a reply held to the tool grammar (a cut-off last one is left out)."""
    calls = []
    for body in TOOL_CALL.findall(text):
        try:
            call = json.loads(body)
        except json.JSONDecodeError:
            continue
        if isinstance(call, dict) and isinstance(call.get("arguments"), dict):
            calls.append(
                ToolCall(name=str(call.get("name")), args=call["arguments"], id=uuid.uuid4().hex)
            )
    return calls
