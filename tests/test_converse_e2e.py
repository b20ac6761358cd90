"""`ars eval converse` end to end: 3 simulated users through the real session API and graph."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentic_recsys.cli.main import app
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.split import leave_one_out
from agentic_recsys.evaluation.converse import (
    ALS_BASELINE,
    POPULARITY_BASELINE,
    SYSTEM,
    ConverseConfig,
    run_converse,
    train_only,
)


def test_three_users_twice_same_transcripts_and_a_table(ml100k_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    result = CliRunner().invoke(
        app, ["eval", "converse", str(ml100k_dir), "--users", "3", "--show", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert SYSTEM in result.output and ALS_BASELINE in result.output
    assert "wants" in result.output and "user:" in result.output  # one conversation shown
    shown = result.output.split(SYSTEM)[0]  # the conversation, before the table
    turns = json.loads(out.read_text().splitlines()[0])["turns"]
    asked = [t["question"] for t in turns if t["question"]]
    assert asked and all(q in shown and f"system: {q}" not in shown for q in asked)  # under items
    first = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted({e["system"] for e in first}) == sorted(
        {SYSTEM, POPULARITY_BASELINE, ALS_BASELINE}
    )
    assert len(first) == 9 and len({e["user_id"] for e in first}) == 3
    for e in first:
        assert 1 <= len(e["turns"]) <= 5 and e["turns"][0]["user"]
        assert e["success"] == any(t["hit"] for t in e["turns"])
        hits = [t["hit"] for t in e["turns"]]
        assert not any(hits[:-1])  # the user stops at the first hit
    # Same seed, a fresh copy of the train-only folder: the very same conversations.
    again = run_converse(ml100k_dir, ConverseConfig(users=3))
    assert [
        (e["system"], [t["user"] for t in e["turns"]], [t["items"] for t in e["turns"]])
        for e in first
    ] == [(e.system, [t.user for t in e.turns], [t.items for t in e.turns]) for e in again.episodes]


def test_the_system_never_sees_the_test_events(ml100k: Dataset) -> None:
    test = leave_one_out(ml100k.interactions, 0).test
    train = Dataset.open(train_only(ml100k, test, 0))
    assert len(train.interactions) == len(ml100k.interactions) - int(test.sum())
    assert train.relations_trusted is ml100k.relations_trusted is False  # KG never cited
    held_out = {
        (ml100k.interactions.user_ids[u], ml100k.items.ids[i])
        for u, i in zip(
            ml100k.interactions.users[test], ml100k.interactions.items[test], strict=True
        )
    }
    kept = {
        (train.interactions.user_ids[u], train.items.ids[i])
        for u, i in zip(train.interactions.users, train.interactions.items, strict=True)
    }
    assert not held_out & kept


def test_json_is_one_object_and_a_piped_table_is_whole(ml100k_dir: Path, tmp_path: Path) -> None:
    args = ["eval", "converse", str(ml100k_dir), "--users", "1", "--out", str(tmp_path / "t")]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [m["system"] for m in report["metrics"]] == [SYSTEM, POPULARITY_BASELINE, ALS_BASELINE]
    assert set(report["success_ratio"]) == {POPULARITY_BASELINE, ALS_BASELINE}
    table = CliRunner().invoke(app, args).stdout  # not a terminal: Rich would give 80 columns
    assert "…" not in table and "LLM/turn" in table
    assert max(len(line) for line in table.splitlines()) > 80
