"""The recommender the agents call: engines fitted once per dataset, fused with tuned weights.

`load_or_build` reuses the index saved in the dataset folder or builds it: the engines are
fitted on all but each user's last event, the fusion weights are tuned on those last
events, then the engines are refitted on everything and saved with the weights.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines import index_store
from agentic_recsys.engines.base import Candidate, Engine, Evidence, Profile
from agentic_recsys.engines.fusion import (
    FusionConfig,
    Pools,
    fuse,
    standardise,
    top_k,
    tune_weights,
)
from agentic_recsys.engines.history import UserHistories
from agentic_recsys.engines.registry import ENGINE_NAMES, EngineConfigs, make_engine
from agentic_recsys.engines.semantic import item_vectors
from agentic_recsys.errors import ArsError
from agentic_recsys.evaluation.split import Case, cases, leave_one_out

Progress = Callable[[str, float], None]
COLD_START = {"popularity": 1.0}

log = logging.getLogger(__name__)


class RecommenderConfig(BaseModel):
    """Engine settings, the fusion search, and the seed that orders equal timestamps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engines: EngineConfigs = Field(default_factory=EngineConfigs)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    seed: int = 0


class Recommender:
    """Fused, explained recommendations for a profile, restricted by a hard-filter mask."""

    def __init__(
        self, dataset: Dataset, engines: dict[str, Engine], weights: dict[str, float],
        config: RecommenderConfig,
    ) -> None:
        self.dataset = dataset
        self.engines = engines
        self.weights = weights
        self.config = config
        everything = np.ones(len(dataset.interactions), dtype=bool)
        self.histories = UserHistories.build(dataset.interactions, everything, config.seed)

    @classmethod
    def load_or_build(
        cls, dataset: Dataset, progress: Progress | None = None,
        config: RecommenderConfig | None = None,
    ) -> Recommender:
        """Reuse the dataset's saved index if it matches the catalog and config, else build it."""
        config = config or RecommenderConfig()
        key = index_store.config_key(config.model_dump_json())
        stored = index_store.load(dataset, key)
        if stored is None:
            stored = build_index(dataset, config, progress or _silent)
            index_store.save(dataset, key, stored)
        return cls(dataset, stored.engines, stored.weights, config)

    def profile(
        self, user_id: str | None, liked: Sequence[str] = (), exclude: Sequence[str] = (),
        query: str = "",
    ) -> tuple[Profile, list[str]]:
        """Build the profile for a user id plus conversation state; also return unknown item ids.

        A known user's history is their events, oldest first, then the liked items; an
        unknown user id is logged and treated as a stranger (popularity cold start).
        """
        liked_rows, unknown = self._rows(liked)
        exclude_rows, unknown_excluded = self._rows(exclude)
        user = None if user_id is None else self.dataset.interactions.user_index.get(user_id)
        if user_id is not None and user is None:
            log.warning("unknown user %r: recommending as for a new user (cold start)", user_id)
        past = () if user is None else tuple(self.histories.items_of(user).tolist())
        profile = Profile(
            user=user, history=past + liked_rows, query=query, exclude=exclude_rows,
            time=None if user is None else self.histories.last_time(user),
        )
        return profile, unknown + unknown_excluded

    def recommend(
        self, profile: Profile, k: int, mask: np.ndarray | None = None,
        weights: Mapping[str, float] | None = None,
    ) -> list[Candidate]:
        """Return the k best allowed items, each with evidence from every engine ranking it high.

        Never returns the profile's history, its exclusions or a known user's items.
        `weights` replaces the tuned fusion weights (engine name -> weight).
        """
        n_items = len(self.dataset.items)
        if not 0 < k <= n_items:
            raise ArsError(f"k must be between 1 and {n_items} (the catalog size), got {k}")
        allowed = self._allowed(profile, mask)
        chosen = self._weights_for(profile, weights)
        scores = {name: self.engines[name].score(profile) for name, w in chosen.items() if w}
        fused = fuse(scores, chosen, allowed)
        contributing = {name: standardise(s, allowed) > 0 for name, s in scores.items()}
        return [
            Candidate(int(row), float(fused[row]), self._evidence(profile, int(row), contributing))
            for row in top_k(fused, k)
        ]

    def _evidence(
        self, profile: Profile, item: int, contributing: Mapping[str, np.ndarray],
    ) -> list[Evidence]:
        found = []
        for name, above_average in contributing.items():
            if above_average[item] and (e := self.engines[name].explain(profile, item)):
                found.append(e)
        return found

    def _weights_for(
        self, profile: Profile, weights: Mapping[str, float] | None,
    ) -> dict[str, float]:
        if weights is not None:
            unknown = sorted(set(weights) - set(self.engines))
            if unknown:
                raise ArsError(f"unknown engine(s) {', '.join(unknown)}; "
                               f"engines: {', '.join(self.engines)}")
            if not any(weights.values()):
                raise ArsError("at least one engine weight must be non-zero")
        if not profile.history and not profile.query:
            return dict(COLD_START)  # nothing personal to go on
        return dict(self.weights if weights is None else weights)

    def _allowed(self, profile: Profile, mask: np.ndarray | None) -> np.ndarray:
        n_items = len(self.dataset.items)
        if mask is None:
            allowed = np.ones(n_items, dtype=bool)
        else:
            if mask.shape != (n_items,) or mask.dtype != np.bool_:
                raise ArsError(f"the filter mask must be {n_items} booleans, one per catalog item")
            allowed = mask.copy()
        allowed[list(profile.history)] = False
        allowed[list(profile.exclude)] = False
        if profile.user is not None:
            allowed[self.histories.items_of(profile.user)] = False
        return allowed

    def _rows(self, ids: Sequence[str]) -> tuple[tuple[int, ...], list[str]]:
        index = self.dataset.items.index
        unknown = [i for i in ids if i not in index]
        if unknown:
            log.info("skipping item ids not in the catalog: %s", ", ".join(unknown))
        return tuple(index[i] for i in ids if i in index), unknown


