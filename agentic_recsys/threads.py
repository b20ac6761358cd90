"""Stored conversations in `threads.sqlite`: one run at a time per thread, bounded, deletable.

- One run at a time: a second message to a thread that is answering waits (at most
  `RUN_WAIT_S`), then is refused with one line. Two threads of one `Session` lost 10 of
  20 turns, and two processes on one thread interleave its checkpoints, so the wait is
  both in the process (a lock per thread id) and across processes (a byte of
  `threads.sqlite.lock` per thread id).
- Bounded: SqliteSaver keeps every checkpoint of every step (805 turns made 4.0 GB);
  after each turn only the last `KEEP_CHECKPOINTS` of the thread are kept, and the
  freed pages are reused (new files give them back with incremental vacuum).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from agentic_recsys.errors import ArsError
from agentic_recsys.locks import byte_locked

RUN_WAIT_S = 120.0  # a turn with a local model takes up to a minute
KEEP_CHECKPOINTS = 10  # the last turn's steps (about 8), for Studio's history, and the latest
_runs: dict[tuple[str, str], threading.Lock] = {}
# By database: its lock file, open once per process since lockf locks vanish when any
# descriptor of the file closes, and the checkpointers that use it (closed with the last).
_lock_files: dict[str, tuple[int, weakref.WeakSet[SqliteSaver]]] = {}
_guard = threading.Lock()


def database_file(saver: SqliteSaver) -> str:
    """The file the checkpointer writes ("" for an in-memory database)."""
    return str(saver.conn.execute("PRAGMA database_list").fetchone()[2])


@contextmanager
def one_run(saver: object, thread_id: str) -> Iterator[None]:
    """Hold the thread for one turn, against this process's threads and other processes."""
    path = database_file(saver) if isinstance(saver, SqliteSaver) else ""
    busy = (
        f"the conversation {thread_id} is still answering another message (waited "
        f"{RUN_WAIT_S:.0f} s); send this one again when it has answered"
    )
    with _guard:
        lock = _runs.setdefault((path, thread_id), threading.Lock())
    start = time.monotonic()
    if not lock.acquire(timeout=RUN_WAIT_S):
        raise ArsError(busy)
    try:
        if not path or not isinstance(saver, SqliteSaver):
            yield
            return
        left = max(0.0, RUN_WAIT_S - (time.monotonic() - start))
        with byte_locked(_lock_file(path, saver), thread_id, left, busy):
            yield
    finally:
        lock.release()


def prune(saver: SqliteSaver, thread_id: str, keep: int = KEEP_CHECKPOINTS) -> None:
    """Keep the thread's latest `keep` checkpoints (ids are time-ordered) and their writes."""
    with saver.cursor() as cur:
        cur.execute(
            "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id NOT IN "
            "(SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? "
            "ORDER BY checkpoint_id DESC LIMIT ?)",
            (thread_id, thread_id, keep),
        )
        cur.execute(
            "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id NOT IN "
            "(SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?)",
            (thread_id, thread_id),
        )
    _give_back(saver)


def of_user(saver: SqliteSaver, user_id: str) -> list[str]:
    """The ids of the user's stored threads, most recent first."""
    found = saver.list(None, filter={"user_id": user_id})
    return list(dict.fromkeys(cp.config["configurable"]["thread_id"] for cp in found))


def delete(saver: SqliteSaver, thread_ids: list[str]) -> int:
    """Delete these threads' checkpoints and writes; how many threads there were."""
    for thread_id in thread_ids:
        saver.delete_thread(thread_id)
    _give_back(saver)
    return len(thread_ids)


def delete_user(saver: SqliteSaver, user_id: str) -> int:
    """Delete every stored thread of the user (they hold what the user said); how many."""
    return delete(saver, of_user(saver, user_id))


def close(saver: SqliteSaver) -> None:
    """Close the checkpointer's database, and its lock file once no other checkpointer uses it.

    Not while a turn of it runs: its lock would go with the file.
    """
    path = database_file(saver)
    saver.conn.close()
    with _guard:
        if path in _lock_files:
            fd, users = _lock_files[path]
            users.discard(saver)
            if not users:
                del _lock_files[path]
                os.close(fd)


def prepare(conn: sqlite3.Connection) -> None:
    """Make a new database give freed pages back to the file system (before its tables exist)."""
    if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")


def _give_back(saver: SqliteSaver) -> None:
    # pages freed by pruning are reused by the next turns; return them only when many are free
    with saver.cursor(transaction=False) as cur:
        free = cur.execute("PRAGMA freelist_count").fetchone()[0]
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        if free * 4 > pages:
            cur.execute("PRAGMA incremental_vacuum")


def _lock_file(path: str, saver: SqliteSaver) -> int:
    with _guard:
        if path not in _lock_files:
            fd = os.open(Path(path + ".lock"), os.O_CREAT | os.O_RDWR, 0o644)
            _lock_files[path] = (fd, weakref.WeakSet())
        fd, users = _lock_files[path]
        users.add(saver)
        return fd
