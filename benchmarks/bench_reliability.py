"""Concurrent writers of one user's memory: processes with threads each, embedded and on a server.

Each writer writes turns (a preference, a verdict and an episode, all named after the
writer and the turn) for a fixed time; then a fresh process reads the memory back and
counts what is missing (lost), the memories whose vector cannot be read (unreadable)
and those a search by their own vector does not return among its first three (unfound).
Target (issue 14): 0 lost, 0 unreadable. Unfound is approximate search missing a record
(once in CI, 2 of 156; never in 38 runs here with 1-3 busy cores): it is reported, and
the tests hold it under 4% of the records, since recall cannot return what search misses.

    .venv/bin/python benchmarks/bench_reliability.py [--seconds 120] [--processes 2,8]
        [--threads 2] [--mode embedded,server]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

USER = "ann"
MAX_EPISODES = 1_000_000  # keep every episode: none may be replaced by design


@dataclass(frozen=True)
class Outcome:
    """What a run wrote and what a fresh reader found."""

    mode: str
    processes: int
    threads: int
    seconds: float
    turns: int  # turns written without an error
    failed: int  # turns whose write raised (a busy lock says so; nothing is half-written)
    lost_verdicts: int
    lost_episodes: int
    lost_preferences: int
    unreadable: int  # its vector cannot be read: the index lost it
    unfound: int  # not among the first three hits of a search by its own vector
    damaged: str  # the reader's error when the store could not be read at all
    errors: list[str]

    @property
    def lost(self) -> int:
        """Everything a writer was told was written that a reader does not find."""
        return self.lost_verdicts + self.lost_episodes + self.lost_preferences


def _store(where: str) -> Any:
    from agentic_recsys.memory import MemoryConfig, MemoryStore

    config = MemoryConfig(max_episodes=MAX_EPISODES)
    if where.startswith("http"):
        return MemoryStore.open(url=where, config=config)
    return MemoryStore.open(Path(where), config=config)


def write_for(where: str, process: int, threads: int, seconds: float, out: str) -> None:
    """One writer process: `threads` threads writing turns until `seconds` have passed."""
    from agentic_recsys.memory import Episode
    from agentic_recsys.understanding.schema import Feedback, Preference

    store = _store(where)
    written: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def write(thread: int) -> None:
        turn = 0
        while time.monotonic() < deadline:
            name = f"w{process}x{thread}t{turn}"
            try:
                store.remember_turn(
                    USER,
                    preferences=[Preference(key=f"tag:{name}", polarity="like", text=name)],
                    feedback=[Feedback(item=name, verdict="seen")],
                    episode=Episode(asked=name, shown=[name]),
                )
                with lock:
                    written.append(name)
            except Exception as e:  # counted and reported, never hidden
                with lock:
                    errors.append(f"{type(e).__name__}: {e}"[:300])
            turn += 1

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    Path(out).write_text(json.dumps({"written": written, "errors": errors}))


def check(where: str) -> dict[str, Any]:
    """Read the user's memory back in this (fresh) process: what is there, what is unreadable."""
    from agentic_recsys.memory.chroma import collection_name

    store = _store(where)
    try:
        memories = store.show(USER)
    except Exception as e:  # a damaged store: nothing written can be read back
        return {
            "verdicts": [],
            "preferences": [],
            "episodes": [],
            "unreadable": 0,
            "unfound": 0,
            "damaged": str(e),
        }
    found = {
        "verdicts": sorted(store.feedback(USER)),
        "preferences": sorted(p.text for p in store.preferences(USER)),
        "episodes": sorted(m.data["asked"] for m in memories if m.kind == "episode"),
    }
    unreadable = unfound = 0
    records = [m for m in memories if m.kind != "profile"]
    user = store.space.client.get_collection(collection_name(USER, store.namespace))
    for m in records:  # nobody writes now: the client of a fresh process is up to date
        try:
            vector = user.get(ids=[m.id], include=["embeddings"])["embeddings"][0]
            hit = user.query(query_embeddings=[vector], n_results=3, include=[])["ids"][0]
        except Exception:  # Chroma's "Error getting embedding": the index lost it
            unreadable += 1
            continue
        unfound += m.id not in hit
    return {**found, "unreadable": unreadable, "unfound": unfound, "damaged": ""}


def run(where: str, mode: str, processes: int, threads: int, seconds: float) -> Outcome:
    """Start the writer processes, wait for them, then check from a fresh process."""
    ctx = mp.get_context("spawn")  # real, separate processes; nothing inherited
    with tempfile.TemporaryDirectory(prefix="ars-reliability-") as tmp:
        outs = [str(Path(tmp) / f"writer-{p}.json") for p in range(processes)]
        writers = [
            ctx.Process(target=write_for, args=(where, p, threads, seconds, outs[p]))
            for p in range(processes)
        ]
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        results = [json.loads(Path(o).read_text()) for o in outs if Path(o).is_file()]
        dead = [w.exitcode for w in writers if w.exitcode != 0]
        with ctx.Pool(1) as pool:
            found = pool.apply(check, (where,))
    written = [name for r in results for name in r["written"]]
    errors = [e for r in results for e in r["errors"]] + [f"writer exit {c}" for c in dead]
    return Outcome(
        mode=mode,
        processes=processes,
        threads=threads,
        seconds=seconds,
        turns=len(written),
        failed=sum(len(r["errors"]) for r in results),
        lost_verdicts=len(set(written) - set(found["verdicts"])),
        lost_episodes=len(set(written) - set(found["episodes"])),
        lost_preferences=len(set(written) - set(found["preferences"])),
        unreadable=found["unreadable"],
        unfound=found["unfound"],
        damaged=found["damaged"][:300],
        errors=sorted(set(errors))[:5],
    )


def chroma_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `chroma run` on a loopback port and wait until it answers."""
    chroma = Path(sys.executable).with_name("chroma")
    log = (folder / "server.log").open("wb")
    command = [str(chroma), "run", "--path", str(folder / "db"), "--host", "127.0.0.1"]
    proc = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"chroma run did not answer on port {port}")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    """Run every mode and process count; print one JSON line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--processes", default="2,8", help="comma-separated process counts")
    parser.add_argument("--threads", type=int, default=2, help="writer threads per process")
    parser.add_argument("--mode", default="embedded,server")
    args = parser.parse_args()
    for mode in args.mode.split(","):
        for processes in (int(p) for p in args.processes.split(",")):
            with tempfile.TemporaryDirectory(prefix="ars-reliability-") as tmp:
                folder = Path(tmp)
                server = None
                if mode == "server":
                    port = free_port()
                    server = chroma_server(folder, port)
                    where = f"http://127.0.0.1:{port}"
                else:
                    where = str(folder / "memory")
                try:
                    outcome = run(where, mode, processes, args.threads, args.seconds)
                finally:
                    if server is not None:  # only the server started here, by its PID
                        server.terminate()
                        server.wait(timeout=30)
            print(json.dumps({**asdict(outcome), "lost": outcome.lost}), flush=True)


if __name__ == "__main__":
    main()
