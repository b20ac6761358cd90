"""A dataset's index is data: saved as arrays and JSON, checked against its manifest, never run."""

import hashlib
import io
import json
import logging
import os
import pickle
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import agentic_recsys as ars
from agentic_recsys import resources as resources_module
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines import index_store
from agentic_recsys.engines import recommender as recommender_module
from agentic_recsys.engines.recommender import Recommender
from agentic_recsys.engines.registry import ENGINE_NAMES
from agentic_recsys.engines.testing import write_synthetic_dataset

PACKAGE = Path(ars.__file__).parent
UNPICKLING = re.compile(
    r"^\s*(import|from)\s+(pickle|_pickle|cPickle|dill|joblib|cloudpickle|shelve)\b"
    r"|allow_pickle\s*=\s*True|read_pickle|torch\.load",
    re.MULTILINE,
)


class Payload:
    """A pickle that creates `marker` when unpickled, as an attacker's would run a command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A synthetic dataset folder with its index built once, and that build's recommender."""
    folder = write_synthetic_dataset(tmp_path_factory.mktemp("built") / "syn", n_users=60)
    return folder, Recommender.load_or_build(Dataset.open(folder))


@pytest.fixture
def folder(built, tmp_path):
    """A private copy of the built folder, for a test that damages its index."""
    return Path(shutil.copytree(built[0], tmp_path / "syn"))


@pytest.fixture
def builds(monkeypatch):
    """Count index builds; every ars.open in the test opens the folder afresh."""
    calls: list[int] = []
    real = recommender_module.build_index

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(recommender_module, "build_index", counting)
    monkeypatch.setattr(resources_module, "_shared", {})
    return calls


def index_of(folder: Path) -> Path:
    return folder / "index" / index_store.FOLDER


def key_of(rec: Recommender) -> str:
    return index_store.config_key(rec.config.model_dump_json())


def forge_manifest(folder: Path) -> None:
    """Vouch in the manifest for whatever the index files now hold, as a forger would."""
    path = index_of(folder) / index_store.MANIFEST
    manifest = json.loads(path.read_text())
    for name in manifest["files"]:
        data = (index_of(folder) / name).read_bytes()
        manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    path.write_text(json.dumps(manifest))


def assert_serves_intact_index(folder: Path, builds: list[int]) -> None:
    """Recommendations work, and the rebuilt index is reused as it is."""
    app = ars.open(folder)
    assert len(app.recommend("u3", 5)) == 5
    count = len(builds)
    Recommender.load_or_build(Dataset.open(folder))
    assert len(builds) == count, "the rebuilt index should be reused"


def test_the_payload_runs_when_unpickled(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))  # what format 1 did on every open
    assert marker.exists()


@pytest.mark.parametrize("where", ["old file name", "new file names", "old format folder"])
def test_a_pickle_payload_in_the_index_never_runs(built, folder, builds, tmp_path, caplog, where):
    marker = tmp_path / "ran"
    payload = pickle.dumps(Payload(marker))
    index = index_of(folder)
    if where == "old file name":
        (index / "engines.pkl").write_bytes(payload)
    elif where == "new file names":
        for npz in index.glob("*.npz"):
            npz.write_bytes(payload)
        forge_manifest(folder)
    else:  # as format 1 wrote it: a manifest and the pickled engines
        shutil.rmtree(index)
        index.mkdir()
        (index / "engines.pkl").write_bytes(payload)
        old = {"format": 1, "fingerprint": built[1].dataset.fingerprint, "config": key_of(built[1])}
        (index / "manifest.json").write_text(json.dumps({**old, "weights": {"popularity": 1.0}}))
    with caplog.at_level(logging.INFO, logger=index_store.__name__):
        assert_serves_intact_index(folder, builds)
    assert not marker.exists()
    assert builds == [1]
    assert "rebuilding" in caplog.text
    assert not (index / "engines.pkl").exists()


def damage_truncate(index: Path) -> None:
    path = index / "itemknn.npz"
    path.write_bytes(path.read_bytes()[:-100])


def damage_flip_a_byte(index: Path) -> None:
    path = index / "kg.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def damage_delete(index: Path) -> None:
    (index / "als.npz").unlink()


def damage_add_a_file(index: Path) -> None:
    (index / "extra.npz").write_bytes(b"")


def damage_manifest(index: Path) -> None:
    (index / "manifest.json").write_text("{not json")


def damage_remove_manifest(index: Path) -> None:
    (index / "manifest.json").unlink()


def damage_object_array_behind_forged_manifest(index: Path) -> None:
    buffer = io.BytesIO()
    marker = index.parent.parent / "ran"  # the dataset folder, which a rebuild keeps
    np.savez(buffer, users_per_item=np.array([Payload(marker)], dtype=object))
    (index / "popularity.npz").write_bytes(buffer.getvalue())
    forge_manifest(index.parent.parent)


def damage_wrong_arrays_behind_forged_manifest(index: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, something_else=np.zeros(3))
    (index / "sequential.npz").write_bytes(buffer.getvalue())
    forge_manifest(index.parent.parent)


