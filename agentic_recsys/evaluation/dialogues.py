"""Real conversations replayed: ReDial-format dialogues against the system and three baselines.

Each dialogue is a new user: a fresh user id and thread of the public session API, on a
temporary copy of the dataset without its conversations and memory, so nothing a user
said in one dialogue (or in the user's own chats) reaches another. The seeker's turns are
sent as written (see `redial` for the script); when the human recommender suggests a movie
the seeker liked, the system's latest list (its most recent reply with items) is checked
for it. The baselines hear the same turns and are also told which catalog titles the
seeker named (the `@id` mentions): they fold those into their engine's profile.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.app import App
from agentic_recsys.app import open as open_app
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.als import ALS
from agentic_recsys.engines.base import Engine
from agentic_recsys.engines.itemknn import ItemKNN
from agentic_recsys.engines.popularity import Popularity
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.evaluation.converse import (
    ALS_BASELINE,
    POPULARITY_BASELINE,
    SYSTEM,
    Progress,
    SystemTurn,
    stateless_copy,
)
from agentic_recsys.evaluation.keyword_baselines import KeywordBaseline, fitted_baselines
from agentic_recsys.evaluation.redial import (
    CatalogNames,
    Script,
    SeekerTurn,
    read_dialogues,
    script_of,
)

ITEMKNN_BASELINE = "itemknn+keywords"
KS = (1, 5, 10)  # Hit@k reported
HEADLINE_K = 5  # a target missed at this k is a miss

Reply = Callable[[SeekerTurn], SystemTurn]  # one system's answer to a seeker turn
StartDialogue = Callable[[str], Reply]  # user id -> a fresh conversation


class DialoguesConfig(BaseModel):
    """How many dialogues, which model the system uses, and how many items it is asked for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int | None = Field(default=None, ge=1, description="the first N dialogues only")
    model: str = Field(default="none", description="provider:model for the system's agents")
    count: int = Field(default=max(KS), ge=1, description="items asked for per turn")
    seed: int = 0


@dataclass(frozen=True)
class TurnLog:
    """One seeker turn and a system's answer."""

    text: str
    asks: bool  # the human recommender answered it with a suggestion
    reply: str
    items: list[str]  # item ids, ranked
    llm_calls: int
    seconds: float


@dataclass(frozen=True)
class TargetLog:
    """A liked suggestion of the human recommender and where the system's latest list had it."""

    item: str  # item id
    label: str
    after_turn: int  # seeker turns sent before the suggestion
    rank: int | None  # 1-based in the latest list; None: not in it (or no list yet)

    def hit(self, k: int) -> bool:
        """Whether the latest list held the target within its first k items."""
        return self.rank is not None and self.rank <= k


@dataclass
class DialogueLog:
    """One system's replay of one dialogue."""

    system: str
    dialogue_id: str
    user_id: str
    turns: list[TurnLog] = field(default_factory=list)
    targets: list[TargetLog] = field(default_factory=list)


@dataclass(frozen=True)
class DialogueMetrics:
    """One system over every replayed dialogue."""

    system: str
    targets: int
    hit_at: dict[int, float]  # k -> share of targets in the latest list's first k
    turns: int
    empty: float  # share of replies without items
    asking_turns: int  # seeker turns the human recommender answered with a suggestion
    empty_when_asked: float  # share of those with no items
    llm_calls_per_turn: float
    latency_p50: float  # seconds per turn
    latency_p95: float


@dataclass
class DialoguesReport:
    """A whole run: the systems' metrics (the system first) and every replay."""

    file: str
    dataset: str
    dialogues: int  # read from the file
    replayed: int  # with at least one target
    count: int  # items asked for per turn
    metrics: list[DialogueMetrics]
    logs: list[DialogueLog]
    seconds: float


