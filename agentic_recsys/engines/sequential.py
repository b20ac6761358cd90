"""Item-to-item transitions: what users chose right around the profile's latest items.

In the training sequences, item B within a few steps of item A is counted (nearer steps
count more); a profile is scored from its last few items, newest first. Both directions
count by default: many events share a timestamp, so their order is partly arbitrary.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.history import UserHistories, recency_weights, strongest_links
from agentic_recsys.engines.state import State, sparse_from_state, sparse_state


class SequentialConfig(BaseModel):
    """How far ahead a transition reaches, and how many recent items predict the next."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: int = Field(default=10, ge=1, description="B counts if within this many steps of A")
    both_directions: bool = Field(default=True, description="count B before A as well")
    recent: int = Field(default=20, ge=1, description="latest history items used")
    half_life: float = Field(default=3.0, gt=0, description="in history items")
    seed: int = Field(default=0, description="orders events with equal timestamps")


class Sequential:
    """Scores items by transition probabilities from the recent history items."""

    name = "sequential"

    def __init__(self, config: SequentialConfig | None = None) -> None:
        self.config = config or SequentialConfig()
        self.follows = sparse.csr_matrix((0, 0), dtype=np.float32)  # row b: what b follows
        self.counts = sparse.csr_matrix((0, 0), dtype=np.float32)  # same layout: raw counts

    def fit(self, dataset: Dataset, train: np.ndarray) -> Sequential:
        """Count gap-weighted transitions A -> B in the users' training sequences."""
        n = len(dataset.items)
        histories = UserHistories.build(dataset.interactions, train, self.config.seed)
        sources, targets, weights = [], [], []
        same_user = np.repeat(np.arange(len(histories)), np.diff(histories.indptr))
        for gap in range(1, self.config.window + 1):
            ok = same_user[:-gap] == same_user[gap:]
            before, after = histories.items[:-gap][ok], histories.items[gap:][ok]
            pairs = (
                [(before, after), (after, before)]
                if self.config.both_directions
                else [(before, after)]
            )
            for source, target in pairs:
                sources.append(source)
                targets.append(target)
                weights.append(np.full(len(source), 1.0 / gap, dtype=np.float32))
        a, b, w = np.concatenate(sources), np.concatenate(targets), np.concatenate(weights)
        counts = sparse.csr_matrix((np.ones_like(w), (b, a)), shape=(n, n))
        weighted = sparse.csr_matrix((w, (b, a)), shape=(n, n))
        out_of = np.asarray(weighted.sum(axis=0)).ravel()
        weighted = (weighted @ sparse.diags(1.0 / np.maximum(out_of, 1e-9))).tocsr()
        self.follows, self.counts = weighted.astype(np.float32), counts.astype(np.float32)
        self.follows.sort_indices()
        self.counts.sort_indices()
        return self

    def state(self) -> State:
        """The transition probabilities and raw counts."""
        return sparse_state("follows", self.follows) | sparse_state("counts", self.counts)

    def load_state(self, state: State) -> Sequential:
        """Take back the transition probabilities and raw counts."""
        self.follows = sparse_from_state(state, "follows")
        self.counts = sparse_from_state(state, "counts")
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Recency-weighted transition probabilities from the latest history items."""
        recent, weights = self._recent(profile)
        h = np.bincount(recent, weights=weights, minlength=self.follows.shape[1])
        return np.asarray(self.follows @ h.astype(np.float32), dtype=np.float32).ravel()

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Name, for each item, the recent item it was most often chosen next to."""
        recent, weights = self._recent(profile)
        if len(recent) == 0 or len(items) == 0:
            return [None] * len(items)
        return [
            Evidence(
                self.name,
                value,
                because=liked,
                detail=f"chosen within {self.config.window} steps of it {n} times",
            )
            if value > 0
            else None
            for value, liked, n in strongest_links(
                self.follows, self.counts, items, recent, weights
            )
        ]

    def _recent(self, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
        recent = np.asarray(profile.history[-self.config.recent :], dtype=np.int64)
        return recent, recency_weights(len(recent), self.config.half_life)
