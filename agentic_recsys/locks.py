"""Advisory locks across processes: wait a bounded time, then fail with one line, never corrupt.

`flocked` holds a whole file (`flock`: per open file, so one per folder and process);
`byte_locked` holds one byte of a file chosen by a key (`lockf`: per process), so every
conversation thread has a lock without a file of its own. Both are advisory: they guard
against this project's own processes, which all take them.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agentic_recsys.errors import ArsError

POLL_S = 0.02  # how often a waiting process tries again
_KEY_SPACE = 1 << 40  # byte offsets for keys: collisions only make two keys wait for each other


@contextmanager
def flocked(fd: int, timeout_s: float, busy: str) -> Iterator[None]:
    """Hold the file open as `fd` exclusively; raise `ArsError(busy)` after `timeout_s`."""
    _wait(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), timeout_s, busy)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def byte_locked(fd: int, key: str, timeout_s: float, busy: str) -> Iterator[None]:
    """Hold the byte of the file `fd` that `key` names; raise `ArsError(busy)` after `timeout_s`.

    `lockf` locks belong to the process: threads of one process need a lock of their own too.
    """
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    offset = int(digest[:12], 16) % _KEY_SPACE
    _wait(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset), timeout_s, busy)
    try:
        yield
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


def _wait(try_lock: Callable[[], None], timeout_s: float, busy: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            try_lock()
            return
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES):  # not "someone else holds it"
                raise
            if time.monotonic() >= deadline:
                raise ArsError(busy) from e
        time.sleep(POLL_S)
