"""A small synthetic dataset whose right answers are known, for tests of engines and fusion.

Every user walks the catalog in order (item k, then k+1, ...), so the next item is
predictable from the last one; items come in groups of four sharing a director, and all
share one country (too common to say anything).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agentic_recsys.data.dataset import InteractionRecord, ItemRecord, write_dataset

GENRES = ("Action", "Comedy", "Drama", "Horror")


def write_synthetic_dataset(
    out: Path,
    n_items: int = 40,
    n_users: int = 30,
    seed: int = 0,
) -> Path:
    """Write the synthetic dataset folder to `out` and return it."""
    rng = np.random.default_rng(seed)
    items = [
        ItemRecord(
            id=f"i{k}",
            title=f"Film number {k}",
            year=1980 + k % 20,
            genres=(GENRES[k % 4], GENRES[(k // 4) % 4]) if k % 3 else (GENRES[k % 4],),
            description=f"A {GENRES[k % 4].lower()} story about group {k // 4}.",
        )
        for k in range(n_items)
    ]
    events = []
    for u in range(n_users):
        start, length = int(rng.integers(n_items)), int(rng.integers(8, 16))
        events += [
            InteractionRecord(
                user=f"u{u}",
                item=f"i{(start + step) % n_items}",
                rating=4.0,
                timestamp=1_000_000.0 + 3600.0 * (step + 24 * u),
            )
            for step in range(length)
        ]
    relations = [(f"i{k}", "film.film.directed_by", f"director{k // 4}") for k in range(n_items)]
    relations += [(f"i{k}", "film.film.country", "usa") for k in range(n_items)]
    return write_dataset(out, "synthetic", items, events, relations)
