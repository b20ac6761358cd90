"""Popularity: how many users chose each item; the cold-start fallback for unknown users."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.state import State


class PopularityConfig(BaseModel):
    """Nothing to tune: popularity is the count of distinct users per item."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Popularity:
    """Scores every item by log(1 + number of users who chose it); ignores the profile."""

    name = "popularity"

    def __init__(self, config: PopularityConfig | None = None) -> None:
        self.config = config or PopularityConfig()
        self.users_per_item = np.zeros(0, dtype=np.int64)

    def fit(self, dataset: Dataset, train: np.ndarray) -> Popularity:
        """Count distinct users per item in the training events."""
        matrix = dataset.interactions.subset(train).matrix(len(dataset.items))
        self.users_per_item = np.asarray(matrix.getnnz(axis=0), dtype=np.int64)
        return self

    def state(self) -> State:
        """The per-item counts."""
        return {"users_per_item": self.users_per_item}

    def load_state(self, state: State) -> Popularity:
        """Take back the per-item counts."""
        self.users_per_item = state["users_per_item"]
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Score items the same for everyone."""
        return np.log1p(self.users_per_item).astype(np.float32)

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """How many users chose each item."""
        counts = self.users_per_item[items].astype(int).tolist()
        return [
            Evidence(self.name, float(np.log1p(n)), detail=f"chosen by {n} users") if n else None
            for n in counts
        ]
