"""Requests with known answers on a catalog with real fields: first-pick accuracy, abstention.

Usage: python benchmarks/bench_fielded.py [--model SPEC]
Writes the generated films catalog (runtime, viewer rating, content rating, services,
director, cast) to a temporary folder and sends each request in a new conversation.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from agentic_recsys.evaluation.fielded import run_fielded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="none")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run_fielded(Path(tmp) / "films", model=args.model)
    print(
        f"model {args.model}: first pick meets every stated constraint in "
        f"{r.first_pick_ok}/{r.answerable} ({r.first_pick_rate:.3f}); abstained in "
        f"{r.abstained}/{r.unanswerable} ({r.abstention_rate:.3f}) requests with no valid "
        f"item; {r.seconds:.1f} s"
    )
    for failure in r.failures:
        print("  miss:", failure)


if __name__ == "__main__":
    main()
