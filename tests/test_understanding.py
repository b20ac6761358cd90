"""Understanding over a catalog's own schema: profiles, predicates, readers, abstention, words.

The catalogs here are written for these tests (books, products, current films); the
sentences are plain requests, not the simulators' templates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import agentic_recsys as ars
from agentic_recsys.app import App
from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.data.fields import profile_column
from agentic_recsys.evaluation.fielded import generate_films, write_films
from agentic_recsys.understanding.english import is_english
from agentic_recsys.understanding.intent_rules import parse_intent
from agentic_recsys.understanding.predicates import (
    Predicate,
    PredicateError,
    describe,
    mask,
    validate,
)
from agentic_recsys.understanding.schema import Intent

BOOKS = [
    ("b1", "Dune", 1965, ("Science Fiction",), 412, "Frank Herbert"),
    ("b2", "The Hobbit", 1937, ("Fantasy",), 310, "J.R.R. Tolkien"),
    ("b3", "The Fellowship of the Ring", 1954, ("Fantasy",), 423, "J.R.R. Tolkien"),
    ("b4", "A Wizard of Earthsea", 1968, ("Fantasy",), 183, "Ursula K. Le Guin"),
    ("b5", "The Left Hand of Darkness", 1969, ("Science Fiction",), 304, "Ursula K. Le Guin"),
    ("b6", "The Dispossessed", 1974, ("Science Fiction",), 387, "Ursula K. Le Guin"),
    ("b7", "Neuromancer", 1984, ("Science Fiction",), 271, "William Gibson"),
    ("b8", "Jane Eyre", 1847, ("Romance", "Classic"), 532, "Charlotte Bronte"),
    ("b9", "Emma", 1815, ("Romance", "Classic"), 474, "Jane Austen"),
    ("b10", "Solaris", 1961, ("Science Fiction",), 204, "Stanislaw Lem"),
]


def write_books(out: Path) -> Path:
    items = [
        ItemRecord(id=i, title=t, year=y, genres=g, extra={"pages": str(p)})
        for i, t, y, g, p, _ in BOOKS
    ]
    events = [
        InteractionRecord(f"r{u}", BOOKS[(u * 3 + k) % len(BOOKS)][0], 4.0, float(k))
        for u in range(12)
        for k in range(4)
    ]
    relations = [(i, "author", a) for i, *_, a in BOOKS]
    return write_dataset(out, "Books", items, events, relations)


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> App:
    return ars.open(write_books(tmp_path_factory.mktemp("books") / "books"))


@pytest.fixture(scope="module")
def films(tmp_path_factory: pytest.TempPathFactory) -> App:
    return ars.open(write_films(tmp_path_factory.mktemp("films") / "films", generate_films()))


def read(app: App, message: str, shown: tuple[str, ...] = ()) -> Intent:
    d = app.dataset
    return parse_intent(message, d.items, app.titles, list(shown), app.entities, d)


def preds(intent: Intent) -> set[tuple[str, str, object]]:
    return {(p.field, p.op, p.value) for p in intent.constraints.predicates}


# ---- the field profiler ----------------------------------------------------------------
def test_profiles_books_products_and_films(books: App, films: App, tmp_path: Path) -> None:
    pages = books.dataset.schema.field("pages")
    assert pages and (pages.kind, pages.unit, pages.low, pages.high) == (
        "numeric",
        "pages",
        183,
        532,
    )
    author = books.dataset.schema.field("author")
    assert author and author.kind == "relation"
    assert books.dataset.schema.domain.verb == "read"  # guessed from pages and authors

    f = films.dataset.schema
    assert (f.field("runtime").unit, f.field("imdb_rating").unit) == ("minutes", "score")
    assert f.field("content_rating").kind == "categorical"
    assert set(f.field("content_rating").values) == {"G", "PG", "PG-13", "R", "NR"}
    assert f.field("services").kind == "list" and "Disney+" in f.field("services").values

    price = profile_column("price", ["$19.99", "$5", "$120.50", ""])
    assert (price.kind, price.unit, price.low, price.high) == ("numeric", "price", 5, 120.5)
    brand = profile_column("brand", ["Acme", "Zenith", "Acme", "Orbit"] * 5)
    assert brand.kind == "categorical" and brand.values[0] == "Acme"
    blurb = profile_column("blurb", [f"a long unique sentence number {i}" for i in range(40)])
    assert blurb.kind == "text"

    products = [
        ItemRecord(id=str(i), title=f"Kettle {i}", extra={"price": f"${10 + i}", "brand": b})
        for i, b in enumerate(["Acme", "Zenith", "Orbit"] * 4)
    ]
    out = write_dataset(tmp_path / "shop", "Shop", products, [])
    shop = Dataset.open(out).schema
    assert shop.domain.noun == "product" and shop.field("price").unit == "price"


# ---- predicates -----------------------------------------------------------------------
def test_every_operator_masks_the_rows_it_names(films: App) -> None:
    d = films.dataset
    runtime = np.array([float(v.split()[0]) for v in d.items.extra["runtime"]])
    ratings = d.items.extra["content_rating"]
    services = [set(v.split("|")) for v in d.items.extra["services"]]
    cases = {
        ("runtime", "<=", 100.0): runtime <= 100,
        ("runtime", ">=", 150.0): runtime >= 150,
        ("runtime", "between", (90.0, 120.0)): (runtime >= 90) & (runtime <= 120),
        ("content_rating", "==", "R"): np.array([r == "R" for r in ratings]),
        ("content_rating", "in", ("PG", "G")): np.array([r in ("PG", "G") for r in ratings]),
        ("content_rating", "not in", ("R",)): np.array([r != "R" for r in ratings]),
        ("services", "contains", ("Netflix", "Hulu")): np.array(
            [{"Netflix", "Hulu"} <= s for s in services]
        ),
        ("services", "contains any", ("Netflix", "Hulu")): np.array(
            [bool({"Netflix", "Hulu"} & s) for s in services]
        ),
        ("services", "not contains", ("Netflix",)): np.array(
            ["Netflix" not in s for s in services]
        ),
    }
    for (field, op, value), expected in cases.items():
        p = validate(Predicate(field=field, op=op, value=value), d.schema)  # type: ignore[arg-type]
        assert mask([p], d).tolist() == expected.tolist(), (field, op, value)


def test_predicates_are_validated_against_the_schema(films: App) -> None:
    schema = films.dataset.schema
    with pytest.raises(PredicateError, match="no services 'Netflux'"):
        validate(Predicate(field="services", op="contains any", value=("Netflux",)), schema)
    with pytest.raises(PredicateError, match="is a number"):
        validate(Predicate(field="runtime", op="in", value=("long",)), schema)
    with pytest.raises(PredicateError, match="goes up to 10"):
        validate(Predicate(field="imdb_rating", op=">=", value=11.0), schema)
    p = validate(Predicate(field="Content_Rating", op="in", value=("pg-13",)), schema)
    assert (p.field, p.value) == ("content_rating", ("PG-13",))  # the catalog's spelling
    assert describe(Predicate(field="runtime", op="<=", value=120.0), schema) == (
        "runtime at most 120 minutes"
    )


# ---- readers ----------------------------------------------------------------------------
def test_numbers_attach_to_fields_by_unit_name_and_comparison(films: App) -> None:
    assert preds(read(films, "nothing longer than 90 minutes")) == {("runtime", "<=", 90.0)}
    assert preds(read(films, "no more than two hours")) == {("runtime", "<=", 120.0)}
    assert preds(read(films, "under 2 hours")) == {("runtime", "<=", 120.0)}
    assert preds(read(films, "I'd like something that scores at least 8 out of 10")) == {
        ("imdb_rating", ">=", 8.0)
    }
    assert preds(read(films, "a thriller, 7.5+ rating")) == {("imdb_rating", ">=", 7.5)}
    assert preds(read(films, "not over 100 minutes")) == {("runtime", "<=", 100.0)}
    # a year is the years reader's, a count is not a field
    assert preds(read(films, "three comedies from after 2015")) == set()


def test_values_with_negation_scope(films: App) -> None:
    assert preds(read(films, "an R rated thriller that is not on Netflix")) == {
        ("content_rating", "in", ("R",)),
        ("services", "not contains", ("Netflix",)),
    }
    assert preds(read(films, "I have Hulu or Max, nothing rated R please")) == {
        ("services", "contains any", ("Hulu", "Max")),
        ("content_rating", "not in", ("R",)),
    }
    # a short value counts only next to its field's name: "a" and "r" are just letters
    assert preds(read(films, "a movie for a rainy evening")) == set()


def test_bad_field_input_is_named_never_dropped(films: App) -> None:
    for message, said in (
        ("under -5 minutes", "cannot be at most -5 minutes"),
        ("rated 11 of 10", "11 out of 10 is not a rating"),
        ("rated G and rated R", "G and R cannot both hold"),
        ("runtime under $5", "runtime is not a price"),
    ):
        intent = read(films, message)
        assert any(said in p for p in intent.problems), (message, intent.problems)
        assert intent.kind == "clarify" and said.lower() in intent.question.lower()
    netflux = read(films, "something on Netflux")
    assert preds(netflux) == {("services", "contains any", ("Netflix",))}
    assert netflux.notes == ['read "Netflux" as Netflix']


def test_partial_names_and_relative_words(books: App) -> None:
    tolkien = read(books, "books by Tolkien")
    assert preds(tolkien) == {("author", "contains", "J.R.R. Tolkien")}
    assert preds(read(books, "something by Le Guin")) == {
        ("author", "contains", "Ursula K. Le Guin")
    }
    # "like Dune but shorter": below Dune's page count
    shorter = read(books, "something like Dune but shorter")
    assert shorter.like_items == ["b1"]
    assert preds(shorter) == {("pages", "<=", 411.0)}


def test_the_domains_verb_is_a_verdict_and_its_words_are_no_search(books: App) -> None:
    shown = ("b1", "b2", "b3")
    for message in ("I've read #2", "already read the second one", "finished #2"):
        assert {(f.item, f.verdict) for f in read(books, message, shown).feedback} == {
            ("b2", "seen")
        }, message
    dune = read(books, "I have read Dune")
    assert [(f.item, f.verdict) for f in dune.feedback] == [("b1", "seen")]
    assert dune.query == "" and read(books, "books by Tolkien").query == ""


def test_typo_fixes_only_words_that_are_not_english(books: App) -> None:
    assert is_english("never") and is_english("minister") and not is_english("comdy")
    intent = read(books, "a romance, never science fiction")
    assert intent.constraints.genres_out == ["Science Fiction"]
    assert intent.constraints.genres_in == ["Romance"]


# ---- whole turns -----------------------------------------------------------------------
def test_abstains_naming_the_constraint_nothing_meets(films: App) -> None:
    s = films.session(user_id="abstain")
    r = s.send("a comedy shorter than 60 minutes")
    assert r.unmet == ["runtime at most 60 minutes"]
    assert "No movie here has runtime at most 60 minutes" in r.text
    assert r.items  # the closest, labelled as not meeting it
    again = s.send("also on Netflix")
    assert "runtime at most 60 minutes" in again.unmet


def test_a_follow_up_adds_a_field_wish(films: App) -> None:
    s = films.session(user_id="follow")
    first = s.send("a thriller")
    assert first.items and not first.unmet
    also = s.send("also rated PG-13 or R")
    rows = [films.dataset.items.index[i] for i in also.items]
    assert also.items and all(
        films.dataset.items.extra["content_rating"][r] in ("PG-13", "R") for r in rows
    )
    assert "content rating PG-13 or R" in also.text


def test_books_speak_of_reading_and_respect_the_author(books: App) -> None:
    s = books.session(user_id="reader")
    r = s.send("books by Le Guin")
    rows = [books.dataset.items.index[i] for i in r.items]
    assert r.items and all(books.dataset.items.titles[row] for row in rows)
    assert set(r.items) <= {"b4", "b5", "b6"}
    assert "watch" not in r.text
    more = s.send("more please")
    assert "Le Guin" in more.text  # every book by her was shown: said, not hidden
    assert "watch" not in s.send("hello").text


def test_an_item_request_naming_an_unknown_title_still_gets_picks(films: App) -> None:
    r = films.session(user_id="unknown-title").send("something like The Matrix")
    assert r.items and 'could not find "The Matrix"' in r.text


def test_the_parser_does_not_special_case_simulator_sentences() -> None:
    """No run of five words of a simulator template is written into the parser's sources."""
    import re as regex
    from pathlib import Path as P

    import agentic_recsys
    from agentic_recsys.evaluation import simulator_phrases

    root = P(agentic_recsys.__file__).parent
    parser = " ".join(
        (root / name).read_text().casefold()
        for name in (
            "understanding/intent_rules.py",
            "understanding/lexicon.py",
            "understanding/readers.py",
        )
    )
    parser = " ".join(regex.findall(r"[a-z']+", parser))
    templates = [
        t
        for name in dir(simulator_phrases)
        if name.isupper()
        for t in getattr(simulator_phrases, name)
        if isinstance(t, str)
    ]
    assert templates
    copied = []
    for template in templates:
        for part in regex.split(r"\{\w+\}", template.casefold()):  # slots end a run
            words = regex.findall(r"[a-z']+", part)
            for i in range(len(words) - 4):
                run = " ".join(words[i : i + 5])
                if f" {run} " in f" {parser} ":
                    copied.append(run)
    assert not copied, copied


