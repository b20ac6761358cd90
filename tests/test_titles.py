"""Title resolution and title finding on the real MovieLens-100K catalog."""

from __future__ import annotations

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.understanding.titles import TitleIndex, title_key


@pytest.fixture(scope="module")
def index(ml100k: Dataset) -> TitleIndex:
    counts = np.bincount(ml100k.interactions.items, minlength=len(ml100k.items))
    return TitleIndex(ml100k.items, popularity=counts)


def label_of(index: TitleIndex, text: str) -> str | None:
    match = index.resolve(text)
    return match.title if match else None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Toy Story", "Toy Story (1995)"),
        ("toy story", "Toy Story (1995)"),
        ("TOY STORY!", "Toy Story (1995)"),
        ("Toy Story (1995)", "Toy Story (1995)"),
        ("toy story 1995", "Toy Story (1995)"),
        ("toy stroy", "Toy Story (1995)"),  # swapped letters
        ("Usual Suspects", "The Usual Suspects (1995)"),  # missing article
        ("The Fargo", "Fargo (1996)"),  # extra article
        ("usual suspect", "The Usual Suspects (1995)"),
        ("pulp fictoin", "Pulp Fiction (1994)"),
        ("Schindler\u2019s List", "Schindler's List (1993)"),
        ("schindlers list", "Schindler's List (1993)"),
        ("The Godfather Part II", "The Godfather: Part II (1974)"),
        ("godfather 2", "The Godfather: Part II (1974)"),
        ("Se7en", "Seven (Se7en) (1995)"),
        ("12 monkeys", "Twelve Monkeys (1995)"),
        ("mash", "M*A*S*H (1970)"),
        ("terminator 2", "Terminator 2: Judgment Day (1991)"),
        ("wallace and gromit", "Wallace & Gromit: The Best of Aardman Animation (1996)"),
        (
            "Dr. Strangelove",
            "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1963)",
        ),
    ],
)
def test_resolve_handles_case_punctuation_articles_years_and_typos(
    index: TitleIndex, text: str, label: str
) -> None:
    assert label_of(index, text) == label


def test_same_title_prefers_the_year_given_then_the_most_popular(index: TitleIndex) -> None:
    assert label_of(index, "Sabrina (1954)") == "Sabrina (1954)"
    assert label_of(index, "sabrina 1995") == "Sabrina (1995)"
    default = index.resolve("Sabrina")
    assert default is not None and default.score == 100.0
    rows = [i for i, t in enumerate(index.items.titles) if t == "Sabrina"]
    assert len(rows) == 2
    unpopular = min(rows, key=lambda i: (index.items.years[i] != 1954, i))
    favouring = np.zeros(len(index.items))
    favouring[unpopular] = 1.0
    assert TitleIndex(index.items, popularity=favouring).resolve("Sabrina").row == unpopular
    other = next(i for i in rows if i != unpopular)
    favouring[other] = 2.0
    assert TitleIndex(index.items, popularity=favouring).resolve("Sabrina").row == other


def test_colon_prefix_alias_picks_most_popular_of_a_series(index: TitleIndex) -> None:
    match = index.resolve("Star Trek")
    assert match is not None and match.title.startswith("Star Trek")


@pytest.mark.parametrize(
    "text",
    [
        "funny",
        "something",
        "the matrix",
        "Toy Story 3",
        "jurassic park 2",
        "",
        "   ",
        "?!",
        "holy grail",
        "x" * 5000,
    ],
)
def test_resolve_refuses_what_is_not_in_the_catalog(index: TitleIndex, text: str) -> None:
    assert index.resolve(text) is None


def test_title_key_normalizes() -> None:
    assert title_key("The Godfather: Part II") == "godfather 2"
    assert title_key("E.T. the Extra-Terrestrial") == title_key("ET the extra terrestrial")
    assert title_key("Amélie") == "amelie"


