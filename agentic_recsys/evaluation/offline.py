"""Offline evaluation: every engine and the fusion, side by side, on leave-one-out.

Per engine, hyperparameters are chosen on the validation events (fitted on train); the
linear blend's weights are tuned and the learned ranker trained on the same validation
events; then every engine is refitted on train + validation and scored once on the test
events: full ranking over all items not in the user's history, and the sampled protocol
(the target among 99 seeded negatives). Both fusions are reported; `chosen_fusion` says
which one a build would use, by validation.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import threadpool_limits

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Engine
from agentic_recsys.engines.fusion import FusionConfig, fuse
from agentic_recsys.engines.metrics import hit_rate, ndcg, rank_of_target
from agentic_recsys.engines.ranker import RankerConfig
from agentic_recsys.engines.recommender import TunedFusion, case_scores, tune_fusion
from agentic_recsys.engines.registry import ENGINE_NAMES, EngineConfigs, make_engine
from agentic_recsys.engines.split import Case, cases, leave_one_out, sampled_negatives

LINEAR = "fusion (linear)"
LEARNED = "fusion (learned)"
FUSIONS = (LINEAR, LEARNED)
Params = dict[str, float | int | None]

DEFAULT_GRIDS: dict[str, list[Params]] = {
    "recent_popularity": [{"half_life_days": d} for d in (1.0, 3.0, 10.0)],
    "itemknn": [{"neighbours": n, "half_life": h} for n in (50, 200) for h in (None, 5.0, 2.0)],
    "als": [
        {"factors": f, "regularization": r, "half_life": h}
        for f in (32, 64, 128)
        for r in (0.01, 0.1)
        for h in (None, 10.0)
    ],
    "semantic": [{"half_life": h} for h in (None, 10.0, 3.0)],
    "kg": [{"half_life": h} for h in (None, 10.0, 3.0)],
    "sequential": [
        {"window": w, "recent": r, "half_life": h}
        for w in (3, 10)
        for r in (10, 20)
        for h in (2.0, 3.0)
    ],
}


class OfflineConfig(BaseModel):
    """The seed, the cutoff, the sampled protocol's size and what is searched."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    k: int = Field(default=10, ge=1)
    negatives: int = Field(default=99, ge=1)
    grids: dict[str, list[Params]] = Field(
        default_factory=lambda: dict(DEFAULT_GRIDS),
        description="engine name -> config overrides to try (none: the defaults)",
    )
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    ranker: RankerConfig = Field(default_factory=RankerConfig)


@dataclass
class Row:
    """One line of the results table: an engine (or a fusion) on the test events."""

    name: str
    hr: float
    ndcg: float
    hr_sampled: float
    ndcg_sampled: float
    fit_seconds: float
    valid_ndcg: float
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class OfflineReport:
    """The whole run: one row per engine and per fusion, the tuned weights, the choice, cost."""

    dataset: str
    users: int
    items: int
    k: int
    rows: list[Row]
    weights: dict[str, float]
    chosen_fusion: str  # LINEAR or LEARNED: the better on validation, as a build would choose
    seconds: float
    peak_rss_mb: float


