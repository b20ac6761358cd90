"""Wheels from the package index: a failed or damaged download leaves nothing a rerun trips over."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from faults import fail_on_call

from agentic_recsys import fetch
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.movielens import RECBOLE_SHA256, RECBOLE_WHEEL, prepare_movielens_100k
from agentic_recsys.errors import ArsError
from agentic_recsys.fetch import FetchError, fetch_from_wheel

PREFIX = "pkg/data/"


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private system temp folder, so that what is left in it can be seen."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make pip fail the way it does with no network: no index, no configured find-links."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")


@pytest.fixture
def wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A small wheel that `download_wheel` hands out instead of asking pip; and its sha256."""
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg/data/a.txt", "alpha")
        zf.writestr("pkg/data/sub/b.txt", "beta")

    def download(requirement: str, folder: Path) -> Path:
        return Path(shutil.copy(path, folder))

    monkeypatch.setattr(fetch, "download_wheel", download)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def old_dest(tmp_path: Path) -> Path:
    dest = tmp_path / "dest" / "files"
    dest.mkdir(parents=True)
    (dest / "old.txt").write_text("old")
    return dest


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


def test_extracts_flat_and_replaces_dest(wheel: tuple[Path, str], old_dest: Path) -> None:
    fetch_from_wheel("pkg==1.0", wheel[1], PREFIX, old_dest)
    assert contents(old_dest) == {"a.txt": "alpha", "b.txt": "beta"}
    assert [p.name for p in old_dest.parent.iterdir()] == ["files"]


def test_hash_mismatch(wheel: tuple[Path, str], old_dest: Path, system_tmp: Path) -> None:
    with pytest.raises(FetchError, match="has sha256 .*, expected 0000") as err:
        fetch_from_wheel("pkg==1.0", "0" * 64, PREFIX, old_dest)
    assert isinstance(err.value, ArsError) and "\n" not in str(err.value)
    assert contents(old_dest) == {"old.txt": "old"}
    assert [p.name for p in old_dest.parent.iterdir()] == ["files"]
    assert list(system_tmp.iterdir()) == []


def test_wheel_without_the_files(wheel: tuple[Path, str], tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no files under nothing/"):
        fetch_from_wheel("pkg==1.0", wheel[1], "nothing/", tmp_path / "dest")
    assert list(tmp_path.glob("*dest*")) == []


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_interrupted_extraction(
    wheel: tuple[Path, str],
    old_dest: Path,
    system_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    monkeypatch.setattr(shutil, "copyfileobj", fail_on_call(2, shutil.copyfileobj, error))
    with pytest.raises(type(error)):
        fetch_from_wheel("pkg==1.0", wheel[1], PREFIX, old_dest)
    assert contents(old_dest) == {"old.txt": "old"}
    assert [p.name for p in old_dest.parent.iterdir()] == ["files"]
    assert list(system_tmp.iterdir()) == []


def test_failed_pip_download_is_one_clear_line(
    no_index: None, tmp_path: Path, system_tmp: Path
) -> None:
    with pytest.raises(FetchError) as err:
        fetch_from_wheel(RECBOLE_WHEEL, RECBOLE_SHA256, "x/", tmp_path / "dest")
    message = str(err.value)
    assert message.startswith("could not download recbole==1.2.1 with pip (")
    assert "No matching distribution" in message and "\n" not in message
    assert not (tmp_path / "dest").exists()
    assert list(system_tmp.iterdir()) == []


def test_interrupted_movielens_download_then_a_rerun(
    tmp_path: Path, system_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "data" / "ml-100k"
    out.parent.mkdir()
    with monkeypatch.context() as offline:
        offline.setenv("PIP_CONFIG_FILE", "/dev/null")
        offline.setenv("PIP_NO_INDEX", "1")
        with pytest.raises(FetchError):
            prepare_movielens_100k(out)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
    assert list(system_tmp.iterdir()) == []
    prepare_movielens_100k(out)  # the rerun, with the index back
    assert len(Dataset.open(out).interactions) == 100_000
    assert list(out.parent.iterdir()) == [out]
    assert list(system_tmp.iterdir()) == []
