"""The ways agents ask a model: for a typed JSON object, for text, or for tool calls.

The failure policy lives here, once: invalid output, a timeout or an error gets one retry,
then the answer is None and the agent falls back to its deterministic policy. Every attempt
is recorded as an `LLMCall`, so a turn can show which model did what and how it went.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Literal, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langchain_openai.chat_models.base import BaseChatOpenAI
from pydantic import BaseModel, ConfigDict, ValidationError

from agentic_recsys.llm.factory import is_openai_endpoint, model_label
from agentic_recsys.llm.json_replies import InvalidJsonError, bounded_schema, extract_json_object
from agentic_recsys.llm.llama_chat import LlamaCppChatModel

ATTEMPTS = 2  # the first try and one retry
ROLE_METADATA_KEY = "ars_role"  # in the metadata of every model run (LangGraph stream, traces)
ErrorKind = Literal["timeout", "invalid_json", "schema", "empty", "tool_call", "error"]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class LLMCall(BaseModel):
    """One attempt at a model call: which role and model, whether it worked, how long it took."""

    model_config = ConfigDict(frozen=True)

    role: str
    model: str
    ok: bool
    error: ErrorKind | None = None
    seconds: float
    detail: str = ""  # the error's message, for logs and debugging


class EmptyReplyError(ValueError):
    """The model answered with nothing but whitespace."""


class InvalidToolCallError(ValueError):
    """The model's tool calls were none, or not what the bound tools accept (the message says)."""


def ask_json(
    model: BaseChatModel | None,
    schema: type[M],
    system: str,
    user: str | list[str | dict[str, Any]],
    *,
    role: str,
    timeout_s: float = 30,
    max_tokens: int = 256,
) -> tuple[M | None, list[LLMCall]]:
    """Ask for an object of `schema`; None (and the failed calls) when both attempts fail.

    `user` is the text, or LangChain content blocks (text and images, for a vision model).

    The schema never goes into the prompt: the decoder is held to it instead (a bounded
    llama.cpp grammar; OpenAI's structured output; the schema as `response_format` for
    other OpenAI-compatible servers; `with_structured_output` for any other provider
    that has it). A model with none of these (a scripted test model) is read as JSON.
    """
    if model is None:
        return None, []
    messages = [SystemMessage(system), HumanMessage(user)]
    run = _structured_runner(model, schema, max_tokens, timeout_s)

    def attempt() -> M:
        reply = _run_with_timeout(lambda: run(messages, _role_config(role)), timeout_s)
        return schema.model_validate(reply)

    return _with_one_retry(attempt, role=role, model=model)


def _structured_runner(
    model: BaseChatModel, schema: type[BaseModel], max_tokens: int, timeout_s: float
) -> Callable[[list[BaseMessage], RunnableConfig], object]:
    """How to get one object of `schema` from this provider (see `ask_json`)."""
    options: dict[str, Any] = {"max_tokens": max_tokens, "timeout": timeout_s}
    if isinstance(model, LlamaCppChatModel):
        options["json_schema"] = schema.model_json_schema()
    elif isinstance(model, BaseChatOpenAI) and not is_openai_endpoint(model.openai_api_base):
        # llama.cpp's server grammars follow "schema"; vLLM and Ollama accept and ignore it.
        bounded = bounded_schema(schema.model_json_schema())
        options["response_format"] = {"type": "json_object", "schema": bounded}
    else:
        if isinstance(model, BaseChatOpenAI):
            structured = model.bind(**options).with_structured_output(schema, method="json_schema")
        else:
            try:
                structured = model.with_structured_output(schema)
            except NotImplementedError:
                return lambda messages, config: extract_json_object(
                    model.invoke(messages, config).text
                )
        return lambda messages, config: structured.invoke(messages, config)
    return lambda messages, config: extract_json_object(
        model.invoke(messages, config, **options).text
    )


def ask_tools(
    model: BaseChatModel | None,
    tools: Sequence[BaseTool],
    system: str,
    user: str,
    check: Callable[[AIMessage], T],
    *,
    role: str,
    timeout_s: float = 30,
    max_tokens: int = 256,
) -> tuple[T | None, list[LLMCall]]:
    """Ask for calls of `tools` (bound with their own schemas); None when both attempts fail.

    `check` turns the model's message into what the agent uses, raising
    `InvalidToolCallError` for calls it must not use; that counts as a failed attempt.
    A model that cannot bind tools fails without a call being made.
    """
    if model is None:
        return None, []
    try:
        bound = model.bind_tools(list(tools))
    except NotImplementedError:
        failed = LLMCall(
            role=role,
            model=model_label(model),
            ok=False,
            error="tool_call",
            seconds=0.0,
            detail="this model cannot call tools",
        )
        return None, [failed]
    messages = [SystemMessage(system), HumanMessage(user)]
    options = {**_timeout_option(model, timeout_s), "max_tokens": max_tokens}

    def attempt() -> T:
        reply = _run_with_timeout(
            lambda: bound.invoke(messages, _role_config(role), **options), timeout_s
        )
        return check(reply)

    return _with_one_retry(attempt, role=role, model=model)