def mentions(index: TitleIndex, message: str) -> list[tuple[str, str, str | None]]:
    return [(m.text, m.cue, m.match.title if m.match else None) for m in index.find_in(message)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("a movie like Toy Story but darker", [("Toy Story", "similar", "Toy Story (1995)")]),
        ("movies like toy stroy, no horror", [("toy stroy", "similar", "Toy Story (1995)")]),
        (
            "something similar to apollo 13 from the 90s",
            [("apollo 13", "similar", "Apollo 13 (1995)")],
        ),
        (
            "as good as The Usual Suspects",
            [("The Usual Suspects", "similar", "The Usual Suspects (1995)")],
        ),
        ("films such as Heat", [("Heat", "similar", "Heat (1995)")]),
        (
            "I loved Fargo and seen Heat",
            [("Fargo", "liked", "Fargo (1996)"), ("Heat", "seen", "Heat (1995)")],
        ),
        ("I've seen Toy Story", [("Toy Story", "seen", "Toy Story (1995)")]),
        (
            "hated Independence Day",
            [("Independence Day", "disliked", "Independence Day (ID4) (1996)")],
        ),
        ("why Fargo?", [("Fargo", "explain", "Fargo (1996)")]),
        ("why is Heat on the list", [("Heat", "explain", "Heat (1995)")]),
        ("why did you recommend star wars", [("star wars", "explain", "Star Wars (1977)")]),
        ("like Sabrina (1954) please", [("Sabrina (1954)", "similar", "Sabrina (1954)")]),
        ("Toy Story", [("Toy Story", "bare", "Toy Story (1995)")]),
        ("how about fargo?", [("fargo", "bare", "Fargo (1996)")]),
        ("something like \u201cHeat\u201d", [("Heat", "similar", "Heat (1995)")]),
        ('my favourite is "Kids"', [("Kids", "quoted", "Kids (1995)")]),
    ],
)
def test_find_in_resolves_titles_after_cues(
    index: TitleIndex, message: str, expected: list[tuple[str, str, str]]
) -> None:
    assert mentions(index, message) == expected


@pytest.mark.parametrize(
    ("message", "unresolved"),
    [
        ("something like The Matrix", "The Matrix"),
        ('something like "Inception"', "Inception"),
        ("why Inception?", "Inception"),
        ("movies like Amelie, but in English", "Amelie"),
        # a title with its year starts after the cue inside the capitalised run
        ("Liked the The Matrix (1999) a lot", "The Matrix (1999)"),
        ("Saw Saw (2004)", "Saw (2004)"),
        ("I like Think Like a Man (2012)", "Think Like a Man (2012)"),
        (
            "into films like The Texas Chain Saw Massacre (2031)",
            "The Texas Chain Saw Massacre (2031)",
        ),
    ],
)
def test_explicit_titles_missing_from_the_catalog_are_reported(
    index: TitleIndex, message: str, unresolved: str
) -> None:
    assert mentions(index, message) == [(unresolved, mentions(index, message)[0][1], None)]


@pytest.mark.parametrize(
    "message",
    [
        "something funny",
        "funny movies for kids",
        "I like kids movies",
        "I'd like a comedy",
        "I feel like a comedy",
        "more like the second one",
        "loved it",
        "I hate horror",
        "no horror",
        "something like a road trip",
        "movies like inception",  # lowercase: a theme
        "kids",
        "something scary with heat and fear",
        "I LOVE KIDS MOVIES",
        "Recommend Kids Movies With Heat And Speed",
    ],
)
def test_common_words_never_become_titles(index: TitleIndex, message: str) -> None:
    assert index.find_in(message) == []


def test_capitalised_or_uncommon_titles_are_taken(index: TitleIndex) -> None:
    assert mentions(index, "something like Kids") == [("Kids", "similar", "Kids (1995)")]
    assert mentions(index, "speed") == [("speed", "bare", "Speed (1994)")]


def test_find_in_is_bounded_on_hostile_input(index: TitleIndex) -> None:
    assert len(index.find_in("like Heat " * 20000)) == 8
    assert mentions(index, "\x00\x1b[31m like Heat") == [("Heat", "similar", "Heat (1995)")]
