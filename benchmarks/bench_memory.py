"""Long-term memory: recall and turn-write latency at 10,000 memories for one user, 1,000 users.

Builds the store through the public API (`remember_turn`), one turn at a time, so what
is measured is what a conversation produces. Targets (issue #6): recall p95 < 30 ms,
writing one turn's memories < 50 ms.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_memory.py [--url http://host:port]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from agentic_recsys.memory import Episode, MemoryStore
from agentic_recsys.understanding.schema import Feedback, Preference

GENRES = [
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
MOODS = [
    "funny",
    "dark",
    "slow",
    "uplifting",
    "tense",
    "romantic",
    "weird",
    "classic",
    "recent",
    "short",
    "award-winning",
    "family",
    "quiet",
    "violent",
    "clever",
    "sad",
]
PEOPLE = [f"director {n}" for n in range(40)]


def message(rng: random.Random) -> str:
    return (
        f"something {rng.choice(MOODS)} and {rng.choice(MOODS)}, "
        f"{rng.choice(GENRES).lower()} like the ones by {rng.choice(PEOPLE)}"
    )


def preference(rng: random.Random) -> Preference:
    key = rng.choice([f"genre:{rng.choice(GENRES)}", f"person:{rng.choice(PEOPLE)}"])
    polarity = rng.choice(["like", "avoid"])
    return Preference(
        key=key,
        polarity=polarity,  # type: ignore[arg-type]
        text=f"I {'love' if polarity == 'like' else 'hate'} {key.split(':')[1]}",
    )


def typical_turn(store: MemoryStore, user: str, rng: random.Random) -> None:
    shown = [str(rng.randrange(1, 1683)) for _ in range(5)]
    store.remember_turn(
        user,
        preferences=[preference(rng)],
        feedback=[
            Feedback(item=shown[0], verdict="liked"),
            Feedback(item=shown[1], verdict="seen"),
        ],
        episode=Episode(asked=message(rng), shown=shown, chosen=shown[:1]),
    )


def build(
    store: MemoryStore, big_user: str, big_memories: int, users: int, rng: random.Random
) -> None:
    for n in range(users - 1):
        typical_turn(store, f"user-{n}", rng)
    for start in range(1, 1601, 100):  # 1,600 verdicts: most of the catalog a user could rate
        verdicts = ["liked", "disliked", "seen"]
        feedback = [
            Feedback(item=str(i), verdict=rng.choice(verdicts))  # type: ignore[arg-type]
            for i in range(start, start + 100)
        ]
        store.remember_turn(
            big_user, preferences=[preference(rng) for _ in range(5)], feedback=feedback
        )
    while len(store.show(big_user)) < big_memories:
        for _ in range(500):
            store.remember_turn(
                big_user, episode=Episode(asked=message(rng), shown=[str(rng.randrange(1, 1683))])
            )


def percentiles(label: str, seconds: list[float]) -> None:
    ms = np.array(seconds) * 1000
    print(
        f"{label:<44} p50 {np.percentile(ms, 50):6.1f} ms   p95 {np.percentile(ms, 95):6.1f} ms"
        f"   max {ms.max():6.1f} ms   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a Chroma server instead of an embedded folder")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--memories", type=int, default=10_000, help="for the one big user")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore.open(Path(tmp) / "memory", url=args.url)
        store.recall("warm-up", "load the model")
        big = "big-user"
        t0 = time.perf_counter()
        build(store, big, args.memories, args.users, rng)
        print(
            f"built {args.users} users, {len(store.show(big))} memories for {big!r} "
            f"in {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )

        for user, label in ((big, "big user"), ("user-7", "a user with ~4 memories")):
            times = []
            for _ in range(args.queries):
                query = message(rng)
                t = time.perf_counter()
                store.recall(user, query, k=8)
                times.append(time.perf_counter() - t)
            percentiles(f"recall k=8, {label}", times)
        recall = store.recall(big, message(rng), k=8)
        print(
            f"  a big-user recall holds {len(recall.memories)} memories, "
            f"{len(recall.preferences)} preferences, {len(recall.feedback)} verdicts"
        )

        for user, label in ((big, "big user"), ("user-7", "a user with ~4 memories")):
            times = []
            for _ in range(100):
                t = time.perf_counter()
                typical_turn(store, user, rng)
                times.append(time.perf_counter() - t)
            percentiles(f"write a turn (1 pref, 2 verdicts, 1 episode), {label}", times)


if __name__ == "__main__":
    main()
