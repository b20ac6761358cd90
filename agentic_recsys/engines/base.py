"""The types every recommendation engine shares: who we recommend for, and why an item is there.

An engine scores every catalog row for a `Profile`; hard filters are boolean masks over
the same rows; the fusion ranker combines the scores; every candidate that leaves the
engines carries `Evidence` the explainer can cite.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.state import State


@dataclass(frozen=True)
class Profile:
    """Who we recommend for: a known user, items liked in the conversation, a text query."""

    user: int | None = None  # row of a user in the training interactions, if known
    history: tuple[int, ...] = ()  # item rows the user consumed or liked, oldest first
    query: str = ""  # free text for semantic search ("dark thriller about a heist")
    exclude: tuple[int, ...] = ()  # item rows never to recommend (seen, rejected)
    time: float | None = None  # when, in the interactions' clock; None: after the latest event
    rated_low: tuple[int, ...] = ()  # history rows the user rated low: they rank, never explain

    def citable(self) -> Profile:
        """The profile an explanation may cite: without the items the user rated low.

        What a user watched predicts what they watch next whatever they thought of it, so
        those items still rank; but "people who watched X also watched it" is said only
        of an X they did not rate low.
        """
        if not self.rated_low:
            return self
        low = set(self.rated_low)
        return replace(self, history=tuple(h for h in self.history if h not in low), rated_low=())


@dataclass(frozen=True)
class Evidence:
    """One reason an item is a candidate, grounded in data the explainer may cite."""

    source: str  # engine name: popularity, itemknn, als, semantic, kg, filter, ...
    score: float
    because: int | None = None  # item row of the liked item it resembles
    relation: str | None = None  # knowledge-graph relation, e.g. film.film.directed_by
    entity: str | None = None  # the shared knowledge-graph entity
    detail: str = ""  # a short grounded fact, e.g. "liked by 480 users"


@dataclass
class Candidate:
    """An item on the candidate bus: its fused score and every piece of evidence."""

    item: int  # catalog row
    score: float
    evidence: list[Evidence] = field(default_factory=list)


class Engine(Protocol):
    """A recommendation engine: fitted once per dataset, then scores all items for a profile.

    Its fitted state leaves and re-enters it only as plain arrays (`state`, `load_state`),
    which is all the dataset's index holds.
    """

    name: str

    def fit(self, dataset: Dataset, train: np.ndarray) -> Engine:
        """Learn from the interactions selected by the boolean mask `train`."""
        ...

    def score(self, profile: Profile) -> np.ndarray:
        """Return a float32 score for every catalog row; higher is better, -inf means never."""
        ...

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Why each of `items` (rows) scores well for this profile; None where it has no reason.

        Many items at once: a turn explains every candidate of every tool (hundreds), and
        what depends only on the profile is worked out once.
        """
        ...

    def state(self) -> State:
        """The fitted state as named numeric or text arrays (see engines/state.py)."""
        ...

    def load_state(self, state: State) -> Engine:
        """Take back what `state` returned (same config); KeyError or ValueError if unfit."""
        ...
