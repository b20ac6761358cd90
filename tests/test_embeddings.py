"""The embedding function: Chroma's model, same vectors however texts are batched."""

from __future__ import annotations

import numpy as np
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from agentic_recsys.embeddings import MiniLM, _like_length_batches, embedder, model_dir

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
    alone = np.vstack([MiniLM(model_dir()).embed([t]) for t in TEXTS])  # nothing remembered
    together = MiniLM(model_dir()).embed(TEXTS * 30)  # 150 texts: batches of several lengths
    np.testing.assert_allclose(together, np.tile(alone, (30, 1)), atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0)


def test_texts_are_batched_with_texts_of_like_length() -> None:
    assert _like_length_batches([40, 6, 5, 9, 60, 8]) == [[2, 1], [5, 3], [0, 4]]
    assert _like_length_batches([]) == []
    assert [len(b) for b in _like_length_batches([7] * 130)] == [64, 64, 2]


def test_a_short_text_is_embedded_once_and_its_vector_kept_safe() -> None:
    model = MiniLM(model_dir())
    runs = []
    run = model.session.run
    model.session.run = lambda *a, **k: runs.append(1) or run(*a, **k)  # type: ignore[method-assign]
    first = model.embed(["a dark heist movie", TEXTS[4]])
    first[0] = 0.0  # a caller's copy: changing it changes nothing remembered
    runs.clear()
    again = model.embed(["a dark heist movie", "something else"])
    assert len(runs) == 1  # only "something else" ran
    model.embed([TEXTS[4]])
    assert len(runs) == 2  # a long text is not remembered
    np.testing.assert_allclose(again[0], MiniLM(model_dir()).embed(["a dark heist movie"])[0])
    assert np.isclose(np.linalg.norm(again[0]), 1.0)
