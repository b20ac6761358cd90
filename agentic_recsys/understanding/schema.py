"""What the agents hand each other: the intent, the plan, the critique, the reply.

Pydantic models, because every one of them may come from an LLM and must be validated
before it is used; the deterministic policies build the same objects.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agentic_recsys.understanding.predicates import Predicate

IntentKind = Literal[
    "recommend",  # a new request ("a funny 90s movie")
    "refine",  # change the last request ("darker", "older", "more like the second one")
    "feedback",  # only feedback on shown items ("loved #2", "seen it")
    "explain",  # "why The Matrix?"
    "clarify",  # too vague to act on: ask a question
    "chitchat",  # greetings, thanks, off-topic
    "edit_profile",  # "I don't like horror" with no request attached
]
Verdict = Literal["liked", "disliked", "seen"]
Refinement = Literal[
    "darker", "lighter", "older", "newer", "more_popular", "less_popular", "more_varied", "more"
]


class Constraints(BaseModel):
    """Hard constraints: an item that breaks one is never shown."""

    genres_in: list[str] = Field(default_factory=list, description="catalog genres, any of")
    genres_out: list[str] = Field(default_factory=list, description="catalog genres, none of")
    year_min: int | None = None
    year_max: int | None = None
    count: int | None = Field(default=None, ge=1, le=50, description="how many items to show")
    predicates: list[Predicate] = Field(
        default_factory=list,
        description="any other field of the catalog: runtime, rating class, services, "
        "title words, people and other relations",
    )

    def all_predicates(self) -> list[Predicate]:
        """Every hard constraint as a predicate, genres and years included."""
        out = list(self.predicates)
        if self.genres_in:
            out.append(Predicate(field="genres", op="contains any", value=tuple(self.genres_in)))
        if self.genres_out:
            out.append(Predicate(field="genres", op="not contains", value=tuple(self.genres_out)))
        if self.year_min is not None and self.year_max is not None:
            out.append(
                Predicate(
                    field="year", op="between", value=(float(self.year_min), float(self.year_max))
                )
            )
        elif self.year_min is not None:
            out.append(Predicate(field="year", op=">=", value=self.year_min))
        elif self.year_max is not None:
            out.append(Predicate(field="year", op="<=", value=self.year_max))
        return out


class Feedback(BaseModel):
    """The user's verdict on one item (usually one that was shown)."""

    item: str  # catalog item id
    verdict: Verdict


class Preference(BaseModel):
    """A lasting statement about taste, to remember across conversations."""

    key: str  # what it is about, e.g. "genre:Horror"; a newer statement on a key supersedes
    polarity: Literal["like", "avoid"]
    text: str  # the user's words, kept as data, never as instructions


class Intent(BaseModel):
    """What the user wants this turn, every title resolved against the catalog."""

    kind: IntentKind
    constraints: Constraints = Field(default_factory=Constraints)
    query: str = Field(default="", max_length=500, description="soft wishes, mood, themes")
    year_near: int | None = Field(default=None, description="'around 1993': nearer ranks higher")
    like_items: list[str] = Field(default_factory=list, description="item ids: 'like <title>'")
    unresolved_titles: list[str] = Field(default_factory=list)
    feedback: list[Feedback] = Field(default_factory=list)
    reject_shown: bool = False  # "none of those"
    explain_items: list[str] = Field(default_factory=list)
    explain_about: bool = False  # "what is #2 about?": what they are, not why they were picked
    refinements: list[Refinement] = Field(default_factory=list)
    preferences: list[Preference] = Field(default_factory=list)
    question: str = ""  # for clarify: what to ask
    unsupported: list[str] = Field(default_factory=list, description="wishes with no data")
    problems: list[str] = Field(
        default_factory=list, description="what was asked but cannot be served, and why"
    )
    notes: list[str] = Field(default_factory=list, description="how a loose word was read")
