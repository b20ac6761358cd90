"""`ars eval converse`: simulated users talk to the system and two baselines; one table."""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentic_recsys.cli.output import print_table, progress_bar
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.evaluation.converse import (
    ConverseConfig,
    ConverseReport,
    ratios,
    run_converse,
    write_transcripts,
)
from agentic_recsys.evaluation.episodes import Episode
from agentic_recsys.evaluation.simulator import MAX_TURNS, TOP_K

console = Console()


class SimulatorKind(StrEnum):
    """Which simulated user talks."""

    rules = "rules"
    llm = "llm"


def converse(
    path: Annotated[Path, typer.Argument(help="A prepared dataset folder.")],
    users: Annotated[int, typer.Option(min=1, help="Simulated users (sampled, seeded).")] = 200,
    seed: Annotated[int, typer.Option(help="Seeds the split, the users and their words.")] = 0,
    simulator: Annotated[
        SimulatorKind,
        typer.Option(help="rules: templates, deterministic; llm: a model words the same facts."),
    ] = (SimulatorKind.rules),
    model: Annotated[
        str, typer.Option(help="provider:model of the LLM simulator (with --simulator llm).")
    ] = "",
    system_model: Annotated[
        str, typer.Option(help="provider:model for the system's agents; none: rules only.")
    ] = "none",
    show: Annotated[int, typer.Option(min=0, help="Print this many conversations.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(help="Transcripts as JSONL (default: converse-DATASET-seedS.jsonl)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON object.")
    ] = False,
) -> None:
    """Simulated users each want their held-out movie; count who finds it within 5 turns."""
    config = ConverseConfig(
        users=users, seed=seed, simulator=simulator.value, model=model, system_model=system_model
    )
    dataset = Dataset.open(path)
    with progress_bar("conversations") as progress:
        report = run_converse(path, config, progress)
    target = out or Path(f"converse-{dataset.name}-seed{seed}.jsonl")
    write_transcripts(report.episodes, target)
    if as_json:
        summary = {
            "dataset": report.dataset,
            "seed": report.seed,
            "simulator": report.simulator,
            "metrics": [dataclasses.asdict(m) for m in report.metrics],
            "success_ratio": ratios(report.metrics),
            "seconds": report.seconds,
            "transcripts": str(target),
        }
        print(json.dumps(summary, indent=2))
        return
    for episode in [e for e in report.episodes if e.system == report.metrics[0].system][:show]:
        print_episode(episode, dataset)
    print_table(console, results_table(report))
    console.print(
        "success ratio: "
        + ", ".join(f"{r:.2f}x {name}" for name, r in ratios(report.metrics).items())
    )
    console.print(shown(f"{report.seconds:.0f} s; transcripts: {target}"))


def results_table(report: ConverseReport) -> Table:
    """One row per system: success, average turns, the success curve, LLM calls, latency."""
    n = report.metrics[0].episodes if report.metrics else 0
    table = Table(
        title=shown(
            f"{report.dataset}: {n} simulated users ({report.simulator}), "
            f"seed {report.seed}, Hit@{TOP_K} within {MAX_TURNS} turns"
        ),
        caption="turns: average, a failure counts 6; t1..t5: found by that turn",
    )
    table.add_column("system", no_wrap=True)
    for header in (
        f"Hit@{TOP_K}",
        "turns",
        *(f"t{t}" for t in range(1, MAX_TURNS + 1)),
        "LLM/turn",
        "p50 s",
        "p95 s",
    ):
        table.add_column(header, justify="right")
    for i, m in enumerate(report.metrics):
        table.add_row(
            m.system,
            f"{m.success:.3f}",
            f"{m.avg_turns:.2f}",
            *(f"{s:.2f}" for s in m.success_by_turn),
            f"{m.llm_calls_per_turn:.2f}",
            f"{m.latency_p50:.3f}",
            f"{m.latency_p95:.3f}",
            style="bold" if i == 0 else None,
        )
    return table


def print_episode(episode: Episode, dataset: Dataset) -> None:
    """Print a conversation as it would read in a chat, the target marked where shown."""
    items = dataset.items
    verdict = f"found at turn {episode.turns_taken}" if episode.success else "not found"
    console.rule(
        shown(f"user {episode.user_id} wants {episode.target_label}: {verdict}"), style="dim"
    )
    for turn in episode.turns:
        console.print(
            Text.assemble(
                ("user: ", "bold"),
                shown(turn.user),
                "  ",
                shown(f"({', '.join(turn.facts)})", "dim"),
            ),
            highlight=False,
        )
        opening = _first_line(turn.reply) if turn.items else turn.question or "(no text)"
        console.print(Text.assemble(("system: ", "bold"), shown(opening)), highlight=False)
        for rank, item in enumerate(turn.items[:TOP_K], 1):
            label = items.label(items.index[item]) if item in items.index else item
            mark = ("  <- the target", "green") if item == episode.target else ""
            console.print(Text.assemble(f"  {rank}. ", shown(label), mark), highlight=False)
        if turn.items and turn.question:
            console.print(Text.assemble("  ", shown(turn.question, "bold")), highlight=False)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no text)"