def test_a_name_the_catalog_knows_needs_no_cue(books: App) -> None:
    for message, author in (
        ("what about Ursula K. Le Guin?", "Ursula K. Le Guin"),
        ("Le Guin please", "Ursula K. Le Guin"),
        ("I love Tolkien", "J.R.R. Tolkien"),
    ):
        intent = read(books, message)
        assert preds(intent) == {("author", "contains", author)}, message
        assert intent.unresolved_titles == [], message
    assert preds(read(books, "nothing from Le Guin this time")) == {
        ("author", "not contains", "Ursula K. Le Guin")
    }
    assert preds(read(books, "King of the hill is a fun one")) == set()  # "King" is English


def test_a_known_name_before_the_domains_noun_is_read_however_typed(books: App) -> None:
    for message in ("le guin books please", "any Le Guin ones?", "frank herbert books"):
        intent = read(books, message)
        assert len(preds(intent)) == 1 and intent.query == "", message
    assert preds(read(books, "fantasy books")) == set()
    assert read(books, "fantasy books").constraints.genres_in == ["Fantasy"]


def test_a_request_in_the_domains_words_is_a_new_one(books: App) -> None:
    shown = ("b1", "b2")
    assert read(books, "books by Tolkien", shown).kind == "recommend"
    assert read(books, "a fantasy book", shown).kind == "recommend"
    assert read(books, "under 300 pages", shown).kind == "refine"  # adds to the one served
