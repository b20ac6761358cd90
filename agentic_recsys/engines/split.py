"""Leave-one-out per user: the last event is the test, the one before it validation.

Events are ordered by timestamp, equal timestamps in a seeded random order. Users with
fewer than three events stay whole in training.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from agentic_recsys.data.dataset import Dataset, Interactions
from agentic_recsys.engines.base import Profile
from agentic_recsys.engines.history import UserHistories, chronological_order

MIN_EVENTS = 3  # a user needs a training event besides the validation and test ones


@dataclass(frozen=True)
class Split:
    """Three disjoint boolean masks over the interactions."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def leave_one_out(interactions: Interactions, seed: int) -> Split:
    """Last event per user -> test, second-to-last -> validation, the rest -> train."""
    order = chronological_order(interactions, seed)
    users = interactions.users[order]
    counts = np.bincount(users, minlength=len(interactions.user_ids))
    ends = np.cumsum(counts)  # one past each user's last sorted event
    eligible = np.flatnonzero(counts >= MIN_EVENTS)
    test = np.zeros(len(interactions), dtype=bool)
    valid = np.zeros(len(interactions), dtype=bool)
    test[order[ends[eligible] - 1]] = True
    valid[order[ends[eligible] - 2]] = True
    return Split(train=~(test | valid), valid=valid, test=test)


@dataclass(frozen=True)
class Case:
    """One user to rank for: their profile from the history events, and the held-out item."""

    user: int
    profile: Profile
    target: int


def cases(dataset: Dataset, history: np.ndarray, held_out: np.ndarray, seed: int) -> list[Case]:
    """Make a case per user with a held-out event; their history is excluded from ranking."""
    histories = UserHistories.build(dataset.interactions, history, seed)
    found = []
    users, items = dataset.interactions.users[held_out], dataset.interactions.items[held_out]
    for user, target in sorted(zip(users.tolist(), items.tolist(), strict=True)):
        seen = tuple(histories.items_of(user).tolist())
        profile = Profile(user=user, history=seen, exclude=seen, time=histories.last_time(user))
        found.append(Case(user, profile, target))
    return found


def sampled_negatives(
    dataset: Dataset,
    found: list[Case],
    n: int,
    seed: int,
) -> Iterator[np.ndarray]:
    """For each case, n seeded random items the user never interacted with (any split)."""
    rng = np.random.default_rng(seed)
    known = dataset.interactions.matrix(len(dataset.items))
    for case in found:
        never = np.ones(len(dataset.items), dtype=bool)
        never[known[case.user].indices] = False
        never[case.target] = False
        candidates = np.flatnonzero(never)
        yield rng.choice(candidates, size=min(n, len(candidates)), replace=False)
