"""A simulated user whose messages an LLM writes, held to the same honesty as the template user.

The deterministic simulator still decides *what* is said each turn (which true fact, when
the title may be hinted at); the model only decides *how*. Its message is checked by code:
one that names the target's id, its exact title before the title turn, or drops the
turn's title word or similar movie is replaced by the template line.
"""

from __future__ import annotations

import re

from langchain_core.language_models import BaseChatModel

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.errors import ArsError
from agentic_recsys.evaluation.simulator import (
    RulesSimulator,
    SystemReply,
    Target,
    UserMessage,
    leak,
)
from agentic_recsys.llm import LLMCall, ask_text, load_chat_model

MAX_MESSAGE_CHARS = 400
SHOWN_IN_PROMPT = 5
REPLY_CHARS_IN_PROMPT = 600

SIMULATOR_SYSTEM = """You play a person chatting with a movie recommender. You want one \
specific movie but do not remember its name.

<rules>
- Write only your next chat message: one or two short, casual sentences.
- Say the facts under <say_now> in your own words. Add no other fact about the movie.
- Never write a movie id. Never guess the movie's title.
- If movies were shown, say they are not the one you want.
- If the assistant asked a question, answer it using the facts.
</rules>"""

SIMULATOR_USER = """<known_about_the_movie>
{known}
</known_about_the_movie>

<assistant_said>
{reply}
</assistant_said>

<shown>
{shown}
</shown>

<say_now>
{say_now}
</say_now>"""


def simulator_model(spec: str) -> BaseChatModel:
    """Load the model the LLM simulator talks with; a clear error if none is configured."""
    model = load_chat_model(spec) if spec else None
    if model is None:
        raise ArsError(
            "--simulator llm needs a model: pass --model provider:model "
            "(for example openai:gpt-4o-mini)"
        )
    return model


class LLMSimulator:
    """An LLM words each message of a deterministic simulated user; code checks every one."""

    def __init__(self, rules: RulesSimulator, model: BaseChatModel, dataset: Dataset) -> None:
        self.rules = rules
        self.target: Target = rules.target
        self.model = model
        self.items = dataset.items
        self.known: list[str] = []  # every fact line said so far
        self.calls: list[LLMCall] = []  # the simulator's own calls, never the system's
        self.fallbacks = 0  # messages where the template line replaced the model's

    def opening(self) -> UserMessage:
        """Start the conversation, worded by the model."""
        return self._worded(self.rules.opening(), SystemReply(text="", items=[]))

    def respond(self, reply: SystemReply) -> UserMessage:
        """Answer a reply that did not show the target, worded by the model."""
        return self._worded(self.rules.respond(reply), reply)

    def _worded(self, planned: UserMessage, reply: SystemReply) -> UserMessage:
        self.known.extend(f.text for f in planned.facts)
        shown = "\n".join(
            f"- {self.items.label(self.items.index[i])}"
            for i in list(reply.items)[:SHOWN_IN_PROMPT]
            if i in self.items.index
        )
        prompt = SIMULATOR_USER.format(
            known="\n".join(f"- {k}" for k in self.known),
            reply=(reply.question or reply.text)[:REPLY_CHARS_IN_PROMPT] or "(nothing yet)",
            shown=shown or "(none)",
            say_now="\n".join(f"- {f.text}" for f in planned.facts),
        )
        text, calls = ask_text(
            self.model, SIMULATOR_SYSTEM, prompt, role="simulator", max_chars=MAX_MESSAGE_CHARS
        )
        self.calls.extend(calls)
        if text is None or dishonest(text, planned, self.target) is not None:
            self.fallbacks += 1
            return planned
        return UserMessage(text=" ".join(text.split()), facts=planned.facts)


def dishonest(text: str, planned: UserMessage, target: Target) -> str | None:
    """Why a worded message may not stand in for the planned one, or None if it may."""
    title_turn = any(f.kind == "title" for f in planned.facts)
    reason = leak(text, target, title_allowed=title_turn)
    if reason is not None:
        return reason
    normal = _normal(text)
    for fact in planned.facts:
        if fact.title_word and _normal(fact.title_word) not in normal:
            return "drops the title word"
        if fact.kind == "like" and target.like and _normal(target.like[1]) not in normal:
            return "drops the similar movie"
    return None


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
