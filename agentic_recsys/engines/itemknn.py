"""Item-kNN: items chosen by the same users as the profile's recent items (cosine, top-k)."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.history import history_vector, recency_weights, strongest_links
from agentic_recsys.engines.state import State, sparse_from_state, sparse_state


class ItemKNNConfig(BaseModel):
    """Neighbourhood size, similarity shrinkage and how fast old history fades."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    neighbours: int = Field(default=50, ge=1, description="similar items kept per item")
    shrinkage: float = Field(default=10.0, ge=0, description="damps similarities on few users")
    half_life: float | None = Field(default=2.0, gt=0, description="history items; None: all")


class ItemKNN:
    """Sums the cosine similarities of each item to the (recency-weighted) history items."""

    name = "itemknn"

    def __init__(self, config: ItemKNNConfig | None = None) -> None:
        self.config = config or ItemKNNConfig()
        self.similar_to = sparse.csr_matrix((0, 0), dtype=np.float32)  # row j: items like j
        self.co_users = sparse.csr_matrix((0, 0), dtype=np.float32)  # same layout: users in common

    def fit(self, dataset: Dataset, train: np.ndarray) -> ItemKNN:
        """Cosine similarity between item columns of the user x item matrix, top-k per item."""
        users_items = dataset.interactions.subset(train).matrix(len(dataset.items))
        co = (users_items.T @ users_items).tocsr().astype(np.float32)
        co.setdiag(0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(users_items.sum(axis=0)).ravel()).astype(np.float32)
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        sim = co.copy()
        sim.data = co.data / (norms[rows] * norms[co.indices] + self.config.shrinkage)
        keep = _top_k_per_row(sim, self.config.neighbours)
        # stored by candidate: row j lists the history items i with j among i's neighbours
        self.similar_to = _transposed(_masked(sim, keep))
        self.co_users = _transposed(_masked(co, keep))
        return self

    def state(self) -> State:
        """The kept similarities and co-occurrence counts."""
        return sparse_state("similar_to", self.similar_to) | sparse_state("co_users", self.co_users)

    def load_state(self, state: State) -> ItemKNN:
        """Take back the kept similarities and co-occurrence counts."""
        self.similar_to = sparse_from_state(state, "similar_to")
        self.co_users = sparse_from_state(state, "co_users")
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Recency-weighted sum of similarities to the history."""
        h = history_vector(profile, self.similar_to.shape[1], self.config.half_life)
        return np.asarray(self.similar_to @ h, dtype=np.float32).ravel()

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Name, for each item, the history item contributing most, and how many chose both."""
        if not profile.history or len(items) == 0:
            return [None] * len(items)
        history = np.asarray(profile.history, dtype=np.int64)
        weights = recency_weights(len(history), self.config.half_life)
        return [
            Evidence(self.name, value, because=liked, detail=f"{n} users chose both")
            if value > 0
            else None
            for value, liked, n in strongest_links(
                self.similar_to, self.co_users, items, history, weights
            )
        ]


def _top_k_per_row(matrix: sparse.csr_matrix, k: int) -> np.ndarray:
    """Mark the k largest entries of each row (a boolean over matrix.data)."""
    keep = np.zeros(len(matrix.data), dtype=bool)
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        if end - start <= k:
            keep[start:end] = True
        else:
            top = np.argpartition(-matrix.data[start:end], k - 1)[:k]
            keep[start + top] = True
    return keep


def _masked(matrix: sparse.csr_matrix, keep: np.ndarray) -> sparse.csr_matrix:
    out = matrix.copy()
    out.data = np.where(keep, out.data, 0).astype(np.float32)
    out.eliminate_zeros()
    return out


def _transposed(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    out = matrix.T.tocsr()
    out.sort_indices()
    return out
