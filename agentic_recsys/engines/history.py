"""Users' histories in time order, and how much each past item counts now.

On MovieLens the last few items a user chose predict the next one far better than the
whole history, so every history-based engine weighs items by recency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from agentic_recsys.data.dataset import Interactions
from agentic_recsys.engines.base import Profile


def chronological_order(interactions: Interactions, seed: int) -> np.ndarray:
    """Sort event indices by user, then time; equal times in a seeded random order."""
    tiebreak = np.random.default_rng(seed).permutation(len(interactions))
    return np.lexsort((tiebreak, interactions.timestamps, interactions.users))


@dataclass(frozen=True)
class UserHistories:
    """Each user's events (item rows and times), oldest first, as one CSR-like layout."""

    indptr: np.ndarray  # user row u owns events indptr[u]:indptr[u + 1]
    items: np.ndarray
    times: np.ndarray
    low: np.ndarray  # bool: the event's rating is low (see `rated_low`)

    @classmethod
    def build(cls, interactions: Interactions, mask: np.ndarray, seed: int) -> UserHistories:
        """Build the histories formed by the events where `mask` is true."""
        order = chronological_order(interactions, seed)
        order = order[mask[order]]
        counts = np.bincount(interactions.users[order], minlength=len(interactions.user_ids))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        low = rated_low(interactions.ratings)[order]
        return cls(indptr, interactions.items[order], interactions.timestamps[order], low)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def items_of(self, user: int) -> np.ndarray:
        """Return the user's item rows, oldest first."""
        return self.items[self.indptr[user] : self.indptr[user + 1]]

    def rated_low_of(self, user: int) -> np.ndarray:
        """Return, per item of `items_of(user)`, whether the user rated it low."""
        return self.low[self.indptr[user] : self.indptr[user + 1]]

    def last_time(self, user: int) -> float | None:
        """Return when the user's latest event happened, or None if they have none."""
        end = self.indptr[user + 1]
        return float(self.times[end - 1]) if end > self.indptr[user] else None

    def sequences(self) -> list[np.ndarray]:
        """Return every user's item rows, oldest first."""
        return [self.items_of(u) for u in range(len(self))]


def rated_low(ratings: np.ndarray) -> np.ndarray:
    """Events rated below the middle of the dataset's rating scale (1-5: a 1 or a 2).

    The scale is what the data holds, lowest to highest rating; with one rating value
    (implicit feedback, every event 1) nothing is low.
    """
    if len(ratings) == 0:
        return np.zeros(0, dtype=bool)
    middle = (float(ratings.min()) + float(ratings.max())) / 2
    return np.asarray(ratings < middle, dtype=bool)


def recency_weights(n: int, half_life: float | None) -> np.ndarray:
    """Weigh n items oldest first: 1 for the newest, halving every `half_life` items back.

    None weighs every item 1, the classic whole-history profile.
    """
    if half_life is None:
        return np.ones(n, dtype=np.float32)
    age = np.arange(n - 1, -1, -1, dtype=np.float32)
    return np.power(0.5, age / half_life).astype(np.float32)


def history_vector(profile: Profile, n_items: int, half_life: float | None) -> np.ndarray:
    """Spread the profile's history over a dense per-item weight vector (repeats add up)."""
    items = np.asarray(profile.history, dtype=np.int64)
    weights = recency_weights(len(items), half_life)
    return np.bincount(items, weights=weights, minlength=n_items).astype(np.float32)


def strongest_links(
    links: sparse.csr_matrix,
    counts: sparse.csr_matrix,
    items: np.ndarray,
    history: np.ndarray,
    weights: np.ndarray,
) -> list[tuple[float, int, int]]:
    """For each item, the history item it is most strongly linked to (links x weights).

    Returns (weighted link, that history item, their raw count) per item: the reason an
    item-to-item engine gives for it; a link of 0 means none.
    """
    values = weights * links[items][:, history].toarray()
    best = np.argmax(values, axis=1)
    liked = history[best]
    raw = np.asarray(counts[items, liked]).ravel().astype(int)
    top = values[np.arange(len(items)), best]
    return list(zip(top.tolist(), liked.tolist(), raw.tolist(), strict=True))
