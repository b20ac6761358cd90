"""Ratings are used where given: an item a user rated low is never named as the reason for
a pick ("people who watched X also watched it"), and never shown back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import agentic_recsys as ars
from agentic_recsys.app import App
from agentic_recsys.engines.base import Profile
from agentic_recsys.engines.history import rated_low

USERS = ["1", "13", "405", "896"]  # each rated dozens of movies 1 or 2 stars


def test_an_item_liked_in_the_conversation_is_not_low_any_more(app: App) -> None:
    low = sorted(low_rated(app, USERS[0]))
    liked = app.dataset.items.ids[low[0]]
    profile, _ = app.recommender.profile(USERS[0], liked=[liked])
    assert low[0] not in profile.rated_low and low[0] in profile.citable().history


def test_low_means_below_the_middle_of_the_datasets_scale() -> None:
    stars = np.array([1, 2, 3, 4, 5], dtype=np.float32)
    assert rated_low(stars).tolist() == [True, True, False, False, False]
    halves = np.array([0.5, 2.5, 3.0, 5.0], dtype=np.float32)  # middle 2.75
    assert rated_low(halves).tolist() == [True, True, False, False]
    implicit = np.ones(4, dtype=np.float32)  # every event 1: nothing is low
    assert not rated_low(implicit).any()
    assert rated_low(np.zeros(0, dtype=np.float32)).tolist() == []


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def low_rated(app: App, user_id: str) -> set[int]:
    h = app.recommender.histories
    user = app.dataset.interactions.user_index[user_id]
    return set(h.items_of(user)[h.rated_low_of(user)].tolist())


def test_a_low_rated_item_never_explains_a_pick(app: App) -> None:
    rec, h = app.recommender, app.recommender.histories
    cited_when_kept = 0
    for user_id in USERS:
        low = low_rated(app, user_id)
        user = app.dataset.interactions.user_index[user_id]
        profile, _ = rec.profile(user_id)
        assert low and set(profile.rated_low) == low
        assert not low & set(profile.citable().history)
        picks = rec.recommend(profile, 20)
        assert not {c.item for c in picks} & set(h.items_of(user).tolist())  # never shown back
        assert not {e.because for c in picks for e in c.evidence} & low
        # the same profile not told which items were rated low: they would be cited
        everything = Profile(user=user, history=tuple(h.items_of(user).tolist()))
        cited_when_kept += sum(
            e.because in low for c in rec.recommend(everything, 20) for e in c.evidence
        )
    assert cited_when_kept > 0


def test_a_chat_never_says_a_low_rated_movie_is_why(app: App) -> None:
    items = app.dataset.items
    for user_id in USERS[:2]:
        low_titles = {items.titles[row] for row in low_rated(app, user_id)}
        reply = app.session(user_id=user_id).send("what should I watch tonight?")
        assert reply.items
        said = " ".join(reply.explanations.values())
        assert any(cue in said for cue in ("people who watched", "close in description"))
        assert not [t for t in low_titles if f"watched {t}" in said or f"to {t}" in said]
