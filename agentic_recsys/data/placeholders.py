"""Values that stand for "nothing known", and catalog rows made of nothing else.

Exported catalogs carry rows such as MovieLens-100K's item 267, titled "unkonwn" with the
year "unkonwn" and the genre "unknown": kept for the interactions that point at them,
never recommended, because nothing about them can be shown or checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    extra: Mapping[str, Sequence[str]],
) -> np.ndarray:
    """Rows that can be recommended: not a placeholder title with nothing else known.

    Nothing else: no year, and no description, genre or other field but placeholders. A
    real work titled "Unknown" has a year or genres, so it stays.
    """
    columns = list(extra.values())

    def placeholder(row: int) -> bool:
        return (
            is_placeholder(titles[row])
            and not years[row]
            and is_placeholder(descriptions[row])
            and all(is_placeholder(g) for g in genres[row])
            and all(is_placeholder(values[row]) for values in columns)
        )

    return np.fromiter(
        (not placeholder(row) for row in range(len(titles))), dtype=bool, count=len(titles)
    )
