"""Knowledge-graph neighbours: items sharing a director, writer, actor, ... with liked items.

A shared director or a sequel says much more than a shared supporting actor, and a shared
language, country, age rating or award category says nearly nothing: each relation has a
weight (0 drops it), and relations of a user's own catalog (brand, author, ...) that the
table does not name get `other_weight`. Entities linked to many items are dropped above a
share of the catalog, and the rest weigh by rarity (IDF) times their relation's weight.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy import sparse

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.history import history_vector, recency_weights
from agentic_recsys.engines.state import State, sparse_from_state, sparse_state

RELATION_WEIGHTS = {  # by the last part of a relation's name ("film.film.directed_by")
    "sequel": 1.5,
    "prequel": 1.5,
    "series": 1.5,
    "directed_by": 1.0,
    "director": 1.0,
    "written_by": 0.8,
    "writer": 0.8,
    "subjects": 0.5,
    "actor": 0.35,
    "produced_by": 0.3,
    "cinematography": 0.3,
    "production_companies": 0.1,
    # Freebase film relations that say next to nothing about taste
    "genre": 0.0,  # the catalog's genres are matched directly
    "language": 0.0,
    "country": 0.0,
    "rating": 0.0,
    "award_nomination": 0.0,
    "award_won": 0.0,
    "film": 0.0,
    "films": 0.0,
}


class KGConfig(BaseModel):
    """Which entities count, and how fast old history fades."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_item_share: float = Field(
        default=0.25, gt=0, le=1, description="drop entities linked to more of the catalog"
    )
    relation_weights: dict[str, float] = Field(
        default_factory=lambda: dict(RELATION_WEIGHTS),
        description="relation (last part of its name) -> weight; 0 drops it",
    )
    other_weight: float = Field(default=0.5, ge=0, description="for relations not listed")
    half_life: float | None = Field(default=3.0, gt=0, description="history items; None: all")


class KnowledgeGraph:
    """Scores items by the rarity-weighted entities they share with the history."""

    name = "kg"

    def __init__(self, config: KGConfig | None = None) -> None:
        self.config = config or KGConfig()
        self.item_entities = sparse.csr_matrix((0, 0), dtype=np.float32)  # IDF weights
        self.entities: list[str] = []
        self.relation_of: dict[tuple[int, int], str] = {}  # (item row, entity column)

    def fit(self, dataset: Dataset, train: np.ndarray) -> KnowledgeGraph:
        """Index the item-entity links (content: the training events are not needed)."""
        rel = dataset.relations
        n_items = len(dataset.items)
        vocab, columns = np.unique(np.asarray(rel.entities, dtype=object), return_inverse=True)
        weights = self.config.relation_weights
        edge_weight = np.array(
            [weights.get(r.rsplit(".", 1)[-1], self.config.other_weight) for r in rel.relations],
            dtype=np.float32,
        )
        counted = edge_weight > 0
        # an entity linked twice to one item (actor and producer) counts once, at its best
        strongest: dict[tuple[int, int], float] = {}
        for i, c, w in zip(rel.items[counted], columns[counted], edge_weight[counted], strict=True):
            strongest[(int(i), int(c))] = max(float(w), strongest.get((int(i), int(c)), 0.0))
        pairs = np.array(list(strongest), dtype=np.int64).reshape(-1, 2)
        links = sparse.csr_matrix(
            (np.array(list(strongest.values()), dtype=np.float32), (pairs[:, 0], pairs[:, 1])),
            shape=(n_items, len(vocab)),
        )
        items_per_entity = np.asarray(links.getnnz(axis=0))
        too_common = items_per_entity > self.config.max_item_share * n_items
        useful = (items_per_entity >= 2) & ~too_common
        kept = np.flatnonzero(useful)
        links = links[:, kept].tocsr()
        idf = np.log(n_items / np.maximum(items_per_entity[kept], 1)).astype(np.float32)
        self.item_entities = (links @ sparse.diags(idf)).tocsr()
        self.item_entities.sort_indices()
        self.entities = [str(e) for e in vocab[kept]]
        new_column = np.full(len(vocab), -1)
        new_column[kept] = np.arange(len(kept))
        self.relation_of = {
            (int(i), int(new_column[c])): r
            for i, c, r, w in zip(rel.items, columns, rel.relations, edge_weight, strict=True)
            if new_column[c] >= 0 and w > 0
        }
        return self

    def state(self) -> State:
        """The IDF-weighted links, the entity names and each link's relation (as codes)."""
        pairs = np.array(list(self.relation_of), dtype=np.int64).reshape(-1, 2)
        names, codes = np.unique(
            np.asarray(list(self.relation_of.values()), dtype=np.str_), return_inverse=True
        )
        return sparse_state("item_entities", self.item_entities) | {
            "entities": np.asarray(self.entities, dtype=np.str_),
            "relation.pairs": pairs,
            "relation.names": names,
            "relation.codes": codes.astype(np.int64),
        }

    def load_state(self, state: State) -> KnowledgeGraph:
        """Take back the links, the entity names and each link's relation."""
        self.item_entities = sparse_from_state(state, "item_entities")
        self.entities = state["entities"].tolist()
        names = state["relation.names"].tolist()
        items, columns = state["relation.pairs"].T.tolist()
        codes = state["relation.codes"].tolist()
        self.relation_of = {(i, c): names[r] for i, c, r in zip(items, columns, codes, strict=True)}
        return self

    def score(self, profile: Profile) -> np.ndarray:
        """Sum over shared entities of the entity's weight times the history's weight on it."""
        h = history_vector(profile, self.item_entities.shape[0], self.config.half_life)
        per_entity = self.item_entities.T @ h
        return np.asarray(self.item_entities @ per_entity, dtype=np.float32).ravel()

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        """Name, for each item, the rarest entity it shares with the most recent history items."""
        if not profile.history or len(items) == 0:
            return [None] * len(items)
        history = np.asarray(profile.history, dtype=np.int64)
        weights = recency_weights(len(history), self.config.half_life)
        links = self.item_entities
        spans = [(links.indptr[i], links.indptr[i + 1]) for i in items.tolist()]
        columns = np.unique(np.concatenate([links.indices[a:b] for a, b in spans]))
        # Which history items link to each entity any of the items has: one slice for all.
        held = (links[history][:, columns].toarray() > 0) * weights[:, None]
        return [
            self._shared(item, history, held[:, np.searchsorted(columns, links.indices[a:b])], a, b)
            for item, (a, b) in zip(items.tolist(), spans, strict=True)
        ]

    def _shared(
        self, item: int, history: np.ndarray, held: np.ndarray, start: int, end: int
    ) -> Evidence | None:
        """The best (history item, entity) pair of one item; `held` is history x its entities."""
        if end == start:
            return None
        value = held * self.item_entities.data[start:end][None, :]
        pos, col = np.unravel_index(int(np.argmax(value)), value.shape)
        if value[pos, col] <= 0:
            return None
        column = int(self.item_entities.indices[start + col])
        relation = self.relation_of.get((item, column), "")
        entity = self.entities[column]
        return Evidence(
            self.name,
            float(value[pos, col]),
            because=int(history[pos]),
            relation=relation,
            entity=entity,
            detail=f"shares {relation.rsplit('.', 1)[-1]} {entity}",
        )
