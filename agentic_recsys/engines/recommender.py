"""The recommender the agents call: engines fitted once per dataset, fused as validation says.

`load_or_build` reuses the index saved in the dataset folder or builds it: the engines are
fitted on all but each user's last event; on those last events the linear blend's weights
are tuned and the learned ranker is trained and cross-validated; the better of the two
fuses the engines, which are then refitted on everything and saved with both, as arrays
and JSON (engines/index_store.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

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
from agentic_recsys.engines.ranker import (
    LearnedRanker,
    RankerConfig,
    RankingCases,
    cross_validated_ndcg,
    train_ranker,
)
from agentic_recsys.engines.registry import ENGINE_NAMES, EngineConfigs, make_engine
from agentic_recsys.engines.semantic import Semantic, item_vectors
from agentic_recsys.engines.split import Case, cases, leave_one_out
from agentic_recsys.errors import ArsError

Progress = Callable[[str, float], None]
COLD_START = {"popularity": 1.0}
RANKER_PART = "learned-ranker"  # not an identifier, so never an engine's name

log = logging.getLogger(__name__)


class RecommenderConfig(BaseModel):
    """Engine settings, the fusion search, and the seed that orders equal timestamps."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engines: EngineConfigs = Field(default_factory=EngineConfigs)
    fusion: FusionConfig = Field(default_factory=FusionConfig)
    ranker: RankerConfig = Field(default_factory=RankerConfig)
    seed: int = 0


@dataclass(frozen=True)
class TunedFusion:
    """Both ways to fuse the engines, each with its validation NDCG@10 within the pools."""

    weights: dict[str, float]
    ranker: LearnedRanker | None
    linear_ndcg: float  # in-sample: the weights were tuned on these cases
    learned_ndcg: float  # cross-validated over users

    @property
    def prefers_learned(self) -> bool:
        """Whether validation says the learned ranker beats the linear blend."""
        return self.ranker is not None and self.learned_ndcg > self.linear_ndcg

    @property
    def chosen_ranker(self) -> LearnedRanker | None:
        """The ranker to fuse with, or None for the linear blend."""
        return self.ranker if self.prefers_learned else None


@dataclass(frozen=True)
class Blend:
    """Another profile whose fused scores join a recommendation, e.g. the titles a user named.

    `weights` are its engines' linear blend (None: the tuned one); `weight` is how much its
    z-scored ranking counts beside the main profile's (which counts 1).
    """

    profile: Profile
    weights: Mapping[str, float] | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class Reason:
    """An engine that scored some items above average for a profile, so it may explain them."""

    engine: str
    profile: Profile
    above_average: np.ndarray


