"""What a turn's request is made of, and what its reply may claim: a new request does not
inherit an unrelated one, the newest statement wins when something must go, "nothing here
has it" is said only when it is true (not when the user has merely seen all of it), and
"what is it about?" is answered from the catalog, or with the plain fact that it says
nothing about it."""

from __future__ import annotations

from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys.app import App
from agentic_recsys.data.importer import import_dataset

BOOKS = """id,title,author,year,pages,genres
b01,Kindred,Octavia Butler,1979,264,Science Fiction
b02,Dawn,Octavia Butler,1987,248,Science Fiction
b03,Parable of the Sower,Octavia Butler,1993,345,Dystopian
b04,Guards! Guards!,Terry Pratchett,1989,288,Fantasy|Humor
b05,Mort,Terry Pratchett,1987,272,Fantasy|Humor
b06,The Princess Bride,William Goldman,1973,283,Fantasy|Humor
b07,Stardust,Neil Gaiman,1999,248,Fantasy
b08,Howl's Moving Castle,Diana Wynne Jones,1986,212,Fantasy|Humor
b09,Jonathan Strange and Mr Norrell,Susanna Clarke,2004,782,Fantasy
b10,Alice's Adventures in Wonderland,Lewis Carroll,1865,96,Fantasy|Humor
b11,Middlemarch,George Eliot,1871,880,Classic
b12,Moby-Dick,Herman Melville,1851,635,Classic|Adventure
b13,The Time Machine,H. G. Wells,1895,118,Science Fiction|Classic
b14,Three Men in a Boat,Jerome K. Jerome,1889,315,Humor|Classic
b15,The Picture of Dorian Gray,Oscar Wilde,1890,254,Gothic|Classic
b16,Cryptonomicon,Neal Stephenson,1999,918,Science Fiction
b17,Anathem,Neal Stephenson,2008,937,Science Fiction
b18,Seveneves,Neal Stephenson,2015,880,Science Fiction
b19,The Stranger,Albert Camus,1942,123,Classic
b20,Of Mice and Men,John Steinbeck,1937,107,Classic
b21,The Old Man and the Sea,Ernest Hemingway,1952,127,Classic
"""


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> App:
    """21 books whose authors are relations, read by twelve readers."""
    folder = tmp_path_factory.mktemp("books")
    rows = BOOKS.splitlines()[1:]
    described = [f'{r},"{ABOUT.get(r.split(",")[0], "")}"' for r in rows]
    (folder / "books.csv").write_text(
        "\n".join([BOOKS.splitlines()[0] + ",description", *described])
    )
    (folder / "links.csv").write_text(
        "item,relation,entity\n"
        + "".join(f"{r.split(',')[0]},author,{r.split(',')[2]}\n" for r in rows)
    )
    events = ["user,item,rating,timestamp"]
    for user in range(12):
        for k in range(7):
            item = (user * 5 + k * 3) % len(rows) + 1
            events.append(
                f"r{user},b{item:02d},{3 + (user + k) % 3},{1_600_000_000 + 60 * len(events)}"
            )
    (folder / "ratings.csv").write_text("\n".join(events) + "\n")
    report = import_dataset(
        folder / "books.csv",
        folder / "ratings.csv",
        folder / "out",
        relations_path=folder / "links.csv",
    )
    return ars.open(report.path)


ABOUT = {  # some books have a description, the rest none
    "b05": "Death takes on an apprentice, who soon bends the rules of the job.",
    "b08": "A young hatter, cursed to be old, finds work in a walking castle.",
}


@pytest.fixture(scope="module")
def movies(ml100k_copy: Path) -> App:
    return ars.open(ml100k_copy)


def field(app: App, item: str, name: str) -> str:
    """An item's value of a field: a metadata column, or the names a relation links."""
    items, relations = app.dataset.items, app.dataset.relations
    row = items.index[item]
    if name in items.extra:
        return items.extra[name][row]
    linked = zip(relations.items.tolist(), relations.relations, relations.entities, strict=True)
    return ", ".join(e for r, rel, e in linked if r == row and rel == name)


def year(app: App, item: str) -> int:
    items = app.dataset.items
    return int(items.years[items.index[item]])


