"""Long-term memory: per-user records in Chroma, written at the end of a turn, recalled before one.

Every user has one collection (see `chroma.collection_name`) holding the memories, searched
by meaning, and the state records: the structured profile the planner, critic and
recommenders act on, read by id. A turn is written in one upsert (each Chroma write has a
fixed cost of ~10 ms here), and a recall is one query plus a read of the profile's head
record (the whole profile is parsed again only after another process wrote it).
Writers take turns, across threads and processes (see `exclusive`): an embedded folder is
used under its lock file, a server's user under a lease, so no update is lost.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Metadata as ChromaMetadata
from chromadb.errors import NotFoundError
from pydantic import BaseModel, Field

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.embeddings import DIM, embedder
from agentic_recsys.memory.chroma import ChromaSpace, collection_name
from agentic_recsys.memory.exclusive import LEASE_ID
from agentic_recsys.memory.legacy import upgrade
from agentic_recsys.memory.profile import NOTHING_YET, PROFILE_ID, STATE_IDS, Profile
from agentic_recsys.memory.records import KIND_ORDER, Episode, Memory, Recall
from agentic_recsys.understanding.schema import Feedback, Preference, Verdict

T = TypeVar("T")
URL_ENV = "ARS_CHROMA_URL"
MEMORY_DIR = "memory"  # inside a dataset's state folder
# State records are read by id, never searched: at distance >= 9 from every unit-length
# memory vector, a search reaches them only when it has run out of memories.
STATE_VECTOR = np.eye(1, DIM, dtype=np.float32) * 10.0
STATE_KIND = "state"
_STATE = frozenset([*STATE_IDS, LEASE_ID])  # records that are not memories


class MemoryConfig(BaseModel):
    """How much memory keeps."""

    max_episodes: int = Field(default=10_000, ge=1, description="then the oldest episode goes")
    summary_items: int = Field(default=5, ge=1, description="names per clause of the summary")


class MemoryStore:
    """A user's long-term memory: see, write, recall, export and delete it; thread-safe."""

    def __init__(
        self,
        space: ChromaSpace,
        config: MemoryConfig | None = None,
        namespace: str = "",
        former_namespace: str | None = None,
    ) -> None:
        self.space = space
        self.config = config or MemoryConfig()
        self.namespace = namespace  # the catalog whose item ids the memories name
        self.former_namespace = former_namespace  # where this catalog's users were kept before
        self._users: dict[str, Collection] = {}  # by collection name
        # by collection name: the profile as last read or written, its stamp, its summary
        self._profiles: dict[str, tuple[float, Profile, str]] = {}
        self._legacy_checked: set[str] = set()  # names looked up once in the 0.1.0 layout
        self._generation = self.space.generation  # of the handles cached above
        self._guard = threading.Lock()

    @classmethod
    def open(
        cls,
        path: Path | None = None,
        url: str | None = None,
        config: MemoryConfig | None = None,
        namespace: str = "",
        former_namespace: str | None = None,
    ) -> MemoryStore:
        """Open an embedded store in `path`, or a Chroma server at `url` (or $ARS_CHROMA_URL)."""
        space = ChromaSpace.open(path, url or os.environ.get(URL_ENV))
        return cls(space, config, namespace, former_namespace)

    @classmethod
    def for_dataset(cls, dataset: Dataset, url: str | None = None) -> MemoryStore:
        """Open a dataset's memory: beside it (its state folder), or on a Chroma server.

        On a shared server, the dataset's identity keeps its users apart from other
        catalogs'. Memory kept by the dataset's name (before identities) moves on first use.
        """
        return cls.open(
            dataset.state_dir / MEMORY_DIR,
            url,
            namespace=dataset.uid,
            former_namespace=dataset.name,
        )

    def close(self) -> None:
        """Release the store's files and connections; a later use of a folder opens it again."""
        self.space.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        name = collection_name(user_id, self.namespace)
        if not (preferences or feedback or episode):
            return
        with self.space.locked(write=True):
            for attempt in range(2):  # a server-side collection deleted by another process
                user = self._existing(user_id) or self._created(name)
                try:
                    with self.space.errors(), self.space.writing(user, STATE_VECTOR):
                        self._write(user, preferences, feedback, episode, titles or {})
                    return
                except NotFoundError:
                    self._forget(name)
                    if attempt:
                        raise

    def recall(self, user_id: str, query: str, k: int = 8) -> Recall:
        """Find the `k` memories closest to `query`; add every active preference and verdict."""

        def read(user: Collection) -> Recall:
            profile, summary = self._profile(user)
            memories: list[Memory] = []
            if query.strip() and k > 0:
                found = user.query(
                    query_texts=[query], n_results=k, include=["documents", "metadatas"]
                )
                memories = _memories(
                    zip(
                        found["ids"][0],
                        (found["documents"] or [[]])[0],
                        (found["metadatas"] or [[]])[0],
                        strict=True,
                    )
                )
            return Recall(memories, profile.active_preferences(), profile.verdicts(), summary)

        return self._read(user_id, read, Recall(summary=NOTHING_YET))

    def preferences(self, user_id: str) -> list[Preference]:
        """Every active preference, oldest first."""
        return self._read(user_id, lambda u: self._profile(u)[0].active_preferences(), [])

    def feedback(self, user_id: str) -> dict[str, Verdict]:
        """Item id -> the user's latest verdict."""
        return self._read(user_id, lambda u: self._profile(u)[0].verdicts(), {})

    def items(self, user_id: str, verdict: Verdict) -> list[str]:
        """Ids of the items with this verdict (liked: fold-in history; others: exclusions)."""
        return [item for item, v in self.feedback(user_id).items() if v == verdict]

    def summary(self, user_id: str) -> str:
        """Give the short profile summary, e.g. "Enjoys Comedy; avoids Horror; liked Fargo"."""
        return self._read(user_id, lambda u: self._profile(u)[1], NOTHING_YET)

    def show(self, user_id: str) -> list[Memory]:
        """Everything remembered about the user: profile, preferences, feedback, episodes."""

        def read(user: Collection) -> list[Memory]:
            profile, summary = self._profile(user)
            got = user.get(include=["documents", "metadatas"])
            rows = zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
            memories = sorted(_memories(rows), key=lambda m: (KIND_ORDER[m.kind], m.created, m.id))
            return [profile.as_memory(summary), *memories] if profile.created else memories

        return self._read(user_id, read, [])

    def export(self, user_id: str) -> list[dict[str, Any]]:
        """Everything remembered about the user, JSON-able."""
        return [m.to_dict() for m in self.show(user_id)]

    def delete(self, user_id: str) -> int:
        """Forget the user's long-term memory; how many memories (as `show()` lists them) went.

        Conversations are not memory: `App.forget` (and `ars memory delete`) delete both.
        """
        name = collection_name(user_id, self.namespace)
        with self.space.locked(write=True):
            count = len(self.show(user_id))
            self._forget(name)
            try:
                self.space.drop(name)
            except NotFoundError:  # never written, or deleted meanwhile by another process
                return 0
            return count

    def _write(
        self,
        user: Collection,
        preferences: Sequence[Preference],
        feedback: Sequence[Feedback],
        episode: Episode | None,
        titles: Mapping[str, str],
    ) -> None:
        now = time.time()
        read, _ = self._profile(user)  # shared with readers: changed only in a copy
        profile = read.model_copy(
            update={"preferences": dict(read.preferences), "feedback": dict(read.feedback)}
        )
        records = {m.id: m for m in (profile.remember_preference(p, now) for p in preferences)}
        for f in feedback:
            record = profile.remember_feedback(f, titles.get(f.item, ""), now)
            records[record.id] = record  # the last verdict in a turn wins
        if episode is not None:  # over the limit, it takes the oldest episode's place
            record = profile.remember_episode(episode, titles, now, self.config.max_episodes)
            records[record.id] = record
        batch = list(records.values())
        state = profile.state((f.item for f in feedback), now)
        summary = profile.summary(self.config.summary_items)
        metadatas: list[ChromaMetadata] = [m.metadata() for m in batch]
        metadatas += [{"kind": STATE_KIND, "data": json.dumps(data)} for data in state.values()]
        vectors = embedder().embed([m.matched_by or m.text for m in batch])
        user.upsert(
            ids=[m.id for m in batch] + list(state),
            embeddings=np.vstack([vectors, np.repeat(STATE_VECTOR, len(state), axis=0)]),
            documents=[m.text for m in batch] + [summary if i == PROFILE_ID else "" for i in state],
            metadatas=metadatas,
        )
        with self._guard:
            self._profiles[user.name] = (profile.updated, profile, summary)

    def _profile(self, user: Collection) -> tuple[Profile, str]:
        """The profile and its summary, parsed again only when another process has written.

        A big user's 1,600 verdicts take longer to parse than the head record takes to read.
        """
        head = user.get(ids=[PROFILE_ID], include=["metadatas"])
        if not head["ids"]:
            return Profile(), NOTHING_YET
        stamp = json.loads(str((head["metadatas"] or [{}])[0]["data"]))["updated"]
        with self._guard:
            cached = self._profiles.get(user.name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, *_read_profile(user))
            with self._guard:
                self._profiles[user.name] = cached
        return cached[1], cached[2]

    def _read(self, user_id: str, read: Callable[[Collection], T], empty: T) -> T:
        name = collection_name(user_id, self.namespace)
        with self.space.locked(write=False):
            user = self._existing(user_id)
            if user is None:
                return empty
            try:
                with self.space.errors():
                    return read(user)
            except NotFoundError:  # deleted by another process since this one cached it
                self._forget(name)
                return empty

    def _existing(self, user_id: str) -> Collection | None:
        name = collection_name(user_id, self.namespace)
        with self._guard:
            if self._generation != self.space.generation:  # the folder was reopened
                self._users.clear()
                self._profiles.clear()
                self._generation = self.space.generation
            cached = self._users.get(name)
        if cached is not None:
            return cached
        found = self.space.find(name)
        if found is None and name not in self._legacy_checked:  # once, not on every recall
            if self.former_namespace is not None:
                former = collection_name(user_id, self.former_namespace)
                found = self.space.rename(former, name)
            if found is None:
                found = upgrade(self.space, user_id, name, STATE_VECTOR, STATE_KIND)
            with self._guard:
                self._legacy_checked.add(name)
        return None if found is None else self._cache(name, found)

    def _created(self, name: str) -> Collection:
        return self._cache(name, self.space.create(name))

    def _cache(self, name: str, user: Collection) -> Collection:
        with self._guard:
            self._users[name] = user
        return user

    def _forget(self, name: str) -> None:
        with self._guard:
            self._users.pop(name, None)
            self._profiles.pop(name, None)


def _read_profile(user: Collection) -> tuple[Profile, str]:
    got = user.get(ids=STATE_IDS, include=["documents", "metadatas"])
    records = {
        i: json.loads(str(meta["data"]))
        for i, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
    }
    if PROFILE_ID not in records:
        return Profile(), NOTHING_YET
    summary = (got["documents"] or [])[got["ids"].index(PROFILE_ID)]
    return Profile.from_state(records), summary or NOTHING_YET


def _memories(rows: Any) -> list[Memory]:
    # a search that runs out of memories goes on to the state records: leave them out
    return [Memory.from_chroma(i, doc or "", meta) for i, doc, meta in rows if i not in _STATE]
