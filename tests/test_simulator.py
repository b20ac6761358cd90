"""The simulated user is honest (no id, no title too early, only true facts) and seeded."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.history import UserHistories
from agentic_recsys.engines.split import leave_one_out
from agentic_recsys.evaluation.converse import run_episode, sampled_targets
from agentic_recsys.evaluation.keyword_baselines import KeywordFilters, KeywordTurn
from agentic_recsys.evaluation.simulator import (
    MAX_TURNS,
    RulesSimulator,
    SystemReply,
    Target,
    UserMessage,
    era_phrases,
    misspell,
)

SHOWN = SystemReply(text="Here are five picks.", items=["1", "2", "3", "4", "5"])
ASK_ERA = SystemReply(text="", items=[], question="Which decade are you thinking of?")


@pytest.fixture(scope="module")
def targets(ml100k: Dataset) -> list[tuple[str, Target]]:
    test = leave_one_out(ml100k.interactions, 0).test
    return sampled_targets(ml100k, test, _without(ml100k, test), 150, seed=0)


def _without(dataset: Dataset, test: np.ndarray) -> Dataset:
    """The same dataset object with the test events dropped (what the system is built on)."""
    return Dataset(
        dataset.path,
        dataset.name,
        dataset.items,
        dataset.interactions.subset(~test),
        dataset.relations,
        dataset.fingerprint,
    )


def _conversation(target: Target, seed: str) -> list[UserMessage]:
    """Every message of a user who is never shown the target; turn 3 answers a question."""
    sim = RulesSimulator(target, seed)
    said = [sim.opening()]
    for turn in range(2, MAX_TURNS + 1):
        said.append(sim.respond(ASK_ERA if turn == 3 else SHOWN))
    return said


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_never_names_the_target_id_or_title_before_the_title_turn(
    targets: list[tuple[str, Target]],
) -> None:
    title_turns = 0
    for user_id, target in targets:
        for message in _conversation(target, f"0:{user_id}"):
            assert not re.search(
                rf"(?<![\w.-]){re.escape(target.item_id)}(?![\w-])", message.text
            ), message.text
            if any(f.kind == "title" for f in message.facts):
                title_turns += 1
                break
            assert f" {_normal(target.title)} " not in f" {_normal(message.text)} ", message.text
    assert title_turns > 0.8 * len(targets)  # the title turn comes last, and almost always


def test_every_fact_is_true_of_the_catalog(
    ml100k: Dataset,
    targets: list[tuple[str, Target]],
) -> None:
    items = ml100k.items
    test = leave_one_out(ml100k.interactions, 0).test
    histories = UserHistories.build(ml100k.interactions, ~test, 0)
    kinds = set()
    for user_id, target in targets:
        row = items.index[target.item_id]
        genres, year = set(items.genres[row]), int(items.years[row])
        history = set(histories.items_of(ml100k.interactions.user_index[user_id]).tolist())
        for message in _conversation(target, f"0:{user_id}"):
            for fact in message.facts:
                kinds.add(fact.kind)
                assert set(fact.genres) <= genres, fact
                assert not set(fact.not_genres) & genres, fact
                if fact.year_min is not None or fact.year_max is not None:
                    assert (fact.year_min or 0) <= year <= (fact.year_max or 9999), fact
                if fact.like_item is not None:
                    like = items.index[fact.like_item]
                    assert like in history and like != row
                if fact.title_word is not None:
                    assert fact.title_word in items.titles[row], fact
                if fact.kind in ("genre", "mood", "era"):  # what a keyword reader hears
                    heard = KeywordFilters()
                    heard.hear(fact.text, ml100k)
                    assert heard.genres_in <= genres, (fact.text, genres)
                    assert not heard.genres_out & genres, (fact.text, genres)
                    assert (heard.year_min or 0) <= year <= (heard.year_max or 9999), fact.text
    assert kinds == {"genre", "era", "like", "mood", "title"}


def test_every_era_phrase_holds_for_every_year(ml100k: Dataset) -> None:
    for year in range(1920, 2000):
        for text, low, high in era_phrases(year):
            assert low <= year <= high, text
            heard = KeywordFilters()
            heard.hear(text, ml100k)
            assert (heard.year_min or 0) <= year <= (heard.year_max or 9999), (year, text)


def test_the_first_turn_names_genre_or_era_and_later_turns_reject(
    targets: list[tuple[str, Target]],
) -> None:
    openings = set()
    for user_id, target in targets[:40]:
        said = _conversation(target, f"0:{user_id}")
        openings.add(said[0].facts[0].kind)
        assert len(said[0].facts) == 1
        assert said[-1].facts[-1].kind == "title" or target.title_word is None
        assert said[1].text != said[0].text
    assert openings == {"genre", "era"}


def test_a_clarifying_question_gets_a_true_answer_on_its_topic(
    targets: list[tuple[str, Target]],
) -> None:
    for user_id, target in targets[:40]:
        sim = RulesSimulator(target, f"0:{user_id}")
        sim.opening()
        answer = sim.respond(ASK_ERA)
        assert answer.facts[0].kind == "era"
        assert not answer.text.lower().startswith(("none", "nope", "no,", "not quite", "nah"))


def test_same_seed_same_words_other_seed_other_words(
    targets: list[tuple[str, Target]],
) -> None:
    first = [[m.text for m in _conversation(t, f"7:{u}")] for u, t in targets[:30]]
    again = [[m.text for m in _conversation(t, f"7:{u}")] for u, t in targets[:30]]
    other = [[m.text for m in _conversation(t, f"8:{u}")] for u, t in targets[:30]]
    assert first == again
    assert first != other
    assert len({m for conv in first for m in conv}) > 100  # varied phrasings, not one template


def test_a_typo_swaps_two_letters_of_a_filler_word_only() -> None:
    text = "Nope, none of these. I'm thinking comedy from the nineties, nothing scary."
    keep = {"comedy", "nineties", "scary"}
    changed = 0
    for seed in range(50):
        typo = misspell(text, random.Random(seed), keep)
        before, after = text.split(" "), typo.split(" ")
        diff = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(diff) <= 1
        for a, b in diff:
            changed += 1
            assert sorted(a) == sorted(b) and a.lower() not in keep | {"nothing", "none"}
    assert changed == 50


class _ShowsTargetAt:
    """A fake system that shows the target at a given turn, and filler items before."""

    def __init__(self, target: str, turn: int) -> None:
        self.target, self.turn, self.sent = target, turn, 0

    def send(self, message: str) -> KeywordTurn:
        self.sent += 1
        items = ["1", "2", "3", "4", self.target] if self.sent == self.turn else ["6", "7"]
        return KeywordTurn(text="picks", items=items, seconds=0.01)


def test_the_user_stops_as_soon_as_the_target_is_shown(
    targets: list[tuple[str, Target]],
) -> None:
    user_id, target = targets[0]
    for turn in (1, 3, 5):
        system = _ShowsTargetAt(target.item_id, turn)
        episode = run_episode("fake", user_id, system, RulesSimulator(target, 1), label="x")
        assert system.sent == turn and episode.turns_taken == turn and episode.success
    never = run_episode(
        "fake", user_id, _ShowsTargetAt(target.item_id, 99), RulesSimulator(target, 1), label="x"
    )
    assert len(never.turns) == MAX_TURNS and not never.success
