"""Embedded SmolLM2-135M on llama.cpp: load time, memory, tokens/s, explanation and JSON latency.

    .venv/bin/python benchmarks/bench_local_llm.py [--runs 5]   (threads: $ARS_THREADS, else 1)

Prints numbers; timings on shared machines are noisy, so each latency is a median of --runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from agentic_recsys.llm import ask_json, ask_text
from agentic_recsys.llm.llama_chat import LlamaCppChatModel
from agentic_recsys.llm.weights import local_gguf
from agentic_recsys.understanding.schema import Intent

EXPLAIN_SYSTEM = (
    "You explain a movie recommendation in one short sentence, using only the "
    "evidence given. State nothing else."
)
EXPLAIN_USER = (
    "Item: Toy Story (1995). Evidence: genres Animation, Children's, Comedy; "
    "similar to Aladdin (1992), which the user rated 5."
)
INTENT_SYSTEM = "Turn the user's movie request into an intent."
INTENT_USER = "a funny 90s movie like Toy Story, no horror"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generation_rate(model: LlamaCppChatModel, max_tokens: int) -> tuple[float, float, int]:
    """Seconds to the first token, then tokens/s after it (one streamed chunk = one token)."""
    start = time.perf_counter()
    first = 0.0
    count = 0
    for _ in model.stream(
        [("user", "Tell me a long story about a robot who loves movies.")], max_tokens=max_tokens
    ):
        count += 1
        if count == 1:
            first = time.perf_counter()
    end = time.perf_counter()
    return first - start, (count - 1) / (end - first), count


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    path = local_gguf("smollm2")
    print(
        f"gguf            {path.name}  {path.stat().st_size / 1e6:.0f} MB  "
        f"(fetch or cache hit: {time.perf_counter() - start:.2f} s)"
    )

    before = rss_mb()
    start = time.perf_counter()
    model = LlamaCppChatModel(model_path=str(path))
    print(f"load            {time.perf_counter() - start:.2f} s   threads {model.n_threads}")
    print(f"rss             {rss_mb():.0f} MB after load (+{rss_mb() - before:.0f} MB)")

    first, rate, count = generation_rate(model, max_tokens=256)
    print(f"generation      {rate:.1f} tokens/s over {count} tokens, first token {first:.3f} s")

    text, _ = ask_text(model, EXPLAIN_SYSTEM, EXPLAIN_USER, role="explainer", max_chars=300)
    explain = median_seconds(
        lambda: ask_text(model, EXPLAIN_SYSTEM, EXPLAIN_USER, role="explainer", max_chars=300),
        args.runs,
    )
    print(f"explanation     {explain:.2f} s median of {args.runs}  e.g. {text!r}")

    intent, _ = ask_json(model, Intent, INTENT_SYSTEM, INTENT_USER, role="intent", timeout_s=120)
    as_json = median_seconds(
        lambda: ask_json(model, Intent, INTENT_SYSTEM, INTENT_USER, role="intent", timeout_s=120),
        args.runs,
    )
    shown = intent.model_dump(exclude_defaults=True) if intent else None
    print(f"intent json     {as_json:.2f} s median of {args.runs} (grammar)  e.g. {shown}")
    print(f"rss             {rss_mb():.0f} MB at the end")


if __name__ == "__main__":
    main()