class Recommender:
    """Fused, explained recommendations for a profile, restricted by a hard-filter mask.

    Without a `ranker` (or with `weights` overridden per call) the engines are fused by the
    linear blend of `weights`; with one, by the learned ranker.
    """

    def __init__(
        self,
        dataset: Dataset,
        engines: dict[str, Engine],
        weights: dict[str, float],
        config: RecommenderConfig,
        ranker: LearnedRanker | None = None,
    ) -> None:
        self.dataset = dataset
        self.engines = engines
        self.weights = weights
        self.ranker = ranker
        self.config = config
        everything = np.ones(len(dataset.interactions), dtype=bool)
        self.histories = UserHistories.build(dataset.interactions, everything, config.seed)
        self._new_users: set[str] = set()  # user ids already noted as new

    @property
    def semantic(self) -> Semantic:
        """The text engine, whose thresholds are measured on this catalog's own texts."""
        engine = self.engines["semantic"]
        assert isinstance(engine, Semantic), "every index has the semantic engine"
        return engine

    @classmethod
    def load_or_build(
        cls,
        dataset: Dataset,
        progress: Progress | None = None,
        config: RecommenderConfig | None = None,
    ) -> Recommender:
        """Reuse the dataset's saved index if it matches the catalog and config, else build it."""
        config = config or RecommenderConfig()
        key = index_store.config_key(config.model_dump_json())
        stored = index_store.load(dataset, key)
        if stored is not None and (restored := _restore(stored, config.engines)) is not None:
            engines, weights, ranker = restored
            return cls(dataset, engines, weights, config, ranker)
        engines, fusion = build_index(dataset, config, progress or _silent)
        index_store.save(dataset, key, _to_store(engines, fusion))
        return cls(dataset, engines, fusion.weights, config, fusion.chosen_ranker)

    def profile(
        self,
        user_id: str | None,
        liked: Sequence[str] = (),
        exclude: Sequence[str] = (),
        query: str = "",
    ) -> tuple[Profile, list[str]]:
        """Build the profile for a user id plus conversation state; also return unknown item ids.

        A known user's history is their events, oldest first, then the liked items; those
        they rated low (`rated_low`: 1 or 2 of 5) are never named as the reason for a pick
        (`Profile.citable`). A user id not in the interactions is a new user (popularity
        cold start), noted once.
        """
        liked_rows, unknown = self._rows(liked)
        exclude_rows, unknown_excluded = self._rows(exclude)
        user = None if user_id is None else self.dataset.interactions.user_index.get(user_id)
        if user_id is not None and user is None and user_id not in self._new_users:
            self._new_users.add(user_id)  # every chat turn asks again: say it once
            log.info("user %r has no interactions: recommending as for a new user", user_id)
        past: tuple[int, ...] = ()
        low: set[int] = set()
        if user is not None:
            items = self.histories.items_of(user)
            past = tuple(items.tolist())
            low = set(items[self.histories.rated_low_of(user)].tolist()) - set(liked_rows)
        profile = Profile(
            user=user,
            history=past + liked_rows,
            query=query,
            exclude=exclude_rows,
            time=None if user is None else self.histories.last_time(user),
            rated_low=tuple(sorted(low)),
        )
        return profile, unknown + unknown_excluded

    def recommend(
        self,
        profile: Profile,
        k: int,
        mask: np.ndarray | None = None,
        weights: Mapping[str, float] | None = None,
        blend: Sequence[Blend] = (),
    ) -> list[Candidate]:
        """Return the k best allowed items, each with evidence from every engine ranking it high.

        Never returns the profile's history, its exclusions or a known user's items.
        `weights` replaces the tuned fusion (engine name -> weight of the linear blend).
        `blend` adds other profiles' fused scores before the top-k (see `Blend`), so that
        an item good on both counts beats one that is best on either alone. With a blend,
        each profile's fused scores are z-scored and summed, the learned ranker is not used
        (its scores are not on that scale), and no profile's history or exclusions return.
        """
        n_items = len(self.dataset.items)
        if not 0 < k <= n_items:
            raise ArsError(f"k must be between 1 and {n_items} (the catalog size), got {k}")
        allowed = self.allowed(profile, mask)
        for part in blend:
            allowed &= self.allowed(part.profile, None)
        fused, contributing = self._fuse(profile, weights, allowed, ranked=not blend)
        if blend:
            fused = standardise(fused, allowed)
            for part in blend:
                scores, reasons = self._fuse(part.profile, part.weights, allowed, ranked=False)
                fused += np.float32(part.weight) * standardise(scores, allowed)
                contributing += reasons
            fused = np.where(allowed, fused, -np.inf).astype(np.float32)
        rows = top_k(fused, k)
        evidence = self._evidence(rows, contributing)
        return [
            Candidate(int(row), float(fused[row]), found)
            for row, found in zip(rows.tolist(), evidence, strict=True)
        ]

    def _fuse(
        self,
        profile: Profile,
        weights: Mapping[str, float] | None,
        allowed: np.ndarray,
        ranked: bool,
    ) -> tuple[np.ndarray, list[Reason]]:
        """One profile's fused scores (the learned ranker if `ranked` allows), and who helped."""
        chosen = self._weights_for(profile, weights)
        ranker = self.ranker if ranked and weights is None and _is_personal(profile) else None
        used = ranker.names if ranker else [name for name, w in chosen.items() if w]
        scores = {name: self.engines[name].score(profile) for name in used}
        if ranker:
            fused = ranker.score(scores, allowed, self.config.ranker.pool_size)
        else:
            fused = fuse(scores, chosen, allowed)
        cited = profile.citable()
        reasons = [Reason(name, cited, standardise(s, allowed) > 0) for name, s in scores.items()]
        return fused, reasons

    def _evidence(self, rows: np.ndarray, contributing: Sequence[Reason]) -> list[list[Evidence]]:
        """Each row's reasons from the engines that scored it above average, in their order."""
        found: list[dict[tuple[object, ...], Evidence]] = [{} for _ in rows]
        for r in contributing:
            chosen = np.flatnonzero(r.above_average[rows])
            explained = self.engines[r.engine].explain(r.profile, rows[chosen])
            for at, e in zip(chosen.tolist(), explained, strict=True):
                if e is not None:
                    # Blended profiles may share a liked item: one reason, as the first scored it.
                    found[at].setdefault((e.source, e.because, e.relation, e.entity, e.detail), e)
        return [list(reasons.values()) for reasons in found]

    def _weights_for(
        self,
        profile: Profile,
        weights: Mapping[str, float] | None,
    ) -> dict[str, float]:
        if weights is not None:
            unknown = sorted(set(weights) - set(self.engines))
            if unknown:
                raise ArsError(
                    f"unknown engine(s) {', '.join(unknown)}; engines: {', '.join(self.engines)}"
                )
            if not any(weights.values()):
                raise ArsError("at least one engine weight must be non-zero")
        if not _is_personal(profile):
            return dict(COLD_START)  # nothing personal to go on
        return dict(self.weights if weights is None else weights)

    def allowed(self, profile: Profile, mask: np.ndarray | None) -> np.ndarray:
        """Rows that may be recommended for a profile: usable, in the mask, not its own."""
        n_items = len(self.dataset.items)
        if mask is not None and (mask.shape != (n_items,) or mask.dtype != np.bool_):
            raise ArsError(f"the filter mask must be {n_items} booleans, one per catalog item")
        allowed = self.dataset.items.usable.copy()  # never a placeholder row
        if mask is not None:
            allowed &= mask
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
    dataset: Dataset,
    config: RecommenderConfig,
    progress: Progress,
) -> tuple[dict[str, Engine], TunedFusion]:
    """Fit on all but each user's last event, tune the fusion on those, refit on everything."""
    progress("embedding items", 0.0)
    item_vectors(dataset, lambda f: progress("embedding items", 0.3 * f))
    split = leave_one_out(dataset.interactions, config.seed)
    tuning_engines = fit_engines(
        dataset,
        ~split.test,
        config.engines,
        lambda name, f: progress(f"fitting {name}", 0.3 + 0.3 * f),
    )
    progress("tuning the fusion", 0.6)
    held_out = cases(dataset, ~split.test, split.test, config.seed)
    fusion = tune_fusion(tuning_engines, held_out, len(dataset.items), config.fusion, config.ranker)
    everything = np.ones(len(dataset.interactions), dtype=bool)
    engines = fit_engines(
        dataset,
        everything,
        config.engines,
        lambda name, f: progress(f"fitting {name}", 0.7 + 0.3 * f),
    )
    progress("done", 1.0)
    return engines, fusion


