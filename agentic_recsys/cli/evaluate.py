"""`ars eval offline`: every engine and both fusions side by side on leave-one-out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from agentic_recsys.cli.converse import converse
from agentic_recsys.cli.dialogues import dialogues
from agentic_recsys.cli.output import print_table
from agentic_recsys.cli.screen_text import shown
from agentic_recsys.cli.usage import Command
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.evaluation.offline import (
    FUSIONS,
    LINEAR,
    OfflineConfig,
    OfflineReport,
    evaluate_offline,
)

app = typer.Typer(
    help="Measure recommendations: offline ranking, simulated and real conversations.",
    no_args_is_help=True,
)
app.command("converse", cls=Command)(converse)
app.command("dialogues", cls=Command)(dialogues)
console = Console()


@app.command("offline", cls=Command)
def offline(
    path: Annotated[Path, typer.Argument(help="A prepared dataset folder.")],
    seed: Annotated[int, typer.Option(help="Orders equal timestamps and draws negatives.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Leave-one-out: tune on each user's second-to-last event, report on the last one."""
    dataset = Dataset.open(path)
    config = OfflineConfig(seed=seed)
    if as_json:
        report = evaluate_offline(dataset, config)
        print(json.dumps(dataclasses.asdict(report), indent=2))
        return
    with console.status("evaluating...") as status:
        report = evaluate_offline(dataset, config, lambda step: status.update(f"{step}..."))
    print_table(console, results_table(report))
    best = max((r for r in report.rows if r.name not in FUSIONS), key=lambda r: r.ndcg)
    for fused in (r for r in report.rows if r.name in FUSIONS):
        ratio = fused.ndcg / best.ndcg if best.ndcg else float("inf")
        chosen = " (chosen by validation)" if fused.name == report.chosen_fusion else ""
        console.print(
            f"{fused.name} NDCG@{report.k} is {ratio:.2f}x the best single engine "
            f"({best.name}){chosen}"
        )
    weights = ", ".join(f"{n}={w:g}" for n, w in report.weights.items() if w)
    console.print(f"{LINEAR} weights: {weights}")
    console.print(f"{report.seconds:.1f} s, peak memory {report.peak_rss_mb:.0f} MB")


def results_table(report: OfflineReport) -> Table:
    """One row per engine and per fusion: full ranking, sampled protocol, fit time."""
    k = report.k
    table = Table(
        title=shown(f"{report.dataset}: leave-one-out, {report.users} users, {report.items} items")
    )
    table.add_column("engine")
    for header in (
        f"HR@{k}",
        f"NDCG@{k}",
        f"HR@{k} (1+99)",
        f"NDCG@{k} (1+99)",
        f"valid NDCG@{k}",
        "fit s",
    ):
        table.add_column(header, justify="right")
    for row in report.rows:
        style = "bold" if row.name == report.chosen_fusion else None
        table.add_row(
            row.name,
            f"{row.hr:.4f}",
            f"{row.ndcg:.4f}",
            f"{row.hr_sampled:.4f}",
            f"{row.ndcg_sampled:.4f}",
            f"{row.valid_ndcg:.4f}",
            f"{row.fit_seconds:.2f}",
            style=style,
        )
    return table
