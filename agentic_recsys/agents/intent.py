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

from agentic_recsys.agents.intent_rules import parse_intent, starts_over
from agentic_recsys.agents.lexicon import canonical_genre
from agentic_recsys.agents.prompts import INTENT_SYSTEM, INTENT_USER
from agentic_recsys.app import App
from agentic_recsys.graphs.context import Context
from agentic_recsys.graphs.resources import app_of, context_of, role_model
from agentic_recsys.graphs.schema import (
    Constraints,
    Feedback,
    Intent,
    IntentKind,
    Preference,
    Refinement,
    Verdict,
)
from agentic_recsys.graphs.state import State
from agentic_recsys.llm import ask_json

MAX_MESSAGE_CHARS = 2000
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e]")
ACTING_KINDS = {"recommend", "refine", "feedback"}


class PositionVerdict(BaseModel):
    """Feedback on the shown item at a 1-based position."""

    position: int = Field(ge=1, le=50)
    verdict: Verdict


class GenrePreference(BaseModel):
    """A lasting taste for or against a genre."""

    genre: str = Field(max_length=40)
    polarity: Literal["like", "avoid"]


class LLMIntent(BaseModel):
    """What an LLM may say about a message: no item ids, only titles and positions."""

    kind: IntentKind
    genres_in: list[str] = Field(default_factory=list, max_length=6)
    genres_out: list[str] = Field(default_factory=list, max_length=6)
    year_min: int | None = Field(default=None, ge=1800, le=2100)
    year_max: int | None = Field(default=None, ge=1800, le=2100)
    count: int | None = Field(default=None, ge=1, le=20)
    query: str = Field(default="", max_length=200)
    like_titles: list[str] = Field(default_factory=list, max_length=3)
    feedback: list[PositionVerdict] = Field(default_factory=list, max_length=10)
    reject_shown: bool = False
    explain_positions: list[int] = Field(default_factory=list, max_length=5)
    explain_titles: list[str] = Field(default_factory=list, max_length=3)
    refinements: list[Refinement] = Field(default_factory=list, max_length=4)
    preferences: list[GenrePreference] = Field(default_factory=list, max_length=6)
    question: str = Field(default="", max_length=300)


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
    if role.capability == "capable" and role.model is not None and message:
        prompt = INTENT_USER.format(
            history=_recent_turns(state),
            shown=_shown_lines(app, shown),
            memories="\n".join(state.get("memories", [])),
            message=message,
        )
        system = INTENT_SYSTEM.format(genres=", ".join(app.dataset.items.genre_vocab))
        answer, calls = ask_json(
            role.model,
            LLMIntent,
            system,
            prompt,
            role="intent",
            timeout_s=context_of(runtime).llm_timeout_s,
        )
        if answer is not None:
            intent = ground_intent(answer, app, shown, fallback=intent)
        use = role.use(calls=len(calls), fell_back=answer is None)
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


def ground_intent(answer: LLMIntent, app: App, shown: list[str], fallback: Intent) -> Intent:
    """Turn an LLM's answer into an Intent whose every title, genre and position is real.

    Genres outside the catalog are dropped; titles are resolved fuzzily (what does not
    resolve is reported); positions outside the shown list are ignored.
    """

    def genres(names: list[str]) -> list[str]:
        return [g for g in (canonical_genre(n, app.dataset.items) for n in names) if g]

    def at(position: int) -> str | None:
        return shown[position - 1] if 1 <= position <= len(shown) else None

    like, unresolved = [], []
    for title in answer.like_titles:
        match = app.titles.resolve(title)
        (like.append(match.item_id) if match else unresolved.append(title))
    explain = [i for i in (at(p) for p in answer.explain_positions) if i]
    for title in answer.explain_titles:
        match = app.titles.resolve(title)
        if match:
            explain.append(match.item_id)
    feedback = [
        Feedback(item=i, verdict=f.verdict) for f in answer.feedback if (i := at(f.position))
    ]
    preferences = [
        Preference(key=f"genre:{g}", polarity=p.polarity, text=f"{p.polarity} {g}")
        for p in answer.preferences
        if (g := canonical_genre(p.genre, app.dataset.items))
    ]
    year_min, year_max = answer.year_min, answer.year_max
    near = fallback.year_near  # the parser's "around 1993", while the model's years hold it
    if near is not None and not (year_min or near) <= near <= (year_max or near):
        near = None
    kind = answer.kind
    if kind == "explain" and not explain:
        kind = fallback.kind  # the LLM pointed at nothing real: trust the parser
    return Intent(
        kind=kind,
        constraints=Constraints(
            genres_in=genres(answer.genres_in),
            genres_out=genres(answer.genres_out),
            year_min=year_min,
            year_max=year_max,
            count=answer.count,
        ),
        query=answer.query,
        like_items=list(dict.fromkeys(like)),
        unresolved_titles=unresolved + fallback.unresolved_titles,
        feedback=feedback,
        reject_shown=answer.reject_shown,
        explain_items=list(dict.fromkeys(explain)),
        refinements=answer.refinements,
        preferences=preferences,
        question=answer.question or fallback.question,
        year_near=near,
        unsupported=fallback.unsupported,
    )


def own_copies(intent: Intent, app: App, user_id: str, message: str, shown: list[str]) -> Intent:
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


def _recent_turns(state: State, turns: int = 4) -> str:
    lines = []
    for m in state.get("messages", [])[-2 * turns - 1 : -1]:  # the last is this message
        who = (
            "user"
            if isinstance(m, HumanMessage)
            else "assistant"
            if isinstance(m, AIMessage)
            else "other"
        )
        lines.append(f"{who}: {str(m.content)[:300]}")
    return "\n".join(lines)


def _shown_lines(app: App, shown: list[str]) -> str:
    items = app.dataset.items
    return "\n".join(
        f"{n}. {items.label(items.index[i])}" for n, i in enumerate(shown, 1) if i in items.index
    )
