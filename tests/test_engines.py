"""The conformance suite every engine passes, on a synthetic dataset with known structure."""

import io
from dataclasses import replace

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.engines.base import Profile
from agentic_recsys.engines.recommender import Blend, Recommender
from agentic_recsys.engines.registry import ENGINE_NAMES, EngineConfigs, make_engine
from agentic_recsys.engines.testing import write_synthetic_dataset
from agentic_recsys.understanding.predicates import Predicate, PredicateError, mask, validate
from agentic_recsys.understanding.schema import Constraints

HISTORY_ENGINES = [n for n in ENGINE_NAMES if n not in {"popularity", "recent_popularity"}]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return Dataset.open(write_synthetic_dataset(tmp_path_factory.mktemp("syn") / "syn"))


@pytest.fixture(scope="module")
def fitted(synthetic):
    everything = np.ones(len(synthetic.interactions), dtype=bool)
    return {n: make_engine(n, EngineConfigs()).fit(synthetic, everything) for n in ENGINE_NAMES}


@pytest.fixture(scope="module")
def recommender(synthetic):
    return Recommender.load_or_build(synthetic)


def stranger(synthetic, *ids):
    """A user known only by items liked in the conversation."""
    return Profile(user=None, history=tuple(synthetic.items.index[i] for i in ids))


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_scores_every_item_as_float32(name, fitted, synthetic):
    scores = fitted[name].score(stranger(synthetic, "i3", "i4"))
    assert scores.shape == (len(synthetic.items),)
    assert scores.dtype == np.float32
    assert not np.isnan(scores).any()


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_fitting_twice_gives_the_same_scores(name, fitted, synthetic):
    everything = np.ones(len(synthetic.interactions), dtype=bool)
    again = make_engine(name, EngineConfigs()).fit(synthetic, everything)
    profile = stranger(synthetic, "i10", "i11")
    np.testing.assert_allclose(again.score(profile), fitted[name].score(profile), rtol=1e-5)


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_state_is_plain_arrays_and_restores_the_same_answers(name, fitted, synthetic):
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **fitted[name].state())  # refuses object arrays
    with np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False) as saved:
        state = {key: saved[key] for key in saved.files}
    restored = make_engine(name, EngineConfigs()).load_state(state)
    for profile in (
        Profile(),
        stranger(synthetic, "i10", "i11", "i14"),
        Profile(user=2, history=(5, 6, 7, 8), time=1_200_000.0),
    ):
        np.testing.assert_array_equal(restored.score(profile), fitted[name].score(profile))
        every = np.arange(len(synthetic.items))
        assert restored.explain(profile, every) == fitted[name].explain(profile, every)


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_explains_many_items_as_it_explains_each(name, fitted, synthetic):
    """One pass over many items gives each item the reason it gets alone, in order."""
    profile = stranger(synthetic, "i8", "i9", "i10", "i20")
    items = np.array([22, 3, 9, 11, 0, 21, 30, 3])  # any order, a repeat
    one_by_one = [fitted[name].explain(profile, np.array([i]))[0] for i in items]
    together = fitted[name].explain(profile, items)
    assert [replace(e, score=0.0) if e else None for e in together] == [
        replace(e, score=0.0) if e else None for e in one_by_one
    ]
    scores = [e.score for e in one_by_one if e]
    assert [e.score for e in together if e] == pytest.approx(scores, rel=1e-5)  # float32 sums
    assert scores, "some item has a reason"
    assert fitted[name].explain(profile, np.array([], dtype=np.int64)) == []


@pytest.mark.parametrize("name", HISTORY_ENGINES)
def test_folds_in_a_stranger_from_liked_items(name, fitted, synthetic):
    a = fitted[name].score(stranger(synthetic, "i20", "i21"))
    b = fitted[name].score(stranger(synthetic, "i0", "i1"))
    assert np.ptp(a) > 0, "liked items must move the scores"
    assert not np.allclose(a, b), "different liked items must score differently"


@pytest.mark.parametrize("name", ["itemknn", "als", "sequential"])
def test_collaborative_engines_learn_the_walk(name, fitted, synthetic):
    """Users walk the catalog in order, so after i20, i21 the next item i22 ranks near the top."""
    scores = fitted[name].score(stranger(synthetic, "i19", "i20", "i21"))
    scores[[synthetic.items.index[i] for i in ("i19", "i20", "i21")]] = -np.inf
    assert synthetic.items.index["i22"] in np.argsort(-scores)[:3]


def test_kg_neighbours_share_the_director(fitted, synthetic):
    scores = fitted["kg"].score(stranger(synthetic, "i8"))
    same_director = {synthetic.items.index[f"i{k}"] for k in (8, 9, 10, 11)}
    assert set(np.flatnonzero(scores > 0).tolist()) == same_director


