"""Fusion: a weighted sum of the engines' standardised scores, weights tuned on validation.

Each engine's scores are z-scored over the items still allowed for this profile, so
weights compare like with like. Weights are found by coordinate ascent on NDCG@10 over
held-out items, scoring each user only on the union of every engine's top items (a
candidate pool), which keeps tuning fast and its memory independent of catalog size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.engines.metrics import ndcg

CUTOFF = 10  # the NDCG cutoff weights are tuned for


class FusionConfig(BaseModel):
    """The weight grid and the effort of the coordinate-ascent search."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    grid: tuple[float, ...] = Field(
        default=(0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0), description="values each weight may take"
    )
    rounds: int = Field(default=4, ge=1, description="passes over the engines")
    pool_size: int = Field(default=100, ge=10, description="top items per engine per user")


def standardise(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Z-scores over the allowed rows (all zeros if the engine does not separate them)."""
    values = np.where(np.isfinite(scores), scores, 0.0).astype(np.float32)
    kept = values[allowed]
    if len(kept) == 0:
        return np.zeros_like(values)
    spread = float(kept.std())
    if spread < 1e-9:
        return np.zeros_like(values)
    return (values - float(kept.mean())) / spread


def fuse(
    scores: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    allowed: np.ndarray,
) -> np.ndarray:
    """Weighted sum of standardised scores; -inf where not allowed."""
    fused = np.zeros(len(allowed), dtype=np.float32)
    for name, weight in weights.items():
        if weight:
            fused += np.float32(weight) * standardise(scores[name], allowed)
    return np.where(allowed, fused, -np.inf).astype(np.float32)


def top_k(fused: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best finite scores, best first (ties: lower row first)."""
    finite = np.flatnonzero(np.isfinite(fused))
    k = min(k, len(finite))
    if k == 0:
        return finite
    best = finite[np.argpartition(-fused[finite], k - 1)[:k]]
    return best[np.lexsort((best, -fused[best]))]


@dataclass(frozen=True)
class Pools:
    """Every validation user's candidate pool: standardised scores per engine, and the target."""

    names: tuple[str, ...]
    z: np.ndarray  # users x engines x pool slots, float32
    valid: np.ndarray  # users x pool slots: the slot holds a real item
    target: np.ndarray  # users: slot of the held-out item, -1 if no engine ranked it high

    @classmethod
    def collect(
        cls,
        names: Sequence[str],
        cases: Iterable[tuple[Mapping[str, np.ndarray], np.ndarray, int]],
        size: int,
    ) -> Pools:
        """Build pools from (scores by engine, allowed mask, target row), one user at a time."""
        pools = [_pool(names, scores, allowed, target, size) for scores, allowed, target in cases]
        width = max((len(rows) for rows, _, _ in pools), default=0)
        z = np.zeros((len(pools), len(names), width), dtype=np.float32)
        valid = np.zeros((len(pools), width), dtype=bool)
        targets = np.full(len(pools), -1, dtype=np.int64)
        for u, (rows, values, slot) in enumerate(pools):
            z[u, :, : len(rows)] = values
            valid[u, : len(rows)] = True
            targets[u] = slot
        return cls(tuple(names), z, valid, targets)

    def ndcg(self, weights: Mapping[str, float]) -> float:
        """Mean NDCG@10 of the fused ranking within the pools."""
        w = np.array([weights.get(n, 0.0) for n in self.names], dtype=np.float32)
        fused = np.einsum("e,uep->up", w, self.z)
        fused[~self.valid] = -np.inf
        found = self.target >= 0
        users = np.flatnonzero(found)
        value = fused[users, self.target[users]][:, None]
        ranks = np.full(len(self.target), np.iinfo(np.int64).max // 2, dtype=np.int64)
        ranks[users] = (fused[users] >= value).sum(axis=1) - 1
        return ndcg(ranks, CUTOFF)


def _pool(
    names: Sequence[str],
    scores: Mapping[str, np.ndarray],
    allowed: np.ndarray,
    target: int,
    size: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the union of each engine's top rows, their z-scores and the target's slot."""
    z = np.stack([standardise(scores[n], allowed) for n in names])
    rows = np.unique(
        np.concatenate([top_k(np.where(allowed, z[e], -np.inf), size) for e in range(len(names))])
    )
    hit = np.flatnonzero(rows == target)
    return rows, z[:, rows], int(hit[0]) if len(hit) else -1


def tune_weights(pools: Pools, config: FusionConfig | None = None) -> dict[str, float]:
    """Coordinate ascent from the best single engine; a change must raise validation NDCG@10."""
    config = config or FusionConfig()
    singles = {n: pools.ndcg({n: 1.0}) for n in pools.names}
    best_name = max(pools.names, key=lambda n: singles[n])
    weights = {n: (1.0 if n == best_name else 0.0) for n in pools.names}
    best = singles[best_name]
    for _ in range(config.rounds):
        improved = False
        for name in pools.names:
            for value in config.grid:
                trial = {**weights, name: value}
                if value == weights[name] or not any(trial.values()):
                    continue
                result = pools.ndcg(trial)
                if result > best + 1e-9:
                    weights, best, improved = trial, result, True
        if not improved:
            break
    return weights
