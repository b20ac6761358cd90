"""Per-turn latency of the whole graph, and LLM calls per turn.

Usage: python benchmarks/bench_turns.py [DATASET_DIR]
Runs scripted conversations on a copy of the dataset (its state is never touched):
- with no LLM: p50/p95 per turn;
- with a capable LLM (a scripted stand-in that answers valid JSON instantly, so only the
  number of calls is measured, not a provider's latency);
- with the embedded SmolLM2 wording explanations, where llama-cpp-python is installed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from langchain_core.messages import AIMessage

import agentic_recsys as ars
from agentic_recsys.data.dataset import STATE_DIR
from agentic_recsys.llm import register_chat_model
from agentic_recsys.llm.testing import scripted_model

CONVERSATION = [
    "a funny 90s movie like Toy Story, no horror",
    "none of those",
    "something darker",
    "I loved the second one",
    "why #1?",
    "three thrillers from the 80s",
    "older",
    "thanks!",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(app: ars.App, users: int, **settings: object) -> tuple[list[float], list[int]]:
    seconds, calls = [], []
    for n in range(users):
        session = app.session(user_id=str(n + 1), **settings)  # type: ignore[arg-type]
        for message in CONVERSATION:
            start = time.perf_counter()
            result = session.send(message)
            seconds.append(time.perf_counter() - start)
            calls.append(result.llm_calls)
    return seconds, calls


def report(label: str, seconds: list[float], calls: list[int]) -> None:
    print(
        f"{label}: {len(seconds)} turns, p50 {1000 * statistics.median(seconds):.0f} ms, "
        f"p95 {1000 * percentile(seconds, 95):.0f} ms, LLM calls per turn: "
        f"mean {statistics.mean(calls):.2f}, max {max(calls)}"
    )


def capable_stand_in() -> str:
    """A model that always answers the schema it is asked for (calls counted, not timed)."""
    answers = {
        "intent": json.dumps({"kind": "recommend", "genres_in": ["Comedy"], "query": ""}),
        "plan": AIMessage(
            content="",
            tool_calls=[
                {"name": "personalized", "args": {}, "id": "1"},
                {"name": "popular", "args": {}, "id": "2"},
            ],
        ),
        "critic": json.dumps({"misfits": []}),
        "explain": json.dumps({"opening": "Here you go.", "reasons": ["Fits."] * 5}),
    }
    for role, answer in answers.items():
        register_chat_model(f"bench:{role}", scripted_model([answer] * 10_000))
    return "bench"


def main(source: Path, users: int = 20) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / source.name
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns(STATE_DIR))
        app = ars.open(folder)
        run(app, 1)  # warm up: models, caches
        report("no LLM", *run(app, users))

        prefix = capable_stand_in()
        report(
            "capable LLM (scripted stand-in)",
            *run(
                app,
                users // 2,
                intent_model=f"{prefix}:intent",
                planner_model=f"{prefix}:plan",
                critic_model=f"{prefix}:critic",
                explainer_model=f"{prefix}:explain",
            ),
        )

        if importlib.util.find_spec("llama_cpp") is not None:
            report(
                "SmolLM2 wording explanations (1 thread)",
                *run(app, max(2, users // 5), explainer_model="local:smollm2"),
            )
        else:
            print("SmolLM2: skipped (pip install 'agentic-recsys[local]')")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/ml-100k"))
