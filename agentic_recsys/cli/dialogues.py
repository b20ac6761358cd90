"""`ars eval dialogues`: real (or your own logged) conversations replayed; one table."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentic_recsys.cli.chat_start import log_to_file
from agentic_recsys.cli.output import print_table, progress_bar
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.data.dataset import STATE_DIR, Dataset, Items
from agentic_recsys.evaluation.dialogues import (
    HEADLINE_K,
    KS,
    DialogueLog,
    DialoguesConfig,
    DialoguesReport,
    TargetLog,
    misses,
    run_dialogues,
)

LOG_FILE = "eval-dialogues.log"  # in the dataset's state folder: every replayed user is new
SHOWN_ITEMS = 3  # items of a reply printed per turn of a miss
REPLY_CHARS = 100

console = Console(highlight=False)


def dialogues(
    file: Annotated[Path, typer.Argument(help="ReDial-format dialogues, one JSON per line.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data", envvar="ARS_DATA", help="A prepared dataset folder (see `ars data`)."
        ),
    ] = Path("data/ml-100k"),
    limit: Annotated[
        int | None, typer.Option(min=1, help="Replay only the file's first N dialogues.")
    ] = None,
    model: Annotated[
        str, typer.Option(help="provider:model for the system's agents; none: rules only.")
    ] = "none",
    count: Annotated[
        int, typer.Option(min=1, help="Items asked for per turn (Hit@k above it cannot rise).")
    ] = max(KS),
    show: Annotated[
        int, typer.Option(min=0, help="List this many of the system's missed targets.")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as one JSON object.")
    ] = False,
) -> None:
    """Replay dialogues: count how often a suggestion the seeker liked is in our latest list.

    Each dialogue is a new user; seeker turns go through the session API, @ids as names.

    A target: suggested by the recommender, liked by the seeker, in the catalog, new.

    Exit status: 0 done; 2 bad input (the message names the file and line).
    """
    items = Dataset.open(data).items
    log_to_file(Path(data) / STATE_DIR / LOG_FILE)
    config = DialoguesConfig(limit=limit, model=model, count=count)
    with progress_bar("dialogues") as progress:
        report = run_dialogues(file, data, config, progress)
    missed = misses(report)[:show]
    if as_json:
        print(json.dumps(report_json(report, missed, items), indent=2))
        return
    for log, target in missed:
        print_miss(log, target, items)
    print_table(console, results_table(report))
    best = max(report.metrics[1:], key=lambda m: m.hit_at[HEADLINE_K])
    system = report.metrics[0].hit_at[HEADLINE_K]
    ratio = system / best.hit_at[HEADLINE_K] if best.hit_at[HEADLINE_K] else float("inf")
    console.print(f"Hit@{HEADLINE_K}: {ratio:.2f}x the best baseline ({best.system})")
    console.print(f"{report.seconds:.0f} s")


def results_table(report: DialoguesReport) -> Table:
    """One row per system: Hit@k, empty replies (all, and to turns that asked), latency."""
    n = report.metrics[0].targets if report.metrics else 0
    table = Table(
        title=shown(
            f"{report.dataset}: {report.replayed} of {report.dialogues} dialogues with "
            f"a target, {n} targets, up to {report.count} items asked per turn"
        ),
        caption="empty: replies with no items; asked: turns the human recommender answered "
        "with a suggestion; the baselines also get the catalog titles the seeker named",
    )
    table.add_column("system", no_wrap=True)
    for header in (*(f"Hit@{k}" for k in KS), "turns", "empty", "empty (asked)", "p50 s", "p95 s"):
        table.add_column(header, justify="right")
    for i, m in enumerate(report.metrics):
        table.add_row(
            m.system,
            *(f"{m.hit_at[k]:.3f}" for k in KS),
            str(m.turns),
            f"{m.empty:.3f}",
            f"{m.empty_when_asked:.3f}",
            f"{m.latency_p50:.3f}",
            f"{m.latency_p95:.3f}",
            style="bold" if i == 0 else None,
        )
    return table


def report_json(
    report: DialoguesReport, missed: list[tuple[DialogueLog, TargetLog]], items: Items
) -> Any:
    """The run as one JSON object: figures per system, and the misses asked for."""
    return {
        "file": report.file,
        "dataset": report.dataset,
        "dialogues": report.dialogues,
        "replayed": report.replayed,
        "count": report.count,
        "metrics": [dataclasses.asdict(m) for m in report.metrics],
        "seconds": report.seconds,
        "misses": [
            {
                "dialogue_id": log.dialogue_id,
                "target": dataclasses.asdict(target),
                "turns": [
                    {**dataclasses.asdict(t), "labels": _labels(t.items, items)}
                    for t in log.turns[: target.after_turn]
                ],
            }
            for log, target in missed
        ],
    }


def print_miss(log: DialogueLog, target: TargetLog, items: Items) -> None:
    """The seeker's turns up to a missed target, each with the start of the system's answer."""
    where = f"rank {target.rank}" if target.rank else "not in the list"
    console.rule(
        shown(
            f"dialogue {log.dialogue_id}: {target.label} after turn {target.after_turn} ({where})"
        ),
        style="dim",
    )
    for n, turn in enumerate(log.turns[: target.after_turn], 1):
        asked = (" (asked)", "dim") if turn.asks else ""
        text = shown(turn.text.replace("\n", " / "))
        console.print(Text.assemble((f"{n}>", "bold"), " ", text, asked), soft_wrap=True)
        if turn.items:
            labels = ", ".join(_labels(turn.items[:SHOWN_ITEMS], items))
            more = f" (+{len(turn.items) - SHOWN_ITEMS})" if len(turn.items) > SHOWN_ITEMS else ""
            console.print(Text.assemble("   ", shown(labels + more)), soft_wrap=True)
        else:
            console.print(
                Text.assemble("   ", ("(no items)", "dim"), " ", shown(_first_line(turn.reply))),
                soft_wrap=True,
            )


def _labels(ids: list[str], items: Items) -> list[str]:
    return [items.label(items.index[i]) if i in items.index else i for i in ids]


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= REPLY_CHARS else line[: REPLY_CHARS - 1] + "…"
