"""Time-aware popularity: what other users chose in the days before the profile's moment.

Tastes in a catalog drift (new releases, seasons); what was popular just before a user's
latest activity predicts their next choice better than all-time popularity. Only events
before the moment count, so it never looks into the future.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.state import State

SECONDS_PER_DAY = 86_400.0


class RecentPopularityConfig(BaseModel):
    """How far back to look; timestamps are taken to be in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    half_life_days: float = Field(default=10.0, gt=0, description="an event this old counts 1/2")
    window_half_lives: float = Field(default=4.0, gt=0, description="older events are ignored")


class RecentPopularity:
    """Scores items by recency-decayed counts of the training events before the profile's time."""

    name = "recent_popularity"

    def __init__(self, config: RecentPopularityConfig | None = None) -> None:
        self.config = config or RecentPopularityConfig()
        self.times = np.zeros(0, dtype=np.float64)
        self.items = np.zeros(0, dtype=np.int64)
        self.n_items = 0

    def fit(self, dataset: Dataset, train: np.ndarray) -> RecentPopularity:
        """Keep the training events sorted by time."""
        events = dataset.interactions.subset(train)
        order = np.argsort(events.timestamps, kind="stable")
        self.times = events.timestamps[order]
        self.items = events.items[order].astype(np.int64)
        self.n_items = len(dataset.items)
        return self

    def state(self) -> State:
        """The time-sorted events and the catalog size."""
        return {"times": self.times, "items": self.items, "n_items": np.asarray(self.n_items)}

    def load_state(self, state: State) -> RecentPopularity:
        """Take back the time-sorted events and the catalog size."""
        self.times, self.items = state["times"], state["items"]
        self.n_items = int(state["n_items"])
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Decayed counts in the window that ends at the profile's time (or the latest event)."""
        weights, items = self._window(profile)
        return np.log1p(np.bincount(items, weights=weights, minlength=self.n_items)).astype(
            np.float32
        )

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """How many users chose each item in the window."""
        weights, chosen = self._window(profile)
        counts = np.bincount(chosen, minlength=self.n_items)[items].tolist()
        decayed = np.bincount(chosen, weights=weights, minlength=self.n_items)[items].tolist()
        days = self.config.half_life_days * self.config.window_half_lives
        return [
            Evidence(
                self.name,
                float(np.log1p(w)),
                detail=f"chosen by {n} users in the {days:g} days before",
            )
            if n
            else None
            for n, w in zip(counts, decayed, strict=True)
        ]

    def _window(self, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
        if len(self.times) == 0:
            return np.zeros(0), self.items
        now = self.times[-1] if profile.time is None else profile.time
        half_life = self.config.half_life_days * SECONDS_PER_DAY
        start = np.searchsorted(self.times, now - half_life * self.config.window_half_lives)
        end = np.searchsorted(self.times, now, side="right")
        age = now - self.times[start:end]
        return np.power(0.5, age / half_life), self.items[start:end]
