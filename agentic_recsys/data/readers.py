"""Read rows from the files users already have: CSV, TSV, JSON(L), Parquet and RecBole atomic files.

Every reader yields `(line, row)` so that a bad value is reported with its line number;
for Parquet, "line" is the 1-based row number. Text files must be UTF-8 (a BOM is fine);
bytes that are not UTF-8 are reported at the line and column that hold them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from agentic_recsys.errors import DataError

Row = dict[str, Any]
Rows = tuple[list[str], Iterator[tuple[int, Row]]]
SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".item": "atomic",
    ".inter": "atomic",
    ".kg": "atomic",
    ".link": "atomic",
    ".user": "atomic",
}
# Bytes that are not UTF-8 survive decoding as lone surrogates (errors="surrogateescape").
NOT_UTF8 = re.compile("[\udc80-\udcff]")


def read_rows(path: Path) -> Rows:
    """Return the file's column names and its numbered rows; the suffix picks the format."""
    if not path.is_file():
        raise DataError("file not found", path=path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"unknown file type '{path.suffix}' "
            "(use .csv, .tsv, .jsonl, .json, .parquet, .item, .inter)",
            path=path,
        )
    if kind == "parquet":
        return _parquet(path)
    text = path.read_bytes().decode("utf-8-sig", errors="surrogateescape")
    if not text.strip():
        raise DataError("file is empty", path=path, line=1)
    check = NOT_UTF8.search(text) is not None  # only then is each row checked
    if kind == "json":
        rows = _json_array(path, text) if text.lstrip().startswith("[") else _jsonl(path, text)
        if not rows:
            raise DataError("file has no rows", path=path, line=1)
        names = list(dict.fromkeys(k for _, row in rows for k in row))
        return names, _checked(path, iter(rows), check)
    delimiter = "," if kind == "csv" else "\t"
    names, rows_iter = _delimited(path, text, atomic=kind == "atomic", delimiter=delimiter)
    return names, _checked(path, rows_iter, check)


def _checked(path: Path, rows: Iterator[tuple[int, Row]], check: bool) -> Iterator[tuple[int, Row]]:
    """Pass rows through, stopping at the first one that holds bytes that were not UTF-8."""
    for line, row in rows:
        if check:
            _check_utf8(path, line, row)
        yield line, row


def _check_utf8(path: Path, line: int, row: Row) -> None:
    for name, value in row.items():
        values = value if isinstance(value, list) else [value]
        for text in (name, *values):
            bad = NOT_UTF8.search(text) if isinstance(text, str) else None
            if bad:
                byte = ord(bad.group()) - 0xDC00
                raise DataError(
                    f"byte 0x{byte:02x} is not UTF-8 (a Latin-1 or Windows file?); "
                    "re-save the file as UTF-8",
                    path=path,
                    line=line,
                    field=_printable(name),
                )


def _printable(text: str) -> str:
    """Show undecodable bytes as U+FFFD, so that an error message can always be printed."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _delimited(path: Path, text: str, *, atomic: bool, delimiter: str) -> Rows:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(h for h in reader if any(v.strip() for v in h))  # text is not blank
    except csv.Error as e:
        raise DataError(f"malformed header ({e})", path=path, line=1) from None
    # RecBole atomic headers are `name:type`; token_seq fields are space-separated lists.
    names = [h.split(":", 1)[0].strip() if atomic else h.strip() for h in header]
    seq = {n for n, h in zip(names, header, strict=True) if atomic and h.endswith(":token_seq")}
    seq -= {"movie_title", "title"}  # a title is text, not a list of tokens
    named = [n for n in names if n]  # an unnamed column (a pandas index) is ignored
    for n in named:
        if named.count(n) > 1:
            raise DataError("column appears twice in the header", path=path, line=1, field=n)
    if NOT_UTF8.search("".join(names)):
        _check_utf8(path, reader.line_num, dict.fromkeys(names, ""))

    def rows() -> Iterator[tuple[int, Row]]:
        line = reader.line_num  # where the last complete row ended
        try:
            for values in reader:
                line = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(names):
                    raise _ragged(path, line, names, len(values), delimiter)
                row = {n: v.split() if n in seq else v for n, v in zip(names, values, strict=True)}
                yield line, row
        except csv.Error as e:  # reported where the broken row starts
            raise DataError(f"malformed row ({e})", path=path, line=line + 1) from None

    return names, rows()


def _ragged(path: Path, line: int, names: list[str], found: int, delimiter: str) -> DataError:
    """Describe a row with too few values (naming the first missing one) or too many."""
    message = f"row has {found} values but the header has {len(names)} columns"
    if found < len(names):
        return DataError(message, path=path, line=line, field=names[found])
    shown = "a tab" if delimiter == "\t" else f"'{delimiter}'"
    return DataError(f"{message}; quote values that contain {shown}", path=path, line=line)


def _jsonl(path: Path, text: str) -> list[tuple[int, Row]]:
    rows: list[tuple[int, Row]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataError(
                f"not valid JSON ({e.msg} at column {e.colno})", path=path, line=line
            ) from None
        rows.append((line, _object(path, line, row)))
    return rows


def _json_array(path: Path, text: str) -> list[tuple[int, Row]]:
    """Objects of a JSON array (`[{...}, {...}]`), each with the line it starts on."""
    decoder = json.JSONDecoder()
    rows: list[tuple[int, Row]] = []
    pos = _skip_space(text, text.index("[") + 1)
    line, counted = 1, 0  # newlines are counted once, as the parser moves forward
    try:
        while not text.startswith("]", pos) or rows:
            line, counted = line + text.count("\n", counted, pos), pos
            row, pos = decoder.raw_decode(text, pos)
            rows.append((line, _object(path, line, row)))
            pos = _skip_space(text, pos)
            if text.startswith("]", pos):
                break
            if not text.startswith(",", pos):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = _skip_space(text, pos + 1)
    except json.JSONDecodeError as e:
        raise DataError(
            f"not valid JSON ({e.msg} at column {e.colno})", path=path, line=e.lineno
        ) from None
    if text[pos + 1 :].strip():
        raise DataError("text after the end of the JSON array", path=path, line=line)
    return rows


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _object(path: Path, line: int, value: Any) -> Row:
    if not isinstance(value, dict):
        raise DataError("each row must be a JSON object ({...})", path=path, line=line)
    return value


def _parquet(path: Path) -> Rows:
    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DataError(f"not a readable Parquet file ({e})", path=path) from None
    if table.num_rows == 0:
        raise DataError("file has no rows", path=path, line=1)
    return table.column_names, enumerate(table.to_pylist(), start=1)
