"""The embedding function: Chroma's model, same vectors however texts are batched."""

from __future__ import annotations

import numpy as np
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from agentic_recsys.embeddings import _like_length_batches, embedder

TEXTS = [
    "liked Fargo (1996)",
    "asked: something funny and dark from the nineties; shown: Star Wars (1977), Fargo "
    "(1996), Toy Story (1995), The Usual Suspects (1995), Heat (1995); chose: Fargo (1996)",
    "avoids Horror: no horror, please",
    "",
    "word " * 400,  # beyond the model's 256 tokens: truncated
]


def test_vectors_match_chromas_own_minilm() -> None:
    ours = embedder().embed(TEXTS)
    chromas = np.array(ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])(TEXTS))
    assert ours.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(ours, chromas, atol=1e-5)


def test_batching_never_changes_a_vector() -> None:
    together = embedder().embed(TEXTS * 30)  # 150 texts: several batches of several lengths
    alone = np.vstack([embedder().embed([t]) for t in TEXTS])
    np.testing.assert_allclose(together, np.tile(alone, (30, 1)), atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0)


def test_texts_are_batched_with_texts_of_like_length() -> None:
    assert _like_length_batches([40, 6, 5, 9, 60, 8]) == [[2, 1], [5, 3], [0, 4]]
    assert _like_length_batches([]) == []
    assert [len(b) for b in _like_length_batches([7] * 130)] == [64, 64, 2]