def damage_bytes_behind_forged_manifest(index: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as npz:
        npz.writestr("users_per_item", b"not an array")
    (index / "popularity.npz").write_bytes(buffer.getvalue())
    forge_manifest(index.parent.parent)


@pytest.mark.parametrize(
    "damage",
    [
        damage_truncate,
        damage_flip_a_byte,
        damage_delete,
        damage_add_a_file,
        damage_manifest,
        damage_remove_manifest,
        damage_object_array_behind_forged_manifest,
        damage_wrong_arrays_behind_forged_manifest,
        damage_bytes_behind_forged_manifest,
    ],
)
def test_a_damaged_index_is_rebuilt_with_one_line_saying_why(folder, builds, caplog, damage):
    damage(index_of(folder))
    with caplog.at_level(logging.WARNING):
        assert_serves_intact_index(folder, builds)
    assert builds == [1]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "rebuilding" in warnings[0], warnings
    assert not (folder / "ran").exists()


def test_the_manifest_vouches_for_every_file(built):
    folder, _ = built
    index = index_of(folder)
    manifest = json.loads((index / index_store.MANIFEST).read_text())
    assert manifest["format"] == index_store.FORMAT
    assert manifest["fingerprint"] == Dataset.open(folder).fingerprint
    assert sorted(manifest["files"]) == sorted(p.name for p in index.glob("*.npz"))
    assert {f"{name}.npz" for name in ENGINE_NAMES} <= set(manifest["files"])
    for name, entry in manifest["files"].items():
        data = (index / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert sorted(p.name for p in index.iterdir()) == sorted([*manifest["files"], "manifest.json"])


def test_reopening_gives_the_same_recommendations_and_evidence(built, monkeypatch):
    folder, fresh = built

    def no_build(*args, **kwargs):
        raise AssertionError("the saved index should have been reused")

    monkeypatch.setattr(recommender_module, "build_index", no_build)
    reopened = Recommender.load_or_build(Dataset.open(folder))
    assert reopened.weights == fresh.weights
    assert (reopened.ranker is None) == (fresh.ranker is None)
    if fresh.ranker is not None and reopened.ranker is not None:
        assert reopened.ranker.names == fresh.ranker.names
        np.testing.assert_array_equal(reopened.ranker.coef, fresh.ranker.coef)
    profiles = [fresh.profile(u)[0] for u in ("u0", "u3", "u17", "nobody")]
    profiles += [fresh.profile(None, liked=["i5", "i6"], query="a comedy story")[0]]
    for profile in profiles:
        for weights in [None, *({name: 1.0} for name in ENGINE_NAMES)]:
            before = fresh.recommend(profile, 8, weights=weights)
            after = reopened.recommend(profile, 8, weights=weights)
            assert [c.item for c in after] == [c.item for c in before]
            np.testing.assert_allclose(
                [c.score for c in after], [c.score for c in before], rtol=1e-6
            )
            assert [c.evidence for c in after] == [c.evidence for c in before]


def test_a_learned_ranker_is_saved_as_arrays_and_restored(tmp_path, monkeypatch):
    real = recommender_module.tune_fusion

    def prefer_learned(*args, **kwargs):
        tuned = real(*args, **kwargs)
        assert tuned.ranker is not None
        return replace(tuned, linear_ndcg=0.0, learned_ndcg=1.0)

    monkeypatch.setattr(recommender_module, "tune_fusion", prefer_learned)
    folder = write_synthetic_dataset(tmp_path / "syn")
    fresh = Recommender.load_or_build(Dataset.open(folder))
    assert fresh.ranker is not None
    stored = index_store.load(Dataset.open(folder), key_of(fresh))
    assert stored is not None and stored.facts["fusion"] == "learned"
    assert all(a.dtype != object for part in stored.parts.values() for a in part.values())
    reopened = Recommender.load_or_build(Dataset.open(folder))
    assert reopened.ranker is not None and reopened.ranker.names == fresh.ranker.names
    np.testing.assert_array_equal(reopened.ranker.coef, fresh.ranker.coef)
    profile, _ = fresh.profile("u3")
    assert [c.item for c in reopened.recommend(profile, 8)] == [
        c.item for c in fresh.recommend(profile, 8)
    ]


def test_the_package_never_unpickles():
    offenders = [
        f"{path.relative_to(PACKAGE)}: {match.group(0).strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for match in UNPICKLING.finditer(path.read_text())
    ]
    assert offenders == []
    assert UNPICKLING.search("import pickle\n")
    assert UNPICKLING.search("np.load(f, allow_pickle=True)")


@pytest.mark.slow
def test_movielens_index_reopens_to_the_same_recommendations(ml100k_dir, ml100k_copy, monkeypatch):
    fresh = ars.open(ml100k_dir).recommender  # built in this process by the fixture

    def no_build(*args, **kwargs):
        raise AssertionError("the copied index should have been reused")

    monkeypatch.setattr(recommender_module, "build_index", no_build)
    reopened = Recommender.load_or_build(Dataset.open(ml100k_copy))
    for user in fresh.dataset.interactions.user_ids[:40]:
        profile, _ = fresh.profile(user)
        before, after = fresh.recommend(profile, 10), reopened.recommend(profile, 10)
        assert [c.item for c in after] == [c.item for c in before]
        np.testing.assert_allclose([c.score for c in after], [c.score for c in before], rtol=1e-6)
