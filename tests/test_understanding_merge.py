"""The merge of the parser's and an LLM's readings, with the failures issue 13 saw from a
real 1.5B model replayed as scripted replies: what the message does not support is dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys.agents.intent import LLMIntent, proposal
from agentic_recsys.app import App
from agentic_recsys.llm import register_chat_model
from agentic_recsys.llm.testing import scripted_model
from agentic_recsys.understanding.intent_rules import parse_intent
from agentic_recsys.understanding.merge import merge_intent, parser_is_sure
from agentic_recsys.understanding.schema import Intent

ALL_GENRES_BUT_ANIMATION = [
    "Action", "Adventure", "Children's", "Comedy", "Crime", "Drama", "Fantasy", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi",
]  # fmt: skip


pytestmark = pytest.mark.usefixtures("registered_models_forgotten")


@pytest.fixture(scope="module")
def app(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def merged(app: App, message: str, answer: dict[str, object], shown: list[str]) -> Intent:
    """Parse `message`, take `answer` as the LLM's reply, and merge the two."""
    items = app.dataset.items
    parsed = parse_intent(message, items, app.titles, shown, app.entities, app.dataset)
    proposed = proposal(LLMIntent.model_validate(answer), app, shown)
    return merge_intent(parsed, proposed, message, shown, items)


def shown_list(app: App) -> list[str]:
    return app.recommend("42", 5)


def test_heist_request_gets_no_invented_feedback_and_no_excluded_genres(app: App) -> None:
    message = "I'm looking for a Heist movie like The Italian Job or Logan Lucky"
    shown = shown_list(app)
    answer = {  # the real model's answer: "liked #2" and ten genres excluded
        "kind": "refine",
        "moods": ["heist"],
        "exclude_genres": ["Drama", "Fantasy", "Film-Noir"],
        "like_titles": ["The Italian Job", "Logan Lucky"],
        "feedback": [{"position": 2, "verdict": "liked"}],
    }
    intent = merged(app, message, answer, shown)
    assert intent.feedback == [] and intent.constraints.genres_out == []
    assert "Crime" in intent.constraints.genres_in  # the parser's "heist" stands
    assert "heist" in intent.query
    assert intent.kind == "recommend"  # the parser was sure; its kind stands


def test_twelve_exclusions_for_one_negated_genre_become_one(app: App) -> None:
    message = "MY DAUGHTER DOESNT CARE MUCH FOR ANIMATED FILMS"
    items = app.dataset.items
    parsed = parse_intent(message, items, app.titles, [], app.entities, app.dataset)
    assert parsed.constraints.genres_out == ["Animation"]  # the parser reads this negation now
    assert parser_is_sure(parsed, message, items)  # so no LLM is asked; if one answers anyway:
    answer = {"kind": "recommend", "exclude_genres": ["Animation", *ALL_GENRES_BUT_ANIMATION]}
    intent = merged(app, message, {**answer, "exclude_genres": answer["exclude_genres"][:3]}, [])
    assert intent.constraints.genres_out == ["Animation"]
    assert "Animation" not in intent.constraints.genres_in


def test_feedback_needs_a_pointer_in_the_message(app: App) -> None:
    shown = shown_list(app)
    liked_two = {"kind": "feedback", "feedback": [{"position": 2, "verdict": "liked"}]}
    assert [f.item for f in merged(app, "loved #2", liked_two, shown).feedback] == [shown[1]]
    for pointer in ("the second one was great", "that one was great"):
        intent = merged(app, pointer, liked_two, shown)
        assert [(f.item, f.verdict) for f in intent.feedback] == [(shown[1], "liked")]
    assert merged(app, "something with a great soundtrack", liked_two, shown).feedback == []
    assert merged(app, "loved #2", liked_two, []).feedback == []  # nothing was shown


def test_feedback_by_title(app: App) -> None:
    shown = shown_list(app)
    items = app.dataset.items
    title = items.titles[items.index[shown[3]]]
    answer = {"kind": "feedback", "feedback": [{"position": 4, "verdict": "seen"}]}
    intent = merged(app, f"I already saw {title.lower()}", answer, shown)
    assert [(f.item, f.verdict) for f in intent.feedback] == [(shown[3], "seen")]


def test_a_liked_title_must_match_a_span_of_the_message(app: App) -> None:
    answer = {"kind": "recommend", "moods": ["cheerful"], "like_titles": ["Toy Story"]}
    said = merged(app, "something cheerful, I adored toy stroy as a kid", answer, [])
    assert said.like_items == [app.titles.resolve("Toy Story").item_id]  # a typo still matches
    unsaid = merged(app, "something cheerful for a rainy day", answer, [])
    assert unsaid.like_items == [] and "cheerful" in unsaid.query


def test_the_parsers_findings_always_stand(app: App) -> None:
    message = "three comedies from the 90s with Tom in the title, no horror"
    items = app.dataset.items
    parsed = parse_intent(message, items, app.titles, [], app.entities, app.dataset)
    answer = {"kind": "chitchat", "genres": ["Drama"], "exclude_genres": ["Comedy"]}
    intent = merged(app, message, answer, [])
    assert intent.kind == parsed.kind == "recommend"
    assert intent.constraints == parsed.constraints  # count, years, title word, genres
    c = intent.constraints
    assert c.count == 3 and c.predicates and c.year_min and c.year_max
    assert c.genres_in == ["Comedy"] and c.genres_out == ["Horror"]


def test_the_llm_decides_the_kind_only_when_the_parser_could_not(app: App) -> None:
    vague = merged(app, "ugh what a day", {"kind": "recommend", "moods": ["comforting"]}, [])
    assert vague.kind == "recommend" and "comforting" in vague.query
    chat = merged(app, "ugh what a day", {"kind": "chitchat"}, [])
    assert chat.kind == "chitchat"
    sure = merged(app, "two westerns", {"kind": "chitchat"}, [])
    assert sure.kind == "recommend"  # the parser was sure: its kind stands


def test_a_genre_the_message_names_may_be_added(app: App) -> None:
    answer = {"kind": "recommend", "genres": ["Western", "Horror"]}
    intent = merged(app, "cheer me up with a cowboy story", answer, [])
    assert intent.constraints.genres_in == ["Western"]


def test_whole_turn_heist_with_a_scripted_model(app: App) -> None:
    """The issue's turn, through the graph: the model's bad answer changes nothing said."""
    bad = {
        "kind": "refine",
        "moods": ["clever"],
        "exclude_genres": ["Drama", "Comedy", "Action"],
        "feedback": [{"position": 2, "verdict": "liked"}],
    }
    model = scripted_model([json.dumps(bad)] * 2)
    register_chat_model("fake:intent-bad", model)
    s = app.session(user_id="merge-1", intent_model="fake:intent-bad")
    s.send("a clever crime movie")
    r = s.send("hmm, with more laughs maybe, no gore")  # free words: the LLM is asked
    assert "Noted that you liked" not in r.text
    intent = s.values()["intent"]
    assert intent.feedback == [] and intent.constraints.genres_out == []
    assert model.remaining == 1  # asked once, on the second turn only
