"""Importing a user's own files: every format, column aliases, optional columns, metadata."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.importer import import_dataset, read_interactions, read_items
from agentic_recsys.errors import DataError
from agentic_recsys.understanding.entities import EntityIndex
from agentic_recsys.understanding.predicates import Predicate, mask

ITEMS_CSV = """\
item_id,Title,release_year,genres,country,overview
1,Heat,1995,Action|Crime,United States,"A thief, a cop, and one last job"
2,Up,2009,Animation|Adventure,United States,
3,"The Good, the Bad and the Ugly",,Western,Italy,"Three men, ""one"" treasure"
"""
INTER_CSV = """\
user_id,item_id,rating,timestamp
u1,1,4.5,100
u1,2,3,200
u2,3,5,300
"""


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def imported(tmp_path: Path, items: Path, interactions: Path) -> Dataset:
    return Dataset.open(import_dataset(items, interactions, tmp_path / "out").path)


def test_csv_with_aliases_quotes_and_metadata(tmp_path: Path) -> None:
    ds = imported(
        tmp_path, write(tmp_path / "i.csv", ITEMS_CSV), write(tmp_path / "r.csv", INTER_CSV)
    )
    items = ds.items
    assert items.ids == ["1", "2", "3"]
    assert items.titles[2] == "The Good, the Bad and the Ugly"
    assert list(items.years) == [1995, 2009, 0]
    assert items.genres[0] == ("Action", "Crime")
    assert items.descriptions[0] == "A thief, a cop, and one last job"
    assert items.descriptions[2] == 'Three men, "one" treasure'
    # a column written like names but not named for who made the item stays metadata
    assert items.extra == {"country": ["United States", "United States", "Italy"]}
    assert len(ds.relations) == 0
    assert ds.interactions.user_ids == ["u1", "u2"]
    assert ds.interactions.ratings.tolist() == [4.5, 3.0, 5.0]
    assert ds.interactions.timestamps.tolist() == [100.0, 200.0, 300.0]
    assert [ds.items.ids[i] for i in ds.interactions.items] == ["1", "2", "3"]
    assert ds.name == "out"


def test_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    items = "\ufeffid,title\r\n\r\n1,Heat\r\n\r\n2,Up\r\n\r\n"
    inter = "\n\nuser,item\n1,1\n\n2,2\n"
    ds = imported(tmp_path, write(tmp_path / "i.csv", items), write(tmp_path / "r.csv", inter))
    assert ds.items.ids == ["1", "2"]  # the BOM is not part of the first column's name
    assert ds.items.titles == ["Heat", "Up"]
    assert len(ds.interactions) == 2


def test_tsv_and_optional_rating_and_timestamp(tmp_path: Path) -> None:
    items = write(
        tmp_path / "i.tsv", "id\ttitle\tgenre\n1\tHeat, the movie\tCrime; Drama\n2\tUp\t\n"
    )
    inter = write(tmp_path / "r.tsv", "user\titem\na\t1\nb\t2\na\t2\n")
    ds = imported(tmp_path, items, inter)
    assert ds.items.titles[0] == "Heat, the movie"
    assert ds.items.genres == [("Crime", "Drama"), ()]
    assert ds.interactions.ratings.tolist() == [1.0, 1.0, 1.0]  # implicit feedback
    assert ds.interactions.timestamps.tolist() == [1.0, 2.0, 3.0]  # the order of the rows


def test_jsonl_with_genre_lists_and_iso_dates(tmp_path: Path) -> None:
    items = [
        {"id": 1, "name": "Heat", "year": 1995, "genres": ["Action", "Crime"], "tags": ["heist"]},
        {"id": 2, "name": "Up", "year": None, "genres": "Animation|Family", "poster": "up.jpg"},
    ]
    inter = [
        {"user": "a", "item": 1, "score": 2, "date": "2024-01-02"},
        {"user": "a", "item": 2, "score": 3, "date": "2024-01-02T12:00:00+02:00"},
    ]
    items_file = write(tmp_path / "i.jsonl", "\n".join(json.dumps(r) for r in items) + "\n")
    inter_file = write(tmp_path / "r.ndjson", "\n".join(json.dumps(r) for r in inter))
    ds = imported(tmp_path, items_file, inter_file)
    assert ds.items.ids == ["1", "2"]
    assert ds.items.genres == [("Action", "Crime"), ("Animation", "Family")]
    assert ds.items.years.tolist() == [1995, 0]
    assert ds.items.images == ["", str((tmp_path / "up.jpg").resolve())]  # beside the items file
    assert ds.items.extra == {"tags": ["heist", ""]}
    assert ds.interactions.ratings.tolist() == [2.0, 3.0]
    assert ds.interactions.timestamps.tolist() == [
        datetime(2024, 1, 2, tzinfo=UTC).timestamp(),  # no zone given: UTC, on every machine
        datetime(2024, 1, 2, 10, tzinfo=UTC).timestamp(),
    ]


def test_json_array_is_accepted_with_line_numbers(tmp_path: Path) -> None:
    items = write(
        tmp_path / "i.json", '[\n  {"id": "1", "title": "Heat"},\n  {"id": "2", "title": "Up"}\n]\n'
    )
    inter = write(tmp_path / "r.json", '[{"user": "a", "item": "2"}]')
    ds = imported(tmp_path, items, inter)
    assert ds.items.titles == ["Heat", "Up"]
    assert ds.interactions.items.tolist() == [1]


def test_parquet_with_native_types(tmp_path: Path) -> None:
    items = pa.table(
        {
            "movie_id": pa.array([10, 20], type=pa.int64()),
            "title": ["Heat", "Up"],
            "year": pa.array([1995, None], type=pa.int32()),
            "genres": [["Action"], ["Animation", "Family"]],
            "budget": [60.5, float("nan")],
        }
    )
    inter = pa.table(
        {
            "userId": [1, 2],
            "movie_id": [10.0, 20.0],  # a float column, as pandas writes one that had NaNs
            "rating": [4.0, 5.0],
            "time": pa.array([date(2020, 1, 1), date(2020, 1, 2)], type=pa.date32()),
        }
    )
    pq.write_table(items, tmp_path / "i.parquet")
    pq.write_table(inter, tmp_path / "r.pq")
    ds = imported(tmp_path, tmp_path / "i.parquet", tmp_path / "r.pq")
    assert ds.items.ids == ["10", "20"]
    assert ds.items.years.tolist() == [1995, 0]
    assert ds.items.genres[1] == ("Animation", "Family")
    assert ds.items.extra == {"budget": ["60.5", ""]}
    assert ds.interactions.user_ids == ["1", "2"]
    assert ds.interactions.items.tolist() == [0, 1]
    assert ds.interactions.timestamps[0] == datetime(2020, 1, 1, tzinfo=UTC).timestamp()


def test_recbole_atomic_files(tmp_path: Path) -> None:
    items = write(
        tmp_path / "shop.item",
        "item_id:token\ttitle:token_seq\tclass:token_seq\tprice:float\n"
        "a\tRed  Shoes\tfashion shoes\t19.9\nb\tBlue Hat\thats\t5\n",
    )
    inter = write(
        tmp_path / "shop.inter",
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n7\ta\t1\t1000\n7\tb\t0\t1001\n",
    )
    ds = imported(tmp_path, items, inter)
    assert ds.items.titles == ["Red  Shoes", "Blue Hat"]  # a title is never split into tokens
    assert ds.items.genres == [("fashion", "shoes"), ("hats",)]
    assert ds.items.extra == {"price": ["19.9", "5"]}
    assert ds.interactions.ratings.tolist() == [1.0, 0.0]


def test_repeated_user_item_pairs_are_kept(tmp_path: Path) -> None:
    items = write(tmp_path / "i.csv", "id,title\n1,Heat\n2,Up\n")
    inter = write(tmp_path / "r.csv", "user,item,rating\na,1,2\na,1,5\na,2,4\n")
    ds = imported(tmp_path, items, inter)
    assert len(ds.interactions) == 3
    assert ds.interactions.ratings.tolist() == [2.0, 5.0, 4.0]
    matrix = ds.interactions.matrix(len(ds.items))
    assert matrix.toarray().tolist() == [[1.0, 1.0]]  # the implicit matrix counts a pair once


def test_unnamed_index_column_is_ignored(tmp_path: Path) -> None:
    items = write(tmp_path / "i.csv", ",id,title\n0,1,Heat\n1,2,Up\n")  # pandas to_csv default
    assert [it.extra for it in read_items(items)] == [{}, {}]


def test_record_readers_on_their_own(tmp_path: Path) -> None:
    items = write(tmp_path / "i.csv", "id,title\n1,Heat\n")
    records = list(read_interactions(write(tmp_path / "r.csv", "user,item\na,1\n"), {"1"}))
    assert [(r.user, r.item, r.rating) for r in records] == [("a", "1", 1.0)]
    assert [it.title for it in read_items(items)] == ["Heat"]


def test_summary_of_an_imported_dataset(tmp_path: Path) -> None:
    ds = imported(
        tmp_path, write(tmp_path / "i.csv", ITEMS_CSV), write(tmp_path / "r.csv", INTER_CSV)
    )
    s = ds.summary()
    assert (s["users"], s["items"], s["interactions"], s["relations"]) == (2, 3, 3, 0)
    assert s["sparsity"] == pytest.approx(0.5)
    assert s["top_genres"] == {
        "Action": 1,
        "Adventure": 1,
        "Animation": 1,
        "Crime": 1,
        "Western": 1,
    }
    assert np.isclose(ds.interactions.ratings.sum(), 12.5)


def test_relations_file_links_items_to_entities(tmp_path: Path) -> None:
    links = write(
        tmp_path / "links.csv",
        "item_id,predicate,value\n1,director,Michael Mann\n3,director,Sergio Leone\n",
    )
    out = import_dataset(
        write(tmp_path / "items.csv", ITEMS_CSV),
        write(tmp_path / "inter.csv", INTER_CSV),
        tmp_path / "out",
        relations_path=links,
    ).path
    relations = Dataset.open(out).relations
    assert (relations.relations, relations.entities) == (
        ["director", "director"],
        ["Michael Mann", "Sergio Leone"],
    )
    assert Dataset.open(out).relations_trusted
    by_mann = Predicate(field="director", op="contains", value="Michael Mann")
    mann = mask([by_mann], Dataset.open(out))
    assert mann.tolist() == [True, False, False]  # what "by Michael Mann" keeps

    meta = json.loads((out / "dataset.json").read_text())
    del meta["relations_trusted"]  # as written before the flag: only MovieLens had relations
    (out / "dataset.json").write_text(json.dumps(meta))
    assert not Dataset.open(out).relations_trusted


def test_a_relation_to_an_unknown_item_names_the_line(tmp_path: Path) -> None:
    links = write(tmp_path / "links.csv", "item,relation,entity\n1,brand,Acme\n9,brand,Acme\n")
    with pytest.raises(DataError, match=r"links.csv, line 3, field 'item': unknown item '9'"):
        import_dataset(
            write(tmp_path / "items.csv", ITEMS_CSV),
            write(tmp_path / "inter.csv", INTER_CSV),
            tmp_path / "out",
            relations_path=links,
        )
    assert not (tmp_path / "out").exists()


FILMS_ITEM = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "1\tHeat\t1995\tAction Crime\n"
    "2\tunkonwn\tunkonwn\tunknown\n"
    "3\tBrazil\tV\tSci-Fi\n"
    "4\tUp\t\tAnimation\n"
)


def test_a_year_that_is_not_a_year_is_imported_as_empty_and_counted(tmp_path: Path) -> None:
    items = write(tmp_path / "films.item", FILMS_ITEM)
    report = import_dataset(items, None, tmp_path / "out")
    ds = Dataset.open(report.path)
    assert ds.items.years.tolist() == [1995, 0, 0, 0]
    assert [(e.line, e.field) for e in report.not_years] == [
        (3, "release_year"),
        (4, "release_year"),
    ]
    assert report.notice() == (
        f"{items}, field 'release_year': 2 values that are not years imported as empty "
        "(lines 3, 4; not a year: 'unkonwn')"
    )
    assert ds.items.usable.tolist() == [True, False, True, True]  # row 2 is a placeholder


def test_strict_stops_at_the_first_year_that_is_not_a_year(tmp_path: Path) -> None:
    items = write(tmp_path / "films.item", FILMS_ITEM)
    with pytest.raises(DataError) as err:
        import_dataset(items, None, tmp_path / "out", strict=True)
    assert str(err.value) == f"{items}, line 3, field 'release_year': not a year: 'unkonwn'"
    assert not (tmp_path / "out").exists()


def test_nothing_to_report_when_every_year_is_a_year(tmp_path: Path) -> None:
    report = import_dataset(
        write(tmp_path / "i.csv", ITEMS_CSV), write(tmp_path / "r.csv", INTER_CSV), tmp_path / "o"
    )
    assert report.not_years == [] and report.notice() == ""


@pytest.mark.parametrize("interactions", [None, "user_id,item_id,rating\n"])
def test_a_catalog_nobody_has_used_yet_imports(tmp_path: Path, interactions: str | None) -> None:
    inter = write(tmp_path / "r.csv", interactions) if interactions is not None else None
    ds = Dataset.open(
        import_dataset(write(tmp_path / "i.csv", ITEMS_CSV), inter, tmp_path / "o").path
    )
    assert len(ds.items) == 3
    assert (len(ds.interactions), len(ds.interactions.user_ids)) == (0, 0)
    assert ds.summary()["interactions"] == 0


BOOKS_CSV = """\
id,title,author,year,pages,genres
b1,Dune,Frank Herbert,1965,412,Science Fiction|Adventure
b2,The Hobbit,J.R.R. Tolkien,1937,310,Fantasy|Adventure
b3,The Two Towers,J.R.R. Tolkien,1954,352,Fantasy
b4,A Wizard of Earthsea,Ursula K. Le Guin,1968,183,Fantasy
b5,Good Omens,Terry Pratchett; Neil Gaiman,1990,383,Fantasy|Humor
b6,The Lathe of Heaven,Ursula K. Le Guin,1971,184,Science Fiction
"""
PRODUCTS_CSV = """\
id,title,brand,price,author_id,category
p1,Noise-cancelling headphones,Sony,199.99,11,Audio
p2,Earbuds,Sony|Apple,149,12,Audio
p3,Tablet,Apple,329,13,Computers
p4,Kettle,,25,14,Kitchen
"""


def test_a_name_column_is_imported_as_relations_the_catalog_knows(tmp_path: Path) -> None:
    out = import_dataset(write(tmp_path / "books.csv", BOOKS_CSV), None, tmp_path / "out").path
    ds = Dataset.open(out)
    assert "author" not in ds.items.extra and "pages" in ds.items.extra
    author = ds.schema.field("author")
    assert author is not None and author.kind == "relation"
    assert ds.schema.domain.noun == "book"
    links = set(zip(ds.relations.relations, ds.relations.entities, strict=True))
    assert ("author", "Terry Pratchett") in links and ("author", "Neil Gaiman") in links
    assert len(ds.relations) == 7  # a list of two names is two links

    entities = EntityIndex.of(ds)
    found = {}
    for words in (["Tolkien"], ["Le", "Guin"], ["Gaiman"]):
        hit = entities.lookup(words, cue="written by")
        assert hit is not None, words
        found[words[-1]] = hit[1]
    assert found["Tolkien"] == Predicate(field="author", op="contains", value="J.R.R. Tolkien")
    rows = mask([found["Guin"]], ds)
    assert [ds.items.ids[i] for i in np.flatnonzero(rows)] == ["b4", "b6"]
    assert mask([found["Gaiman"]], ds).tolist() == [False, False, False, False, True, False]


def test_a_brand_column_is_relations_and_a_link_in_both_files_is_one(tmp_path: Path) -> None:
    links = write(tmp_path / "links.csv", "item,relation,entity\np1,brand,Sony\np4,maker,Acme\n")
    items = write(tmp_path / "products.csv", PRODUCTS_CSV)
    ds = Dataset.open(import_dataset(items, None, tmp_path / "out", relations_path=links).path)
    assert sorted(zip(ds.relations.relations, ds.relations.entities, strict=True)) == [
        ("brand", "Apple"),
        ("brand", "Apple"),
        ("brand", "Sony"),
        ("brand", "Sony"),
        ("maker", "Acme"),
    ]
    assert ds.schema.domain.noun == "product"
    # an id column named for a maker is no name; other columns stay as they were
    assert set(ds.items.extra) == {"price", "author_id", "category"}
    no_sony = Predicate(field="brand", op="not contains", value="Sony")
    assert mask([no_sony], ds).tolist() == [False, False, True, True]
