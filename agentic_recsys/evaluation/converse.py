"""The conversational benchmark: simulated users talk to the system and to two baselines.

Each sampled user's held-out test item (leave-one-out) is the movie they want; the system
is opened on a copy of the dataset without any test event, so it cannot know the targets,
and each episode is a fresh thread of the public session API under the real user id. The
baselines hear the same simulated user (same seed, same facts) in the same run.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.app import open as open_app
from agentic_recsys.data.dataset import (
    STATE_DIR,
    Dataset,
    InteractionRecord,
    ItemRecord,
    write_dataset,
)
from agentic_recsys.engines.als import ALS
from agentic_recsys.engines.history import UserHistories
from agentic_recsys.engines.popularity import Popularity
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.engines.split import leave_one_out
from agentic_recsys.errors import ArsError
from agentic_recsys.evaluation.episodes import ConverseMetrics, Episode, Turn, summarize
from agentic_recsys.evaluation.keyword_baselines import fitted_baselines
from agentic_recsys.evaluation.simulator import (
    MAX_TURNS,
    CatalogFacts,
    RulesSimulator,
    SystemReply,
    Target,
    UserSimulator,
    found,
)

SYSTEM = "agentic-recsys"
POPULARITY_BASELINE = "popularity+keywords"
ALS_BASELINE = "als+keywords"
CACHE_FOLDER = "converse"  # under the dataset's index folder: the train-only copies
Progress = Callable[[int, int], None]  # episodes done, episodes in all


class ConverseConfig(BaseModel):
    """Who talks, how many, with which seed, and which simulated user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    users: int = Field(default=200, ge=1)
    seed: int = 0
    simulator: Literal["rules", "llm"] = "rules"
    model: str = Field(default="", description="provider:model of the LLM simulator")
    system_model: str = Field(default="none", description="provider:model for the system")


class SystemTurn(Protocol):
    """What a conversational system returns each turn (a session's TurnResult fits)."""

    @property
    def text(self) -> str: ...  # noqa: D102
    @property
    def items(self) -> list[str]: ...  # noqa: D102
    @property
    def question(self) -> str: ...  # noqa: D102
    @property
    def llm_calls(self) -> int: ...  # noqa: D102
    @property
    def seconds(self) -> float: ...  # noqa: D102


class Conversation(Protocol):
    """One thread with one user (a session, or a baseline's conversation)."""

    def send(self, message: str) -> SystemTurn:
        """Answer one message."""
        ...


StartConversation = Callable[[str], Conversation]  # user id -> a fresh conversation


@dataclass
class ConverseReport:
    """A whole run: metrics per system (the system first), every episode, the cost."""

    dataset: str
    seed: int
    simulator: str
    metrics: list[ConverseMetrics]
    episodes: list[Episode]
    seconds: float


def run_converse(
    path: Path | str,
    config: ConverseConfig,
    progress: Progress | None = None,
) -> ConverseReport:
    """Run the benchmark on a prepared dataset folder.

    The system runs on a fresh temporary copy of the cached train-only folder, so that no
    thread or long-term memory of an earlier run is there to help (or hurt).
    """
    start = time.perf_counter()
    dataset = Dataset.open(path)
    test = leave_one_out(dataset.interactions, config.seed).test
    cached = train_only(dataset, test, config.seed)
    with stateless_copy(cached) as work, open_app(work) as app:
        baselines = fitted_baselines(
            app.dataset, [(POPULARITY_BASELINE, Popularity()), (ALS_BASELINE, ALS())], config.seed
        )
        systems: dict[str, StartConversation] = {
            SYSTEM: lambda user_id: app.session(user_id=user_id, model=config.system_model),
            **{b.name: b.start for b in baselines},
        }
        targets = sampled_targets(dataset, test, app.dataset, config.users, config.seed)
        make_simulator = simulator_factory(config, app.dataset)
        episodes: list[Episode] = []
        for n, (user_id, target) in enumerate(targets):
            for name, start_conversation in systems.items():
                simulator = make_simulator(target, f"{config.seed}:{user_id}")
                episodes.append(
                    run_episode(
                        name,
                        user_id,
                        start_conversation(user_id),
                        simulator,
                        label=_label(dataset, target.item_id),
                    )
                )
            if progress:
                progress(n + 1, len(targets))
    metrics = [summarize(name, [e for e in episodes if e.system == name]) for name in systems]
    return ConverseReport(
        dataset.name, config.seed, config.simulator, metrics, episodes, time.perf_counter() - start
    )


@contextmanager
def stateless_copy(folder: Path) -> Iterator[Path]:
    """A temporary copy of a dataset folder (index included) without its threads and memory.

    An evaluation's users then start from nothing, and none of them is left in the folder.
    """
    with tempfile.TemporaryDirectory(prefix="ars-eval-") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(STATE_DIR))
        yield work