def run_dialogues(
    file: Path, data: Path, config: DialoguesConfig, progress: Progress | None = None
) -> DialoguesReport:
    """Replay the file's dialogues on a prepared dataset folder with the system and baselines."""
    start = time.perf_counter()
    dialogues = read_dialogues(file, config.limit)
    dataset = Dataset.open(data)
    Recommender.load_or_build(dataset)  # built once in the folder itself, as a chat would
    logs: list[DialogueLog] = []
    with stateless_copy(Path(data)) as work, open_app(work) as app:
        items = app.dataset.items
        catalog = CatalogNames(items)
        scripts = [s for s in (script_of(d, catalog) for d in dialogues) if s.targets]
        engines: list[tuple[str, Engine]] = [
            (POPULARITY_BASELINE, Popularity()),
            (ALS_BASELINE, ALS()),
            (ITEMKNN_BASELINE, ItemKNN()),
        ]
        baselines = fitted_baselines(app.dataset, engines, config.seed, config.count)
        systems = {
            SYSTEM: _system(app, config),
            **{b.name: _baseline(b) for b in baselines},
        }
        for n, script in enumerate(scripts):
            user_id = f"dialogue-{n + 1}-{script.dialogue_id}"  # unique even if ids repeat
            for name, start_dialogue in systems.items():
                logs.append(replay(name, script, user_id, start_dialogue(user_id), items.ids))
            if progress:
                progress(n + 1, len(scripts))
    metrics = [summarize(name, [log for log in logs if log.system == name]) for name in systems]
    return DialoguesReport(
        str(file),
        dataset.name,
        len(dialogues),
        len(scripts),
        config.count,
        metrics,
        logs,
        time.perf_counter() - start,
    )


def replay(
    system: str, script: Script, user_id: str, reply: Reply, item_ids: Sequence[str]
) -> DialogueLog:
    """Send the script's seeker turns; after each, check the targets suggested next."""
    log = DialogueLog(system, script.dialogue_id, user_id)
    latest: list[str] = []
    for n, turn in enumerate(script.turns, 1):
        result = reply(turn)
        latest = list(result.items) or latest
        log.turns.append(
            TurnLog(
                turn.text,
                turn.asks,
                result.text,
                list(result.items),
                result.llm_calls,
                result.seconds,
            )
        )
        for target in (t for t in script.targets if t.after_turn == n):
            item = item_ids[target.row]
            rank = latest.index(item) + 1 if item in latest else None
            log.targets.append(TargetLog(item, target.name, n, rank))
    return log


def summarize(system: str, logs: Sequence[DialogueLog]) -> DialogueMetrics:
    """Aggregate one system's replays; an empty run gives zeros, never a division error."""
    targets = [t for log in logs for t in log.targets]
    turns = [t for log in logs for t in log.turns]
    asked = [t for t in turns if t.asks]
    seconds = np.asarray([t.seconds for t in turns], dtype=np.float64)
    return DialogueMetrics(
        system=system,
        targets=len(targets),
        hit_at={k: _mean([t.hit(k) for t in targets]) for k in KS},
        turns=len(turns),
        empty=_mean([not t.items for t in turns]),
        asking_turns=len(asked),
        empty_when_asked=_mean([not t.items for t in asked]),
        llm_calls_per_turn=_mean([t.llm_calls for t in turns]),
        latency_p50=float(np.percentile(seconds, 50)) if len(seconds) else 0.0,
        latency_p95=float(np.percentile(seconds, 95)) if len(seconds) else 0.0,
    )


def misses(report: DialoguesReport) -> list[tuple[DialogueLog, TargetLog]]:
    """The system's targets not in its latest list's first HEADLINE_K items, in file order."""
    return [
        (log, target)
        for log in report.logs
        if log.system == SYSTEM
        for target in log.targets
        if not target.hit(HEADLINE_K)
    ]


def _system(app: App, config: DialoguesConfig) -> StartDialogue:
    def start(user_id: str) -> Reply:
        session = app.session(user_id=user_id, model=config.model, default_count=config.count)
        return lambda turn: session.send(turn.text)

    return start


def _baseline(baseline: KeywordBaseline) -> StartDialogue:
    def start(user_id: str) -> Reply:
        conversation = baseline.start(user_id)
        return lambda turn: conversation.send(turn.text, turn.named)

    return start


def _mean(values: Sequence[bool | int]) -> float:
    return float(np.mean(values)) if len(values) else 0.0
