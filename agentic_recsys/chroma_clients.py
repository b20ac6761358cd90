"""Closing Chroma clients: an open embedded one holds about a dozen files until it is closed.

Chroma keeps a client's system (SQLite connections, HNSW files, its runtime's event fds)
for the life of the process unless the client is closed; a process that opens many
folders (a service, a test run) ran out of file descriptors.
"""

from __future__ import annotations

from chromadb.api import ClientAPI
from chromadb.api.client import Client


def close(client: ClientAPI) -> None:
    """Release the client's files and connections; ClientAPI itself declares no `close`."""
    if isinstance(client, Client):  # what PersistentClient and HttpClient return
        client.close()