def evaluate_offline(
    dataset: Dataset,
    config: OfflineConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> OfflineReport:
    """Tune every engine and both fusions on validation, report all of them on test."""
    config = config or OfflineConfig()
    say = progress or (lambda step: None)
    started = time.perf_counter()
    split = leave_one_out(dataset.interactions, config.seed)
    valid_cases = cases(dataset, split.train, split.valid, config.seed)
    test_cases = cases(dataset, split.train | split.valid, split.test, config.seed)
    n_items = len(dataset.items)
    with threadpool_limits(1):
        chosen: dict[str, Engine] = {}
        valid_ndcg: dict[str, float] = {}
        configs = EngineConfigs()
        for name in ENGINE_NAMES:
            say(f"tuning {name}")
            configs, chosen[name], valid_ndcg[name] = _tune_engine(
                dataset,
                split.train,
                valid_cases,
                name,
                configs,
                config.grids.get(name, [{}]),
                config.k,
            )
        say("tuning the fusion")
        tune_start = time.perf_counter()
        fusion = tune_fusion(chosen, valid_cases, n_items, config.fusion, config.ranker)
        tune_seconds = time.perf_counter() - tune_start
        fitted, fit_seconds = {}, {}
        for name in ENGINE_NAMES:
            say(f"fitting {name} on train + validation")
            fit_start = time.perf_counter()
            fitted[name] = make_engine(name, configs).fit(dataset, split.train | split.valid)
            fit_seconds[name] = time.perf_counter() - fit_start
        say("scoring the test events")
        full, sampled = _test_ranks(dataset, fitted, fusion, test_cases, config)

    def row(name: str, seconds: float, valid: float, params: dict[str, Any]) -> Row:
        return Row(
            name,
            hit_rate(full[name], config.k),
            ndcg(full[name], config.k),
            hit_rate(sampled[name], config.k),
            ndcg(sampled[name], config.k),
            seconds,
            valid,
            params,
        )

    fusion_seconds = sum(fit_seconds.values()) + tune_seconds  # both need every engine
    rows = [
        row(name, fit_seconds[name], valid_ndcg[name], getattr(configs, name).model_dump())
        for name in ENGINE_NAMES
    ]
    rows.append(row(LINEAR, fusion_seconds, fusion.linear_ndcg, dict(fusion.weights)))
    if fusion.ranker:
        rows.append(row(LEARNED, fusion_seconds, fusion.learned_ndcg, fusion.ranker.to_dict()))
    return OfflineReport(
        dataset.name,
        len(test_cases),
        n_items,
        config.k,
        rows,
        fusion.weights,
        LEARNED if fusion.prefers_learned else LINEAR,
        time.perf_counter() - started,
        _peak_rss_mb(),
    )


def _tune_engine(
    dataset: Dataset,
    train: np.ndarray,
    valid_cases: Sequence[Case],
    name: str,
    configs: EngineConfigs,
    grid: Sequence[Params],
    k: int,
) -> tuple[EngineConfigs, Engine, float]:
    """Pick the grid point with the best validation NDCG@k; return configs updated with it."""
    best: tuple[float, EngineConfigs, Engine] | None = None
    for params in grid:
        current = getattr(configs, name)
        trial = configs.model_copy(
            update={name: type(current).model_validate({**current.model_dump(), **params})}
        )
        engine = make_engine(name, trial).fit(dataset, train)
        score = ndcg(_full_ranks(engine, valid_cases, len(dataset.items)), k)
        if best is None or score > best[0]:
            best = (score, trial, engine)
    assert best is not None, "a grid has at least one point"
    return best[1], best[2], best[0]


def _full_ranks(engine: Engine, found: Sequence[Case], n_items: int) -> np.ndarray:
    ranks = np.empty(len(found), dtype=np.int64)
    for i, case in enumerate(found):
        ranks[i] = rank_of_target(engine.score(case.profile), case.target, _allowed(case, n_items))
    return ranks


def _test_ranks(
    dataset: Dataset,
    engines: Mapping[str, Engine],
    fusion: TunedFusion,
    found: Sequence[Case],
    config: OfflineConfig,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per engine and per fusion: full-ranking ranks and sampled-protocol ranks."""
    names = [*engines, LINEAR, *([LEARNED] if fusion.ranker else [])]
    full = {n: np.empty(len(found), dtype=np.int64) for n in names}
    sampled = {n: np.empty(len(found), dtype=np.int64) for n in names}
    negatives = sampled_negatives(dataset, list(found), config.negatives, config.seed)
    scored = case_scores(engines, found, len(dataset.items))
    for i, ((scores, allowed, target), negative) in enumerate(zip(scored, negatives, strict=True)):
        scores = {**scores, **_fused(scores, allowed, fusion, config.ranker.pool_size)}
        among = np.zeros(len(allowed), dtype=bool)
        among[negative] = True
        among[target] = True
        for name in names:
            full[name][i] = rank_of_target(scores[name], target, allowed)
            sampled[name][i] = rank_of_target(scores[name], target, among)
    return full, sampled


def _fused(
    scores: Mapping[str, np.ndarray],
    allowed: np.ndarray,
    fusion: TunedFusion,
    pool_size: int,
) -> dict[str, np.ndarray]:
    """Each fusion's scores for one case."""
    fused = {LINEAR: fuse(scores, fusion.weights, allowed)}
    if fusion.ranker:
        fused[LEARNED] = fusion.ranker.score(scores, allowed, pool_size)
    return fused


def _allowed(case: Case, n_items: int) -> np.ndarray:
    allowed = np.ones(n_items, dtype=bool)
    allowed[list(case.profile.history)] = False
    return allowed


def _peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
