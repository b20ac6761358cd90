import io

import numpy as np
import pytest
from test_fusion import Noise

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.metrics import ndcg, rank_of_target
from agentic_recsys.engines.ranker import (
    LearnedRanker,
    RankerConfig,
    RankingCases,
    candidate_pool,
    cross_validated_ndcg,
    ranking_features,
    train_ranker,
)
from agentic_recsys.engines.recommender import Recommender, case_scores
from agentic_recsys.engines.registry import EngineConfigs, make_engine
from agentic_recsys.engines.split import cases, leave_one_out
from agentic_recsys.engines.testing import write_synthetic_dataset


def test_features_are_z_scores_and_log_ranks_among_allowed_items():
    allowed = np.array([True, True, False, True])
    scores = {"a": np.array([3.0, 1.0, 99.0, 2.0], dtype=np.float32)}
    features = ranking_features(scores, ["a"], allowed)
    np.testing.assert_allclose(features[[0, 1, 3], 0], [1.2247449, -1.2247449, 0.0], atol=1e-6)
    np.testing.assert_allclose(np.expm1(features[[0, 3, 1], 1]), [0, 1, 2], atol=1e-5)
    assert candidate_pool(features, allowed, 2).tolist() == [0, 3]


def test_ranker_puts_its_pool_first_and_never_returns_disallowed_items():
    allowed = np.ones(30, dtype=bool)
    allowed[:3] = False
    good = np.arange(30, dtype=np.float32)  # engine "good" prefers high rows
    ranker = LearnedRanker(("good", "other"), np.array([0.0, -1.0, 0.0, 0.0], dtype=np.float32))
    other = np.zeros(30, dtype=np.float32)
    other[5] = 1.0  # the only item "other" ranks first, but its coefficients are zero
    fused = ranker.score({"good": good, "other": other}, allowed, pool_size=10)
    assert np.all(fused[:3] == -np.inf)
    pool = candidate_pool(
        ranking_features({"good": good, "other": other}, ranker.names, allowed), allowed, 10
    )
    outside = np.setdiff1d(np.flatnonzero(allowed), pool)
    assert fused[pool].min() > fused[outside].max()
    assert int(np.argmax(fused)) == 29


def test_ranks_in_pools_match_a_hand_count():
    # two cases: 3 and 2 pool rows; one feature; targets are rows 1 and 4
    cases_ = RankingCases(
        ("a",),
        np.array([[3.0], [2.0], [2.0], [0.0], [1.0]]),
        np.array([0, 0, 0, 1, 1]),
        np.array([False, True, False, False, True]),
        2,
    )
    ranker = LearnedRanker(("a",), np.array([1.0], dtype=np.float32))
    assert cases_.ranks(ranker).tolist() == [2, 0]  # ties count against the target
    assert cases_.subset(np.array([False, True])).ranks(ranker).tolist() == [0]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = write_synthetic_dataset(tmp_path_factory.mktemp("ranker") / "syn", n_users=60)
    dataset = Dataset.open(folder)
    split = leave_one_out(dataset.interactions, seed=0)
    engines = {
        "sequential": make_engine("sequential", EngineConfigs()).fit(dataset, split.train),
        "noise": Noise().fit(dataset, split.train),
    }
    valid = cases(dataset, split.train, split.valid, seed=0)
    return dataset, engines, valid


def test_learns_to_prefer_the_informative_engine(synthetic):
    dataset, engines, valid = synthetic
    found = RankingCases.collect(
        list(engines), case_scores(engines, valid, len(dataset.items)), pool_size=10
    )
    ranker = train_ranker(found, RankerConfig(pool_size=10))
    sequential, noise = np.abs(ranker.coef[:2]).sum(), np.abs(ranker.coef[2:]).sum()
    assert noise < sequential / 4
    ranks = [
        rank_of_target(ranker.score(scores, allowed, 10), target, allowed)
        for scores, allowed, target in case_scores(engines, valid, len(dataset.items))
    ]
    noise_ranks = [
        rank_of_target(scores["noise"], target, allowed)
        for scores, allowed, target in case_scores(engines, valid, len(dataset.items))
    ]
    assert ndcg(np.array(ranks), 10) > 2 * ndcg(np.array(noise_ranks), 10)
    held_out_estimate = cross_validated_ndcg(found, len(valid), RankerConfig(pool_size=10))
    assert ndcg(np.array(noise_ranks), 10) < held_out_estimate <= 1.0


def test_cross_validation_counts_cases_outside_the_pool_as_misses(synthetic):
    dataset, engines, valid = synthetic
    found = RankingCases.collect(
        list(engines), case_scores(engines, valid, len(dataset.items)), pool_size=10
    )
    config = RankerConfig(pool_size=10)
    assert cross_validated_ndcg(found, 2 * len(valid), config) == pytest.approx(
        cross_validated_ndcg(found, len(valid), config) / 2
    )


def test_ranker_survives_an_array_round_trip():
    ranker = LearnedRanker(("a", "b"), np.array([0.5, -1.0, 2.0, 0.25], dtype=np.float32))
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **ranker.state())
    again = LearnedRanker.from_state(np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False))
    assert again.names == ranker.names
    np.testing.assert_array_equal(again.coef, ranker.coef)
    with pytest.raises(ValueError):
        LearnedRanker.from_state({"names": np.array(["a"]), "coef": np.ones(1, np.float32)})


def test_weight_overrides_use_the_linear_blend(tmp_path):
    dataset = Dataset.open(write_synthetic_dataset(tmp_path / "syn", n_users=60))
    rec = Recommender.load_or_build(dataset)
    profile, _ = rec.profile("u3")
    by_popularity = rec.recommend(profile, 5, weights={"popularity": 1.0})
    expected = rec.engines["popularity"].score(profile)
    assert [c.score for c in by_popularity] == sorted(
        (c.score for c in by_popularity), reverse=True
    )
    assert all(
        expected[a.item] >= expected[b.item]
        for a, b in zip(by_popularity, by_popularity[1:], strict=False)
    )


def test_recommend_ranks_by_the_learned_ranker_unless_weights_are_given(tmp_path):
    dataset = Dataset.open(write_synthetic_dataset(tmp_path / "syn", n_users=60))
    built = Recommender.load_or_build(dataset)
    by_popularity = LearnedRanker(("popularity",), np.array([1.0, 0.0], dtype=np.float32))
    rec = Recommender(dataset, built.engines, built.weights, built.config, by_popularity)
    profile, _ = rec.profile("u3")
    popularity = rec.engines["popularity"].score(profile)
    learned = [c.item for c in rec.recommend(profile, 5)]
    assert all(popularity[a] >= popularity[b] for a, b in zip(learned, learned[1:], strict=False))
    assert not set(learned) & set(profile.history)
    sequential = rec.recommend(profile, 5, weights={"sequential": 1.0})
    assert [c.item for c in sequential] == [
        c.item for c in built.recommend(profile, 5, weights={"sequential": 1.0})
    ]
