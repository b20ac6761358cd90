"""Scripted chat models, so tests drive every LLM path (good, malformed, slow, failing) offline."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from agentic_recsys.llm.factory import SPEC_METADATA_KEY


@dataclass(frozen=True)
class Delayed:
    """A script step that answers `reply` only after `seconds` (to trigger a timeout)."""

    reply: str
    seconds: float


Step = str | AIMessage | Delayed | BaseException


class ScriptedChatModel(BaseChatModel):
    """Plays its script one step per call: a string or AIMessage is the reply, an error raised.

    An AIMessage step may carry `tool_calls`, as a provider's reply to bound tools does.
    Calls past the end of the script fail, so a test notices an unexpected extra call.
    `received` keeps the messages of every call, for assertions on prompts; `tools` the
    tool schemas bound for each call (empty when none were).
    """

    script: list[Any]
    _position: int = PrivateAttr(default=0)
    _received: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _tools: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def received(self) -> list[list[BaseMessage]]:
        """The messages of each call so far, in order."""
        return self._received

    @property
    def tools(self) -> list[list[dict[str, Any]]]:
        """The OpenAI schemas of the tools bound for each call so far, in order."""
        return self._tools

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as providers do: their schemas travel with every call."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Any:
        """Not offered: a scripted reply is read as JSON, as from a model without the feature."""
        raise NotImplementedError("scripted replies are read as JSON")

    @property
    def remaining(self) -> int:
        """How many script steps have not been played."""
        return len(self.script) - self._position

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._received.append(list(messages))
        self._tools.append(list(kwargs.get("tools") or []))
        if self._position >= len(self.script):
            raise AssertionError(
                f"scripted model called {self._position + 1} times, "
                f"script has {len(self.script)} steps"
            )
        step = self.script[self._position]
        self._position += 1
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, Delayed):
            time.sleep(step.seconds)
            step = step.reply
        message = step if isinstance(step, AIMessage) else AIMessage(content=step)
        return ChatResult(generations=[ChatGeneration(message=message)])


def scripted_model(script: Sequence[Step], spec: str = "fake:scripted") -> ScriptedChatModel:
    """Build a model that plays `script`; `spec` is what its LLMCall records show."""
    return ScriptedChatModel(script=list(script), metadata={SPEC_METADATA_KEY: spec})
