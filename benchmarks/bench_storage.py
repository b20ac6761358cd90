"""How `threads.sqlite` grows with a thread's length: N turns on one thread, no LLM.

Runs a scripted conversation on a copy of the dataset (its state is never touched) and
prints the file's size every `--every` turns, and the bytes per turn over each stretch.
Target (issue 14): growth per turn constant and small (before: 805 turns made 4.0 GB).

    .venv/bin/python benchmarks/bench_storage.py [DATASET_DIR] [--turns 1000] [--every 100]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import agentic_recsys as ars
from agentic_recsys.app import THREADS_FILE
from agentic_recsys.data.dataset import STATE_DIR

sys.path.insert(0, str(Path(__file__).parent))
from bench_turns import CONVERSATION  # noqa: E402  (the same 8 turns, one thread)


def main() -> None:
    """Print one JSON line per stretch of turns: turns so far, file bytes, bytes per turn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default="data/ml-100k")
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ars-storage-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(args.data, data, ignore=shutil.ignore_patterns(STATE_DIR))
        app = ars.open(data)
        session = app.session(user_id="bench")
        db = app.dataset.state_dir / THREADS_FILE
        last_turns, last_bytes, start = 0, 0, time.perf_counter()
        for turn in range(1, args.turns + 1):
            session.send(CONVERSATION[(turn - 1) % len(CONVERSATION)])
            if turn % args.every == 0 or turn == args.turns:
                size = sum(p.stat().st_size for p in db.parent.glob(THREADS_FILE + "*"))
                line = {
                    "turns": turn,
                    "bytes": size,
                    "bytes_per_turn": round((size - last_bytes) / (turn - last_turns)),
                    "mean_bytes_per_turn": round(size / turn),
                    "seconds": round(time.perf_counter() - start, 1),
                }
                print(json.dumps(line), flush=True)
                last_turns, last_bytes = turn, size


if __name__ == "__main__":
    main()
