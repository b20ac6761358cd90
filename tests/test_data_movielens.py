"""MovieLens-100K from the recbole wheel: counts, repaired titles, relations, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import agentic_recsys as ars
from agentic_recsys.cli.main import run
from agentic_recsys.data import movielens
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.fetch import fetch_from_wheel

ARS = Path(sys.executable).with_name("ars")


def test_counts(ml100k: Dataset) -> None:
    assert len(ml100k.interactions.user_ids) == 943
    assert len(ml100k.items) == 1682
    assert len(ml100k.interactions) == 100_000
    assert ml100k.name == "MovieLens-100K"
    assert set(np.unique(ml100k.interactions.ratings)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ml100k.interactions.timestamps.min() > 8e8  # real unix seconds, 1997-1998


def test_titles_read_naturally(ml100k: Dataset) -> None:
    labels = {ml100k.items.label(i) for i in range(len(ml100k.items))}
    assert "The Usual Suspects (1995)" in labels
    assert "Toy Story (1995)" in labels
    assert not [t for t in ml100k.items.titles if t.endswith((", The", ", A", ", An"))]


def test_item_1412_gets_its_year_from_its_title(ml100k: Dataset) -> None:
    row = ml100k.items.index["1412"]
    assert ml100k.items.titles[row] == "Land Before Time III: The Time of the Great Giving"
    assert ml100k.items.years[row] == 1995


def test_genres_and_years(ml100k: Dataset) -> None:
    toy_story = ml100k.items.index["1"]
    assert ml100k.items.genres[toy_story] == ("Animation", "Children's", "Comedy")
    assert "unknown" not in ml100k.items.genre_vocab
    assert len(ml100k.items.genre_vocab) == 18
    assert ml100k.items.genre_matrix.shape == (1682, 18)
    known = ml100k.items.years[ml100k.items.years > 0]
    assert known.min() >= 1920 and known.max() <= 1998


def test_relations_link_movies_to_entities(ml100k: Dataset) -> None:
    rel = ml100k.relations
    assert len(rel) > 50_000
    assert {"film.film.actor", "film.film.directed_by"} <= set(rel.relations)
    assert all(e.startswith(("m.", "g.")) for e in rel.entities)  # Freebase ids
    assert rel.items.max() < len(ml100k.items)
    edges = list(zip(rel.items.tolist(), rel.relations, rel.entities, strict=True))
    assert len(edges) == len(set(edges))  # duplicated kg triples are dropped


def test_implicit_matrix(ml100k: Dataset) -> None:
    m = ml100k.interactions.matrix(len(ml100k.items))
    assert m.shape == (943, 1682)
    assert m.nnz == 100_000 and set(np.unique(m.data)) == {1.0}


def test_fingerprint_is_stable(ml100k: Dataset, ml100k_dir: Path) -> None:
    assert Dataset.open(ml100k_dir).fingerprint == ml100k.fingerprint


def test_info_cli(ml100k_dir: Path) -> None:
    proc = subprocess.run([ARS, "data", "info", ml100k_dir], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "943" in proc.stdout
    assert "1,682" in proc.stdout
    assert "100,000" in proc.stdout
    assert "Drama (725)" in proc.stdout


def test_if_missing_is_a_no_op_on_a_prepared_folder(
    ml100k_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "ml"
    shutil.copytree(ml100k_dir, folder)
    before = {
        p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()
    }

    def no_download(*args: object) -> Path:
        raise AssertionError("--if-missing must not download")

    monkeypatch.setattr(movielens, "fetch_from_wheel", no_download)
    monkeypatch.setattr(
        sys, "argv", ["ars", "data", "movielens-100k", "--out", str(folder), "--if-missing"]
    )
    with pytest.raises(SystemExit) as exit_:
        run()
    assert exit_.value.code == 0
    assert "ready" in capsys.readouterr().out
    after = {
        p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()
    }
    assert after == before and before


def test_item_267_is_a_placeholder_and_never_recommended(ml100k_dir: Path) -> None:
    app = ars.open(ml100k_dir)
    items = app.dataset.items
    placeholder = items.index["267"]  # titled "unkonwn", year "unkonwn", genre "unknown"
    assert np.flatnonzero(~items.usable).tolist() == [placeholder]
    rec = app.recommender
    everything = len(items)
    profiles = [rec.profile(None)[0], rec.profile("1")[0], rec.profile(None, query="unknown")[0]]
    for profile in profiles:
        for weights in [None, *({name: 1.0} for name in rec.engines)]:
            ranked = rec.recommend(profile, everything, weights=weights)
            assert ranked and placeholder not in {c.item for c in ranked}
    assert app.titles.resolve("unkonwn") is None or app.titles.resolve("unkonwn").item_id != "267"
    reply = app.session(user_id="someone").send("Hey there! How's it going? Anything unknown?")
    assert "267" not in reply.items


@pytest.fixture(scope="module")
def recbole_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RecBole's own ml-100k atomic files, as the wheel ships them (nothing repaired)."""
    out = tmp_path_factory.mktemp("recbole") / "ml-100k"
    return fetch_from_wheel(
        movielens.RECBOLE_WHEEL, movielens.RECBOLE_SHA256, movielens.MEMBER_PREFIX, out
    )


@pytest.mark.slow
def test_recboles_own_item_file_imports_with_the_cli(recbole_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "imported"
    base = [ARS, "data", "import", "--items", recbole_files / "ml-100k.item", "--out", out]
    inter = ["--interactions", recbole_files / "ml-100k.inter"]
    proc = subprocess.run([*base, *inter], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "2 values that are not years imported as empty (lines 268, 1413;" in proc.stdout
    assert "1 (placeholder rows)" in proc.stdout
    ds = Dataset.open(out)
    assert (len(ds.items), len(ds.interactions)) == (1682, 100_000)
    assert ds.items.years[ds.items.index["1412"]] == 0
    assert not ds.items.usable[ds.items.index["267"]]

    strict = subprocess.run([*base, *inter, "--strict"], capture_output=True, text=True)
    assert strict.returncode == 2
    assert strict.stderr == (
        f"error: {recbole_files / 'ml-100k.item'}, line 268, field 'release_year': "
        "not a year: 'unkonwn'\n"
    )
