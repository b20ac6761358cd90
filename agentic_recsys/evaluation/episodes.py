"""Conversations with a simulated user as records, and the metrics computed from them.

An episode ends when the target is among the top items shown (a success at that turn) or
after the last allowed turn (a failure, counted as one turn more than allowed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from agentic_recsys.evaluation.simulator import MAX_TURNS

FAILED_TURNS = MAX_TURNS + 1  # what a failed episode counts in the average


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user said, what the system answered, and what it cost."""

    user: str
    facts: list[str]  # kinds of facts the message revealed
    reply: str
    items: list[str]  # item ids shown, ranked
    question: str
    hit: bool  # the target was among the top items
    llm_calls: int
    seconds: float


@dataclass
class Episode:
    """One simulated conversation of one system with one user about one target."""

    system: str
    user_id: str
    target: str
    target_label: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """Whether the target was shown in time."""
        return any(t.hit for t in self.turns)

    @property
    def turns_taken(self) -> int:
        """The turn that showed the target, or FAILED_TURNS for a failure."""
        return next((n for n, t in enumerate(self.turns, 1) if t.hit), FAILED_TURNS)


@dataclass(frozen=True)
class ConverseMetrics:
    """One system's results over all episodes of a run."""

    system: str
    episodes: int
    success: float  # Hit@5 within MAX_TURNS
    avg_turns: float  # a failure counts FAILED_TURNS
    success_by_turn: list[float]  # share of episodes done by turn 1, 2, ... MAX_TURNS
    llm_calls_per_turn: float
    latency_p50: float  # seconds per turn
    latency_p95: float


def summarize(system: str, episodes: Sequence[Episode]) -> ConverseMetrics:
    """Aggregate a system's episodes; an empty run gives zeros, never a division error."""
    taken = np.asarray([e.turns_taken for e in episodes], dtype=np.float64)
    seconds = np.asarray([t.seconds for e in episodes for t in e.turns], dtype=np.float64)
    calls = [t.llm_calls for e in episodes for t in e.turns]
    return ConverseMetrics(
        system=system,
        episodes=len(episodes),
        success=float(np.mean(taken <= MAX_TURNS)) if len(taken) else 0.0,
        avg_turns=float(taken.mean()) if len(taken) else 0.0,
        success_by_turn=[
            float(np.mean(taken <= n)) if len(taken) else 0.0 for n in range(1, MAX_TURNS + 1)
        ],
        llm_calls_per_turn=float(np.mean(calls)) if calls else 0.0,
        latency_p50=float(np.percentile(seconds, 50)) if len(seconds) else 0.0,
        latency_p95=float(np.percentile(seconds, 95)) if len(seconds) else 0.0,
    )