def build_index(
    dataset: Dataset, config: RecommenderConfig, progress: Progress,
) -> index_store.StoredIndex:
    """Fit on all but each user's last event, tune weights on those, refit on everything."""
    progress("embedding items", 0.0)
    item_vectors(dataset, lambda f: progress("embedding items", 0.3 * f))
    split = leave_one_out(dataset.interactions, config.seed)
    tuning_engines = fit_engines(dataset, ~split.test, config.engines,
                                 lambda name, f: progress(f"fitting {name}", 0.3 + 0.3 * f))
    progress("tuning fusion weights", 0.6)
    held_out = cases(dataset, ~split.test, split.test, config.seed)
    weights = tuned_weights(tuning_engines, held_out, len(dataset.items), config.fusion)
    everything = np.ones(len(dataset.interactions), dtype=bool)
    engines = fit_engines(dataset, everything, config.engines,
                          lambda name, f: progress(f"fitting {name}", 0.7 + 0.3 * f))
    progress("done", 1.0)
    return index_store.StoredIndex(engines, weights)


def fit_engines(
    dataset: Dataset, train: np.ndarray, configs: EngineConfigs,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Engine]:
    """Fit every registered engine on the events where `train` is true."""
    engines = {}
    for i, name in enumerate(ENGINE_NAMES):
        if progress:
            progress(name, i / len(ENGINE_NAMES))
        engines[name] = make_engine(name, configs).fit(dataset, train)
    return engines


def tuned_weights(
    engines: Mapping[str, Engine], held_out: Sequence[Case], n_items: int, config: FusionConfig,
) -> dict[str, float]:
    """Tune fusion weights for NDCG@10 on the held-out cases (equal weights if none)."""
    if not held_out:
        log.warning("no user has enough events to tune fusion weights; using equal weights")
        return {name: 1.0 for name in engines}
    return tune_weights(Pools.collect(list(engines), case_scores(engines, held_out, n_items),
                                      config.pool_size), config)


def case_scores(
    engines: Mapping[str, Engine], held_out: Sequence[Case], n_items: int,
) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray, int]]:
    """Yield per case every engine's scores, the allowed items (not the history), the target."""
    for case in held_out:
        allowed = np.ones(n_items, dtype=bool)
        allowed[list(case.profile.history)] = False
        yield ({n: e.score(case.profile) for n, e in engines.items()}, allowed, case.target)


def _silent(step: str, fraction: float) -> None:
    """Report nothing (the default progress callback)."""
