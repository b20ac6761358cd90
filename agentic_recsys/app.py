"""The embedding API: open a dataset folder, get recommendations, hold conversations.

`agentic_recsys.open("data/ml-100k")` builds missing indexes (or reuses them) and returns
an `App`; `app.recommend("42", k=10)` returns item ids with the user's seen items excluded;
`app.session(user_id="42").send("a funny 90s movie")` runs the agents. One App per dataset
folder and process: the graph's nodes reach the same one through `app_for_dir`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from agentic_recsys.agents.titles import TitleIndex
from agentic_recsys.data.dataset import META_FILE, Dataset, assign_uid
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.memory import MemoryStore
from agentic_recsys.understanding.entities import EntityIndex
from agentic_recsys.vision.index import ImageIndex, open_image_index

if TYPE_CHECKING:  # the graph imports this module: break the cycle for type checking only
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph.state import CompiledStateGraph

    from agentic_recsys.session import Session, ThreadInfo

THREADS_FILE = "threads.sqlite"

log = logging.getLogger(__name__)


@dataclass
class App:
    """An opened dataset with its recommender; what a service keeps for its lifetime."""

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
            self.dataset.items, popularity=self.item_counts, nouns=(domain.noun, domain.plural)
        )

    @cached_property
    def entities(self) -> EntityIndex:
        """Knowledge-graph entities a user may name ("by Le Guin"): trusted, written as names."""
        return EntityIndex.of(self.dataset)

    @cached_property
    def memory(self) -> MemoryStore:
        """Long-term memory: beside the dataset, or on the Chroma server in $ARS_CHROMA_URL."""
        return MemoryStore.for_dataset(self.dataset)

    @cached_property
    def checkpointer(self) -> SqliteSaver:
        """Where conversation threads are persisted."""
        from agentic_recsys.session import open_checkpointer

        return open_checkpointer(self.dataset.state_dir / THREADS_FILE)

    @cached_property
    def graph(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The agent graph, compiled with this dataset's checkpointer."""
        from agentic_recsys.session import compile_graph

        return compile_graph(self.checkpointer)

    def session(
        self, user_id: str, thread_id: str | None = None, model: str | None = None, **settings: Any
    ) -> Session:
        """A conversation thread for a user; pass a thread id to resume one.

        `model` is a provider:model spec for every role; `settings` are further
        `Context` fields (e.g. explainer_model="local:smollm2", max_revisions=1).
        """
        from agentic_recsys.graphs.context import Context
        from agentic_recsys.session import Session

        context = Context(data_dir=str(self.dataset.path), **settings)
        if model is not None:
            context.model = model
        session = Session(self.graph, context, user_id)
        return session if thread_id is None else Session(self.graph, context, user_id, thread_id)

    def forget(self, user_id: str) -> tuple[int, int]:
        """Delete the user's long-term memory and every stored conversation of theirs.

        `memory.delete` alone keeps the conversations, which hold what the user said.
        Returns how many memories and conversations were deleted.
        """
        from agentic_recsys import threads

        return self.memory.delete(user_id), threads.delete_user(self.checkpointer, user_id)

    def threads(self, user_id: str) -> list[ThreadInfo]:
        """The user's stored conversation threads, most recent first."""
        from agentic_recsys.session import list_threads

        return list_threads(self.checkpointer, user_id)


_apps: dict[tuple[Path, int], App] = {}
_apps_lock = threading.Lock()


def open(path: Path | str, progress: Callable[[str, float], None] | None = None) -> App:  # noqa: A001
    """Open a prepared dataset folder, building its indexes if missing or stale.

    The App is shared by the process (and reopened when the dataset folder is replaced).
    """
    folder = Path(path).resolve()
    meta = folder / META_FILE
    if meta.is_file():
        assign_uid(folder)  # first, as it rewrites the file whose time keys the App
    key = (folder, meta.stat().st_mtime_ns if meta.is_file() else 0)
    with _apps_lock:
        if key not in _apps:
            dataset = Dataset.open(folder)
            _apps[key] = App(dataset, Recommender.load_or_build(dataset, progress))
        return _apps[key]


def app_for_dir(path: Path | str) -> App:
    """The process-wide App for a folder (what graph nodes use)."""
    return open(path)
