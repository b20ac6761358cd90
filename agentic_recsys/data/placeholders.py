"""Values that stand for "nothing known", and catalog rows made of nothing else.

Exported catalogs carry rows such as MovieLens-100K's item 267, titled "unkonwn" with the
year "unkonwn" and the genre "unknown": kept for the interactions that point at them,
never recommended, because nothing about them can be shown or checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rapidfuzz.distance import OSA

PLACEHOLDERS = frozenset(
    {"", "unknown", "untitled", "n/a", "na", "none", "null", "nan", "tbd", "tba", "?", "-", "--"}
)
# A one-letter slip of "unknown" ("unkonwn", "unknwn") is still that word; "untitled" is
# not checked so: one letter away from it is "entitled", a real title.
SLIP_CHECKED = ("unknown",)


def is_placeholder(value: str) -> bool:
    """Whether a value says only that nothing is known ("unknown", "n/a", "unkonwn", "")."""
    word = " ".join(value.split()).casefold()
    return word in PLACEHOLDERS or (
        len(word) >= 5 and any(OSA.distance(word, w, score_cutoff=1) <= 1 for w in SLIP_CHECKED)
    )


def usable_rows(
    titles: Sequence[str],
    years: np.ndarray,
    genres: Sequence[Sequence[str]],
    descriptions: Sequence[str],
) -> np.ndarray:
    """Rows that can be recommended: not a placeholder title with nothing else known.

    Nothing else: no year, no description, no genre but placeholders. A real work titled
    "Unknown" has a year or genres, so it stays.
    """
    return np.fromiter(
        (
            not (
                is_placeholder(title)
                and not year
                and not description.strip()
                and all(is_placeholder(g) for g in gs)
            )
            for title, year, gs, description in zip(
                titles, years.tolist(), genres, descriptions, strict=True
            )
        ),
        dtype=bool,
        count=len(titles),
    )
