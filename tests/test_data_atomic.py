"""The output folder is either the complete new dataset or untouched; `state/` survives."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from faults import fail_on_call

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.importer import import_dataset
from agentic_recsys.errors import DataError


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Two versions of a small dataset's files, and an interactions file that fails."""
    paths = {
        "items": tmp_path / "items.csv",
        "v1": tmp_path / "v1.csv",
        "v2": tmp_path / "v2.csv",
        "bad": tmp_path / "bad.csv",
    }
    paths["items"].write_text("id,title\n1,Heat\n2,Up\n")
    paths["v1"].write_text("user,item\na,1\n")
    paths["v2"].write_text("user,item\na,1\nb,2\nc,2\n")
    paths["bad"].write_text("user,item\na,1\nb,3\n")
    return paths


@pytest.fixture
def existing(tmp_path: Path, files: dict[str, Path]) -> Path:
    """A prepared dataset with conversations in `state/` and a built index in `index/`."""
    out = tmp_path / "data" / "shop"
    import_dataset(files["items"], files["v1"], out)
    (out / "state" / "memory").mkdir(parents=True)
    (out / "state" / "memory" / "chroma.sqlite3").write_bytes(b"\x00memories")
    (out / "state" / "threads.sqlite").write_bytes(b"conversations")
    (out / "index").mkdir()
    (out / "index" / "als.npz").write_bytes(b"factors")
    return out


def test_failed_validation_leaves_the_old_dataset_untouched(
    existing: Path, files: dict[str, Path]
) -> None:
    before = snapshot(existing)
    with pytest.raises(DataError, match="unknown item .3."):
        import_dataset(files["items"], files["bad"], existing)
    assert snapshot(existing) == before
    assert leftovers(existing.parent) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_while_writing_leaves_the_old_dataset_untouched(
    existing: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    before = snapshot(existing)
    monkeypatch.setattr(pq, "write_table", fail_on_call(2, pq.write_table, error))
    with pytest.raises(type(error)):
        import_dataset(files["items"], files["v2"], existing)
    assert snapshot(existing) == before
    assert leftovers(existing.parent) == []


def test_failure_while_swapping_restores_the_old_dataset(
    existing: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(existing)
    # First rename: old dataset aside; second: new dataset into place (fails).
    monkeypatch.setattr(os, "replace", fail_on_call(2, os.replace, OSError("rename failed")))
    with pytest.raises(OSError, match="rename failed"):
        import_dataset(files["items"], files["v2"], existing)
    assert snapshot(existing) == before
    assert leftovers(existing.parent) == []


def test_reimport_replaces_the_data_and_keeps_state(existing: Path, files: dict[str, Path]) -> None:
    old = Dataset.open(existing)
    import_dataset(files["items"], files["v2"], existing)
    new = Dataset.open(existing)
    assert (len(old.interactions), len(new.interactions)) == (1, 3)
    assert new.fingerprint != old.fingerprint
    assert (existing / "state" / "memory" / "chroma.sqlite3").read_bytes() == b"\x00memories"
    assert (existing / "state" / "threads.sqlite").read_bytes() == b"conversations"
    assert not (existing / "index").exists()  # derived from the old data: rebuilt on demand
    assert leftovers(existing.parent) == []


def test_an_empty_existing_folder_is_filled(tmp_path: Path, files: dict[str, Path]) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    import_dataset(files["items"], files["v1"], out)
    assert len(Dataset.open(out).items) == 2


def test_a_relative_out_folder(
    tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    import_dataset(files["items"], files["v1"], Path("rel"))
    monkeypatch.chdir(tmp_path / "rel")
    import_dataset(files["items"], files["v2"], Path("."))  # the folder you are in
    assert len(Dataset.open(tmp_path / "rel").interactions) == 3
    assert Dataset.open(tmp_path / "rel").name == "rel"
    assert leftovers(tmp_path) == []
