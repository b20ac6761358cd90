"""User-intent agent: the message (+ recent turns, recalled memory) becomes a typed `Intent`.

The deterministic parser always runs: it is the whole policy without a capable LLM, and
with one it is the ground truth an LLM's answer is checked against (titles, genres and
shown-item positions are resolved against the catalog, never taken on trust).
"""

from __future__ import annotations

import re
from typing import Literal

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Command
from pydantic import BaseModel, Field

from agentic_recsys.agents.perceive import QUIET_KINDS, with_picture
from agentic_recsys.agents.prompts import INTENT_SYSTEM, INTENT_USER
from agentic_recsys.llm import ask_json
from agentic_recsys.resources import Resources
from agentic_recsys.turn.context import Context
from agentic_recsys.turn.resources import app_of, context_of, role_model
from agentic_recsys.turn.state import State
from agentic_recsys.understanding.intent_rules import parse_intent, starts_over
from agentic_recsys.understanding.lexicon import canonical_genre
from agentic_recsys.understanding.merge import merge_intent, parser_is_sure
from agentic_recsys.understanding.schema import (
    Constraints,
    Feedback,
    Intent,
    IntentKind,
    Verdict,
)

MAX_MESSAGE_CHARS = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e]")
ACTING_KINDS = {"recommend", "refine", "feedback"}
INTENT_MAX_TOKENS = 120  # a full answer is ~40-70 tokens; the grammar bounds the rest
MAX_MEMORIES = 3
MAX_SHOWN_LINES = 6  # with 2 turns of history and 3 memories: under ~600 prompt tokens


class PositionVerdict(BaseModel):
    """Feedback on the shown item at a 1-based position."""

    position: int = Field(ge=1, le=20)
    verdict: Verdict


class LLMIntent(BaseModel):
    """What an LLM may say about a message: no item ids, only titles and positions.

    Small and bounded, as a 1.5B model must fill it under a grammar in a few seconds:
    everything else (years, counts, people, refinements) only the parser reads.
    """

    kind: IntentKind
    moods: list[str] = Field(default_factory=list, max_length=4)
    genres: list[str] = Field(default_factory=list, max_length=3)
    exclude_genres: list[str] = Field(default_factory=list, max_length=3)
    like_titles: list[str] = Field(default_factory=list, max_length=3)
    feedback: list[PositionVerdict] = Field(default_factory=list, max_length=3)


def clean_message(text: str) -> str:
    """Drop control characters, collapse whitespace, cap the length (a 100 kB paste is data)."""
    text = CONTROL.sub(" ", text or "")
    return " ".join(text.split())[:MAX_MESSAGE_CHARS]


def intent_agent(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["planner", "explainer"]]:
    """Understand the message; act on it (planner) or answer directly (explainer)."""
    app = app_of(runtime)
    message = clean_message(state["message"])
    shown = state.get("shown", [])
    intent = parse_intent(message, app.dataset.items, app.titles, shown, app.entities, app.dataset)
    role = role_model(runtime, "intent")
    use = role.use()
    if role.may("intent") and message and not parser_is_sure(intent, message, app.dataset.items):
        answer, calls = ask_json(
            role.model,
            LLMIntent,
            intent_system(app),
            intent_user(state, app, message, shown),
            role="intent",
            timeout_s=context_of(runtime).llm_timeout_s,
            max_tokens=INTENT_MAX_TOKENS,
        )
        if answer is not None:
            proposed = proposal(answer, app, shown)
            intent = merge_intent(
                intent,
                proposed,
                message,
                shown,
                app.dataset.items,
                feedback=role.may("feedback"),
            )
        use = role.use(calls)
    picture = state.get("picture")
    if picture is not None:
        intent = with_picture(intent, picture, app.dataset.items)
    elif state.get("images") and app.images is not None and intent.kind in QUIET_KINDS:
        # no model described the picture, but the image index finds what looks like it
        intent = intent.model_copy(update={"kind": "recommend", "question": ""})
    intent = own_copies(intent, app, state["user_id"], message, shown)
    if state.get("follow_up") and intent.kind == "recommend" and not starts_over(message):
        # "I'm in the mood for something funny" answers our question: it adds to the request
        intent = intent.model_copy(update={"kind": "refine"})
    return Command(
        goto="planner" if intent.kind in ACTING_KINDS else "explainer",
        update={
            "intent": intent,
            "models": [*state.get("models", []), use],
            **_feedback_updates(state, intent),
        },
    )