def test_kg_weighs_a_relation_of_the_users_own_catalog(tmp_path):
    """A shop's "brand" is in no table of film relations: it counts, and says what it is."""
    items = [ItemRecord(id=f"s{k}", title=f"Shoe {k}") for k in range(12)]
    events = [InteractionRecord(user="u", item=f"s{k}") for k in range(12)]
    links = [(f"s{k}", "brand", f"brand{k // 2}") for k in range(12)]
    links += [(f"s{k}", "language", f"lang{k % 6}") for k in range(12)]  # listed, weight 0
    shop = Dataset.open(write_dataset(tmp_path / "shop", "shop", items, events, links))
    kg = make_engine("kg", EngineConfigs()).fit(shop, np.ones(12, dtype=bool))

    scores = kg.score(Profile(history=(shop.items.index["s4"],)))
    assert set(np.flatnonzero(scores > 0).tolist()) == {4, 5}
    [evidence] = kg.explain(Profile(history=(4,)), np.array([5]))
    assert evidence is not None and (evidence.relation, evidence.entity) == ("brand", "brand2")


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_explain_is_grounded(name, fitted, synthetic):
    profile = stranger(synthetic, "i8", "i9", "i10")
    scores = fitted[name].score(profile)
    scores[list(profile.history)] = -np.inf
    best = int(np.argmax(scores))
    [evidence] = fitted[name].explain(profile, np.array([best]))
    assert evidence is not None
    assert evidence.source == name
    assert np.isfinite(evidence.score)
    assert evidence.detail
    if name in HISTORY_ENGINES:
        assert evidence.because in profile.history
    if name == "kg":
        assert evidence.entity == "director2" and evidence.relation == "film.film.directed_by"
        assert evidence.because in {synthetic.items.index[i] for i in ("i8", "i9", "i10")}


def test_semantic_query_ranks_matching_text_first(fitted, synthetic):
    scores = fitted["semantic"].score(Profile(query="a horror story about group 7"))
    top = synthetic.items.ids[int(np.argmax(scores))]
    assert synthetic.items.genres[synthetic.items.index[top]][0] == "Horror"


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_recommend_respects_exclusions_and_mask(name, recommender, synthetic):
    profile, _ = recommender.profile("u3", liked=["i1"], exclude=["i2", "i30"])
    keep = mask(Constraints(genres_out=["Drama"]).all_predicates(), synthetic)
    found = recommender.recommend(profile, 10, mask=keep, weights={name: 1.0})
    rows = {c.item for c in found}
    known = set(recommender.histories.items_of(profile.user).tolist())
    assert rows and not rows & (known | set(profile.exclude) | {synthetic.items.index["i1"]})
    assert all(keep[r] for r in rows)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_blending_two_profiles_ranks_the_item_good_for_both_first(recommender, synthetic):
    """Watched around i24 (i22, i23, i25 first), directed like i28 (i29-i31 tie): i29 is both."""
    rows = synthetic.items.index
    watched, directed = stranger(synthetic, "i24"), stranger(synthetic, "i28")
    by_watching = recommender.recommend(watched, 3, weights={"itemknn": 1.0})
    by_director = recommender.recommend(directed, 3, weights={"kg": 1.0})
    assert rows["i29"] not in {c.item for c in by_watching}
    assert len({c.score for c in by_director}) == 1, "the director alone cannot tell i29-i31 apart"
    found = recommender.recommend(
        watched, 5, weights={"itemknn": 1.0}, blend=[Blend(directed, {"kg": 1.0})]
    )
    assert found[0].item == rows["i29"] and found[0].score > found[1].score
    assert rows["i28"] not in {c.item for c in found}, "a blended profile's items stay out"
    reasons = [(e.source, e.because) for e in found[0].evidence]
    assert {("itemknn", rows["i24"]), ("kg", rows["i28"])} <= set(reasons)
    both = Blend(Profile(history=(rows["i24"], rows["i28"])), {"kg": 1.0})
    shared = recommender.recommend(watched, 1, weights={"kg": 1.0}, blend=[both])[0].evidence
    said = [(e.source, e.because, e.entity) for e in shared]
    assert said and len(said) == len(set(said)), "the same reason is given once"


def test_a_faint_blend_keeps_the_main_ranking(recommender, synthetic):
    watched, directed = stranger(synthetic, "i24"), stranger(synthetic, "i28")
    alone = recommender.recommend(watched, 3, weights={"itemknn": 1.0})
    faint = recommender.recommend(
        watched, 3, weights={"itemknn": 1.0}, blend=[Blend(directed, {"kg": 1.0}, weight=1e-4)]
    )
    assert [c.item for c in faint] == [c.item for c in alone]


def test_constraints_mask_catalog_fields_as_predicates(synthetic):
    items, schema = synthetic.items, synthetic.schema
    c = Constraints(genres_in=["horror"], year_min=1985, year_max=1990)
    keep = mask([validate(p, schema) for p in c.all_predicates()], synthetic)
    assert keep.any()
    for row in np.flatnonzero(keep):
        assert "Horror" in items.genres[row] and 1985 <= items.years[row] <= 1990
    words = Predicate(field="title", op="contains", value=("number", "7"))
    assert mask([words], synthetic).sum() == 1
    with pytest.raises(PredicateError, match="no genres 'Western'"):
        validate(Predicate(field="genres", op="contains any", value=("Western",)), schema)
    with pytest.raises(PredicateError, match="no field 'studio'"):
        validate(Predicate(field="studio", op="==", value="x"), schema)
