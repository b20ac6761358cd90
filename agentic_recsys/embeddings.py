"""Sentence embeddings: all-MiniLM-L6-v2 on onnxruntime, texts of like length batched, one thread.

Chroma's own default function pads every text to 256 tokens (22x slower here); this one
batches texts of similar length and pads each batch to its longest (a turn's memories,
three short lines and a long episode, embed 2.4x faster apart than padded together).
It runs the same model files, so vectors are the same. It is registered with Chroma under
its own name, so collections created with it reopen with it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from agentic_recsys.errors import ArsError

MODEL_NAME = "all-MiniLM-L6-v2"
CHROMA_CACHE = Path.home() / ".cache" / "chroma" / "onnx_models" / MODEL_NAME / "onnx"
DIM = 384
MAX_TOKENS = 256
BATCH = 64
SPREAD = 1.5  # a batch's longest text has at most this many times the tokens of its shortest
REMEMBERED = 4096  # vectors of recent short texts kept (1.5 KiB each)
REMEMBERED_CHARS = 300  # longer texts (item descriptions, episodes) are rarely embedded twice


def model_dir() -> Path:
    """The folder with the ONNX model: $ARS_EMBEDDING_MODEL, else Chroma's cache (downloaded)."""
    configured = os.environ.get("ARS_EMBEDDING_MODEL")
    path = Path(configured) if configured else CHROMA_CACHE
    if (path / "model.onnx").is_file():
        return path
    if not configured:
        try:  # a machine with a network: let Chroma fetch its own copy
            from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

            ONNXMiniLM_L6_V2()._download_model_if_not_exists()
        except Exception:
            pass
        if (path / "model.onnx").is_file():
            return path
    raise ArsError(
        f"the embedding model {MODEL_NAME} is not in {path}; run `make models` "
        "(copies it from ../shared/models) or connect to the network once"
    )


class MiniLM:
    """The embedding model itself; thread-safe, loaded once per process."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()  # the file pads to 128; batches are padded here instead
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(path / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # text -> vector, LRU

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text.

        Short texts are remembered: a turn embeds its message more than once (the memory
        recall, the kind of turn, a search of the catalog), and a user's stated wishes recur.
        """
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        with self._lock:
            known = {i: self._recent[t] for i, t in enumerate(texts) if t in self._recent}
            for text in {texts[i] for i in known}:
                self._recent.move_to_end(text)
        for i, vector in known.items():
            out[i] = vector
        todo = [i for i in range(len(texts)) if i not in known]
        if todo:
            out[todo] = self._run([texts[i] for i in todo])
            with self._lock:
                for i in todo:
                    if len(texts[i]) <= REMEMBERED_CHARS:
                        self._recent[texts[i]] = out[i].copy()
                while len(self._recent) > REMEMBERED:
                    self._recent.popitem(last=False)
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        with self._lock:
            tokens = [e.ids for e in self.tokenizer.encode_batch(texts)]
        for batch in _like_length_batches([len(t) for t in tokens]):
            ids = np.zeros((len(batch), max(len(tokens[i]) for i in batch)), dtype=np.int64)
            for row, i in enumerate(batch):
                ids[row, : len(tokens[i])] = tokens[i]
            mask = (np.arange(ids.shape[1]) < np.array([[len(tokens[i])] for i in batch])).astype(
                np.int64
            )
            hidden = self.session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[batch] = pooled / np.maximum(norms, 1e-12)
        return out


def _like_length_batches(lengths: list[int]) -> list[list[int]]:
    # indices, shortest first; a batch closes at BATCH texts or when a text is SPREAD x longer
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        current = batches[-1] if batches else []
        if current and len(current) < BATCH and lengths[i] <= SPREAD * lengths[current[0]]:
            current.append(i)
        else:
            batches.append([i])
    return batches


@lru_cache(maxsize=1)
def embedder() -> MiniLM:
    """The process-wide model (threads from $ARS_THREADS, default 1)."""
    return MiniLM(model_dir(), threads=int(os.environ.get("ARS_THREADS", "1")))


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of `embedder()`: registered, so collections reopen with it."""

    def __init__(self) -> None:
        """Nothing to configure: the model is shared by the process."""

    def __call__(self, input: Documents) -> Embeddings:
        """Embed documents for Chroma."""
        return list(embedder().embed(list(input)))

    @staticmethod
    def name() -> str:
        """The name Chroma stores with each collection."""
        return "agentic-recsys-minilm"

    def default_space(self) -> Space:
        """Vectors are normalised: cosine."""
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        """Nothing to store."""
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        """Rebuild when Chroma reopens a collection."""
        return MiniLMEmbeddingFunction()
