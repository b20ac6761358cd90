"""Advisory locks across processes: wait a bounded time, then fail with one line, never corrupt.

`flocked` holds a whole file (`flock`: per open file, so threads need a lock of their own);
`byte_locked` holds one byte of a file chosen by a key (`lockf`: per process), so every
conversation thread has a lock without a file of its own. Both are advisory: they guard
against this project's own processes, which all take them.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from agentic_recsys.errors import ArsError

POLL_S = 0.02  # how often a waiting process tries again
_KEY_SPACE = 1 << 40  # byte offsets for keys: collisions only make two keys wait for each other


@contextmanager
def flocked(path: Path, timeout_s: float, busy: str) -> Iterator[int]:
    """Hold the file at `path` exclusively (yields it open); `ArsError(busy)` after `timeout_s`.

    The wait blocks in the kernel, which hands the lock on as soon as it is free: polling
    lost to a process that took it back at once (2 writer processes: 2 of 800 writes
    timed out after 30 s).
    """
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if not _wait_in_kernel(fd, timeout_s):
            raise ArsError(busy) from None
    try:
        yield fd
    finally:
        os.close(fd)  # and with it the lock


def _wait_in_kernel(fd: int, timeout_s: float) -> bool:
    """Block on the lock in a helper thread, at most `timeout_s`; True if it is held now."""
    held, guard = threading.Event(), threading.Lock()
    gave_up = False

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with guard:
            if gave_up:  # too late: the caller has gone, let the next one have it
                os.close(fd)
            else:
                held.set()

    threading.Thread(target=wait, name="ars-flock", daemon=True).start()
    if held.wait(timeout_s):
        return True
    with guard:
        gave_up = not held.is_set()
    return not gave_up


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
