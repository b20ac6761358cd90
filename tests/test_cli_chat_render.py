"""What `ars chat` prints for a turn, and what `--json` says about it, from one result."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from agentic_recsys.cli.chat_render import (
    TurnView,
    item_facts,
    items_table,
    models_line,
    prompt_hint,
    reply_prose,
    show_reply,
)
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.importer import import_dataset
from agentic_recsys.session import TurnResult
from agentic_recsys.turn.state import ModelUse


def result(
    text: str, items: list[str], models: list[ModelUse] | None = None, question: str = ""
) -> TurnResult:
    return TurnResult(
        text=text,
        items=items,
        explanations={i: f"why {i}" for i in items},
        question=question,
        models=models or [],
        thread_id="t1",
        seconds=0.5,
    )


def test_the_table_replaces_the_numbered_lines_of_the_reply(ml100k: Dataset) -> None:
    r = result(
        "Here are 2 picks:\n1. Toy Story (1995) - x\n2. GoldenEye (1995) - y\nEnjoy.", ["1", "2"]
    )
    assert reply_prose(r) == ["Here are 2 picks:", "Enjoy."]
    console = Console(width=120, record=True)
    console.print(items_table(ml100k.items, r.items, r.explanations))
    shown = console.export_text()
    assert "Toy Story" in shown and "1995" in shown and "Animation" in shown and "why 2" in shown


def test_a_follow_up_question_is_printed_once_under_the_table(ml100k: Dataset) -> None:
    asked = "What mood are you in?"
    text = f"Here are 2 picks:\n1. Toy Story (1995) - x\n2. GoldenEye - y\n{asked}"
    r = result(text, ["1", "2"], question=asked)
    assert reply_prose(r) == ["Here are 2 picks:"]
    console = Console(width=120, record=True)
    show_reply(console, ml100k.items, r, paced=False)
    shown = console.export_text()
    assert shown.count(asked) == 1 and shown.index("GoldenEye") < shown.index(asked)


def test_a_reply_without_items_keeps_numbered_lines() -> None:
    assert reply_prose(result("Two reasons:\n1. it is short", [])) == [
        "Two reasons:",
        "1. it is short",
    ]


def test_item_facts_are_plain_data_and_skip_unknown_ids(ml100k: Dataset) -> None:
    facts = item_facts(ml100k.items, ["1", "no-such-item"], {"1": "a classic"})
    assert facts == [
        {
            "id": "1",
            "title": "Toy Story",
            "year": 1995,
            "genres": ["Animation", "Children's", "Comedy"],
            "why": "a classic",
        }
    ]


def test_the_footer_groups_roles_by_model_and_counts_calls() -> None:
    line = models_line(
        [
            ModelUse(role="intent", model="rules"),
            ModelUse(role="planner", model="rules"),
            ModelUse(role="explainer", model="local:smollm2", calls=2, fell_back=True),
        ],
        1.25,
    ).plain
    assert line == (
        "intent, planner: rules · explainer ×2 (fell back to rules): local:smollm2"
        " · 2 LLM calls · 1.2 s"
    )


def test_streamed_text_shows_only_while_it_is_written() -> None:
    console = Console(width=80, record=True)
    whole = TurnView(console)
    whole.token("Here are 5 picks in Comedy:\n1. Toy Story")  # a rules reply, in one piece
    streamed = TurnView(console)
    for piece in ("Toy Story ", "is a ", "classic", "Toy Story is a classic"):
        streamed.token(piece)
    assert streamed.streamed == "Toy Story is a classic"  # the whole message is not repeated
    as_json = TurnView(console)
    for piece in ('{"opening": ', '"Hi"}'):
        as_json.token(piece)
    for view, text, visible in (
        (whole, "Here are 5 picks", False),
        (streamed, "Toy Story is a classic", True),
        (as_json, "opening", False),
    ):
        console.print(view)
        shown = console.export_text()
        assert "understanding" in shown and (text in shown) is visible


def test_the_prompt_hint_is_made_of_the_catalog(ml100k: Dataset, tmp_path: Path) -> None:
    assert prompt_hint(ml100k) == 'Ask for something ("a drama movie", "like Star Wars"); /help'
    books = "id,title,genres,pages\nb1,Dune,Science Fiction,412\nb2,Emma,Romance,474\n"
    (tmp_path / "books.csv").write_text(books + "b3,Foundation,Science Fiction,255\n")
    ratings = "user,item\nr1,b2\nr2,b2\nr1,b1\n"
    (tmp_path / "ratings.csv").write_text(ratings)
    out = import_dataset(tmp_path / "books.csv", tmp_path / "ratings.csv", tmp_path / "d").path
    hint = prompt_hint(Dataset.open(out))
    assert hint == 'Ask for something ("a science fiction book", "like Emma"); /help'
