"""The embedding API: open a dataset folder, get recommendations by user id.

`agentic_recsys.open("data/ml-100k")` builds missing indexes (or reuses them) and returns
an `App`; `app.recommend("42", k=10)` returns item ids with the user's seen items excluded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agentic_recsys.data.dataset import META_FILE, Dataset
from agentic_recsys.engines.recommender import Recommender


@dataclass
class App:
    """An opened dataset with its recommender; what a service keeps for its lifetime."""

    dataset: Dataset
    recommender: Recommender

    def recommend(self, user_id: str, k: int = 10) -> list[str]:
        """Return the k best item ids for a user (popularity if unknown), seen items excluded."""
        profile, _ = self.recommender.profile(user_id)
        ids = self.dataset.items.ids
        return [ids[c.item] for c in self.recommender.recommend(profile, k)]


def open(path: Path | str, progress: Callable[[str, float], None] | None = None) -> App:  # noqa: A001
    """Open a prepared dataset folder, building its indexes if missing or stale."""
    dataset = Dataset.open(path)
    return App(dataset, Recommender.load_or_build(dataset, progress))


def app_for_dir(path: Path | str) -> App:
    """Return the process-wide App for a folder, reopened when the dataset folder is replaced."""
    folder = Path(path).resolve()
    meta = folder / META_FILE
    return _cached_app(folder, meta.stat().st_mtime_ns if meta.is_file() else 0)


@lru_cache(maxsize=4)
def _cached_app(folder: Path, version: int) -> App:
    return open(folder)
