"""ALS (implicit feedback matrix factorisation), folding in any history, even a stranger's.

Users are never looked up by id: the user vector is solved from the profile's history
against the fixed item factors (one ALS half-step), so a known user, a known user with
items liked in the conversation, and a stranger who named three titles all work alike.
"""

from __future__ import annotations

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.history import recency_weights
from agentic_recsys.engines.state import State


class ALSConfig(BaseModel):
    """Factorisation size, regularisation, confidence and the fold-in's recency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    factors: int = Field(default=32, ge=1)
    regularization: float = Field(default=0.01, ge=0)
    alpha: float = Field(default=1.0, gt=0, description="confidence of an observed event")
    iterations: int = Field(default=15, ge=1)
    half_life: float | None = Field(default=10.0, gt=0, description="history items; None: all")
    seed: int = 0


class ALS:
    """Scores items by the dot product of their factors with the folded-in user vector."""

    name = "als"

    def __init__(self, config: ALSConfig | None = None) -> None:
        self.config = config or ALSConfig()
        self.item_factors = np.zeros((0, self.config.factors), dtype=np.float32)
        self.gram = np.zeros((self.config.factors, self.config.factors), dtype=np.float32)

    def fit(self, dataset: Dataset, train: np.ndarray) -> ALS:
        """Factorise the training user x item matrix on one thread."""
        c = self.config
        users_items = dataset.interactions.subset(train).matrix(len(dataset.items))
        with threadpool_limits(1):
            model = AlternatingLeastSquares(
                factors=c.factors,
                regularization=c.regularization,
                alpha=c.alpha,
                iterations=c.iterations,
                num_threads=1,
                random_state=c.seed,
            )
            model.fit(users_items, show_progress=False)
        return self._use(np.ascontiguousarray(model.item_factors, dtype=np.float32))

    def state(self) -> State:
        """The item factors (the fold-in needs nothing else)."""
        return {"item_factors": self.item_factors}

    def load_state(self, state: State) -> ALS:
        """Take back the item factors."""
        return self._use(state["item_factors"])

    def _use(self, item_factors: np.ndarray) -> ALS:
        self.item_factors = item_factors
        self.gram = item_factors.T @ item_factors
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Item factors times the user vector solved from the history; zeros with no history."""
        return self.item_factors @ self._user_vector(profile)

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Name, for each item, the history item whose factors are closest to its own."""
        if not profile.history:
            return [None] * len(items)
        history = np.asarray(profile.history, dtype=np.int64)
        factors = self.item_factors[items]
        closest = history[np.argmax(factors @ self.item_factors[history].T, axis=1)]
        scores = factors @ self._user_vector(profile)
        return [
            Evidence(
                self.name,
                float(score),
                because=int(liked),
                detail="chosen by users with a similar taste profile",
            )
            for score, liked in zip(scores.tolist(), closest.tolist(), strict=True)
        ]

    def _user_vector(self, profile: Profile) -> np.ndarray:
        """Solve (YtY + Yh' (C - I) Yh + reg I) x = Yh' C 1, implicit-ALS's user step."""
        if not profile.history:
            return np.zeros(self.item_factors.shape[1], dtype=np.float32)
        history = np.asarray(profile.history, dtype=np.int64)
        confidence = 1.0 + self.config.alpha * recency_weights(len(history), self.config.half_life)
        y = self.item_factors[history]
        lhs = self.gram + (y.T * (confidence - 1.0)) @ y
        lhs += self.config.regularization * np.eye(len(lhs), dtype=np.float32)
        return np.linalg.solve(lhs, y.T @ confidence).astype(np.float32)
