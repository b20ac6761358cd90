"""Where memory lives in Chroma: the client (embedded folder or server), one collection per user.

A user's namespace is a collection named from a hash of the id, so no id (quotes, `*`,
10k characters, another user's id or collection name inside it) can reach anyone
else's records, and isolation never rests on a `where` filter. Chroma errors become
one-line `ArsError`s that name the folder or server and say what to do; a damaged
folder is reported, never replaced by an empty one. Concurrent writers take turns
(see `exclusive`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.collection_configuration import CreateCollectionConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings
from chromadb.errors import ChromaError, NotFoundError

from agentic_recsys import chroma_clients
from agentic_recsys.embeddings import MiniLMEmbeddingFunction
from agentic_recsys.errors import ArsError
from agentic_recsys.memory import exclusive
from agentic_recsys.memory.exclusive import LOCK_FILE, EmbeddedFolder, embedded_folder, lease

SQLITE_FILE = "chroma.sqlite3"
COLLECTION_PREFIX = "ars-memory-"
COLLECTION_METADATA = {"agentic_recsys": "user-memory"}
# Euclidean distance ranks unit vectors as cosine does, and lets the store park the records
# it reads only by id far away from every memory (see store.STATE_VECTOR).
# Chroma keeps each change since the vector index was last saved in its log, and every write
# gets slower as that grows (by default it saves every 1,000 records); saving every 100
# halves a turn's write for a user with 10,000 memories (benchmarks/bench_memory.py).
# A search looks at 100 candidates (Chroma's default, 10, can miss the one relevant memory
# among a thousand near-identical verdicts), and the index is built on one thread, so
# the same writes give the same index.
CONFIGURATION: CreateCollectionConfiguration = {
    "hnsw": {"space": "l2", "sync_threshold": 100, "ef_search": 100, "num_threads": 1}
}


def collection_name(user_id: str, namespace: str = "") -> str:
    """Name the user's collection from the SHA-256 of the namespace (a catalog) and the id.

    Item ids mean something only within a catalog, so two catalogs sharing a Chroma
    server keep a user's memories apart.
    """
    if not user_id:
        raise ArsError("a user id must not be empty; pass --user ID")
    key = json.dumps([namespace, user_id])  # unambiguous, whatever either one contains
    return COLLECTION_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ChromaSpace:
    """A Chroma client and where it points, with errors translated for the user."""

    def __init__(self, location: str, client: ClientAPI | EmbeddedFolder) -> None:
        self.location = location  # the folder or the URL, for error messages
        self._client = client
        self.embedded = isinstance(client, EmbeddedFolder)

    @classmethod
    def open(cls, path: Path | None = None, url: str | None = None) -> ChromaSpace:
        """Open an embedded persistent folder, or a Chroma server when `url` is given."""
        if url:
            return cls(url, _http_client(url))
        if path is None:
            raise ArsError("memory needs a folder or a Chroma server URL (ARS_CHROMA_URL)")
        _check_folder(path)
        space = cls(str(path), embedded_folder(path, _persistent_client))
        with space.locked(write=False):  # opened now, so a damaged folder is said at once
            pass
        return space

    @property
    def client(self) -> ClientAPI:
        """The Chroma client (of an embedded folder: valid while `locked`)."""
        return self._client.client if isinstance(self._client, EmbeddedFolder) else self._client

    @property
    def generation(self) -> int:
        """Changes whenever collections fetched before are stale (the folder was reopened)."""
        return self._client.generation if isinstance(self._client, EmbeddedFolder) else 0

    def locked(self, write: bool) -> AbstractContextManager[None]:
        """Hold an embedded folder against other processes and threads; a server needs nothing."""
        if isinstance(self._client, EmbeddedFolder):
            return self._client.hold(write)
        return nullcontext()

    def close(self) -> None:
        """Release the client's files and connections (an embedded folder reopens on next use)."""
        if isinstance(self._client, EmbeddedFolder):
            self._client.close()
        else:
            chroma_clients.close(self._client)

    def writing(self, user: Collection, vector: np.ndarray) -> AbstractContextManager[None]:
        """Hold the user's lease on a server (an embedded folder is already `locked`)."""
        if self.embedded:
            return nullcontext()
        busy = (
            f"another writer has held this user's memory on the Chroma server at "
            f"{self.location} for {exclusive.LOCK_TIMEOUT_S:.0f} s; try again"
        )
        return lease(user, vector, exclusive.LOCK_TIMEOUT_S, busy)

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn Chroma failures into one line that names the store and what to do."""
        try:
            yield
        except NotFoundError:
            raise
        except ChromaError as e:
            raise ArsError(self.damage_message(e)) from e
        except httpx.TransportError as e:  # the server went away mid-session
            raise ArsError(
                f"the Chroma server at {self.location} is not answering ({_one_line(e)}); "
                "start it again, then go on"
            ) from e

    def damage_message(self, error: Exception) -> str:
        """Say on one line what went wrong with this store, and what to do."""
        if self.embedded:
            return _damaged_folder(self.location, f"is damaged ({_one_line(error)})")
        return f"the Chroma server at {self.location} failed ({_one_line(error)}); check its log"

    def find(self, name: str) -> Collection | None:
        """Get the collection if it exists (checked for a lost index when embedded), else None."""
        with self.errors():
            try:
                collection = self.client.get_collection(
                    name,
                    embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
                )
            except NotFoundError:
                return None
            if self.embedded:
                # Chroma answers from a partial index if a segment folder was lost;
                # the oldest record is the first to go missing, so read its vector.
                collection.get(limit=1, include=["embeddings"])
        return collection

    def create(self, name: str) -> Collection:
        """Get the collection, created if needed."""
        with self.errors():
            return self.client.get_or_create_collection(
                name,
                configuration=CONFIGURATION,
                metadata=COLLECTION_METADATA,
                embedding_function=MiniLMEmbeddingFunction(),  # type: ignore[arg-type]
            )

    def rename(self, old: str, new: str) -> Collection | None:
        """Give the collection `old` the name `new` (a move, vectors kept); None if no `old`."""
        with self.locked(write=True):
            collection = self.find(old)
            if collection is None:
                return None
            # another process may have moved it first: then `new` is there already
            with self.errors(), suppress(NotFoundError, ValueError, ChromaError):
                collection.modify(name=new)
            return self.find(new)

    def drop(self, name: str) -> None:
        """Delete the collection and everything in it."""
        with self.errors():
            self.client.delete_collection(name)


def _check_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise ArsError(f"the memory folder {path} is a file; move it aside or pick another folder")
    files = [p for p in path.iterdir() if p.name != LOCK_FILE] if path.is_dir() else []
    if files and not (path / SQLITE_FILE).is_file():
        raise ArsError(_damaged_folder(str(path), f"has files but no {SQLITE_FILE}"))
    path.mkdir(parents=True, exist_ok=True)


def _persistent_client(path: Path) -> ClientAPI:
    try:
        return chromadb.PersistentClient(path=str(path), settings=_settings())
    except Exception as e:  # Chroma raises several types for a file that is not a database
        raise ArsError(_damaged_folder(str(path), f"cannot be opened ({_one_line(e)})")) from e


def _http_client(url: str) -> ClientAPI:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ArsError(f"bad Chroma URL {url!r}; use http://host:port")
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=_settings()
        )
    except Exception as e:  # connection refused, timeouts, a server that is not Chroma
        raise ArsError(
            f"cannot reach the Chroma server at {url} ({_one_line(e)}); start it with "
            "`chroma run --path DIR --port PORT`, or unset ARS_CHROMA_URL to use a folder"
        ) from e


def _settings() -> Settings:
    return Settings(anonymized_telemetry=False)


def _damaged_folder(folder: str, problem: str) -> str:
    return (
        f"the memory folder {folder} {problem}; it was left as it is: restore it from a "
        "backup, or move it aside to start with an empty memory"
    )


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())[:200]
