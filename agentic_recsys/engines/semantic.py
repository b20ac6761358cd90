"""Semantic search over item text: MiniLM vectors kept in Chroma, ranked exactly with numpy.

Chroma holds the vectors so the index survives restarts and other services can reuse it;
ranking is exact over the embedding matrix because Chroma's HNSW found only 11% of the
exact top-10 in our measurements (ARCHITECTURE.md), and filters are masks, never `where`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys import chroma_clients
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.embeddings import DIM, MiniLMEmbeddingFunction, embedder
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.history import recency_weights
from agentic_recsys.engines.state import State

CHROMA_DIR = "chroma"
COLLECTION_PREFIX = "items-"
EMBED_BATCH = 512  # texts embedded and stored per step (a progress tick)
# Phrases that ask for nothing: how close they come to some item's text is how close any
# query comes by chance on this catalog (measured per catalog, never a fixed cosine).
NULL_QUERIES = (
    "of course",
    "I think so too",
    "sounds good to me",
    "I heard good things about it",
    "we can talk about it",
    "yes please",
    "that is interesting",
    "I believe so",
    "my friend told me",
    "thank you",
)
NEIGHBOUR_SAMPLE = 500  # items sampled to measure how alike neighbours usually are


class SemanticConfig(BaseModel):
    """How fast old history fades when there is no query."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    half_life: float | None = Field(default=3.0, gt=0, description="history items; None: all")


class Semantic:
    """Cosine similarity to the query, or to the recency-weighted mean of the history's vectors."""

    name = "semantic"

    def __init__(self, config: SemanticConfig | None = None) -> None:
        self.config = config or SemanticConfig()
        self.vectors = np.zeros((0, DIM), dtype=np.float32)

    def fit(self, dataset: Dataset, train: np.ndarray) -> Semantic:
        """Read the item vectors from the dataset's Chroma index, embedding what is missing."""
        self.vectors = item_vectors(dataset)
        return self

    @cached_property
    def chance_match(self) -> float:
        """The best cosine a query that asks for nothing reaches here: below it, no match."""
        if not len(self.vectors):
            return 1.0
        null = embedder().embed(list(NULL_QUERIES))
        return float((self.vectors @ null.T).max())

    @cached_property
    def close_neighbour(self) -> float:
        """Item-to-item cosine above which two descriptions are close for this catalog.

        The median of each sampled item's nearest neighbour: half of all items have a
        neighbour this close, so "close in description" is said of the better half only.
        """
        n = len(self.vectors)
        if n < 2:
            return 1.0
        rows = np.random.default_rng(0).choice(n, size=min(n, NEIGHBOUR_SAMPLE), replace=False)
        sims = self.vectors[rows] @ self.vectors.T
        sims[np.arange(len(rows)), rows] = -1.0
        return float(np.median(sims.max(axis=1)))

    def matches(self, query: str) -> np.ndarray:
        """Items whose text is closer to the query than chance (see `chance_match`)."""
        if not query.strip() or not len(self.vectors):
            return np.zeros(len(self.vectors), dtype=bool)
        return self.vectors @ embedder().embed([query])[0] > self.chance_match

    def state(self) -> State:
        """The item vectors, so a reopen needs neither Chroma nor the embedding model."""
        return {"vectors": self.vectors}

    def load_state(self, state: State) -> Semantic:
        """Take back the item vectors."""
        self.vectors = state["vectors"]
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Cosine similarity of every item to the profile's direction; zeros with neither."""
        direction = self._direction(profile)
        if direction is None:
            return np.zeros(len(self.vectors), dtype=np.float32)
        return self.vectors @ direction

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Name the query each item matches, or the history item whose text is closest."""
        direction = self._direction(profile)
        if direction is None:
            return [None] * len(items)
        vectors = self.vectors[items]
        scores = (vectors @ direction).tolist()
        if profile.query:
            return [
                Evidence(self.name, s, detail=f'matches "{profile.query}" (cosine {s:.2f})')
                for s in scores
            ]
        history = np.asarray(profile.history, dtype=np.int64)
        closeness = vectors @ self.vectors[history].T
        best = np.argmax(closeness, axis=1)
        return [
            Evidence(
                self.name,
                s,
                because=int(history[b]),
                detail=f"similar description (cosine {closeness[row, b]:.2f})",
            )
            for row, (s, b) in enumerate(zip(scores, best.tolist(), strict=True))
        ]

    def _direction(self, profile: Profile) -> np.ndarray | None:
        if profile.query:
            return embedder().embed([profile.query])[0]
        if not profile.history:
            return None
        history = np.asarray(profile.history, dtype=np.int64)
        weights = recency_weights(len(history), self.config.half_life)
        mean = weights @ self.vectors[history]
        return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


def item_vectors(dataset: Dataset, progress: Callable[[float], None] | None = None) -> np.ndarray:
    """Return the catalog's vectors (row i: item i) from the Chroma collection for it.

    The collection is named by the dataset's fingerprint; collections of older catalogs are
    dropped, so a changed catalog is re-embedded, never served stale.
    """
    client = chromadb.PersistentClient(
        path=str(Path(dataset.index_dir) / CHROMA_DIR),
        settings=Settings(anonymized_telemetry=False),
    )
    try:
        return _stored_vectors(client, dataset, progress)
    finally:
        chroma_clients.close(client)


def _stored_vectors(
    client: ClientAPI, dataset: Dataset, progress: Callable[[float], None] | None
) -> np.ndarray:
    name = COLLECTION_PREFIX + dataset.fingerprint
    for collection in client.list_collections():
        if collection.name.startswith(COLLECTION_PREFIX) and collection.name != name:
            client.delete_collection(collection.name)
    collection = client.get_or_create_collection(
        name,
        embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
    )
    ids = dataset.items.ids
    stored = collection.get(include=["embeddings"])
    vectors = np.zeros((len(ids), DIM), dtype=np.float32)
    have = np.zeros(len(ids), dtype=bool)
    embeddings = stored["embeddings"] if stored["embeddings"] is not None else []
    for item_id, vector in zip(stored["ids"], embeddings, strict=True):
        row = dataset.items.index[item_id]
        vectors[row], have[row] = vector, True
    missing = np.flatnonzero(~have)
    batch = min(client.get_max_batch_size(), EMBED_BATCH)
    for start in range(0, len(missing), batch):
        rows = missing[start : start + batch]
        texts = [dataset.items.text(int(i)) for i in rows]
        vectors[rows] = embedder().embed(texts)
        collection.add(ids=[ids[i] for i in rows], embeddings=vectors[rows], documents=texts)
        if progress:
            progress(min(1.0, (start + len(rows)) / len(missing)))
    return vectors
