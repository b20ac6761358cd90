"""What the agents and tools work with: an opened dataset, its engines, indexes and memory.

A small typed object below the graph's wiring: agents and tools receive it, never the
`App` (the embedding API, which adds sessions and threads on top of it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Self, TypeVar

import numpy as np

from agentic_recsys.data.dataset import META_FILE, Dataset, assign_uid
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.memory import MemoryStore
from agentic_recsys.understanding.entities import EntityIndex
from agentic_recsys.understanding.titles import TitleIndex
from agentic_recsys.vision.index import ImageIndex, open_image_index

log = logging.getLogger(__name__)


@dataclass
class Resources:
    """An opened dataset with its recommender, indexes and memory."""

    dataset: Dataset
    recommender: Recommender

    def recommend(self, user_id: str, k: int = 10) -> list[str]:
        """Return the k best item ids for a user (popularity if unknown), seen items excluded."""
        profile, _ = self.recommender.profile(user_id)
        ids = self.dataset.items.ids
        return [ids[c.item] for c in self.recommender.recommend(profile, k)]

    def seen(self, user_id: str) -> list[str]:
        """Item ids a known user has interacted with (never recommended back); [] if unknown."""
        user = self.dataset.interactions.user_index.get(user_id)
        if user is None:
            return []
        ids = self.dataset.items.ids
        return [ids[row] for row in self.recommender.histories.items_of(user)]

    @cached_property
    def item_counts(self) -> np.ndarray:
        """How many interactions each item has (catalog order)."""
        return np.bincount(self.dataset.interactions.items, minlength=len(self.dataset.items))

    @cached_property
    def popularity_percentile(self) -> np.ndarray:
        """Each item's popularity as a percentile in [0, 1] (0 = least interacted with)."""
        return self.item_counts.argsort().argsort() / max(1, len(self.item_counts) - 1)

    @cached_property
    def images(self) -> ImageIndex | None:
        """The catalog's image index, if one was built and still matches (else logged why)."""
        index, status = open_image_index(self.dataset)
        if status.state in ("stale", "unusable"):
            log.warning("the image index of %s is not used: %s", self.dataset.path, status.line())
        return index

    @cached_property
    def titles(self) -> TitleIndex:
        """Fuzzy title resolution over the catalog; ties go to the more popular item."""
        domain = self.dataset.schema.domain
        return TitleIndex(
            self.dataset.items,
            popularity=self.item_counts,
            nouns=(domain.noun, domain.plural),
            verbs=(domain.verb,),
        )

    @cached_property
    def entities(self) -> EntityIndex:
        """Knowledge-graph entities a user may name ("by Le Guin"): trusted, written as names."""
        return EntityIndex.of(self.dataset)

    @cached_property
    def memory(self) -> MemoryStore:
        """Long-term memory: beside the dataset, or on the Chroma server in $ARS_CHROMA_URL."""
        return MemoryStore.for_dataset(self.dataset)

    def close(self) -> None:
        """Close the memory's files, and open the folder anew at the next `shared`."""
        with _shared_lock:
            for key in [key for key, found in _shared.items() if found is self]:
                del _shared[key]
        if "memory" in self.__dict__:  # opened (a cached property)
            self.__dict__.pop("memory").close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


R = TypeVar("R", bound=Resources)
_shared: dict[tuple[Path, int], Resources] = {}
_shared_lock = threading.Lock()


def shared(
    path: Path | str, kind: type[R], progress: Callable[[str, float], None] | None = None
) -> R:
    """The process-wide resources of a dataset folder, reopened when the folder is replaced.

    One per folder and process, whoever asks: an App a service opened and the graph's nodes
    share one memory store and one set of indexes. Asked for as an App after the nodes
    opened the folder (a graph run before `ars.open`), the App takes over what they opened.
    """
    folder = Path(path).resolve()
    meta = folder / META_FILE
    if meta.is_file():
        assign_uid(folder)  # first, as it rewrites the file whose time keys the resources
    key = (folder, meta.stat().st_mtime_ns if meta.is_file() else 0)
    with _shared_lock:
        found = _shared.get(key)
        if found is None:
            dataset = Dataset.open(folder)
            found = kind(dataset, Recommender.load_or_build(dataset, progress))
        elif not isinstance(found, kind):
            taken = kind(found.dataset, found.recommender)
            taken.__dict__.update(found.__dict__)  # the indexes and memory already open
            found = taken
        _shared[key] = found
        return found
