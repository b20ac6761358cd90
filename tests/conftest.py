"""Shared fixtures: the real MovieLens-100K, prepared once per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import agentic_recsys as ars
from agentic_recsys import resources
from agentic_recsys.data.dataset import STATE_DIR, Dataset
from agentic_recsys.data.movielens import prepare_movielens_100k
from agentic_recsys.llm import clear_model_cache
from agentic_recsys.memory import exclusive

os.environ.setdefault("LANGSMITH_TRACING", "false")


@pytest.fixture(scope="module", autouse=True)
def files_closed() -> Iterator[None]:
    """What a test module opened is closed after it: an App holds about 16 files, a memory
    folder about 12, and a whole run went past the usual limit of 1,024."""
    before = set(map(id, resources._shared.values()))
    yield
    for opened in [r for r in resources._shared.values() if id(r) not in before]:
        opened.close()
    for folder in list(exclusive._folders.values()):
        folder.close()  # opened again on its next use


@pytest.fixture(scope="session")
def ml100k_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared MovieLens-100K folder (fetched from the recbole wheel through pip)."""
    out = tmp_path_factory.mktemp("datasets") / "ml-100k"
    return prepare_movielens_100k(out)


@pytest.fixture(scope="session")
def ml100k(ml100k_dir: Path) -> Dataset:
    """MovieLens-100K, opened."""
    return Dataset.open(ml100k_dir)


@pytest.fixture(scope="module")
def ml100k_copy(ml100k_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of MovieLens-100K with its built index and no conversations or memory,
    for a test module that writes state (threads, memory) of its own."""
    ars.open(ml100k_dir)  # build the index once, then share it by copying
    out = tmp_path_factory.mktemp("private") / "ml-100k"
    shutil.copytree(ml100k_dir, out, ignore=shutil.ignore_patterns(STATE_DIR))
    return out


@pytest.fixture
def registered_models_forgotten() -> Iterator[None]:
    """Scripted chat models a test registers are gone after it (and cached models with them)."""
    yield
    clear_model_cache()
