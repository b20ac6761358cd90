"""Whole turns through a real model: latency, LLM calls, and what the model got wrong.

    .venv/bin/python benchmarks/bench_llm_turns.py --data data/ml-100k [--model local:qwen2.5-1.5b]
    .venv/bin/python benchmarks/bench_llm_turns.py --data data/ml-100k --model none
    .venv/bin/python benchmarks/bench_llm_turns.py --decide plan,suggest [--dialogues F --limit N]

Plays fixed conversations (written for this benchmark in the style of people asking for
movies: greetings, named movies, actors, negations, moods, feedback on shown items, typos,
all caps) and counts, per turn: seconds, LLM calls, feedback the message never gave,
genre exclusions the message never stated, explanation wordings the faithfulness check
replaced (listed: what the model tried to claim; every wording shown passed the check),
and each role's fallbacks with their reasons. One thread ($ARS_THREADS).

`--decide` lets a local model make decisions LOCAL_DECISIONS does not give it yet, to
measure them: for the planner's tool calls ("plan", "suggest") it counts how many answers
were valid, why the others were rejected, seconds per planner call, and how many titles
the model named resolved in the catalog. `--dialogues` replays ReDial-style dialogues
(`ars eval dialogues`) instead of the fixed conversations: Hit@k against the titles the
seekers liked, and how many of those the model itself named.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.tools import StructuredTool

import agentic_recsys as ars
import agentic_recsys.agents.explainer as explainer_module
import agentic_recsys.agents.intent as intent_module
import agentic_recsys.agents.tool_plan as tool_plan_module
from agentic_recsys.agents.faithful import unsupported_claims
from agentic_recsys.app import App
from agentic_recsys.evaluation.dialogues import DialoguesConfig, run_dialogues
from agentic_recsys.llm.specs import ALL_DECISIONS, LOCAL_DECISIONS, parse_spec
from agentic_recsys.tools.retrieval import SUGGESTED, TOOLS


@dataclass(frozen=True)
class Turn:
    """A message, the genres it negates, and whether it gives a verdict on a movie it names
    or points at (a shown one, or "I loved The Godfather")."""

    message: str
    excludes: frozenset[str] = frozenset()
    feedback: bool = False


def t(message: str, excludes: tuple[str, ...] = (), feedback: bool = False) -> Turn:
    return Turn(message, frozenset(excludes), feedback)


CONVERSATIONS: list[list[Turn]] = [
    [
        t("hi! can you help me find a movie for tonight?"),
        t("I'm looking for a Heist movie like The Italian Job or Logan Lucky"),
        t("I've seen the first one already", feedback=True),
        t("thanks, the second one looks good", feedback=True),
    ],
    [
        t("MY DAUGHTER DOESNT CARE MUCH FOR ANIMATED FILMS", excludes=("Animation",)),
        t("she is 12 and likes funny stuff"),
        t("none of those, something more recent", feedback=False),
    ],
    [
        t("hello"),
        t("I haven't seen that one either, but I do like Ben Affleck"),
        t("anything with Tom Hanks?"),
        t("I loved #3", feedback=True),
    ],
    [
        t("something to cheer me up after a long week"),
        t("no horror please, and nothing too sad", excludes=("Horror",)),
        t("more like the second one", feedback=False),
    ],
    [
        t("Any good sci-fi from the 80s?"),
        t("i really liked blade runner", feedback=True),
        t("the third one sounds great", feedback=True),
        t("what about something older, like the 50s"),
    ],
    [
        t("I want a romantic comedy for date night"),
        t("not a musical though", excludes=("Musical",)),
        t("I've already watched the first two", feedback=True),
    ],
    [
        t("reccomend me a scarry movie"),
        t("something like the shining but newer"),
        t("I didn't like the last one", feedback=True),
        t("ok cool, bye"),
    ],
    [
        t("My husband and I love westerns"),
        t("Clint Eastwood ones ideally"),
        t("we've seen Unforgiven, loved it", feedback=True),
        t("no war movies", excludes=("War",)),
    ],
    [
        t("I need a documentary about music"),
        t("what else do you have"),
        t("I hate documentaries actually, give me a drama", excludes=("Documentary",)),
    ],
    [
        t("looking for a thriller that keeps me guessing, like The Usual Suspects"),
        t("seen it", feedback=True),
        t("why did you pick the first one?"),
        t("nice, I'll watch number 2", feedback=True),
    ],
    [
        t("Something for the whole family, kids are 6 and 9"),
        t("no cartoons please, they watch enough of those", excludes=("Animation",)),
        t("that one looks fun", feedback=True),
    ],
    [
        t("I'm in the mood for a dark crime movie from the 70s"),
        t("I loved The Godfather", feedback=True),
        t("more like that"),
        t("not the first one, seen it", feedback=True),
    ],
    [
        t("Do you have any Kubrick films?"),
        t("2001 is my favorite movie ever"),
        t("something less weird"),
    ],
    [
        t("what's a good movie to watch when it's raining"),
        t("not into action or adventure", excludes=("Action", "Adventure")),
        t("cool thanks!"),
    ],
    [
        t("I like Star Wars and Indiana Jones", feedback=True),
        t("Harrison Ford is great"),
        t("I didn't like any of these", feedback=True),
        t("how about something from the 90s with a strong female lead"),
    ],
    [
        t("A TEARJERKER PLEASE"),
        t("SOMETHING LIKE TITANIC"),
        t("NO OLD BLACK AND WHITE STUFF"),
    ],
]


@dataclass
class Counts:
    """What the benchmark saw over all turns."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    hallucinated_feedback: list[str] = field(default_factory=list)
    unstated_exclusions: list[str] = field(default_factory=list)
    replaced_wordings: list[str] = field(default_factory=list)
    fallbacks: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    intent_prompt_tokens: list[int] = field(default_factory=list)
    planner_seconds: list[float] = field(default_factory=list)  # per planner call (attempt)
    planner_cpu: list[float] = field(default_factory=list)  # per planner step (all attempts)
    planner_answers: list[str] = field(default_factory=list)  # "ok" or why it was rejected
    planner_tools: Counter[str] = field(default_factory=Counter)  # tools of valid plans
    named: int = 0  # titles the model named through suggest_titles
    resolved: list[str] = field(default_factory=list)  # ... found in the catalog and the scope
    suggested_by_user: dict[str, set[str]] = field(default_factory=dict)
    suggested_shown: int = 0  # shown items whose evidence holds the model's suggestion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/ml-100k"))
    parser.add_argument("--model", default="local:qwen2.5-1.5b")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--limit", type=int, default=0, help="play only the first N conversations")
    parser.add_argument(
        "--decide", default="", help="decisions to grant the local model, e.g. plan,suggest"
    )
    parser.add_argument("--dialogues", type=Path, help="replay these dialogues (JSON Lines)")
    args = parser.parse_args()
    if args.decide:
        _grant(args.model, args.decide)

    with tempfile.TemporaryDirectory(prefix="ars-bench-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(args.data, data)  # sessions write memory and threads beside the data
        app = ars.open(data)
        counts = Counts()
        _instrument(counts)
        start = time.perf_counter()
        if args.model != "none":
            from agentic_recsys.llm import load_chat_model

            load_chat_model(args.model)
        print(f"model {args.model}: loaded in {time.perf_counter() - start:.1f} s")
        if args.dialogues:
            _replay_dialogues(args.dialogues, data, args.model, args.limit, counts)
            return
        conversations = CONVERSATIONS[: args.limit] if args.limit else CONVERSATIONS
        for n, conversation in enumerate(conversations):
            session = app.session(
                user_id=f"bench-{n}", model=args.model, llm_timeout_s=args.timeout
            )
            for turn in conversation:
                _play(app, session, turn, counts)
        _report(args.model, counts)


def _play(app: App, session: Any, turn: Turn, counts: Counts) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    result = session.send(turn.message)
    counts.seconds.append(time.perf_counter() - start)
    counts.cpu.append(time.process_time() - cpu)
    counts.calls.append(result.llm_calls)
    values = session.values()
    bus = {c.item: c for c in values.get("candidates", [])}
    counts.suggested_shown += sum(
        1 for i in result.items if i in bus and any(e.source == SUGGESTED for e in bus[i].evidence)
    )
    intent = values["intent"]
    if intent.feedback and not turn.feedback:
        said = ", ".join(
            f"{f.verdict} {app.dataset.items.label(app.dataset.items.index[f.item])}"
            for f in intent.feedback
        )
        counts.hallucinated_feedback.append(f"{turn.message!r}: {said}")
    extra = set(intent.constraints.genres_out) - turn.excludes
    if extra:
        counts.unstated_exclusions.append(f"{turn.message!r}: {sorted(extra)}")
    for use in result.models:
        if use.fell_back:
            counts.fallbacks[use.role] += 1
            counts.reasons[f"{use.role}: {use.why.split(':')[0]}"] += 1
    print(
        f"{counts.seconds[-1]:6.1f} s ({counts.cpu[-1]:5.1f} CPU)  {result.llm_calls} calls  "
        f"{turn.message[:60]!r} -> {intent.kind}"
    )


def _grant(spec: str, decide: str) -> None:
    """Let the local model of `spec` make these decisions too, for this run only."""
    name = parse_spec(spec).model.lower()
    extra = {d.strip() for d in decide.split(",")}
    granted = LOCAL_DECISIONS.get(name, frozenset()) | {d for d in ALL_DECISIONS if d in extra}
    LOCAL_DECISIONS[name] = granted
    print(f"{spec} may decide (this run): {', '.join(sorted(granted))}")


def _replay_dialogues(file: Path, data: Path, spec: str, limit: int, counts: Counts) -> None:
    config = DialoguesConfig(limit=limit or None, model=spec)
    report = run_dialogues(file, data, config)
    print(f"\n== {spec}: {report.replayed} dialogues of {file.name}, {report.count} items ==")
    for m in report.metrics:
        hits = "  ".join(f"Hit@{k} {v:.3f}" for k, v in m.hit_at.items())
        print(
            f"{m.system:<22} {m.targets} targets  {hits}  empty when asked "
            f"{m.empty_when_asked:.3f}  calls/turn {m.llm_calls_per_turn:.2f}  "
            f"p50 {m.latency_p50:.1f} s  p95 {m.latency_p95:.1f} s"
        )
    system = report.metrics[0].system
    named_targets = [
        t.label
        for log in report.logs
        if log.system == system
        for t in log.targets
        if t.item in counts.suggested_by_user.get(log.user_id, set())
    ]
    print(f"targets the model named (resolved)  {len(named_targets)}: {named_targets}")
    _report_planner(counts)


def _instrument(counts: Counts) -> None:
    """Record the intent prompts' sizes, every wording the faithfulness check replaced, the
    planner's tool calls and the titles it suggested."""
    real_faithful = explainer_module.faithful
    real_ask_json = intent_module.ask_json
    real_ask_tools = tool_plan_module.ask_tools
    suggest_tool = TOOLS["suggest_titles"]
    assert isinstance(suggest_tool, StructuredTool)
    real_suggest = suggest_tool.func
    assert real_suggest is not None

    def faithful(text: str, facts: str, app_: Any, item: str | None = None) -> bool:
        ok = real_faithful(text, facts, app_, item)
        if not ok:
            claims = unsupported_claims(text, facts, app_, item)
            counts.replaced_wordings.append(f"{text!r}: {claims}")
        return ok

    def ask_json(model: Any, schema: Any, system: str, user: str, **kwargs: Any) -> Any:
        llama = getattr(model, "_llama", None)
        if llama is not None:
            text = f"{system}\n{user}"
            counts.intent_prompt_tokens.append(len(llama.tokenize(text.encode(), add_bos=False)))
        return real_ask_json(model, schema, system, user, **kwargs)

    def ask_tools(*args: Any, **kwargs: Any) -> Any:
        cpu = time.process_time()
        steps, calls = real_ask_tools(*args, **kwargs)
        counts.planner_cpu.append(time.process_time() - cpu)
        for call in calls:
            counts.planner_seconds.append(call.seconds)
            counts.planner_answers.append("ok" if call.ok else f"{call.error}: {call.detail}")
        counts.planner_tools.update(step.tool for step in steps or [])
        return steps, calls

    def suggest(titles: list[str], scope: Any) -> Any:
        text, bus = real_suggest(titles, scope)
        counts.named += len(titles)
        counts.resolved += [
            scope.app.dataset.items.label(scope.app.dataset.items.index[b.item]) for b in bus
        ]
        counts.suggested_by_user.setdefault(scope.user_id, set()).update(b.item for b in bus)
        return text, bus

    explainer_module.faithful = faithful  # type: ignore[assignment]
    intent_module.ask_json = ask_json
    tool_plan_module.ask_tools = ask_tools
    suggest_tool.func = suggest


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _report(spec: str, c: Counts) -> None:
    n = len(c.seconds)
    print(f"\n== {spec}: {n} turns ==")
    print(
        f"turn latency    p50 {_pct(c.seconds, 0.5):.1f} s   p95 {_pct(c.seconds, 0.95):.1f} s   "
        f"max {max(c.seconds):.1f} s   mean {statistics.mean(c.seconds):.1f} s"
    )
    # On a shared machine wall time includes waiting for a core; with one llama.cpp
    # thread, CPU time is about what the turn takes on an idle core.
    print(
        f"turn CPU time   p50 {_pct(c.cpu, 0.5):.1f} s   p95 {_pct(c.cpu, 0.95):.1f} s   "
        f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"LLM calls/turn  mean {statistics.mean(c.calls):.2f}   max {max(c.calls)}   "
        f"turns with none {sum(1 for x in c.calls if x == 0)}"
    )
    if c.intent_prompt_tokens:
        print(
            f"intent prompt   {len(c.intent_prompt_tokens)} calls, tokens median "
            f"{statistics.median(c.intent_prompt_tokens):.0f} max {max(c.intent_prompt_tokens)}"
        )
    for name, found in (
        ("hallucinated feedback", c.hallucinated_feedback),
        ("unstated exclusions", c.unstated_exclusions),
        ("LLM wordings replaced (caught)", c.replaced_wordings),
    ):
        print(f"{name:<34}{len(found)}")
        for line in found:
            print(f"    {line}")
    print(f"fallbacks by role               {dict(c.fallbacks) or 0}")
    for why, k in c.reasons.most_common():
        print(f"    {k:3d}  {why}")
    print(f"shown items the model named      {c.suggested_shown}")
    _report_planner(c)


def _report_planner(c: Counts) -> None:
    if not c.planner_answers:
        print("planner tool calls               none asked")
        return
    valid = c.planner_answers.count("ok")
    print(
        f"planner tool calls               {valid} of {len(c.planner_answers)} answers valid; "
        f"seconds per call p50 {_pct(c.planner_seconds, 0.5):.1f} p95 "
        f"{_pct(c.planner_seconds, 0.95):.1f}; CPU per planner step p50 "
        f"{_pct(c.planner_cpu, 0.5):.1f} p95 {_pct(c.planner_cpu, 0.95):.1f}"
    )
    print(f"    tools in valid plans: {dict(c.planner_tools)}")
    for why, k in Counter(a for a in c.planner_answers if a != "ok").most_common():
        print(f"    {k:3d}  {why[:110]}")
    print(f"suggested titles                 {len(c.resolved)} of {c.named} resolved")
    for title, k in Counter(c.resolved).most_common(15):
        print(f"    {k:3d}  {title}")


if __name__ == "__main__":
    main()
