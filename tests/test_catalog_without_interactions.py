"""A catalog nobody has used yet: imported without interactions, it recommends from the
items' text, fields and relations alone, end to end (CLI import, `ars.open`, a chat)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys.app import App

ARS = Path(sys.executable).with_name("ars")
BOOKS = """\
id,title,year,genres,pages,description
b1,The Hobbit,1937,Fantasy|Adventure,310,A hobbit and dwarves win back a treasure from a dragon
b2,Dune,1965,Science Fiction,412,A desert planet of spice and the heir of a noble house
b3,A Wizard of Earthsea,1968,Fantasy,183,A boy learns magic at a school for wizards
b4,The Left Hand of Darkness,1969,Science Fiction,304,An envoy on a frozen planet
b5,Emma,1815,Romance,474,A young woman in a village meddles in her friends' marriages
b6,Persuasion,1817,Romance,249,A woman meets again the officer she was told not to marry
b7,The Tombs of Atuan,1970,Fantasy,180,A young priestess of a desert temple and a wizard
b8,Foundation,1951,Science Fiction,255,A mathematician predicts the fall of an empire
b9,The Fellowship of the Ring,1954,Fantasy|Adventure,423,Nine walkers set out to destroy a ring
"""
AUTHORS = """\
item,relation,entity
b1,author,J. R. R. Tolkien
b9,author,J. R. R. Tolkien
b2,author,Frank Herbert
b3,author,Ursula K. Le Guin
b4,author,Ursula K. Le Guin
b7,author,Ursula K. Le Guin
b5,author,Jane Austen
b6,author,Jane Austen
b8,author,Isaac Asimov
"""


@pytest.fixture(scope="module", params=["no interactions file", "a header alone"])
def books(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> App:
    folder = tmp_path_factory.mktemp("books")
    (folder / "books.csv").write_text(BOOKS)
    (folder / "authors.csv").write_text(AUTHORS)
    command = [ARS, "data", "import", "--items", folder / "books.csv", "--out", folder / "data"]
    command += ["--relations", folder / "authors.csv"]
    if request.param == "a header alone":
        (folder / "reads.csv").write_text("user,item,rating\n")
        command += ["--interactions", folder / "reads.csv"]
    proc = subprocess.run(command, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "interactions │ 0" in proc.stdout.replace("  ", " ").replace("  ", " ")
    return ars.open(folder / "data")


def test_the_engines_rank_every_item_for_anyone(books: App) -> None:
    assert len(books.dataset.interactions) == 0
    assert len(books.recommend("a reader", k=9)) == 9
    profile, _ = books.recommender.profile(None, liked=["b3"], query="school for wizards")
    ranked = books.recommender.recommend(profile, 3)
    assert ranked and books.dataset.items.ids[ranked[0].item] != "b3"


def test_a_conversation_recommends_from_text_fields_and_relations(books: App) -> None:
    session = books.session(user_id="first reader")
    by_author = session.send("anything written by Le Guin?")
    assert by_author.items and set(by_author.items) <= {"b3", "b4", "b7"}
    like = session.send("now something similar to Dune")
    assert like.items and "b2" not in like.items
    assert set(like.explanations) == set(like.items)
    mood = books.session(user_id="second reader").send("a story about a dragon and treasure")
    assert "b1" in mood.items[:2]
