"""Bad input: one line naming file, line and field; exit status 2 from the CLI; no traceback."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from agentic_recsys.cli.main import run
from agentic_recsys.data.importer import import_dataset
from agentic_recsys.errors import ArsError, DataError

ARS = Path(sys.executable).with_name("ars")
GOOD_ITEMS = "id,title,year\n1,Heat,1995\n2,Up,2009\n"
GOOD_INTERACTIONS = "user,item,rating,timestamp\na,1,4,100\nb,2,5,200\n"


@dataclass
class Case:
    """A bad file given as the items (or interactions) file, and what the error must say."""

    file: str  # items file name, or interactions file name when it starts with "r."
    content: str | bytes
    line: int | None
    field: str | None
    says: str


CASES = {
    "missing column": Case("i.csv", "id,name_of_film\n1,Heat\n", 1, "title", "missing column"),
    "bad number": Case("r.csv", "user,item,rating\na,1,4\nb,2,five\n", 3, "rating", "not a number"),
    "bad year": Case("i.csv", "id,title,year\n1,Heat,nineteen\n", 2, "year", "not a year"),
    "bad date": Case(
        "r.csv", "user,item,date\na,1,2024-13-01\n", 2, "date", "not an ISO-8601 date"
    ),
    "bad timestamp": Case(
        "r.csv", "user,item,time\na,1,yesterday\n", 2, "time", "seconds or an ISO"
    ),
    "unknown item": Case("r.csv", "user,item\na,1\nb,99\n", 3, "item", "unknown item '99'"),
    "duplicate ids": Case(
        "i.csv", "id,title\n1,Heat\n2,Up\n1,Heat again\n", 4, "id", "duplicate item id '1'"
    ),
    "empty required value": Case("i.csv", "id,title\n1,Heat\n2,\n", 3, "title", "empty value"),
    "wrong encoding": Case(
        "i.csv", b"id,title\n1,Heat\n2,Am\xe9lie\n", 3, "title", "byte 0xe9 is not UTF-8"
    ),
    "wrong encoding in JSONL": Case(
        "r.jsonl",
        b'{"user": "a", "item": "1"}\n{"user": "J\xf6rg", "item": "2"}\n',
        2,
        "user",
        "not UTF-8",
    ),
    "empty file": Case("i.csv", "", 1, None, "file is empty"),
    "blank file": Case("r.jsonl", "\n  \n", 1, None, "file is empty"),
    "header only": Case("i.csv", "id,title,year\n", 2, None, "header but no rows"),
    "ragged row, too few": Case(
        "i.csv", "id,title,year\n1,Heat,1995\n2,Up\n", 3, "year", "2 values but the header has 3"
    ),
    "ragged row, too many": Case(
        "i.csv", "id,title\n1,Heat\n2,Up, the film\n", 3, None, "quote values that contain ','"
    ),
    "unclosed quote": Case("i.csv", 'id,title\n1,Heat\n2,"Up\n3,Cars\n', 3, None, "malformed row"),
    "bad JSON line": Case(
        "i.jsonl",
        '{"id": "1", "title": "Heat"}\n{"id": "2", "title": }\n',
        2,
        None,
        "not valid JSON",
    ),
    "JSON line not an object": Case(
        "i.jsonl", '{"id": "1", "title": "Heat"}\n["2", "Up"]\n', 2, None, "JSON object"
    ),
    "bad JSON array": Case(
        "i.json",
        '[\n {"id": "1", "title": "Heat"},\n {"id": "2" "title": "Up"}\n]',
        3,
        None,
        "not valid JSON",
    ),
    "empty JSON array": Case("i.json", "[]", 1, None, "no rows"),
    "unreadable parquet": Case(
        "i.parquet", b"PAR1 this is not parquet", None, None, "not a readable Parquet file"
    ),
    "duplicate column": Case(
        "i.csv", "id,title,title\n1,Heat,Heat\n", 1, "title", "column appears twice"
    ),
    "columns differing in case": Case(
        "i.csv", "id,Title,title\n1,Heat,Heat\n", 1, "title", "differ only in case"
    ),
    "unknown suffix": Case("i.xlsx", "id,title\n", None, None, "unknown file type '.xlsx'"),
}


def files(tmp_path: Path, case: Case) -> tuple[Path, Path, Path]:
    """Write the bad file and a good partner; return (items, interactions, the bad one)."""
    bad = tmp_path / case.file
    bad.write_bytes(case.content if isinstance(case.content, bytes) else case.content.encode())
    if case.file.startswith("r."):
        items = tmp_path / "items.csv"
        items.write_text(GOOD_ITEMS)
        return items, bad, bad
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(GOOD_INTERACTIONS)
    return bad, interactions, bad


def ars(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the console script's entry point in this process; return (status, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["ars", *args])
    with pytest.raises(SystemExit) as exit_:
        run()
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_precise_line(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    items, interactions, bad = files(tmp_path, case)
    with pytest.raises(DataError) as err:
        import_dataset(items, interactions, tmp_path / "out", strict=True)
    e = err.value
    assert (e.path, e.line, e.field) == (bad, case.line, case.field)
    message = str(e)
    assert "\n" not in message
    assert message.startswith(f"{bad}, line {case.line}" if case.line else f"{bad}: ")
    if case.field:
        assert f"field '{case.field}'" in message
    assert case.says in message
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def import_cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    items: Path,
    interactions: Path,
    out: Path,
) -> tuple[int, str, str]:
    """`ars data import` in process: exit status, stdout, stderr."""
    return ars(
        monkeypatch,
        capsys,
        "data",
        "import",
        "--items",
        str(items),
        "--interactions",
        str(interactions),
        "--out",
        str(out),
        "--strict",
    )


@pytest.mark.parametrize("name", list(CASES))
def test_cli_exits_2_with_one_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items, interactions, bad = files(tmp_path, CASES[name])
    status, out, err = import_cli(monkeypatch, capsys, items, interactions, tmp_path / "out")
    assert status == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert str(bad) in err and CASES[name].says in err
    assert "Traceback" not in out + err


def test_cli_as_a_real_process(tmp_path: Path) -> None:
    items, interactions, bad = files(tmp_path, CASES["wrong encoding"])
    cmd = [
        ARS,
        "data",
        "import",
        "--items",
        items,
        "--interactions",
        interactions,
        "--out",
        tmp_path / "out",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"error: {bad}, line 3, field 'title': byte 0xe9 is not UTF-8 "
        "(a Latin-1 or Windows file?); re-save the file as UTF-8\n"
    )
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found") as err:
        import_dataset(tmp_path / "nope.csv", tmp_path / "r.csv", tmp_path / "out")
    assert err.value.path == tmp_path / "nope.csv"


def test_info_on_a_missing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = ars(monkeypatch, capsys, "data", "info", str(tmp_path / "nowhere"))
    assert status == 2
    assert (
        err == f"error: {tmp_path / 'nowhere'}: does not exist; prepare one with "
        "`ars data movielens-100k --out DIR` or "
        "`ars data import --items F --interactions F --out DIR`\n"
    )
    proc = subprocess.run([ARS, "data", "info", tmp_path], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "is not a prepared dataset" in proc.stderr and proc.stderr.count("\n") == 1


def test_info_on_a_damaged_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dataset.json").write_text('{"format": 1, "name": "x"}')
    (tmp_path / "items.parquet").write_bytes(b"garbage")
    status, _, err = ars(monkeypatch, capsys, "data", "info", str(tmp_path))
    assert status == 2
    assert "damaged dataset folder" in err and "prepare it again" in err and err.count("\n") == 1


def test_out_that_is_someone_elses_folder_is_refused(tmp_path: Path) -> None:
    items, interactions, _ = files(tmp_path, Case("r.csv", GOOD_INTERACTIONS, None, None, ""))
    home = tmp_path / "documents"
    home.mkdir()
    (home / "thesis.txt").write_text("irreplaceable")
    with pytest.raises(DataError, match="not a dataset folder"):
        import_dataset(items, interactions, home)
    assert (home / "thesis.txt").read_text() == "irreplaceable"


def test_data_error_is_an_ars_error_and_always_one_line() -> None:
    e = DataError("pyarrow said:\n  something\n  long", path="f.csv", line=3, field="x")
    assert isinstance(e, ArsError)
    assert str(e) == "f.csv, line 3, field 'x': pyarrow said: something long"


def test_brackets_in_a_value_are_printed_verbatim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items, interactions, _ = files(tmp_path, Case("r.csv", "user,item\na,[b]\n", None, None, ""))
    status, _, err = import_cli(monkeypatch, capsys, items, interactions, tmp_path / "out")
    assert status == 2 and "unknown item '[b]'" in err


def test_names_and_genres_are_shown_verbatim(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "i.csv").write_text("id,title,genres\n1,Heat,[Action]|[/]\n")
    (tmp_path / "r.csv").write_text("user,item\na,1\n")
    status, out, _ = ars(
        monkeypatch,
        capsys,
        "data",
        "import",
        "--items",
        str(tmp_path / "i.csv"),
        "--interactions",
        str(tmp_path / "r.csv"),
        "--out",
        str(tmp_path / "[shop]"),
    )
    assert status == 0
    assert "[shop]" in out and "[Action] (1)" in out and "[/] (1)" in out


RECBOLE_STYLE_ITEMS = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "1\tHeat\t1995\tAction\n2\tunkonwn\tunkonwn\tunknown\n3\tBrazil\tV\tSci-Fi\n"
)


def test_cli_counts_years_that_are_not_years_and_strict_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tmp_path / "films.item"
    items.write_text(RECBOLE_STYLE_ITEMS)
    out = tmp_path / "out"
    status, stdout, err = ars(
        monkeypatch, capsys, "data", "import", "--items", str(items), "--out", str(out)
    )
    assert (status, err) == (0, "")
    notes = [line for line in stdout.splitlines() if line.startswith("note: ")]
    assert notes == [
        f"note: {items}, field 'release_year': 2 values that are not years imported as empty "
        "(lines 3, 4; not a year: 'unkonwn'); --strict stops at them"
    ]
    assert "never recommended" in stdout and "1 (placeholder rows)" in stdout

    status, stdout, err = ars(
        monkeypatch, capsys, "data", "import", "--items", str(items), "--out", str(out), "--strict"
    )
    assert status == 2
    assert err == f"error: {items}, line 3, field 'release_year': not a year: 'unkonwn'\n"
