"""One writer at a time, across processes: a lock file for an embedded folder, a lease on a server.

Embedded Chroma keeps each collection's vector index in the memory of the process that
opened it and saves it from there: two processes writing one folder lost 37 of 100
episodes and left records whose vectors could not be read. So every use of an embedded
folder holds its lock file (`flock`, bounded wait), and a process reopens the folder
when another one wrote since (the writer leaves a new token in the lock file), so it
never saves an index that lacks someone else's records.

A Chroma server has one index, but a write reads the user's profile first: two clients
writing at once overwrote each other's profile (11 of 60 episodes lost). A writer first
takes a lease: a record added under a fixed id, which a server keeps for the first adder
only (compare-and-set); it expires, so a writer that died does not block the user.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from agentic_recsys import chroma_clients
from agentic_recsys.errors import ArsError
from agentic_recsys.locks import flocked

LOCK_FILE = "ars.lock"  # inside the memory folder, beside chroma.sqlite3
LOCK_TIMEOUT_S = 30.0  # a write takes milliseconds: this long means a stuck process
LEASE_ID = "lease"
LEASE_S = 30.0  # a lease older than this belongs to a writer that died
_TOKEN_BYTES = 32


class EmbeddedFolder:
    """An embedded memory folder as this process holds it: one client, reopened when stale."""

    def __init__(self, path: Path, open_client: Callable[[Path], ClientAPI]) -> None:
        self.path = path
        self.generation = 0  # bumped on every reopen: handles from before are stale
        self._open_client = open_client
        self._client: ClientAPI | None = None
        self._seen = b""  # the token of the last write this process knows of
        self._mutex = threading.RLock()  # threads of this process take turns
        self._depth = 0
        self._wrote = False

    @property
    def client(self) -> ClientAPI:
        """The current client (open the folder with `hold` first)."""
        assert self._client is not None
        return self._client

    def invalidate(self) -> None:
        """Reopen at the next `hold`: checks the folder again, as a fresh open would."""
        with self._mutex:
            self._seen = b"reopen"

    @contextmanager
    def hold(self, write: bool) -> Iterator[None]:
        """Hold the folder against other processes and threads; reopen it if another wrote."""
        with self._mutex:
            if self._depth:  # nested in this thread's own hold
                self._wrote = self._wrote or write
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with flocked(self.path / LOCK_FILE, LOCK_TIMEOUT_S, self._busy()) as fd:
                token = os.pread(fd, _TOKEN_BYTES, 0)
                if self._client is None or token != self._seen:
                    self._reopen()
                    self._seen = token
                self._depth, self._wrote = 1, write
                try:
                    yield
                finally:
                    self._depth = 0
                    if self._wrote:  # even a failed write may have changed the files
                        self._seen = uuid.uuid4().hex.encode()
                        os.pwrite(fd, self._seen, 0)
                    self._wrote = False

    def close(self) -> None:
        """Release the client's files; the next `hold` opens the folder again."""
        with self._mutex:
            if self._client is not None:
                chroma_clients.close(self._client)
                self._client = None

    def _reopen(self) -> None:
        self.close()
        self._client = self._open_client(self.path)
        self.generation += 1

    def _busy(self) -> str:
        return (
            f"the memory folder {self.path} is busy: another process has held "
            f"{self.path / LOCK_FILE} for {LOCK_TIMEOUT_S:.0f} s; try again, or stop the "
            "stuck process"
        )


_folders: dict[Path, EmbeddedFolder] = {}
_folders_lock = threading.Lock()


def embedded_folder(path: Path, open_client: Callable[[Path], ClientAPI]) -> EmbeddedFolder:
    """The process's one handle on a folder: two clients of one folder would disagree too."""
    key = path.resolve()
    with _folders_lock:
        folder = _folders.get(key)
        if folder is None:
            folder = _folders[key] = EmbeddedFolder(key, open_client)
    folder.invalidate()
    return folder


os.register_at_fork(after_in_child=_folders.clear)  # a forked child opens its own


@contextmanager
def lease(user: Collection, vector: np.ndarray, timeout_s: float, busy: str) -> Iterator[None]:
    """Hold the user's lease on a Chroma server; raise `ArsError(busy)` after `timeout_s`."""
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + timeout_s
    while True:
        now = time.time()
        user.add(  # kept only if no lease is there: the server keeps the first of two adds
            ids=[LEASE_ID],
            embeddings=vector,
            documents=[""],
            metadatas=[{"kind": "lease", "owner": owner, "expires": now + LEASE_S}],
        )
        got = user.get(ids=[LEASE_ID], include=["metadatas"])
        metadatas = got["metadatas"] or []
        holder = metadatas[0] if got["ids"] and metadatas else None
        if holder is not None and holder["owner"] == owner:
            break
        if holder is not None and float(str(holder["expires"])) < now:  # its writer died
            user.delete(ids=[LEASE_ID], where={"owner": str(holder["owner"])})
            continue
        if time.monotonic() >= deadline:
            raise ArsError(busy)
        time.sleep(random.uniform(0.005, 0.03))  # noqa: S311 - spreading retries, not secrets
    try:
        yield
    finally:
        user.delete(ids=[LEASE_ID], where={"owner": owner})
