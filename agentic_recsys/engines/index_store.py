"""The fitted engines and fusion of one dataset folder, saved under its index dir as data.

(The image index of item pictures, vision/index.py, is kept the same way in a folder of its own.)

An index is a folder of `.npz` files (one per part: an engine's state, the learned
ranker) and a manifest.json holding the catalog's fingerprint, the config key, small
JSON facts (the fusion weights) and each file's size and sha256. Loading reads numbers,
text and JSON only (`allow_pickle=False`), so a file planted in a dataset folder can
make the index be rebuilt, never run. Whatever the manifest does not vouch for (a
missing, truncated, changed or extra file, an older format such as format 1's pickled
engines.pkl) means a rebuild, with one log line saying why. A new index is written to a
temporary folder and swapped in, so a crash leaves the old index, none, or the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.state import State

FORMAT = 2
FOLDER = "recommender"
MANIFEST = "manifest.json"
ARRAYS = ".npz"
FORMAT_1_FUSION = "fusion"  # format 1 kept the fusion choice beside the index, now in the manifest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredIndex:
    """What a build produces and a later open reuses: named sets of arrays, and JSON facts."""

    parts: dict[str, State]  # part name (a file name without .npz) -> its arrays
    facts: dict[str, Any]  # JSON-ready


class Unusable(Exception):
    """Why a stored index is not used."""


class Stale(Unusable):
    """The index was built from another catalog, config or format: routine, not damage."""


def config_key(config_json: str) -> str:
    """Hash a config, so that a changed config triggers a rebuild."""
    return hashlib.sha256(config_json.encode()).hexdigest()[:16]


def load(dataset: Dataset, key: str, folder_name: str = FOLDER) -> StoredIndex | None:
    """Return the index if built from this catalog with this config and intact, else None.

    `folder_name` is the index's folder under the dataset's index dir (the image index
    keeps its own beside the recommender's).
    """
    folder = dataset.index_dir / folder_name
    if not folder.exists():
        return None
    expected = {"format": FORMAT, "fingerprint": dataset.fingerprint, "config": key}
    try:
        return _read(folder, expected)
    except Stale as e:
        log.info("index in %s is stale (%s); rebuilding", folder, e)
    except Unusable as e:
        log.warning("index in %s is not used (%s); rebuilding it", folder, e)
    except OSError as e:  # a file gone (another process swapping its build in), or unreadable
        log.warning("index in %s is unreadable (%s); rebuilding it", folder, e)
    return None


def save(dataset: Dataset, key: str, index: StoredIndex, folder_name: str = FOLDER) -> None:
    """Write every part and the manifest that vouches for them, then swap the folder in."""
    dataset.index_dir.mkdir(parents=True, exist_ok=True)
    new = dataset.index_dir / f".{folder_name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    new.mkdir()
    files = {}
    for name, state in index.parts.items():
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **state)
        data = buffer.getvalue()
        (new / f"{name}{ARRAYS}").write_bytes(data)
        files[f"{name}{ARRAYS}"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {
        "format": FORMAT,
        "fingerprint": dataset.fingerprint,
        "config": key,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "facts": index.facts,
        "files": files,
    }
    (new / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    _swap_in(new, dataset.index_dir / folder_name)
    if folder_name == FOLDER:
        shutil.rmtree(dataset.index_dir / FORMAT_1_FUSION, ignore_errors=True)


def _read(folder: Path, expected: dict[str, Any]) -> StoredIndex:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except ValueError as e:
        raise Unusable(f"its manifest is unreadable: {e}") from None
    if not isinstance(manifest, dict):
        raise Unusable("its manifest is not a JSON object")
    changed = [k for k, v in expected.items() if manifest.get(k) != v]
    if changed:
        raise Stale(", ".join(changed) + " changed")
    files, facts = manifest.get("files"), manifest.get("facts")
    if not isinstance(files, dict) or not isinstance(facts, dict):
        raise Unusable("its manifest lacks the file list or the facts")
    present = {p.name for p in folder.iterdir()} - {MANIFEST}
    if extra := sorted(present - set(files)):
        raise Unusable(f"unexpected file(s) {', '.join(extra)}")
    if missing := sorted(set(files) - present):
        raise Unusable(f"missing file(s) {', '.join(missing)}")
    parts = {
        name.removesuffix(ARRAYS): _read_arrays(folder / name, entry)
        for name, entry in files.items()
    }
    return StoredIndex(parts, facts)


def _read_arrays(path: Path, entry: object) -> State:
    """The arrays of one file, only if its size and hash are the manifest's."""
    if not path.name.endswith(ARRAYS) or not isinstance(entry, dict):
        raise Unusable(f"{path.name} is not an array file")
    data = path.read_bytes()
    if len(data) != entry.get("bytes"):
        raise Unusable(f"{path.name} is {len(data)} bytes, not {entry.get('bytes')}")
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise Unusable(f"{path.name} changed since it was written")
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        if not isinstance(arrays, np.lib.npyio.NpzFile):
            raise ValueError("a single array, not a set")
        state = {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise Unusable(f"{path.name} is not a plain array file ({e})") from None
    if not all(isinstance(a, np.ndarray) for a in state.values()):  # a zip member not .npy
        raise Unusable(f"{path.name} holds more than arrays")
    return state


def _swap_in(new: Path, folder: Path) -> None:
    """Replace `folder` by `new`; if another process swapped its build in first, keep that."""
    old = Path(f"{new}-old")
    with contextlib.suppress(FileNotFoundError):  # none yet, or another process moved it
        os.replace(folder, old)
    try:
        os.replace(new, folder)
    except OSError:
        shutil.rmtree(new, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
