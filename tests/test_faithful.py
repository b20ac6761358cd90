"""The faithfulness check on LLM wordings: people, awards, plots, ranks, numbers, titles."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys.agents.explainer import item_facts
from agentic_recsys.agents.faithful import faithful, unsupported_claims
from agentic_recsys.app import App


@pytest.fixture(scope="module")
def app(ml100k_dir: Path) -> App:
    return ars.open(ml100k_dir)


@pytest.fixture(scope="module")
def toy_story(app: App) -> tuple[str, str]:
    item = app.titles.resolve("Toy Story").item_id
    return item, item_facts(app, item, "Animation, Children's, Comedy; one of the most watched")


@pytest.mark.parametrize(
    ("wording", "claim"),
    [
        (
            "Ben Affleck is a well-known actor known for his work in animated films and "
            "children's movies",
            "Ben Affleck",
        ),
        ("Stars Tom Hanks and Tim Allen.", "Tom Hanks"),
        ("Won two Academy Awards.", "Won"),
        ("An Oscar-winning classic.", "Oscar"),
        ("The best animated film ever made.", "best"),
        ("The most popular movie of the decade.", "popular"),
        ("Directed by John Lasseter.", "Directed"),
        ("The story follows a cowboy doll.", "follows"),
        ("Loved by 3 million kids.", "3"),
        ("Made in 1994 by Pixar.", "1994"),
        ("A sequel to Aladdin and the King of Thieves.", "sequel"),
    ],
)
def test_unsupported_claims_are_caught(
    app: App, toy_story: tuple[str, str], wording: str, claim: str
) -> None:
    item, facts = toy_story
    claims = unsupported_claims(wording, facts, app, item)
    assert claims and any(claim.casefold() in c.casefold() for c in claims)
    assert not faithful(wording, facts, app, item)


@pytest.mark.parametrize(
    "wording",
    [
        "A funny animated pick for the whole family.",
        "One of the most watched: Animation, Children's and Comedy.",
        "Toy Story (1995) is a warm, playful comedy.",
        "Enjoy Toy Story, a light Comedy.",
    ],
)
def test_what_the_facts_hold_may_be_said(
    app: App, toy_story: tuple[str, str], wording: str
) -> None:
    item, facts = toy_story
    assert unsupported_claims(wording, facts, app, item) == []


def test_a_description_backs_what_it_says(app: App) -> None:
    item, _ = "1", ""
    facts = "Toy Story (1995): Comedy. About: the story of a cowboy doll, starring Tom Hanks."
    assert faithful("Starring Tom Hanks as a cowboy doll.", facts, app, item)
    assert not faithful("Starring Tim Allen.", facts, app, item)
