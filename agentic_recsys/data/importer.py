"""Import a user's items and interactions into a prepared dataset folder.

Formats, by suffix: .csv, .tsv, .jsonl/.ndjson (one object per line), .json (JSON Lines,
or one array of objects), .parquet, and RecBole atomic files (.item, .inter). Text files
are UTF-8 (a BOM is fine); blank lines are skipped; CSV values holding commas, quotes or
line breaks are quoted.

Columns (case-insensitive; the first name listed is the documented one, the others are
aliases; the first alias present wins):

items        id (item_id, itemid, movie_id)                  required, unique
             title (name, movie_title)                       required
             year (release_year)                             a whole number; empty or
                                                             "unknown" for none (any
                                                             other non-year: see below)
             genres (genre, class, categories)               a list, or one string split
                                                             on `|` or `;`
             description (overview, plot, summary)
             image (image_url, poster)                       a path (a relative one is
                                                             read from the items file's
                                                             folder) or a URL
             a column named for who made or sells an item (author, director, cast,
                                                             artist, brand, publisher, ...:
                                                             `fields.NAME_FIELDS`) holds
                                                             names: imported as relations
                                                             (item, column, name), a list
                                                             split on `|` or `;`
             every other column is kept as text metadata; an unnamed column is ignored.
interactions user (user_id, userid)                          required
(optional)
             item (item_id, itemid, movie_id)                required, must be in items
             rating (score)                                  a number; default 1
             timestamp (time, date)                          seconds, or an ISO-8601 date
                                                             (UTC unless it says); default
                                                             the row's position
             other columns are ignored; repeated (user, item) pairs are kept.
relations    item (item_id, itemid, movie_id)                required, must be in items
(optional)   relation (predicate, type)                      required: director, author,
                                                             brand, ...
             entity (value, object, name)                    required: who or what the
                                                             item is linked to

The whole import is validated before anything is written; the first bad value stops
it with a DataError naming file, line and field. Two things are not errors: a value in
the year column that is not a year is imported as empty and counted in the report
(with `strict` it stops the import); no interactions file, or one with a header alone,
is a catalog nobody has used yet, recommended from its text, fields and relations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from agentic_recsys.data.dataset import InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.data.fields import LIST_SPLIT, is_name_column
from agentic_recsys.data.placeholders import PLACEHOLDERS
from agentic_recsys.data.readers import Row, read_rows
from agentic_recsys.errors import DataError

ITEM_COLUMNS = {
    "id": ("id", "item_id", "itemid", "movie_id"),
    "title": ("title", "name", "movie_title"),
    "year": ("year", "release_year"),
    "genres": ("genres", "genre", "class", "categories"),
    "description": ("description", "overview", "plot", "summary"),
    "image": ("image", "image_url", "poster"),
}
INTERACTION_COLUMNS = {
    "user": ("user", "user_id", "userid"),
    "item": ("item", "item_id", "itemid", "movie_id"),
    "rating": ("rating", "score"),
    "timestamp": ("timestamp", "time", "date"),
}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RELATION_COLUMNS = {
    "item": INTERACTION_COLUMNS["item"],
    "relation": ("relation", "predicate", "type"),
    "entity": ("entity", "value", "object", "name"),
}
REQUIRED_ITEM = ("id", "title")
REQUIRED_INTERACTION = ("user", "item")


@dataclass(frozen=True)
class ImportReport:
    """Where the dataset was written, and the values imported as empty on the way in."""

    path: Path
    not_years: list[DataError] = field(default_factory=list)  # what --strict would stop at

    def notice(self) -> str:
        """One line on what was imported as empty ("" when nothing was): never silent."""
        if not self.not_years:
            return ""
        first = self.not_years[0]
        n = len(self.not_years)
        lines = ", ".join(str(e.line) for e in self.not_years[:5]) + (", ..." if n > 5 else "")
        values = "1 value that is not a year" if n == 1 else f"{n} values that are not years"
        return (
            f"{first.path}, field '{first.field}': {values} imported as empty "
            f"(line{'s' if n > 1 else ''} {lines}; {first.message})"
        )


URL_SCHEMES = ("http://", "https://", "ftp://", "data:")


def is_url(ref: str) -> bool:
    """Whether an image reference is a URL rather than a local path."""
    return ref.strip().lower().startswith(URL_SCHEMES)


def import_dataset(
    items_path: Path,
    interactions_path: Path | None,
    out: Path,
    name: str = "",
    relations_path: Path | None = None,
    strict: bool = False,
) -> ImportReport:
    """Validate every file completely, then write the dataset folder atomically.

    No interactions file (or one with a header alone) imports a catalog nobody has used
    yet. A year that is not a year is imported as empty and reported, or with `strict`
    stops the import like any other bad value.
    """
    not_years: list[DataError] | None = None if strict else []
    items = list(read_items(items_path, not_years))
    known = {it.id for it in items}
    interactions = list(read_interactions(interactions_path, known)) if interactions_path else []
    relations = list(read_relations(relations_path, known)) if relations_path else []
    items, named = links_from_columns(items)
    relations = list(dict.fromkeys([*relations, *named]))  # a link in both files is one link
    out = write_dataset(out, name or out.resolve().name, items, interactions, relations)
    return ImportReport(out, not_years or [])


def links_from_columns(
    items: list[ItemRecord],
) -> tuple[list[ItemRecord], list[tuple[str, str, str]]]:
    """Name columns (author, brand, cast: see `fields.is_name_column`) as relation rows.

    What the catalog knows as names is relations: "by Tolkien", "no Sony", and a reply
    citing the author work the same whether the names came in a column or a relations
    file. A value listing several (`a; b`, `a|b`) links each; the column leaves the metadata.
    """
    keys = dict.fromkeys(k for it in items for k in it.extra)
    names = [k for k in keys if is_name_column(k, [it.extra.get(k, "") for it in items])]
    if not names:
        return items, []
    links = [
        (it.id, column, name)
        for it in items
        for column in names
        for name in dict.fromkeys(LIST_SPLIT.split(it.extra.get(column, "").strip()))
        if name
    ]
    kept = [
        replace(it, extra={k: v for k, v in it.extra.items() if k not in names}) for it in items
    ]
    return kept, links


def _columns(
    path: Path, names: list[str], spec: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, str]:
    """Map each documented field to the file's column that holds it."""
    lower: dict[str, str] = {}
    for n in names:
        if n and n.lower() in lower:
            raise DataError(
                f"columns '{lower[n.lower()]}' and '{n}' differ only in case",
                path=path,
                line=1,
                field=n,
            )
        lower[n.lower()] = n
    mapping: dict[str, str] = {}
    for f, aliases in spec.items():
        for a in aliases:
            if a in lower:
                mapping[f] = lower[a]
                break
    for f in required:
        if f not in mapping:
            raise DataError(
                f"missing column (expected one of: {', '.join(spec[f])})",
                path=path,
                line=1,
                field=f,
            )
    return mapping


