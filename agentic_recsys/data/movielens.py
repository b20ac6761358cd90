"""MovieLens-100K, built in: the RecBole atomic files shipped in the `recbole==1.2.1` wheel.

The wheel is fetched with `pip download --no-deps` and hash-checked; recbole itself is
never installed. Items get title, year and genres; the `.kg` and `.link` files become
item -> entity relations (director, actor, ... as Freebase ids).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from agentic_recsys.data.dataset import write_dataset
from agentic_recsys.data.importer import parse_items, read_interactions
from agentic_recsys.data.readers import Row, read_rows
from agentic_recsys.fetch import fetch_from_wheel

RECBOLE_WHEEL = "recbole==1.2.1"
RECBOLE_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
MEMBER_PREFIX = "recbole/dataset_example/ml-100k/"
TRAILING_ARTICLE = re.compile(r"(, (The|A|An|Il|La|Le|Les|L'|Das|Der|Die|El|Lo))$")


def prepare_movielens_100k(out: Path, source: Path | None = None) -> Path:
    """Write MovieLens-100K as a dataset folder; `source` is a folder of the atomic files."""
    if source is not None:
        return convert_atomic(source, out)
    with tempfile.TemporaryDirectory(prefix="ars-ml100k-") as tmp:
        raw = fetch_from_wheel(RECBOLE_WHEEL, RECBOLE_SHA256, MEMBER_PREFIX, Path(tmp) / "raw")
        return convert_atomic(raw, out)


def convert_atomic(raw: Path, out: Path) -> Path:
    """Convert RecBole's ml-100k atomic files (`.item`, `.inter`, `.kg`, `.link`)."""
    names, rows = read_rows(raw / "ml-100k.item")
    items = list(parse_items(raw / "ml-100k.item", names, map(_repair_item, rows)))
    interactions = list(read_interactions(raw / "ml-100k.inter", {it.id for it in items}))
    # The .link file's item -> Freebase mapping does not hold up: of its 114 sequel/prequel
    # links none joins two films of one series (Return of the Jedi -> Flirt, Jean de
    # Florette -> I Can't Sleep), so "shares a director with ..." would often be false.
    # The relations may still rank (validation weighs them); the explainer never cites them.
    relations = _relations(raw)
    return write_dataset(
        out,
        "MovieLens-100K",
        items,
        interactions,
        relations,
        relations_trusted=False,
        domain="movie",
    )


def _relations(raw: Path) -> list[tuple[str, str, str]]:
    """Item -> entity edges: kg triples whose head is a linked movie entity."""
    _, links = read_rows(raw / "ml-100k.link")
    entity_item = {row["entity_id"]: row["item_id"] for _, row in links}
    _, triples = read_rows(raw / "ml-100k.kg")
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for _, row in triples:
        item = entity_item.get(row["head_id"])
        if item is None:
            continue
        edge = (item, row["relation_id"], row["tail_id"])
        if edge not in seen:
            seen.add(edge)
            out.append(edge)
    return out


def _repair_item(numbered: tuple[int, Row]) -> tuple[int, Row]:
    """Fix the file's known defects so titles read naturally and match what users type.

    "Usual Suspects, The" becomes "The Usual Suspects"; item 1412 has "V" as its year and
    "(1995)" in its title; item 267's year is the typo "unkonwn"; "unknown" is not a genre.
    """
    line, row = numbered
    title, year = str(row["movie_title"]), str(row["release_year"])
    m = re.search(r"\s*\((\d{4})\)$", title)
    if m and not year.isdigit():
        title, year = title[: m.start()], m.group(1)
    if year == "unkonwn":
        year = ""
    m = TRAILING_ARTICLE.search(title)
    if m:
        article = m.group(2) if m.group(2).endswith("'") else m.group(2) + " "
        title = article + title[: m.start()]
    genres = [g for g in row["class"] if g != "unknown"]
    return line, {**row, "movie_title": title, "release_year": year, "class": genres}
