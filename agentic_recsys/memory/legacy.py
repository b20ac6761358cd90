"""Memory of 0.1.0 kept a user in two collections; the user's first access moves them into one.

Nothing is lost: memories keep their vectors, and the state records get the store's
`state_vector`. The old collections are dropped only once the new one holds everything.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress

import numpy as np
from chromadb.api.models.Collection import Collection
from chromadb.errors import NotFoundError

from agentic_recsys.memory.chroma import ChromaSpace

PREFIX = "ars-user-"


def legacy_names(user_id: str) -> tuple[str, str]:
    """The 0.1.0 names of the user's collections: memories, and state."""
    digest = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()
    return PREFIX + digest, PREFIX + digest + "-state"


def upgrade(
    space: ChromaSpace, user_id: str, into: str, state_vector: np.ndarray, state_kind: str
) -> Collection | None:
    """Move the user's 0.1.0 collections into the collection `into`; None if there are none."""
    old = [space.find(name) for name in legacy_names(user_id)]
    if old[0] is None or old[1] is None:
        return None
    memories, state = old[0], old[1]
    with space.locked(write=True), space.errors():
        new = space.create(into)
        got = memories.get(include=["embeddings", "documents", "metadatas"])
        if got["ids"]:
            new.upsert(
                ids=got["ids"],
                embeddings=got["embeddings"],
                documents=got["documents"],
                metadatas=got["metadatas"],
            )
        got = state.get(include=["documents", "metadatas"])
        if got["ids"]:
            new.upsert(
                ids=got["ids"],
                embeddings=np.repeat(state_vector, len(got["ids"]), axis=0),
                documents=got["documents"],
                metadatas=[{**m, "kind": state_kind} for m in got["metadatas"] or []],
            )
        for name in legacy_names(user_id):
            with suppress(NotFoundError):  # another thread or process finished the move first
                space.drop(name)
    return new
