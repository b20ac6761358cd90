"""Deliberately simple baselines for the conversational benchmark: keyword filters + one engine.

They hear the same messages as the system, pick out genres (the intent lexicon's word
lists, a negation just before a genre word rules it out) and years (a regex for decades,
"before"/"after" and bare years), keep them for the rest of the conversation, and show
the engine's best items under those filters, never one shown before. When the filters
leave too few items they are relaxed, so a baseline always answers. Titles the user named
(when the evaluation knows them, e.g. a dialogue's movie mentions) join the engine's
profile and are never shown; ties, such as every item for an engine that knows nothing of
a stranger yet, go to the more popular item.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Engine, Profile
from agentic_recsys.engines.history import UserHistories
from agentic_recsys.evaluation.simulator import TOP_K
from agentic_recsys.understanding.lexicon import DECADE_WORDS, lexicon_of

# A negation word at most three words before, in the same sentence.
NEGATION = re.compile(r"\b(?:no|not|nothing|without|never)\b(?:[^\w.!?;]+\w+){0,3}[^\w.!?;]*$")
DECADE = re.compile(r"(?<![\w'])'?(1[89]|20)?(\d)0'?s\b")
BEFORE = re.compile(r"\b(?:before|pre-?|older than)\s*(\d{4})\b")
AFTER = re.compile(r"\b(?:after|post-?|newer than|since)\s*(\d{4})\b")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
AROUND = 2  # a bare year means give or take this many years


@dataclass
class KeywordFilters:
    """Genres and years heard so far in one conversation."""

    genres_in: set[str] = field(default_factory=set)
    genres_out: set[str] = field(default_factory=set)
    year_min: int | None = None
    year_max: int | None = None

    def hear(self, message: str, dataset: Dataset) -> None:
        """Add what the message says about genres and years."""
        text = message.lower()
        for match in lexicon_of(dataset.items).pattern.finditer(text):
            genres = lexicon_of(dataset.items).lookup(match.group(0))
            negated = NEGATION.search(text[: match.start()]) is not None
            (self.genres_out if negated else self.genres_in).update(genres)
        self.genres_in -= self.genres_out
        self._hear_years(text)

    def _hear_years(self, text: str) -> None:
        spans: list[tuple[int | None, int | None]] = []
        for m in BEFORE.finditer(text):
            spans.append((None, int(m.group(1)) - 1))
        for m in AFTER.finditer(text):
            spans.append((int(m.group(1)) + 1, None))
        bounded = {m.group(1) for p in (BEFORE, AFTER) for m in p.finditer(text)}
        for m in DECADE.finditer(text):
            start = int((m.group(1) or "19") + m.group(2) + "0")
            spans.append((start, start + 9))
        for word, start in DECADE_WORDS.items():
            if re.search(rf"\b{word}\b", text):
                spans.append((start, start + 9))
        for m in YEAR.finditer(text):
            if m.group(1) not in bounded:
                spans.append((int(m.group(1)) - AROUND, int(m.group(1)) + AROUND))
        for low, high in spans:
            if low is not None:
                self.year_min = low if self.year_min is None else max(self.year_min, low)
            if high is not None:
                self.year_max = high if self.year_max is None else min(self.year_max, high)

    def masks(self, dataset: Dataset) -> list[np.ndarray]:
        """List the allowed items, strictest first: all genres + years, any genre + years, ..."""
        items = dataset.items
        col = {g: j for j, g in enumerate(items.genre_vocab)}
        genres = items.genre_matrix
        years = np.ones(len(items), dtype=bool)
        if self.year_min is not None:
            years &= items.years >= self.year_min
        if self.year_max is not None:
            years &= (items.years <= self.year_max) & (items.years > 0)
        wanted = genres[:, [col[g] for g in sorted(self.genres_in)]]
        unwanted = genres[:, [col[g] for g in sorted(self.genres_out)]]
        allowed: np.ndarray = np.logical_not(unwanted.any(axis=1))
        every: np.ndarray = wanted.all(axis=1) & allowed
        some: np.ndarray = wanted.any(axis=1) & allowed if self.genres_in else every
        return [every & years, some & years, some, allowed]


@dataclass(frozen=True)
class KeywordTurn:
    """A baseline's answer: items only, no question, no LLM."""

    text: str
    items: list[str]
    seconds: float
    question: str = ""
    llm_calls: int = 0


class KeywordConversation:
    """One user's conversation with a keyword baseline."""

    def __init__(self, baseline: KeywordBaseline, user: int | None) -> None:
        self.baseline = baseline
        self.filters = KeywordFilters()
        history = baseline.histories.items_of(user) if user is not None else np.zeros(0, int)
        self.profile = Profile(user=user, history=tuple(history.tolist()))
        self.shown: set[int] = set(history.tolist())

    def send(self, message: str, named: Sequence[int] = ()) -> KeywordTurn:
        """Update the filters (and the profile with the `named` item rows); show the best unseen."""
        start = time.perf_counter()
        dataset = self.baseline.dataset
        count = self.baseline.count
        self.filters.hear(message, dataset)
        new = [row for row in named if row not in self.profile.history]
        if new:
            self.profile = dataclasses.replace(self.profile, history=(*self.profile.history, *new))
            self.shown.update(new)
        scores = self.baseline.engine.score(self.profile)
        unseen = np.ones(len(dataset.items), dtype=bool)
        unseen[list(self.shown)] = False
        allowed = next(
            (
                m & unseen
                for m in self.filters.masks(dataset)
                if np.count_nonzero(m & unseen) >= count
            ),
            unseen,
        )
        rows = np.flatnonzero(allowed)
        order = np.lexsort((-self.baseline.popularity[rows], -scores[rows]))  # score, then count
        ranked = rows[order[:count]]
        self.shown.update(ranked.tolist())
        ids = [dataset.items.ids[i] for i in ranked]
        text = "\n".join(dataset.items.label(i) for i in ranked)
        return KeywordTurn(text=text, items=ids, seconds=time.perf_counter() - start)


class KeywordBaseline:
    """A named baseline: one fitted engine ranks what the keyword filters allow."""

    def __init__(
        self,
        name: str,
        dataset: Dataset,
        engine: Engine,
        histories: UserHistories,
        count: int = TOP_K,
    ) -> None:
        self.name = name
        self.dataset = dataset
        self.engine = engine
        self.histories = histories
        self.count = count  # items per answer
        self.popularity = np.bincount(dataset.interactions.items, minlength=len(dataset.items))

    def start(self, user_id: str) -> KeywordConversation:
        """Start a conversation with a user (their history shapes ALS, and is never shown)."""
        return KeywordConversation(self, self.dataset.interactions.user_index.get(user_id))


def fitted_baselines(
    dataset: Dataset, engines: Sequence[tuple[str, Engine]], seed: int, count: int = TOP_K
) -> list[KeywordBaseline]:
    """Fit each engine on the whole (training) dataset and wrap it as a keyword baseline."""
    everything = np.ones(len(dataset.interactions), dtype=bool)
    histories = UserHistories.build(dataset.interactions, everything, seed)
    return [
        KeywordBaseline(name, dataset, engine.fit(dataset, everything), histories, count)
        for name, engine in engines
    ]
