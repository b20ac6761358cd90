"""Learned fusion: a listwise logistic model over each engine's z-score and rank.

The linear blend sees only z-scores, so an engine's top item counts the same whether
it stands far above the rest or barely ahead. The ranker also sees each item's rank in
every engine (log scale) and learns, by maximising the softmax probability of the
held-out item within its candidate pool, how much being near the top of each engine is
worth. Few parameters (two per engine), L2-regularised, so a thousand held-out events
are enough; its validation score is cross-validated over users, never in-sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize

from agentic_recsys.engines.fusion import CUTOFF, standardise
from agentic_recsys.engines.metrics import ndcg
from agentic_recsys.engines.state import State

FEATURES_PER_ENGINE = 2  # z-score, log(1 + rank)


class RankerConfig(BaseModel):
    """The candidate pool, the regularisation and the cross-validation of the learned ranker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pool_size: int = Field(default=100, ge=10, description="top items per engine per user")
    l2: float = Field(default=1e-2, ge=0, description="penalty on the squared coefficients")
    folds: int = Field(default=5, ge=2, description="user folds for the validation estimate")
    seed: int = Field(default=0, description="assigns users to folds")


def ranking_features(
    scores: Mapping[str, np.ndarray],
    names: Sequence[str],
    allowed: np.ndarray,
) -> np.ndarray:
    """Items x features: per engine the z-score and log(1 + rank) among the allowed items."""
    features = np.zeros((len(allowed), FEATURES_PER_ENGINE * len(names)), dtype=np.float32)
    rows = np.flatnonzero(allowed)
    for e, name in enumerate(names):
        z = standardise(scores[name], allowed)
        order = rows[np.argsort(-z[rows], kind="stable")]  # ties: lower row first
        rank = np.full(len(allowed), len(allowed), dtype=np.float32)
        rank[order] = np.arange(len(order), dtype=np.float32)
        features[:, FEATURES_PER_ENGINE * e] = z
        features[:, FEATURES_PER_ENGINE * e + 1] = np.log1p(rank)
    return features


def candidate_pool(features: np.ndarray, allowed: np.ndarray, size: int) -> np.ndarray:
    """Rows among the top `size` allowed items of at least one engine."""
    best_rank = features[:, 1::FEATURES_PER_ENGINE].min(axis=1)
    return np.flatnonzero(allowed & (best_rank < np.log1p(size)))


