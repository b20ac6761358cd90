import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Evidence, Profile
from agentic_recsys.engines.fusion import Pools, fuse, standardise, top_k, tune_weights
from agentic_recsys.engines.recommender import case_scores
from agentic_recsys.engines.registry import EngineConfigs, make_engine
from agentic_recsys.engines.split import cases, leave_one_out
from agentic_recsys.engines.testing import write_synthetic_dataset


class Noise:
    """An engine that knows nothing: seeded random scores per profile."""

    name = "noise"

    def fit(self, dataset, train):
        self.n = len(dataset.items)
        return self

    def score(self, profile: Profile) -> np.ndarray:
        seed = hash(profile.history) % 2**32
        return np.random.default_rng(seed).random(self.n).astype(np.float32)

    def explain(self, profile: Profile, items: np.ndarray) -> list[Evidence | None]:
        return [None] * len(items)


def test_standardise_and_fuse_ignore_disallowed_items():
    scores = np.array([1.0, 2.0, 3.0, 100.0], dtype=np.float32)
    allowed = np.array([True, True, True, False])
    z = standardise(scores, allowed)
    assert z[:3].mean() == pytest.approx(0.0, abs=1e-6)
    assert z[:3].std() == pytest.approx(1.0, abs=1e-6)
    fused = fuse({"a": scores, "b": -scores}, {"a": 2.0, "b": 1.0}, allowed)
    assert fused[3] == -np.inf
    np.testing.assert_allclose(fused[:3], z[:3], atol=1e-6)  # 2z - z
    assert standardise(np.ones(4, dtype=np.float32), allowed).tolist() == [0, 0, 0, 0]


def test_top_k_orders_best_first_and_breaks_ties_by_row():
    fused = np.array([0.5, 2.0, -np.inf, 2.0, 1.0], dtype=np.float32)
    assert top_k(fused, 3).tolist() == [1, 3, 4]
    assert top_k(fused, 10).tolist() == [1, 3, 4, 0]


def test_tuning_favours_the_informative_engine(tmp_path):
    dataset = Dataset.open(write_synthetic_dataset(tmp_path / "syn", n_users=60))
    split = leave_one_out(dataset.interactions, seed=0)
    engines = {
        "sequential": make_engine("sequential", EngineConfigs()).fit(dataset, split.train),
        "noise": Noise().fit(dataset, split.train),
    }
    valid = cases(dataset, split.train, split.valid, seed=0)
    pools = Pools.collect(list(engines), case_scores(engines, valid, len(dataset.items)), 20)
    weights = tune_weights(pools)
    assert weights["sequential"] > 0
    assert weights["noise"] < weights["sequential"] / 4
    assert pools.ndcg(weights) >= pools.ndcg({"sequential": 1.0}) > pools.ndcg({"noise": 1.0})


def test_pool_ndcg_matches_full_ranking(tmp_path):
    """Tuning on pools must agree with ranking the whole catalog when the pools cover it."""
    dataset = Dataset.open(write_synthetic_dataset(tmp_path / "syn"))
    split = leave_one_out(dataset.interactions, seed=0)
    engines = {
        n: make_engine(n, EngineConfigs()).fit(dataset, split.train)
        for n in ("itemknn", "popularity")
    }
    valid = cases(dataset, split.train, split.valid, seed=0)
    weights = {"itemknn": 1.0, "popularity": 0.5}
    pools = Pools.collect(list(engines), case_scores(engines, valid, len(dataset.items)), 100)
    ranks = []
    for scores, allowed, target in case_scores(engines, valid, len(dataset.items)):
        fused = fuse(scores, weights, allowed)
        ranks.append(int((fused[allowed] >= fused[target]).sum()) - 1)
    gains = [1 / np.log2(r + 2) if r < 10 else 0.0 for r in ranks]
    assert pools.ndcg(weights) == pytest.approx(float(np.mean(gains)))