def test_when_every_match_was_shown_the_reply_says_so_not_that_none_exists(books: App) -> None:
    s = books.session(user_id="reader-1")
    first = s.send("anything by Octavia Butler")
    assert len(first.items) == 3  # two of them are short
    r = s.send("under 300 pages")
    assert len(r.unmet) == 1 and "Octavia Butler" in r.unmet[0]
    assert r.text.startswith(
        f"Every book here with {r.unmet[0]} along with the rest of what you asked is one I "
        "have shown you or you know already."
    )
    assert all(int(field(books, i, "pages")) <= 300 for i in r.items)
    later = s.send("something from the 1980s")  # the author beaten by the pages is said once
    assert later.items and "Octavia Butler" not in later.text
    # and when nothing in the catalog meets it, that is what is said
    none = books.session(user_id="reader-2").send("anything by Octavia Butler under 200 pages")
    assert none.text.startswith("No book here has")


def test_titles_that_do_not_fit_the_request_start_a_new_one(books: App) -> None:
    s = books.session(user_id="reader-3")
    s.send("anything by Octavia Butler")
    r = s.send("I adored Stardust, got more in that vein?")
    assert r.items and not r.unmet
    assert "Octavia Butler" not in r.text
    assert all(field(books, i, "author") != "Octavia Butler" for i in r.items)


def test_a_title_that_fits_the_request_refines_it(movies: App) -> None:
    items = movies.dataset.items
    s = movies.session(user_id="new-user-31")
    s.send("a thriller from the 1990s please")
    r = s.send("maybe something along the lines of Vertigo")  # a thriller, though of 1958
    assert len(r.items) == 5 and r.text.startswith("Here are 5 picks in Thriller from 1990")
    assert all("Thriller" in items.genres[items.index[i]] for i in r.items)
    assert all(1990 <= items.years[items.index[i]] <= 1999 for i in r.items)


def test_liked_films_outside_the_kids_request_are_not_served_as_childrens(movies: App) -> None:
    items = movies.dataset.items
    s = movies.session(user_id="new-user-32")
    s.send("a film the children will enjoy")
    r = s.send("I really liked Fargo and Casino, got anything similar?")
    assert len(r.items) == 5 and "Children's" not in r.text.split("\n")[0]
    assert not any("Children's" in items.genres[items.index[i]] for i in r.items)


def test_saying_the_opposite_of_an_earlier_wish_undoes_it(books: App) -> None:
    s = books.session(user_id="reader-4")
    s.send("something by Terry Pratchett")
    r = s.send("nothing by Pratchett after all")
    assert r.items and not r.unmet and r.text.startswith("Here are")
    assert all(field(books, i, "author") != "Terry Pratchett" for i in r.items)


def test_what_this_message_asks_is_kept_and_an_earlier_wish_goes(books: App) -> None:
    s = books.session(user_id="reader-5")
    s.send("a funny fantasy book")
    r = s.send("something from before 1900")
    assert r.items and all(year(books, i) < 1900 for i in r.items)
    assert "included picks outside Humor, Fantasy" in r.text
    assert "dropped the year range" not in r.text and "widened" not in r.text


def test_an_earlier_field_wish_is_dropped_before_the_one_just_said(books: App) -> None:
    s = books.session(user_id="reader-6")
    s.send("books under 300 pages")
    r = s.send("and by Neal Stephenson")  # "and": added to the request, not a new one
    assert len(r.unmet) == 1 and r.unmet[0].endswith("at most 300 pages")
    assert r.items and all(field(books, i, "author") == "Neal Stephenson" for i in r.items)


def test_what_an_item_is_about_comes_from_the_catalog_not_from_why_it_was_picked(
    books: App,
) -> None:
    items = books.dataset.items
    s = books.session(user_id="reader-7")
    listed = s.send("a funny fantasy book").items
    described = [n for n, i in enumerate(listed, 1) if i in ABOUT]
    bare = [n for n, i in enumerate(listed, 1) if i not in ABOUT]
    assert described and bare
    n, item = described[0], listed[described[0] - 1]
    label = items.label(items.index[item])
    assert s.send(f"what's #{n} about?").text.startswith(f"{label}: {ABOUT[item]}")
    why = s.send(f"why #{n}?").text
    assert why.startswith(f"{label}: a ") and ABOUT[item] not in why  # the reason, as before
    n, item = bare[0], listed[bare[0] - 1]
    row = items.index[item]
    author, pages = field(books, item, "author"), field(books, item, "pages")
    assert s.send(f"tell me about #{n}").text == (
        f"{items.label(row)}: the catalog has no description of it; it holds: "
        f"{', '.join(items.genres[row])}; from {items.years[row]}; author {author}; {pages} pages."
    )