def read_items(path: Path, not_years: list[DataError] | None = None) -> Iterator[ItemRecord]:
    """Read and validate catalog rows from a file; duplicate ids are an error."""
    return parse_items(path, *read_rows(path), not_years=not_years)


def parse_items(
    path: Path,
    names: list[str],
    rows: Iterable[tuple[int, Row]],
    not_years: list[DataError] | None = None,
) -> Iterator[ItemRecord]:
    """Validate raw rows (with their line numbers) into catalog records.

    A year that is not a year is an error, unless `not_years` is given: then it is
    imported as empty and the error it would have been is appended there.
    """
    cols = _columns(path, names, ITEM_COLUMNS, REQUIRED_ITEM)
    extra_cols = [n for n in names if n and n not in cols.values()]
    seen: set[str] = set()
    count = 0
    for line, row in rows:
        item_id = _text(row, cols["id"], path, line, required=True)
        if item_id in seen:
            raise DataError(
                f"duplicate item id '{item_id}'", path=path, line=line, field=cols["id"]
            )
        seen.add(item_id)
        count += 1
        yield ItemRecord(
            id=item_id,
            title=_text(row, cols["title"], path, line, required=True),
            year=_year(row, cols.get("year"), path, line, not_years),
            genres=_genres(row.get(cols["genres"]) if "genres" in cols else None),
            description=_text(row, cols.get("description"), path, line),
            image=_image(_text(row, cols.get("image"), path, line), path),
            extra={c: _text(row, c, path, line) for c in extra_cols},
        )
    if count == 0:
        raise DataError("file has a header but no rows", path=path, line=2)


