import logging

import numpy as np
import pyarrow.parquet as pq
import pytest

import agentic_recsys as ars
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines import recommender as recommender_module
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.engines.testing import write_synthetic_dataset
from agentic_recsys.errors import ArsError


@pytest.fixture
def folder(tmp_path):
    return write_synthetic_dataset(tmp_path / "syn")


def count_builds(monkeypatch):
    calls = []
    real = recommender_module.build_index

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(recommender_module, "build_index", counting)
    return calls


def test_open_builds_once_then_reuses(folder, monkeypatch):
    builds = count_builds(monkeypatch)
    steps = []
    app = ars.open(folder, progress=lambda step, fraction: steps.append((step, fraction)))
    assert builds == [1]
    assert steps[-1] == ("done", 1.0)
    assert all(0.0 <= f <= 1.0 for _, f in steps)
    assert sum(app.recommender.weights.values()) > 0
    reopened = Recommender.load_or_build(Dataset.open(folder))  # as a new process would
    assert builds == [1]
    assert reopened.weights == app.recommender.weights
    profile, _ = reopened.profile("u1")
    assert [app.dataset.items.ids[c.item] for c in reopened.recommend(profile, 5)] == (
        app.recommend("u1", 5)
    )


def test_changed_catalog_is_rebuilt_not_served_stale(folder, monkeypatch):
    builds = count_builds(monkeypatch)
    Recommender.load_or_build(Dataset.open(folder))
    table = pq.read_table(folder / "items.parquet")
    titles = table.column("title").to_pylist()
    titles[5] = "A brand new title about space pirates"
    pq.write_table(table.set_column(1, "title", [titles]), folder / "items.parquet")
    rec = Recommender.load_or_build(Dataset.open(folder))
    assert builds == [1, 1]
    profile, _ = rec.profile(None, query="space pirates")
    best = rec.recommend(profile, 1, weights={"semantic": 1.0})[0]
    assert rec.dataset.items.ids[best.item] == "i5"


def test_recommend_excludes_seen_items(folder):
    app = ars.open(folder)
    user = app.dataset.interactions.user_index["u4"]
    seen = {app.dataset.items.ids[i] for i in app.recommender.histories.items_of(user)}
    found = app.recommend("u4", k=10)
    assert len(found) == 10 and len(set(found)) == 10
    assert not set(found) & seen


def test_unknown_user_gets_popularity_and_a_log_line(folder, caplog):
    app = ars.open(folder)
    with caplog.at_level(logging.INFO, logger="agentic_recsys"):
        found = app.recommend("nobody", k=5)
        app.recommend("nobody", k=5)
    noted = [r for r in caplog.records if "'nobody' has no interactions" in r.getMessage()]
    assert [r.levelno for r in noted] == [logging.INFO]  # once, and not a warning
    counts = app.recommender.engines["popularity"].score(app.recommender.profile(None)[0])
    top = [app.dataset.items.ids[i] for i in np.argsort(-counts, kind="stable")[:5]]
    assert sorted(counts[[app.dataset.items.index[i] for i in found]]) == sorted(
        counts[[app.dataset.items.index[i] for i in top]]
    )


@pytest.mark.parametrize("k", [0, -1, 41, 10**9])
def test_absurd_k_is_a_clear_error(folder, k):
    app = ars.open(folder)
    with pytest.raises(ArsError, match="k must be between 1 and 40"):
        app.recommend("u1", k=k)


def test_profile_skips_and_names_unknown_items(folder):
    rec = Recommender.load_or_build(Dataset.open(folder))
    profile, unknown = rec.profile(None, liked=["i3", "nope"], exclude=["i4", "gone"])
    assert unknown == ["nope", "gone"]
    assert profile.user is None
    assert profile.history == (rec.dataset.items.index["i3"],)
    found = rec.recommend(profile, 5)
    assert all(e.source for c in found for e in c.evidence)
    assert rec.dataset.items.index["i4"] not in {c.item for c in found}


def test_bad_weights_and_masks_are_clear_errors(folder):
    rec = Recommender.load_or_build(Dataset.open(folder))
    profile, _ = rec.profile("u1")
    with pytest.raises(ArsError, match="unknown engine"):
        rec.recommend(profile, 5, weights={"magic": 1.0})
    with pytest.raises(ArsError, match="mask"):
        rec.recommend(profile, 5, mask=np.ones(3, dtype=bool))


@pytest.mark.slow
def test_movielens_recommendations_carry_grounded_evidence(ml100k_dir, tmp_path):
    app = ars.open(ml100k_dir)
    found = app.recommender.recommend(app.recommender.profile("1")[0], 10)
    assert len(found) == 10
    assert all(c.evidence for c in found)
    user = app.dataset.interactions.user_index["1"]
    seen = set(app.recommender.histories.items_of(user).tolist())
    assert not {c.item for c in found} & seen
    for evidence in (e for c in found for e in c.evidence):
        assert evidence.because is None or evidence.because in seen


def test_a_new_user_chats_without_a_warning_per_turn(folder, caplog):
    app = ars.open(folder)
    session = app.session(user_id="newcomer")
    with caplog.at_level(logging.INFO, logger="agentic_recsys"):
        for message in ("a comedy please", "something older than that", "more like the first"):
            assert session.send(message).text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert sum("'newcomer' has no interactions" in r.getMessage() for r in caplog.records) == 1
