"""Read rows from the files users already have: CSV, JSONL, Parquet and RecBole atomic files.

Every reader yields `(line, row)` so that a bad value is reported with its line number;
for Parquet, "line" is the 1-based row number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from agentic_recsys.errors import DataError

Row = dict[str, Any]
SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet", ".item": "atomic", ".inter": "atomic",
    ".kg": "atomic", ".link": "atomic", ".user": "atomic",
}


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    """The file's column names and its rows; the format is chosen by the file's suffix."""
    if not path.is_file():
        raise DataError("file not found", path=path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"unknown file type '{path.suffix}' (use .csv, .tsv, .jsonl, .parquet, .item, .inter)",
            path=path,
        )
    if kind == "parquet":
        return _parquet(path)
    text = _decode(path)
    if not text.strip():
        raise DataError("file is empty", path=path, line=1)
    if kind == "jsonl":
        return _jsonl(path, text)
    return _delimited(path, text, atomic=kind == "atomic", delimiter="," if kind == "csv" else "\t")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x}); re-save the file as UTF-8",
            path=path, line=line,
        ) from None


def _delimited(
    path: Path, text: str, *, atomic: bool, delimiter: str
) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    # RecBole atomic headers are `name:type`; token_seq fields are space-separated lists.
    names = [h.split(":", 1)[0].strip() for h in header] if atomic else [h.strip() for h in header]
    seq = {n for n, h in zip(names, header, strict=True) if atomic and h.endswith(":token_seq")}
    if len(set(names)) != len(names):
        raise DataError("duplicate column names in the header", path=path, line=1)

    def rows() -> Iterator[tuple[int, Row]]:
        for values in reader:
            line = reader.line_num
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise DataError(
                    f"expected {len(names)} columns, found {len(values)}", path=path, line=line
                )
            row: Row = {}
            for n, v in zip(names, values, strict=True):
                row[n] = v.split() if n in seq and n not in {"movie_title", "title"} else v
            yield line, row

    return names, rows()


def _jsonl(path: Path, text: str) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    parsed: list[tuple[int, Row]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as e:
            raise DataError(f"not valid JSON ({e.msg})", path=path, line=line) from None
        if not isinstance(row, dict):
            raise DataError("each line must be a JSON object", path=path, line=line)
        parsed.append((line, row))
    if not parsed:
        raise DataError("file is empty", path=path, line=1)
    names = list(dict.fromkeys(k for _, row in parsed for k in row))
    return names, iter(parsed)


def _parquet(path: Path) -> tuple[list[str], Iterator[tuple[int, Row]]]:
    try:
        table = pq.read_table(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DataError(f"not a readable Parquet file ({e})", path=path) from None
    if table.num_rows == 0:
        raise DataError("file is empty", path=path, line=1)
    return table.column_names, enumerate(table.to_pylist(), start=1)
