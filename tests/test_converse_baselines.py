"""The keyword baselines hear genres, negations and years, and never repeat or show the seen."""

from __future__ import annotations

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.als import ALS, ALSConfig
from agentic_recsys.engines.popularity import Popularity
from agentic_recsys.evaluation.keyword_baselines import KeywordFilters, fitted_baselines


def _heard(messages: list[str], dataset: Dataset) -> KeywordFilters:
    filters = KeywordFilters()
    for m in messages:
        filters.hear(m, dataset)
    return filters


@pytest.mark.parametrize(
    ("message", "low", "high"),
    [
        ("something from the 90s", 1990, 1999),
        ("a film from the 1980s", 1980, 1989),
        ("from the '70s please", 1970, 1979),
        ("from the nineties", 1990, 1999),
        ("from around 1995", 1993, 1997),
        ("made after 1990", 1991, None),
        ("that's older, from before 1970", None, 1969),
    ],
)
def test_years(ml100k: Dataset, message: str, low: int | None, high: int | None) -> None:
    f = _heard([message], ml100k)
    assert (f.year_min, f.year_max) == (low, high)


def test_genres_negations_and_sentences(ml100k: Dataset) -> None:
    f = _heard(
        ["Any good comedy movies? Nothing too scary.", "Nope, not those. A romantic one maybe."],
        ml100k,
    )
    assert f.genres_in == {"Comedy", "Romance"}  # "not those." ends before "romantic"
    assert f.genres_out == {"Horror"}


def test_filters_accumulate_over_the_conversation(ml100k: Dataset) -> None:
    f = _heard(["a crime movie", "None of those. From the 90s?", "after 1994"], ml100k)
    assert f.genres_in == {"Crime"} and (f.year_min, f.year_max) == (1995, 1999)


def test_baselines_show_fresh_unseen_items_that_meet_the_filters(ml100k: Dataset) -> None:
    pop, als = fitted_baselines(
        ml100k, [("pop", Popularity()), ("als", ALS(ALSConfig(factors=16, iterations=3)))], 0
    )
    user_id = ml100k.interactions.user_ids[0]
    user = ml100k.interactions.user_index[user_id]
    seen = {ml100k.items.ids[i] for i in pop.histories.items_of(user)}
    items = ml100k.items
    for baseline in (pop, als):
        conversation = baseline.start(user_id)
        shown: list[str] = []
        for message in ("a horror movie", "none of those, from the 80s", "not those"):
            turn = conversation.send(message)
            assert len(turn.items) == 5 and turn.llm_calls == 0 and turn.question == ""
            shown += turn.items
        assert len(set(shown)) == len(shown) and not set(shown) & seen
        last = [items.index[i] for i in shown[5:]]
        assert all("Horror" in items.genres[i] and 1980 <= items.years[i] <= 1989 for i in last)
    first_pop = pop.start(user_id).send("a horror movie").items
    counts = np.asarray(pop.engine.score(conversation.profile))
    ranks = [counts[items.index[i]] for i in first_pop]
    assert ranks == sorted(ranks, reverse=True)  # popularity order


def test_impossible_filters_are_relaxed_so_a_baseline_always_answers(ml100k: Dataset) -> None:
    (pop,) = fitted_baselines(ml100k, [("pop", Popularity())], 0)
    turn = pop.start("no such user").send("a documentary western from the 1920s")
    assert len(turn.items) == 5
