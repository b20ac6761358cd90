"""Writers in separate processes (with threads each) lose nothing, embedded and through a server.

Real OS processes write one user's memory at once for a few seconds (the reliability
benchmark's own code, briefly); a fresh process counts what is missing or unreadable.
Before the lock file and the server lease, 3 processes lost 67 of 109 episodes in an
embedded folder (74 records unreadable) and 51 of 82 through a Chroma server.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from servers import free_port, running

from agentic_recsys.errors import ArsError
from agentic_recsys.memory import Episode, MemoryStore, exclusive
from agentic_recsys.memory.chroma import collection_name

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from bench_reliability import Outcome, run  # noqa: E402

CHROMA = Path(sys.executable).with_name("chroma")


def assert_nothing_lost(outcome: Outcome) -> None:
    assert outcome.damaged == "" and outcome.errors == []
    assert outcome.turns >= outcome.processes  # every process got to write
    assert (outcome.lost_episodes, outcome.lost_preferences, outcome.lost_verdicts) == (0, 0, 0)
    assert outcome.unreadable == 0
    # approximate search may rank a record out of its own top three (see bench_reliability)
    assert outcome.unfound <= max(1, 3 * outcome.turns // 25)  # 4% of the records


def test_writer_processes_on_one_embedded_folder_lose_nothing(tmp_path: Path) -> None:
    outcome = run(str(tmp_path / "memory"), "embedded", processes=3, threads=2, seconds=4)
    assert_nothing_lost(outcome)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server of this module's own, stopped by its PID."""
    port, data = free_port(), tmp_path_factory.mktemp("chroma-server")
    url = f"http://127.0.0.1:{port}"
    command = [str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1"]
    with running([*command, "--port", str(port)], f"{url}/api/v2/heartbeat", data / "log"):
        yield url


@pytest.mark.slow
def test_writer_processes_through_one_chroma_server_lose_nothing(chroma_url: str) -> None:
    outcome = run(chroma_url, "server", processes=3, threads=2, seconds=4)
    assert_nothing_lost(outcome)


def test_a_lock_held_too_long_is_one_line_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore.open(tmp_path / "memory")
    store.remember_turn("ann", episode=Episode(asked="first"))
    monkeypatch.setattr(exclusive, "LOCK_TIMEOUT_S", 0.3)
    fd = os.open(tmp_path / "memory" / exclusive.LOCK_FILE, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a stuck process would (flock: per open file)
    try:
        with pytest.raises(ArsError, match="is busy") as error:
            store.remember_turn("ann", episode=Episode(asked="second"))
        assert "\n" not in str(error.value) and exclusive.LOCK_FILE in str(error.value)
    finally:
        os.close(fd)
    assert [m.data["asked"] for m in store.show("ann") if m.kind == "episode"] == ["first"]


@pytest.mark.slow
def test_a_server_lease_held_too_long_is_one_line_and_an_expired_one_is_taken(
    chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    store = MemoryStore.open(url=chroma_url)
    store.remember_turn("cal", episode=Episode(asked="first"))
    user = store.space.client.get_collection(collection_name("cal"))

    def plant(expires: float) -> None:  # a lease of a writer that is (or was) busy
        user.delete(ids=[exclusive.LEASE_ID])
        meta = {"kind": "lease", "owner": "someone", "expires": expires}
        user.add(ids=[exclusive.LEASE_ID], embeddings=np.ones((1, 384)), metadatas=[meta])

    monkeypatch.setattr(exclusive, "LOCK_TIMEOUT_S", 0.3)
    plant(time.time() + 60)
    with pytest.raises(ArsError, match="another writer") as error:
        store.remember_turn("cal", episode=Episode(asked="second"))
    assert "\n" not in str(error.value)

    plant(time.time() - 1)  # its writer died: the lease is taken over
    store.remember_turn("cal", episode=Episode(asked="third"))
    assert [m.data["asked"] for m in store.show("cal") if m.kind == "episode"] == [
        "first",
        "third",
    ]
    assert all(m.id != exclusive.LEASE_ID for m in store.show("cal"))
