"""Closing releases what was opened: a process that opens many dataset folders (a service,
this test suite) held about 16 descriptors per App and ran past the 1,024 limit."""

import os
import shutil
from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.semantic import item_vectors
from agentic_recsys.engines.testing import write_synthetic_dataset

ROUNDS = 20
SLACK = 8  # descriptors Chroma's runtime may still be letting go of; one App held 16


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small catalog with its index built, to copy: each copy is a folder of its own."""
    folder = write_synthetic_dataset(tmp_path_factory.mktemp("indexed") / "syn")
    ars.open(folder).close()
    return folder


def copies(source: Path, under: Path) -> list[Path]:
    return [shutil.copytree(source, under / f"copy-{n}") for n in range(ROUNDS)]


def test_apps_opened_and_closed_with_a_turn_leave_no_files_open(indexed: Path, tmp_path: Path):
    counts = []
    for folder in copies(indexed, tmp_path):
        with ars.open(folder) as app:
            result = app.session(user_id="u1").send("a comedy, no horror please")
            assert result.items
            assert "Horror" in app.memory.summary("u1")  # memory and conversations were written
            assert app.threads("u1")
        counts.append(open_fds())
    assert counts[-1] - counts[0] <= SLACK, counts


def test_a_closed_app_is_not_handed_out_again(indexed: Path, tmp_path: Path):
    folder = shutil.copytree(indexed, tmp_path / "data")
    app = ars.open(folder)
    app.session(user_id="u1").send("a comedy")
    app.close()
    again = ars.open(folder)
    assert again is not app
    assert [t.turns for t in again.threads("u1")] == [1]  # what was stored is still there
    again.close()


def test_reading_the_item_vectors_leaves_no_files_open(indexed: Path, tmp_path: Path):
    counts = []
    for folder in copies(indexed, tmp_path):
        assert item_vectors(Dataset.open(folder)).any()
        counts.append(open_fds())
    assert counts[-1] - counts[0] <= SLACK, counts