def intent_system(app: Resources) -> str:
    """The intent role's instructions, with the catalog's genres."""
    return INTENT_SYSTEM.format(genres=", ".join(app.dataset.items.genre_vocab))


def intent_user(state: State, app: Resources, message: str, shown: list[str]) -> str:
    """The message with its context: the last turns, the shown list, quoted memories.

    A picture the user sent comes after their words, as a marked, quoted description.
    """
    picture = state.get("picture")
    return INTENT_USER.format(
        history=_recent_turns(state),
        shown=_shown_lines(app, shown),
        memories="\n".join(m[:100] for m in state.get("memories", [])[:MAX_MEMORIES]),
        message=message if picture is None else f"{message}\n{picture.description.quoted()}",
    )


def proposal(answer: LLMIntent, app: Resources, shown: list[str]) -> Intent:
    """An LLM's answer as an Intent, every title, genre and position resolved or dropped.

    Whether the message supports it is `merge_intent`'s question; unresolved titles are
    dropped, not reported (the model, not the user, named them).
    """
    items = app.dataset.items

    def genres(names: list[str]) -> list[str]:
        return [g for g in (canonical_genre(n, items) for n in names) if g]

    like = [m.item_id for t in answer.like_titles if (m := app.titles.resolve(t))]
    feedback = [
        Feedback(item=shown[f.position - 1], verdict=f.verdict)
        for f in answer.feedback
        if f.position <= len(shown)
    ]
    return Intent(
        kind=answer.kind,
        constraints=Constraints(
            genres_in=genres(answer.genres), genres_out=genres(answer.exclude_genres)
        ),
        query=" ".join(m.strip() for m in answer.moods if m.strip()),
        like_items=list(dict.fromkeys(like)),
        feedback=feedback,
    )


def own_copies(
    intent: Intent, app: Resources, user_id: str, message: str, shown: list[str]
) -> Intent:
    """Of two movies with the title the user named, take the one they have seen.

    "I loved Cape Fear" from someone who rated the 1962 film means that one, not the more
    popular 1991 remake the title index picks; a year said, or a shown item, stays as is.
    A twin of the same year is the same movie listed twice: the better-known copy stays.
    """
    if not (intent.like_items or intent.feedback):
        return intent
    seen = set(app.seen(user_id))
    items = app.dataset.items

    def own(item: str) -> str:
        if item in seen or item in shown or item not in items.index:
            return item
        year = items.years[items.index[item]]
        if str(year) in message:
            return item
        others = [t for t in app.titles.twins(item) if items.years[items.index[t]] != year]
        return next((t for t in others if t in seen), item)

    return intent.model_copy(
        update={
            "like_items": [own(i) for i in intent.like_items],
            "feedback": [f.model_copy(update={"item": own(f.item)}) for f in intent.feedback],
        }
    )


def _feedback_updates(state: State, intent: Intent) -> dict[str, list[str]]:
    """Fold the turn's verdicts into what the thread remembers as liked and rejected.

    A title the user asks for more "like" counts as liked: it joins their taste profile, and
    so is never recommended back to them.
    """
    liked = [*state.get("liked", []), *intent.like_items]
    rejected = list(state.get("rejected", []))
    for f in intent.feedback:
        if f.verdict == "liked":
            liked.append(f.item)
        else:
            rejected.append(f.item)
    if intent.reject_shown:
        rejected.extend(i for i in state.get("shown", []) if i not in liked)
    return {"liked": list(dict.fromkeys(liked)), "rejected": list(dict.fromkeys(rejected))}


def _recent_turns(state: State, turns: int = 2) -> str:
    lines = []
    for m in state.get("messages", [])[-2 * turns - 1 : -1]:  # the last is this message
        who = (
            "user"
            if isinstance(m, HumanMessage)
            else "assistant"
            if isinstance(m, AIMessage)
            else "other"
        )
        lines.append(f"{who}: {str(m.content)[:120]}")
    return "\n".join(lines)


def _shown_lines(app: Resources, shown: list[str]) -> str:
    items = app.dataset.items
    return "\n".join(
        f"{n}. {items.label(items.index[i])}"
        for n, i in enumerate(shown[:MAX_SHOWN_LINES], 1)
        if i in items.index
    )
