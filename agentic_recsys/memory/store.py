"""Long-term memory: per-user records in Chroma, written at the end of a turn, recalled before one.

Every user has a collection of their own (see `chroma.collection_name`); a recall is one
semantic query plus one get of the profile record, which holds the active preferences
and item verdicts that the planner, critic and recommenders act on. Writes to one user
are serialised by a lock, so concurrent sessions in threads never lose an update.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from chromadb.api.models.Collection import Collection
from chromadb.errors import NotFoundError
from pydantic import BaseModel, Field

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.graphs.schema import Feedback, Preference, Verdict
from agentic_recsys.memory.chroma import ChromaSpace, collection_name
from agentic_recsys.memory.profile import NOTHING_YET, PROFILE_ID, Profile, episode_id
from agentic_recsys.memory.records import KIND_ORDER, Episode, Memory, Recall

T = TypeVar("T")
URL_ENV = "ARS_CHROMA_URL"
MEMORY_DIR = "memory"  # inside a dataset's state folder


class MemoryConfig(BaseModel):
    """How much memory keeps."""

    max_episodes: int = Field(default=10_000, ge=1, description="then the oldest episode goes")
    summary_items: int = Field(default=5, ge=1, description="names per clause of the summary")


class MemoryStore:
    """A user's long-term memory: see, write, recall, export and delete it; thread-safe."""

    def __init__(self, space: ChromaSpace, config: MemoryConfig | None = None) -> None:
        self.space = space
        self.config = config or MemoryConfig()
        self._collections: dict[str, Collection] = {}
        self._user_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def open(
        cls, path: Path | None = None, url: str | None = None, config: MemoryConfig | None = None
    ) -> MemoryStore:
        """Open an embedded store in `path`, or a Chroma server at `url` (or $ARS_CHROMA_URL)."""
        return cls(ChromaSpace.open(path, url or os.environ.get(URL_ENV)), config)

    @classmethod
    def for_dataset(cls, dataset: Dataset, url: str | None = None) -> MemoryStore:
        """Open the memory kept beside a dataset (its state folder), or a Chroma server."""
        return cls.open(dataset.state_dir / MEMORY_DIR, url)

    def remember_turn(
        self,
        user_id: str,
        *,
        preferences: Sequence[Preference] = (),
        feedback: Sequence[Feedback] = (),
        episode: Episode | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> None:
        """Write one turn: preferences supersede or merge, verdicts replace, the episode adds.

        `titles` (item id -> display title) makes feedback and episodes readable; the
        store itself never looks at a catalog.
        """
        name = collection_name(user_id)
        if not (preferences or feedback or episode):
            return
        names = titles or {}
        with self._lock(name):
            for attempt in range(2):  # a server-side collection deleted by another process
                collection = self._existing(name) or self._created(name)
                try:
                    with self.space.errors():
                        self._write(collection, preferences, feedback, episode, names)
                    return
                except NotFoundError:
                    self._forget(name)
                    if attempt:
                        raise

    def recall(self, user_id: str, query: str, k: int = 8) -> Recall:
        """Find the `k` memories closest to `query`; add every active preference and verdict."""

        def read(collection: Collection) -> Recall:
            profile, summary = self._profile(collection)
            memories: list[Memory] = []
            if query.strip() and k > 0:
                found = collection.query(
                    query_texts=[query], n_results=k + 1, include=["documents", "metadatas"]
                )
                rows = zip(found["ids"][0], (found["documents"] or [[]])[0],
                           (found["metadatas"] or [[]])[0], strict=True)
                memories = [m for m in _memories(rows) if m.kind != "profile"][:k]
            return Recall(memories, profile.active_preferences(), profile.verdicts(), summary)

        return self._read(user_id, read, Recall(summary=NOTHING_YET))

    def preferences(self, user_id: str) -> list[Preference]:
        """Every active preference, oldest first."""
        return self._read(user_id, lambda c: self._profile(c)[0].active_preferences(), [])

    def feedback(self, user_id: str) -> dict[str, Verdict]:
        """Item id -> the user's latest verdict."""
        return self._read(user_id, lambda c: self._profile(c)[0].verdicts(), {})

    def items(self, user_id: str, verdict: Verdict) -> list[str]:
        """Ids of the items with this verdict (liked: fold-in history; others: exclusions)."""
        return [item for item, v in self.feedback(user_id).items() if v == verdict]

    def summary(self, user_id: str) -> str:
        """Give the short profile summary, e.g. "Enjoys Comedy; avoids Horror; liked Fargo"."""
        return self._read(user_id, lambda c: self._profile(c)[1], NOTHING_YET)

    def show(self, user_id: str) -> list[Memory]:
        """Everything remembered about the user: profile, preferences, feedback, episodes."""

        def read(collection: Collection) -> list[Memory]:
            got = collection.get(include=["documents", "metadatas"])
            rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            return sorted(_memories(rows), key=lambda m: (KIND_ORDER[m.kind], m.created, m.id))

        return self._read(user_id, read, [])

    def export(self, user_id: str) -> list[dict[str, Any]]:
        """Everything remembered about the user, JSON-able."""
        return [m.to_dict() for m in self.show(user_id)]

    def delete(self, user_id: str) -> int:
        """Forget the user entirely; how many memories were removed."""
        name = collection_name(user_id)
        with self._lock(name):
            collection = self._existing(name)
            if collection is None:
                return 0
            with self.space.errors():
                count = collection.count()
            self._forget(name)
            try:
                self.space.drop(name)
            except NotFoundError:  # deleted meanwhile by another process
                return 0
            return count

    def _write(
        self, collection: Collection, preferences: Sequence[Preference],
        feedback: Sequence[Feedback], episode: Episode | None, titles: Mapping[str, str],
    ) -> None:
        now = time.time()
        profile, _ = self._profile(collection)
        records = {m.id: m for m in (profile.remember_preference(p, now) for p in preferences)}
        for f in feedback:
            record = profile.remember_feedback(f, titles.get(f.item, ""), now)
            records[record.id] = record  # the last verdict in a turn wins
        if episode is not None:
            record = profile.remember_episode(episode, titles, now)
            records[record.id] = record
        profile_record = profile.record(now, self.config.summary_items)
        records[profile_record.id] = profile_record
        batch = list(records.values())
        collection.upsert(
            ids=[m.id for m in batch],
            documents=[m.text for m in batch],
            metadatas=[m.metadata() for m in batch],
        )
        expired = profile.episodes - 1 - self.config.max_episodes
        if episode is not None and expired >= 0:
            collection.delete(ids=[episode_id(expired)])

    @staticmethod
    def _profile(collection: Collection) -> tuple[Profile, str]:
        got = collection.get(ids=[PROFILE_ID], include=["documents", "metadatas"])
        if not got["ids"] or not got["documents"] or not got["metadatas"]:
            return Profile(), NOTHING_YET
        record = Memory.from_chroma(PROFILE_ID, got["documents"][0], got["metadatas"][0])
        return Profile.model_validate(record.data), record.text

    def _read(self, user_id: str, read: Callable[[Collection], T], empty: T) -> T:
        name = collection_name(user_id)
        collection = self._existing(name)
        if collection is None:
            return empty
        try:
            with self.space.errors():
                return read(collection)
        except NotFoundError:  # deleted by another process since this one cached it
            self._forget(name)
            return empty

    def _existing(self, name: str) -> Collection | None:
        with self._guard:
            cached = self._collections.get(name)
        if cached is not None:
            return cached
        found = self.space.find(name)
        if found is not None:
            with self._guard:
                self._collections[name] = found
        return found

    def _created(self, name: str) -> Collection:
        created = self.space.create(name)
        with self._guard:
            self._collections[name] = created
        return created

    def _forget(self, name: str) -> None:
        with self._guard:
            self._collections.pop(name, None)

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._user_locks.setdefault(name, threading.Lock())


def _memories(rows: Any) -> list[Memory]:
    return [Memory.from_chroma(i, doc or "", meta) for i, doc, meta in rows]