@dataclass(frozen=True)
class LearnedRanker:
    """Coefficients over the ranking features of the engines in `names`, in that order."""

    names: tuple[str, ...]
    coef: np.ndarray

    def score(
        self, scores: Mapping[str, np.ndarray], allowed: np.ndarray, pool_size: int
    ) -> np.ndarray:
        """Score every item: the candidate pool first, then the rest; -inf where not allowed."""
        features = ranking_features(scores, self.names, allowed)
        ranked = (features @ self.coef).astype(np.float32)
        pool = candidate_pool(features, allowed, pool_size)
        rest = allowed.copy()
        rest[pool] = False
        if rest.any() and len(pool):  # keep every pool item above every other item
            ranked[rest] -= float(ranked[rest].max() - ranked[pool].min()) + 1.0
        return np.where(allowed, ranked, -np.inf).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for reports."""
        return {"names": list(self.names), "coef": [float(c) for c in self.coef]}

    def state(self) -> State:
        """The engine names and coefficients as arrays, saved in the index."""
        return {"names": np.asarray(self.names, dtype=np.str_), "coef": self.coef}

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> LearnedRanker:
        """Rebuild a ranker saved with `state`."""
        names, coef = tuple(state["names"].tolist()), state["coef"]
        if coef.shape != (FEATURES_PER_ENGINE * len(names),):
            raise ValueError("a saved ranker needs two coefficients per engine")
        return cls(names, coef)


@dataclass(frozen=True)
class RankingCases:
    """Every held-out case's candidate pool as feature rows, grouped by case."""

    names: tuple[str, ...]
    features: np.ndarray  # pool rows of all cases x features, float64
    group: np.ndarray  # the case each row belongs to, 0..cases-1
    positive: np.ndarray  # the row is the case's held-out item
    cases: int  # cases whose held-out item is in their pool (the others cannot be learned)

    @classmethod
    def collect(
        cls,
        names: Sequence[str],
        found: Iterable[tuple[Mapping[str, np.ndarray], np.ndarray, int]],
        pool_size: int,
    ) -> RankingCases:
        """Build from (scores by engine, allowed mask, target row), one case at a time."""
        blocks: list[np.ndarray] = []
        groups: list[np.ndarray] = []
        positives: list[np.ndarray] = []
        for scores, allowed, target in found:
            features = ranking_features(scores, names, allowed)
            pool = candidate_pool(features, allowed, pool_size)
            if target not in pool:
                continue
            blocks.append(features[pool])
            groups.append(np.full(len(pool), len(groups), dtype=np.int64))
            positives.append(pool == target)
        width = FEATURES_PER_ENGINE * len(names)
        if not blocks:
            return cls(
                tuple(names),
                np.zeros((0, width)),
                np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=bool),
                0,
            )
        return cls(
            tuple(names),
            np.concatenate(blocks).astype(np.float64),
            np.concatenate(groups),
            np.concatenate(positives),
            len(blocks),
        )

    def subset(self, keep: np.ndarray) -> RankingCases:
        """The cases where `keep` (one boolean per case) is true, renumbered."""
        rows = keep[self.group]
        renumber = np.cumsum(keep) - 1
        return RankingCases(
            self.names,
            self.features[rows],
            renumber[self.group[rows]],
            self.positive[rows],
            int(keep.sum()),
        )

    def ranks(self, ranker: LearnedRanker) -> np.ndarray:
        """Each case's 0-based rank of its held-out item in the pool (pessimistic on ties)."""
        scored = self.features @ ranker.coef.astype(np.float64)
        target = np.zeros(self.cases)
        target[self.group[self.positive]] = scored[self.positive]
        at_least = np.bincount(self.group, scored >= target[self.group], self.cases)
        return at_least.astype(np.int64) - 1


def train_ranker(cases: RankingCases, config: RankerConfig | None = None) -> LearnedRanker:
    """Fit the coefficients by L-BFGS on the mean listwise softmax loss plus L2."""
    config = config or RankerConfig()
    x, group, positive, n = cases.features, cases.group, cases.positive, max(cases.cases, 1)

    def loss_and_gradient(coef: np.ndarray) -> tuple[float, np.ndarray]:
        scored = x @ coef
        top = np.full(n, -np.inf)
        np.maximum.at(top, group, scored)
        top[~np.isfinite(top)] = 0.0
        exp = np.exp(scored - top[group])
        total = np.bincount(group, exp, n)
        log_norm = top + np.log(np.maximum(total, 1e-300))
        loss = float(log_norm.sum() - scored[positive].sum()) / n + config.l2 * coef @ coef
        share = exp / np.maximum(total, 1e-300)[group]
        gradient = (x.T @ share - x[positive].sum(axis=0)) / n + 2 * config.l2 * coef
        return loss, gradient

    start = np.zeros(x.shape[1])
    fitted = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B")
    return LearnedRanker(cases.names, fitted.x.astype(np.float32))


def cross_validated_ndcg(
    cases: RankingCases,
    total_cases: int,
    config: RankerConfig | None = None,
) -> float:
    """NDCG@10 over all `total_cases`, each case ranked by a ranker not trained on its user.

    Cases whose held-out item is outside the pool count as misses, as in the linear blend.
    """
    config = config or RankerConfig()
    if cases.cases < config.folds or total_cases == 0:
        return 0.0
    fold = np.random.default_rng(config.seed).permutation(cases.cases) % config.folds
    ranks = np.empty(cases.cases, dtype=np.int64)
    for f in range(config.folds):
        ranker = train_ranker(cases.subset(fold != f), config)
        ranks[fold == f] = cases.subset(fold == f).ranks(ranker)
    missed = np.full(total_cases - cases.cases, CUTOFF, dtype=np.int64)
    return ndcg(np.concatenate([ranks, missed]), CUTOFF)