def fit_engines(
    dataset: Dataset,
    train: np.ndarray,
    configs: EngineConfigs,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Engine]:
    """Fit every registered engine on the events where `train` is true."""
    engines = {}
    for i, name in enumerate(ENGINE_NAMES):
        if progress:
            progress(name, i / len(ENGINE_NAMES))
        engines[name] = make_engine(name, configs).fit(dataset, train)
    return engines


def tune_fusion(
    engines: Mapping[str, Engine],
    held_out: Sequence[Case],
    n_items: int,
    config: FusionConfig,
    ranker_config: RankerConfig,
) -> TunedFusion:
    """Tune the linear blend and train the learned ranker on the held-out cases.

    With no held-out case: equal weights and no ranker. The engines score each case twice
    (once per method) so that memory does not grow with users x items.
    """
    if not held_out:
        log.warning("no user has enough events to tune the fusion; using equal weights")
        return TunedFusion({name: 1.0 for name in engines}, None, 0.0, 0.0)
    names = list(engines)
    pools = Pools.collect(names, case_scores(engines, held_out, n_items), config.pool_size)
    ranking = RankingCases.collect(
        names, case_scores(engines, held_out, n_items), ranker_config.pool_size
    )
    weights = tune_weights(pools, config)
    return TunedFusion(
        weights,
        train_ranker(ranking, ranker_config),
        pools.ndcg(weights),
        cross_validated_ndcg(ranking, len(held_out), ranker_config),
    )


def case_scores(
    engines: Mapping[str, Engine],
    held_out: Sequence[Case],
    n_items: int,
) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray, int]]:
    """Yield per case every engine's scores, the allowed items (not the history), the target."""
    for case in held_out:
        allowed = np.ones(n_items, dtype=bool)
        allowed[list(case.profile.history)] = False
        yield ({n: e.score(case.profile) for n, e in engines.items()}, allowed, case.target)


def _is_personal(profile: Profile) -> bool:
    """Whether the profile has anything personal to go on (else: popularity cold start)."""
    return bool(profile.history or profile.query)


def _to_store(engines: Mapping[str, Engine], fusion: TunedFusion) -> index_store.StoredIndex:
    """The engines' states and the fusion validation chose (with both scores), as data."""
    parts = {name: engine.state() for name, engine in engines.items()}
    ranker = fusion.chosen_ranker
    if ranker is not None:
        parts[RANKER_PART] = ranker.state()
    facts = {
        "weights": fusion.weights,
        "fusion": "learned" if ranker else "linear",
        "validation_ndcg": {"linear": fusion.linear_ndcg, "learned": fusion.learned_ndcg},
    }
    return index_store.StoredIndex(parts, facts)


def _restore(
    stored: index_store.StoredIndex, configs: EngineConfigs
) -> tuple[dict[str, Engine], dict[str, float], LearnedRanker | None] | None:
    """Engines, weights and ranker from a stored index, or None (logged) if they do not fit."""
    try:
        engines = {
            name: make_engine(name, configs).load_state(stored.parts[name]) for name in ENGINE_NAMES
        }
        weights = {name: float(w) for name, w in stored.facts["weights"].items()}
        saved = stored.parts.get(RANKER_PART)
        ranker = LearnedRanker.from_state(saved) if saved is not None else None
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        log.warning("the saved index does not fit these engines (%r); rebuilding it", e)
        return None
    return engines, weights, ranker


def _silent(step: str, fraction: float) -> None:
    """Report nothing (the default progress callback)."""