def run_episode(
    system: str,
    user_id: str,
    conversation: Conversation,
    simulator: UserSimulator,
    label: str,
) -> Episode:
    """Talk until the target is shown in the top items or MAX_TURNS are used."""
    target = simulator.target
    episode = Episode(system, user_id, target.item_id, label)
    message = simulator.opening()
    for turn in range(1, MAX_TURNS + 1):
        result = conversation.send(message.text)
        hit = found(target, result.items)
        episode.turns.append(
            Turn(
                user=message.text,
                facts=[f.kind for f in message.facts],
                reply=result.text,
                items=list(result.items),
                question=result.question,
                hit=hit,
                llm_calls=result.llm_calls,
                seconds=result.seconds,
            )
        )
        if hit or turn == MAX_TURNS:
            break
        message = simulator.respond(SystemReply(result.text, result.items, result.question))
    return episode


def simulator_factory(
    config: ConverseConfig,
    dataset: Dataset,
) -> Callable[[Target, str], UserSimulator]:
    """Build the configured simulated user for a target and an episode seed."""
    if config.simulator == "rules":
        return lambda target, seed: RulesSimulator(target, seed)
    from agentic_recsys.evaluation.simulator_llm import LLMSimulator, simulator_model

    model = simulator_model(config.model)
    return lambda target, seed: LLMSimulator(RulesSimulator(target, seed), model, dataset)


def sampled_targets(
    dataset: Dataset,
    test: np.ndarray,
    train: Dataset,
    n: int,
    seed: int,
) -> list[tuple[str, Target]]:
    """Sample n users with a test event (seeded); each wants their test item."""
    inter = dataset.interactions
    test_item = {
        inter.user_ids[u]: int(i) for u, i in zip(inter.users[test], inter.items[test], strict=True)
    }
    users = sorted(test_item)
    chosen = [users[i] for i in np.random.default_rng(seed).permutation(len(users))[:n]]
    everything = np.ones(len(train.interactions), dtype=bool)
    histories = UserHistories.build(train.interactions, everything, seed)
    facts = CatalogFacts(train)
    return [
        (
            user_id,
            facts.target(
                test_item[user_id],
                histories.items_of(train.interactions.user_index[user_id]).tolist(),
            ),
        )
        for user_id in chosen
    ]


def train_only(dataset: Dataset, test: np.ndarray, seed: int) -> Path:
    """Copy the dataset without its `test` events and build its index, cached beside its own.

    The copy is rewritten when the source changes (its name carries the fingerprint) or
    its relations are trusted differently (the system must see the data as prepared).
    """
    folder = dataset.index_dir / CACHE_FOLDER / f"train-seed{seed}"
    name = f"{dataset.name}-train-{dataset.fingerprint}-seed{seed}"
    try:
        cached = Dataset.open(folder) if folder.is_dir() else None
    except ArsError:
        cached = None
    if (
        cached is None
        or cached.name != name
        or cached.relations_trusted != dataset.relations_trusted
    ):
        _write_subset(dataset, ~test, folder, name)
        cached = Dataset.open(folder)
    Recommender.load_or_build(cached)  # built once here, reused by every run's copy
    return folder


def _write_subset(dataset: Dataset, keep: np.ndarray, out: Path, name: str) -> None:
    items, inter, rel = dataset.items, dataset.interactions, dataset.relations
    catalog = [
        ItemRecord(
            id=items.ids[i],
            title=items.titles[i],
            year=int(items.years[i]) or None,
            genres=items.genres[i],
            description=items.descriptions[i],
            image=items.images[i],
            extra={k: v[i] for k, v in items.extra.items()},
        )
        for i in range(len(items))
    ]
    events = [
        InteractionRecord(
            user=inter.user_ids[u], item=items.ids[i], rating=float(r), timestamp=float(t)
        )
        for u, i, r, t in zip(
            inter.users[keep],
            inter.items[keep],
            inter.ratings[keep],
            inter.timestamps[keep],
            strict=True,
        )
    ]
    relations = [
        (items.ids[i], r, e)
        for i, r, e in zip(rel.items.tolist(), rel.relations, rel.entities, strict=True)
    ]
    write_dataset(out, name, catalog, events, relations, dataset.relations_trusted)


def write_transcripts(episodes: Iterable[Episode], out: Path) -> None:
    """Save every episode as one JSON line (with its success and turns taken)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for e in episodes:
            record = {**dataclasses.asdict(e), "success": e.success, "turns_taken": e.turns_taken}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def ratios(metrics: Sequence[ConverseMetrics]) -> dict[str, float]:
    """Divide the system's success by each baseline's (inf when a baseline found nothing)."""
    system, *baselines = metrics
    return {b.system: system.success / b.success if b.success else float("inf") for b in baselines}


def _label(dataset: Dataset, item_id: str) -> str:
    return dataset.items.label(dataset.items.index[item_id])
