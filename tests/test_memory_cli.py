"""`ars memory show|export|delete` on a tiny dataset's memory folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentic_recsys.cli.main import app
from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.memory import Episode, MemoryStore
from agentic_recsys.understanding.schema import Feedback, Preference

runner = CliRunner()


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    items = [
        ItemRecord(id="1", title="Toy Story", year=1995, genres=("Animation",)),
        ItemRecord(id="2", title="Fargo", year=1996, genres=("Crime",)),
    ]
    out = write_dataset(tmp_path / "tiny", "tiny", items, [InteractionRecord(user="u", item="1")])
    store = MemoryStore.for_dataset(Dataset.open(out))
    store.remember_turn(
        "ann",
        preferences=[Preference(key="genre:Horror", polarity="avoid", text="[bold]no[/] horror")],
        feedback=[Feedback(item="2", verdict="liked")],
        episode=Episode(asked="a crime film", shown=["2"], chosen=["2"]),
        titles={"2": "Fargo (1996)"},
    )
    store.remember_turn("ben", episode=Episode(asked="westerns"))
    return out


def ars(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["memory", *args], input=input, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_show_prints_every_memory_as_a_table(data_dir: Path) -> None:
    code, out = ars("show", "--user", "ann", "--data", str(data_dir))
    assert code == 0
    assert "4 records" in out and "Avoids Horror; liked Fargo (1996)" in out
    assert "[bold]no[/] horror" in out  # memory text is printed as text, not markup
    assert "westerns" not in out


def test_export_writes_json_to_stdout_or_a_file(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARS_DATA", str(data_dir))
    code, out = ars("export", "--user", "ann")
    assert code == 0
    records = json.loads(out)
    assert [r["kind"] for r in records] == ["profile", "preference", "feedback", "episode"]
    assert records[2]["data"] == {"item": "2", "verdict": "liked", "title": "Fargo (1996)"}

    code, _ = ars("export", "--user", "ann", "--out", str(tmp_path / "ann.json"))
    assert code == 0 and json.loads((tmp_path / "ann.json").read_text()) == records


def test_delete_asks_first_and_removes_only_that_user(data_dir: Path) -> None:
    code, out = ars("delete", "--user", "ann", "--data", str(data_dir), input="n\n")
    assert code != 0 and "Aborted" in out
    assert len(MemoryStore.for_dataset(Dataset.open(data_dir)).show("ann")) == 4

    code, out = ars("delete", "--user", "ann", "--data", str(data_dir), "--yes")
    assert code == 0 and "deleted 4 memories" in out
    store = MemoryStore.for_dataset(Dataset.open(data_dir))
    assert store.show("ann") == [] and len(store.show("ben")) == 2


def test_a_damaged_memory_folder_is_one_line_and_exit_status_2(tmp_path: Path) -> None:
    items = [ItemRecord(id="1", title="Toy Story", year=1995)]
    out = write_dataset(tmp_path / "tiny", "tiny", items, [InteractionRecord(user="u", item="1")])
    memory = out / "state" / "memory"
    memory.mkdir(parents=True)
    (memory / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    ars_script = Path(sys.executable).with_name("ars")
    done = subprocess.run(
        [str(ars_script), "memory", "show", "--user", "ann", "--data", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(memory) in lines[0] and "move it aside" in lines[0]
    assert (memory / "chroma.sqlite3").read_bytes() == b"garbage" * 1000
