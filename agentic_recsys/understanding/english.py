"""Which words are English: the whole-word entries of the shipped MiniLM tokenizer's vocabulary.

The typo fixer changes only words that are neither English nor the catalog's (so "never"
stays "never" and is not read as "newer"); no word list is kept by hand.
"""

from __future__ import annotations

from functools import lru_cache

from agentic_recsys.embeddings import model_dir


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lowercase whole words of the tokenizer vocabulary (about 20k), empty if it is missing."""
    try:
        lines = (model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    except Exception:  # no model files: nothing is known to be English, nothing is blocked
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.islower())


def is_english(word: str) -> bool:
    """Tell whether `word` (or its plain inflection) is an English word."""
    words = english_words()
    w = word.casefold().strip("'")
    return any(
        form in words
        for form in (
            w,
            w.removesuffix("s"),
            w.removesuffix("es"),
            w.removesuffix("ed"),
            w.removesuffix("d"),
            w.removesuffix("ing"),
            w.removesuffix("ly"),
        )
        if len(form) >= 2
    )
