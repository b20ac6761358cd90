"""Catalog rows that are placeholders ("unknown", nothing else known) are never recommended."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agentic_recsys.data.dataset import Dataset, InteractionRecord, ItemRecord, write_dataset
from agentic_recsys.data.placeholders import is_placeholder, usable_rows
from agentic_recsys.engines.recommender import Recommender


@pytest.mark.parametrize("value", ["unknown", "Unknown ", "unkonwn", "UNKNWN", "n/a", "", "?"])
def test_words_that_say_nothing_is_known(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["Entitled", "Unforgiven", "Known", "Nanook", "Nine"])
def test_real_titles_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_a_placeholder_row_has_nothing_else_known() -> None:
    titles = ["unkonwn", "Unknown", "untitled", "Heat", "N/A"]
    years = np.array([0, 2011, 0, 1995, 0], dtype=np.int32)
    genres = [("unknown",), ("Thriller",), (), ("Crime",), ()]
    descriptions = ["", "", "", "", "A pilot who forgets his own name"]
    usable = usable_rows(titles, years, genres, descriptions, {})
    # the real film titled "Unknown" keeps its year; a described row keeps its description
    assert usable.tolist() == [False, True, False, True, True]
    prices = {"price": ["n/a", "", "9.99", "", ""]}
    priced = usable_rows(titles, years, genres, descriptions, prices)
    assert priced.tolist() == [False, True, True, True, True]  # a price is something known


def test_no_engine_and_no_fusion_ever_recommends_a_placeholder(tmp_path: Path) -> None:
    items = [ItemRecord(f"i{k}", f"Story {k}", 1990 + k, ("Drama",)) for k in range(6)]
    items.append(ItemRecord("blank", "unknown", None, ("unknown",)))
    # the placeholder is the most watched row, so popularity alone would pick it first
    events = [InteractionRecord(f"u{u}", "blank", 4.0, float(u)) for u in range(8)]
    events += [InteractionRecord(f"u{u}", f"i{u % 6}", 4.0, 10.0 + u) for u in range(8)]
    ds = Dataset.open(write_dataset(tmp_path / "d", "d", items, events))
    assert ds.summary()["placeholders"] == 1
    rec = Recommender.load_or_build(ds)
    blank = ds.items.index["blank"]
    stranger, _ = rec.profile("someone new", query="unknown")
    liked, _ = rec.profile(None, liked=["i1"])
    for profile in (stranger, liked):
        for weights in [None, *({name: 1.0} for name in rec.engines)]:
            ranked = rec.recommend(profile, len(ds.items), weights=weights)
            assert ranked and blank not in {c.item for c in ranked}
