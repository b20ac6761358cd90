"""Scripted chat models, so tests drive every LLM path (good, malformed, slow, failing) offline."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from agentic_recsys.llm.factory import SPEC_METADATA_KEY


@dataclass(frozen=True)
class Delayed:
    """A script step that answers `reply` only after `seconds` (to trigger a timeout)."""

    reply: str
    seconds: float


Step = str | Delayed | BaseException


class ScriptedChatModel(BaseChatModel):
    """Plays its script one step per call: a string is the reply, an exception is raised.

    Calls past the end of the script fail, so a test notices an unexpected extra call.
    `received` keeps the messages of every call, for assertions on prompts.
    """

    script: list[Any]
    _position: int = PrivateAttr(default=0)
    _received: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    @property
    def received(self) -> list[list[BaseMessage]]:
        """The messages of each call so far, in order."""
        return self._received

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
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=step))])


def scripted_model(script: Sequence[Step], spec: str = "fake:scripted") -> ScriptedChatModel:
    """Build a model that plays `script`; `spec` is what its LLMCall records show."""
    return ScriptedChatModel(script=list(script), metadata={SPEC_METADATA_KEY: spec})
