import math

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.engines.metrics import hit_rate, ndcg, rank_of_target
from agentic_recsys.engines.split import cases, leave_one_out, sampled_negatives


def test_rank_counts_allowed_items_scoring_at_least_the_target():
    scores = np.array([0.9, 0.5, 0.5, 0.1, 0.7], dtype=np.float32)
    everything = np.ones(5, dtype=bool)
    assert rank_of_target(scores, 0, everything) == 0
    assert rank_of_target(scores, 4, everything) == 1
    assert rank_of_target(scores, 1, everything) == 3  # ties count against the target
    assert rank_of_target(scores, 1, np.array([False, True, True, True, False])) == 1


def test_constant_scores_get_no_credit():
    assert rank_of_target(np.zeros(100, dtype=np.float32), 7, np.ones(100, dtype=bool)) == 99


def test_ndcg_and_hit_rate_hand_computed():
    ranks = np.array([0, 1, 9, 10, 500])
    assert hit_rate(ranks, 10) == pytest.approx(3 / 5)
    expected = (1.0 + 1.0 / math.log2(3) + 1.0 / math.log2(11)) / 5
    assert ndcg(ranks, 10) == pytest.approx(expected)
    assert ndcg(np.array([2]), 10) == pytest.approx(0.5)
    assert ndcg(np.array([], dtype=int), 10) == 0.0


@pytest.fixture
def tiny(tmp_path):
    items = [ItemRecord(id=f"i{k}", title=f"T{k}") for k in range(6)]
    events = [
        # u1: i0 at t=1, then i1 and i2 tied at t=2, then i3 at t=3 -> test i3, valid one of i1/i2
        InteractionRecord("u1", "i0", 1, 1),
        InteractionRecord("u1", "i3", 1, 3),
        InteractionRecord("u1", "i1", 1, 2),
        InteractionRecord("u1", "i2", 1, 2),
        # u2: only two events: stays in train
        InteractionRecord("u2", "i4", 1, 5),
        InteractionRecord("u2", "i5", 1, 6),
    ]
    return Dataset.open(write_dataset(tmp_path / "tiny", "tiny", items, events))


def held_out(dataset, mask):
    inter = dataset.interactions
    return sorted(
        (inter.user_ids[u], dataset.items.ids[i])
        for u, i in zip(inter.users[mask], inter.items[mask], strict=True)
    )


def test_leave_one_out_by_time_with_seeded_ties(tiny):
    split = leave_one_out(tiny.interactions, seed=0)
    assert held_out(tiny, split.test) == [("u1", "i3")]
    (valid,) = held_out(tiny, split.valid)
    assert valid[1] in {"i1", "i2"}
    assert held_out(tiny, split.train) == sorted(
        [("u1", "i0"), ("u1", ({"i1", "i2"} - {valid[1]}).pop()), ("u2", "i4"), ("u2", "i5")]
    )
    assert not (split.train & split.valid).any() and not (split.valid & split.test).any()
    valids = {
        held_out(tiny, leave_one_out(tiny.interactions, seed=s).valid)[0][1] for s in range(20)
    }
    assert valids == {"i1", "i2"}  # the tie is broken both ways across seeds
    assert held_out(tiny, leave_one_out(tiny.interactions, 3).valid) == held_out(
        tiny, leave_one_out(tiny.interactions, 3).valid
    )


def test_cases_exclude_the_history_and_keep_time_order(tiny):
    split = leave_one_out(tiny.interactions, seed=0)
    (case,) = cases(tiny, split.train | split.valid, split.test, seed=0)
    rows = [tiny.items.ids[i] for i in case.profile.history]
    assert rows[0] == "i0" and set(rows[1:]) == {"i1", "i2"}
    assert case.profile.exclude == case.profile.history
    assert tiny.items.ids[case.target] == "i3"
    assert case.profile.time == 2


def test_sampled_negatives_are_never_known_and_seeded(tiny):
    split = leave_one_out(tiny.interactions, seed=0)
    found = cases(tiny, split.train | split.valid, split.test, seed=0)
    (negatives,) = sampled_negatives(tiny, found, 99, seed=1)
    assert sorted(tiny.items.ids[i] for i in negatives) == ["i4", "i5"]  # all u1 never touched
    (again,) = sampled_negatives(tiny, found, 1, seed=1)
    (same,) = sampled_negatives(tiny, found, 1, seed=1)
    assert again.tolist() == same.tolist()
