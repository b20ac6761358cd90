"""Ranking metrics for one held-out item per user (leave-one-out).

Ranks are 0-based and pessimistic on ties: an item scoring the same as the target counts
as ranked above it, so an engine that scores everything alike gets no credit.
"""

from __future__ import annotations

import numpy as np


def rank_of_target(scores: np.ndarray, target: int, allowed: np.ndarray) -> int:
    """How many allowed items (other than the target) score at least as high as the target."""
    value = scores[target]
    above = (scores >= value) & allowed
    return int(above.sum()) - int(allowed[target])


def hit_rate(ranks: np.ndarray, k: int) -> float:
    """Share of users whose target is in the top k."""
    return float(np.mean(np.asarray(ranks) < k)) if len(ranks) else 0.0


def ndcg(ranks: np.ndarray, k: int) -> float:
    """Mean NDCG@k with one relevant item: 1 / log2(rank + 2) inside the top k, else 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    if len(ranks) == 0:
        return 0.0
    gains = np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(gains.mean())