def ask_text(
    model: BaseChatModel | None,
    system: str,
    user: str,
    *,
    role: str,
    timeout_s: float = 30,
    max_chars: int = 2000,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[str | None, list[LLMCall]]:
    """Ask for a plain-text reply of at most `max_chars`; None when both attempts fail.

    The reply is streamed (generation stops at `max_chars`); `on_progress`, called from the
    worker thread, gets the whole text so far after each chunk, not the delta, so a retry
    simply starts the shown text over.
    """
    if model is None:
        return None, []
    messages = [SystemMessage(system), HumanMessage(user)]
    options = _timeout_option(model, timeout_s)

    def attempt() -> str:
        cancelled = threading.Event()
        try:
            reply = _run_with_timeout(
                lambda: _reply_text(
                    model, messages, role, options, max_chars, on_progress, cancelled
                ),
                timeout_s,
            )
        finally:
            cancelled.set()  # an abandoned stream must stop reporting progress
        if not reply.strip():
            raise EmptyReplyError("the reply was empty")
        return _clip(reply.strip(), max_chars)

    return _with_one_retry(attempt, role=role, model=model)


def _reply_text(
    model: BaseChatModel,
    messages: list[BaseMessage],
    role: str,
    options: dict[str, Any],
    max_chars: int,
    on_progress: Callable[[str], None] | None,
    cancelled: threading.Event,
) -> str:
    # Streamed even without a listener, so generation stops once max_chars is reached.
    text = ""
    for chunk in model.stream(messages, _role_config(role), **options):
        if cancelled.is_set():
            break
        text += chunk.text
        if on_progress is not None:
            on_progress(_clip(text, max_chars))
        if len(text) >= max_chars:
            break
    return text


def _role_config(role: str) -> RunnableConfig:
    """Tag the call with its role, so a LangGraph `messages` stream can pick the explainer's."""
    return {"run_name": f"ars:{role}", "metadata": {ROLE_METADATA_KEY: role}}


def _with_one_retry(
    attempt: Callable[[], T],
    *,
    role: str,
    model: BaseChatModel,
) -> tuple[T | None, list[LLMCall]]:
    calls: list[LLMCall] = []
    for _ in range(ATTEMPTS):
        start = time.monotonic()
        error: ErrorKind | None = None
        detail = ""
        try:
            result = attempt()
        except TimeoutError as exc:
            error, detail = "timeout", str(exc)
        except InvalidJsonError as exc:
            error, detail = "invalid_json", str(exc)
        except (ValidationError, OutputParserException) as exc:
            error, detail = "schema", str(exc).splitlines()[0][:300]
        except EmptyReplyError as exc:
            error, detail = "empty", str(exc)
        except InvalidToolCallError as exc:
            error, detail = "tool_call", str(exc)
        except Exception as exc:  # any provider failure: the agent falls back, the turn answers
            error, detail = "error", f"{type(exc).__name__}: {exc}"[:300]
        calls.append(
            LLMCall(
                role=role,
                model=model_label(model),
                ok=error is None,
                error=error,
                seconds=round(time.monotonic() - start, 4),
                detail=detail,
            )
        )
        if error is None:
            return result, calls
    return None, calls


def _run_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    """Run `fn` in a daemon thread (LangChain context carried over) and wait at most timeout_s.

    A timed-out call is abandoned, not killed: providers stop on their own deadline (the
    options below), and a daemon thread never keeps the process alive.
    """
    future: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            future.set_result(context.run(fn))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="ars-llm-call").start()
    try:
        return future.result(timeout=timeout_s)
    except TimeoutError:
        raise TimeoutError(f"no reply within {timeout_s:g} s") from None


def _timeout_option(model: BaseChatModel, timeout_s: float) -> dict[str, Any]:
    """Let providers that can stop by themselves do so, so an abandoned call ends too."""
    if isinstance(model, LlamaCppChatModel | BaseChatOpenAI):
        return {"timeout": timeout_s}
    return {}


def _clip(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    return cut[: cut.rfind(" ")] if " " in cut[max_chars // 2 :] else cut
