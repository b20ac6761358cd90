"""What kind of turn a message is, by similarity with the shipped MiniLM model.

Used only where the readers found nothing concrete (no title, genre, field value, number
or reference to a shown item): then "any other suggestions?" still asks for items, while
"Hey there! How's it going?" or "I believe he will too" is talk, never a title-word search.
Each kind is a handful of short, domain-neutral examples; a message is the kind whose
nearest example is closest, if that is close enough.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np

from agentic_recsys.data.fields import Domain
from agentic_recsys.embeddings import embedder

TurnKind = Literal["request", "talk", "reject", "unsure"]

EXAMPLES: dict[str, tuple[str, ...]] = {
    "request": (
        "can you recommend a {noun}",
        "I would love to {verb_base} something",
        "any good {plural} to {verb_base}?",
        "any suggestions?",
        "do you have any other ideas for me",
        "what should I try next",
        "I am looking for something good",
        "I would love to find something like that",
        "show me more options",
        "give me a few more",
        "something else please",
        "what would you suggest for tonight",
        "I need something new",
        "help me pick one",
    ),
    "reject": (
        "none of them appeal to me",
        "no, I don't like any of these",
        "these are not what I am looking for",
        "that list is not for me",
        "I'm not interested in those",
        "no, wrong ones",
    ),
    "talk": (
        "hello, how are you",
        "hi there, how is it going",
        "I'm doing well, thanks for asking",
        "thank you so much, that is all",
        "goodbye, have a nice day",
        "nice to meet you",
        "I think so too",
        "I agree with you",
        "I see what you mean",
        "that sounds nice",
        "I will check it out",
        "ok, sounds good",
        "lol that is funny",
        "that is true",
        "these look great",
        "what is your favorite {noun}?",
        "I saw it and it was great",
    ),
}
MIN_SIMILARITY = 0.3  # below it, nearest examples say too little to decide
MARGIN = 0.1  # the winning kind must be this much closer than the other


@lru_cache(maxsize=8)
def _example_vectors(domain: Domain) -> dict[str, np.ndarray]:
    words = {"noun": domain.noun, "plural": domain.plural, "verb_base": domain.verb_base}
    return {
        kind: embedder().embed([t.format(**words) for t in texts])
        for kind, texts in EXAMPLES.items()
    }


@lru_cache(maxsize=256)  # one parse asks about a sentence more than once (query, rejection)
def turn_kind(message: str, domain: Domain) -> TurnKind:
    """The kind of turn: request (asks for items), reject (turns a list down), talk, unsure."""
    text = " ".join(message.split())[:300]
    if not text:
        return "unsure"
    vector = embedder().embed([text])[0]
    examples = _example_vectors(domain)
    best = {kind: float((vectors @ vector).max()) for kind, vectors in examples.items()}
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    (kind, top), (_, second) = ranked[0], ranked[1]
    if top < MIN_SIMILARITY or top - second < MARGIN:
        return "unsure"
    return kind  # type: ignore[return-value]
