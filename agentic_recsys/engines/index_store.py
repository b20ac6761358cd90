"""The fitted engines and tuned weights of one dataset folder, saved under its index dir.

Keyed by the dataset's fingerprint and the config: a changed catalog or config is never
served from an old index. Files are written to a temporary name and renamed, so a crash
leaves either the old index or the new one. The pickle is only ever one this package
wrote into the dataset's own folder.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.base import Engine

FORMAT = 1
FOLDER = "recommender"
MANIFEST = "manifest.json"
ENGINES = "engines.pkl"

log = logging.getLogger(__name__)


@dataclass
class StoredIndex:
    """What a build produces and a later open reuses."""

    engines: dict[str, Engine]
    weights: dict[str, float]


def config_key(config_json: str) -> str:
    """Hash a config, so that a changed config triggers a rebuild."""
    return hashlib.sha256(config_json.encode()).hexdigest()[:16]


def load(dataset: Dataset, key: str) -> StoredIndex | None:
    """Return the stored index if built from this catalog with this config, else None."""
    folder = dataset.index_dir / FOLDER
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    current = {"format": FORMAT, "fingerprint": dataset.fingerprint, "config": key}
    stale = {k: v for k, v in current.items() if manifest.get(k) != v}
    if stale:
        log.info("index in %s is stale (%s changed); rebuilding", folder, ", ".join(stale))
        return None
    with (folder / ENGINES).open("rb") as f:
        engines = pickle.load(f)
    return StoredIndex(engines, {k: float(v) for k, v in manifest["weights"].items()})


def save(dataset: Dataset, key: str, index: StoredIndex) -> None:
    """Write the index atomically: engines first, then the manifest that vouches for them."""
    folder = dataset.index_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "fingerprint": dataset.fingerprint,
        "config": key,
        "weights": index.weights,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (folder / MANIFEST).unlink(missing_ok=True)  # a crash from here on leaves no valid index
    _write_atomic(folder / ENGINES, pickle.dumps(index.engines, protocol=pickle.HIGHEST_PROTOCOL))
    _write_atomic(folder / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