def _image(ref: str, items_file: Path) -> str:
    """A relative image path as the absolute path it names beside the items file; URLs as given."""
    if not ref or is_url(ref) or Path(ref).is_absolute():
        return ref
    return str((items_file.parent / ref).resolve())


def read_interactions(path: Path, known_items: set[str]) -> Iterator[InteractionRecord]:
    """Read and validate interaction rows; every item must be in the catalog.

    A header alone is no interactions yet (a catalog nobody has used), not an error.
    """
    names, rows = read_rows(path)
    cols = _columns(path, names, INTERACTION_COLUMNS, REQUIRED_INTERACTION)
    for count, (line, row) in enumerate(rows, start=1):
        yield InteractionRecord(
            user=_text(row, cols["user"], path, line, required=True),
            item=_known_item(row, cols["item"], known_items, path, line),
            rating=_number(row, cols.get("rating"), path, line, default=1.0),
            timestamp=_timestamp(row, cols.get("timestamp"), path, line, default=float(count)),
        )


def read_relations(path: Path, known_items: set[str]) -> Iterator[tuple[str, str, str]]:
    """Read and validate (item, relation, entity) links: what the knowledge-graph engine shares."""
    names, rows = read_rows(path)
    cols = _columns(path, names, RELATION_COLUMNS, tuple(RELATION_COLUMNS))
    count = 0
    for line, row in rows:
        item = _known_item(row, cols["item"], known_items, path, line)
        count += 1
        relation = _text(row, cols["relation"], path, line, required=True)
        yield item, relation, _text(row, cols["entity"], path, line, required=True)
    if count == 0:
        raise DataError("file has a header but no rows", path=path, line=2)


def _known_item(row: Row, col: str, known_items: set[str], path: Path, line: int) -> str:
    item = _text(row, col, path, line, required=True)
    if item not in known_items:
        raise DataError(
            f"unknown item '{item}' (not in the items file)", path=path, line=line, field=col
        )
    return item


def _text(row: Row, col: str | None, path: Path, line: int, required: bool = False) -> str:
    value = row.get(col) if col else None
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    elif isinstance(value, float):  # a numeric column read from Parquet or JSON
        value = None if math.isnan(value) else int(value) if value.is_integer() else value
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise DataError("empty value", path=path, line=line, field=col)
    return text


def _number(
    row: Row, col: str | None, path: Path, line: int, default: float, what: str = "a number"
) -> float:
    value = row.get(col) if col else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise DataError(f"not {what}: {str(value)[:40]!r}", path=path, line=line, field=col)
    return number


def _timestamp(row: Row, col: str | None, path: Path, line: int, default: float) -> float:
    value = row.get(col) if col else None
    if isinstance(value, date) and not isinstance(value, datetime):  # a Parquet date column
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DataError(
                f"not an ISO-8601 date: {value!r}", path=path, line=line, field=col
            ) from None
    if isinstance(value, datetime):  # a date without a zone is read as UTC, on every machine
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return _number(row, col, path, line, default, what="seconds or an ISO-8601 date")


def _year(
    row: Row, col: str | None, path: Path, line: int, not_years: list[DataError] | None
) -> int | None:
    value = row.get(col) if col else None
    if value is None or str(value).strip().lower() in PLACEHOLDERS:
        return None
    try:
        year = int(float(value))
        problem = "" if 1000 <= year <= 3000 else f"year out of range: {year}"
    except (TypeError, ValueError, OverflowError):
        problem = f"not a year: {str(value)[:40]!r}"
    if not problem:
        return year
    error = DataError(problem, path=path, line=line, field=col)
    if not_years is None:
        raise error
    not_years.append(error)
    return None


def _genres(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    else:
        parts = re.split(r"[|;]", str(value))
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
