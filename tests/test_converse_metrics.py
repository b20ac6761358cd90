"""Episode metrics on hand-computed episodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentic_recsys.evaluation.converse import ratios, write_transcripts
from agentic_recsys.evaluation.episodes import FAILED_TURNS, Episode, Turn, summarize


def _episode(hit_at: int | None, turns: int, seconds: list[float], calls: list[int]) -> Episode:
    return Episode(
        "sys",
        "u",
        "t",
        "Target (1995)",
        [
            Turn(
                user=f"msg {n}",
                facts=["genre"],
                reply="r",
                items=["a", "t"] if n == hit_at else [],
                question="",
                hit=n == hit_at,
                llm_calls=calls[n - 1],
                seconds=seconds[n - 1],
            )
            for n in range(1, turns + 1)
        ],
    )


@pytest.fixture
def episodes() -> list[Episode]:
    return [
        _episode(1, 1, [1.0], [2]),  # found at once
        _episode(3, 3, [2.0, 3.0, 4.0], [0, 1, 0]),  # found at turn 3
        _episode(None, 5, [5.0, 6.0, 7.0, 8.0, 9.0], [0, 0, 0, 0, 3]),  # never found
    ]


def test_success_turns_and_curve(episodes: list[Episode]) -> None:
    m = summarize("sys", episodes)
    assert m.episodes == 3
    assert m.success == pytest.approx(2 / 3)
    assert FAILED_TURNS == 6
    assert m.avg_turns == pytest.approx((1 + 3 + 6) / 3)
    assert m.success_by_turn == pytest.approx([1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3])


def test_llm_calls_and_latency_per_turn(episodes: list[Episode]) -> None:
    m = summarize("sys", episodes)
    assert m.llm_calls_per_turn == pytest.approx(6 / 9)  # 2 + 1 + 3 calls over 9 turns
    assert m.latency_p50 == pytest.approx(5.0)  # turn times 1..9 s
    assert m.latency_p95 == pytest.approx(1.0 + 0.95 * 8)  # linear interpolation


def test_an_empty_run_gives_zeros() -> None:
    m = summarize("sys", [])
    assert (m.success, m.avg_turns, m.llm_calls_per_turn, m.latency_p95) == (0, 0, 0, 0)
    assert m.success_by_turn == [0.0] * 5


def test_ratio_to_each_baseline(episodes: list[Episode]) -> None:
    system = summarize("sys", episodes)
    half = summarize("half", episodes[1:])
    nothing = summarize("none", episodes[2:])
    assert ratios([system, half, nothing]) == {
        "half": pytest.approx((2 / 3) / 0.5),
        "none": float("inf"),
    }


def test_transcripts_are_one_json_line_per_episode(episodes: list[Episode], tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    write_transcripts(episodes, out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["turns_taken"] for r in lines] == [1, 3, 6]
    assert [r["success"] for r in lines] == [True, True, False]
    assert lines[1]["turns"][2]["hit"] and lines[1]["turns"][0]["user"] == "msg 1"
