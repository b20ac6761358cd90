"""`ars chat` on a books catalog imported from one CSV with an `author` column.

The catalog's own words all the way: "books by Tolkien" keeps Tolkien's books, `/read N`
is `/seen N`, `/why 9` on a short list says how long it is, the banner's examples are a
genre and a title it has; and `--json` writes nothing but JSON (stderr stays empty).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from terminal import ARS, TIMEOUT, say, spawn_chat, until_prompt

pytestmark = pytest.mark.slow

BOOKS = """\
id,title,author,year,pages,genres
b1,Dune,Frank Herbert,1965,412,Science Fiction|Adventure
b2,The Hobbit,J.R.R. Tolkien,1937,310,Fantasy|Adventure
b3,The Two Towers,J.R.R. Tolkien,1954,352,Fantasy|Adventure
b4,A Wizard of Earthsea,Ursula K. Le Guin,1968,183,Fantasy
b5,The Lathe of Heaven,Ursula K. Le Guin,1971,184,Science Fiction
b6,Foundation,Isaac Asimov,1951,255,Science Fiction
b7,Good Omens,Terry Pratchett; Neil Gaiman,1990,383,Fantasy|Humor
b8,Emma,Jane Austen,1815,474,Romance
"""
READS = "user,item,rating\nr1,b2,5\nr2,b2,4\nr2,b1,5\nr3,b7,4\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("books")
    (folder / "books.csv").write_text(BOOKS)
    (folder / "reads.csv").write_text(READS)
    command = [ARS, "data", "import", "--items", folder / "books.csv", "--out", folder / "data"]
    proc = subprocess.run([*command, "--interactions", folder / "reads.csv"], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return {
        **os.environ,
        "ARS_DATA": str(folder / "data"),
        "ARS_MODEL": "none",
        "ARS_USER": "reader",
        "TERM": "xterm-256color",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }


def test_json_turns_in_the_catalogs_words(env: dict[str, str]) -> None:
    lines = "books by Tolkien\n/why 9\n/read 1\n"
    run = subprocess.run(
        [ARS, "chat", "--json"],
        input=lines,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # not even a blank line
    tolkien, why, read = (json.loads(line) for line in run.stdout.splitlines())
    assert {i["title"] for i in tolkien["items"]} == {"The Hobbit", "The Two Towers"}
    assert "J.R.R. Tolkien" in tolkien["reply"]
    assert why["error"] == "the last list has only 2 books (#1 to #2)"
    assert read["message"] == "I have already read #1"
    assert tolkien["items"][0]["title"] in read["reply"]


def test_the_banner_and_help_speak_of_books(env: dict[str, str]) -> None:
    child = spawn_chat(env)
    banner = until_prompt(child)
    assert 'Ask for something ("a fantasy book", "like The Hobbit"); /help' in banner
    assert "funny 90s movie" not in banner
    shown = say(child, "/help")
    assert "/read N" in shown and "you have read book N" in shown
    assert "no books shown yet" in say(child, "/why 3")
    child.sendline("/quit")
    child.expect("Bye")
    child.close()
