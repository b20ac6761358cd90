"""The LLM-worded simulated user: its words are used when honest, replaced when not."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.errors import ArsError
from agentic_recsys.evaluation.simulator import RulesSimulator, SystemReply, Target
from agentic_recsys.evaluation.simulator_llm import LLMSimulator, simulator_model
from agentic_recsys.llm.testing import scripted_model

SHOWN = SystemReply(text="Here you go.", items=["1", "2", "3", "4", "5"])


@pytest.fixture
def target(ml100k: Dataset) -> Target:
    row = ml100k.items.titles.index("The Silence of the Lambs")
    like = ml100k.items.titles.index("Fargo")
    return Target(
        item_id=ml100k.items.ids[row],
        title="The Silence of the Lambs",
        year=1991,
        genres=("Drama", "Thriller"),
        title_word="Lambs",
        like=(ml100k.items.ids[like], "Fargo"),
    )


def _pair(target: Target, model: object, dataset: Dataset) -> tuple[LLMSimulator, RulesSimulator]:
    """An LLM simulator and the template simulator it wraps' twin (same seed, same plan)."""
    return (
        LLMSimulator(RulesSimulator(target, 3), model, dataset),  # type: ignore[arg-type]
        RulesSimulator(target, 3),
    )


def test_honest_words_are_used_and_facts_stay_planned(ml100k: Dataset, target: Target) -> None:
    model = FakeListChatModel(
        responses=["hey, got any tense thrillers?", "nah not those. early nineties maybe?"]
    )
    llm, rules = _pair(target, model, ml100k)
    first, planned = llm.opening(), rules.opening()
    assert first.text == "hey, got any tense thrillers?"
    assert first.facts == planned.facts
    second = llm.respond(SHOWN)
    assert second.text == "nah not those. early nineties maybe?"
    assert second.facts == rules.respond(SHOWN).facts
    assert llm.fallbacks == 0 and len(llm.calls) == 2 and all(c.ok for c in llm.calls)


def test_a_message_naming_the_title_or_id_too_early_is_replaced(
    ml100k: Dataset,
    target: Target,
) -> None:
    model = FakeListChatModel(
        responses=["I want The Silence of the Lambs!", f"maybe item {target.item_id}?"]
    )
    llm, rules = _pair(target, model, ml100k)
    assert llm.opening() == rules.opening()
    assert llm.respond(SHOWN) == rules.respond(SHOWN)
    assert llm.fallbacks == 2


def test_the_title_turn_must_keep_the_title_word_and_may_name_the_title(
    ml100k: Dataset,
    target: Target,
) -> None:
    rules = RulesSimulator(target, 3)
    turns = [rules.opening()] + [rules.respond(SHOWN) for _ in range(4)]
    title_turn = next(i for i, t in enumerate(turns) if t.facts[0].kind == "title")
    like_turn = next(i for i, t in enumerate(turns) if t.facts[0].kind == "like")
    words = ["fine"] * 5
    words[like_turn] = "something creepy like that snowy one"  # drops the similar movie
    words[title_turn] = "is it The Silence of the Lambs?"  # allowed now
    llm = LLMSimulator(RulesSimulator(target, 3), FakeListChatModel(responses=words), ml100k)  # type: ignore[arg-type]
    said = [llm.opening()] + [llm.respond(SHOWN) for _ in range(4)]
    assert said[like_turn] == turns[like_turn]  # fell back to the template line
    assert said[title_turn].text == "is it The Silence of the Lambs?"
    assert llm.fallbacks == 1


def test_the_model_never_sees_the_title_or_id_and_failures_fall_back(
    ml100k: Dataset,
    target: Target,
) -> None:
    model = scripted_model([RuntimeError("down"), RuntimeError("still down"), "ok, older?"])
    llm, rules = _pair(target, model, ml100k)
    assert llm.opening() == rules.opening()  # both attempts failed: the template line
    assert llm.respond(SHOWN).text == "ok, older?"
    prompts = " ".join(str(m.content) for call in model.received for m in call)
    assert "Silence" not in prompts and f" {target.item_id} " not in prompts
    assert llm.fallbacks == 1 and [c.ok for c in llm.calls] == [False, False, True]


def test_no_model_configured_is_a_clear_error() -> None:
    with pytest.raises(ArsError, match="--model"):
        simulator_model("")
    with pytest.raises(ArsError, match="--model"):
        simulator_model("none")
