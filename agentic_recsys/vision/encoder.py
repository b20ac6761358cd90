"""A CLIP-style encoder pair on onnxruntime: pictures and words into one vector space.

An encoder is a folder (`--encoder DIR` or $ARS_CLIP_DIR) holding:

    image.onnx       the image tower: pixels float32 [batch, 3, size, size] -> [batch, dim]
                     (an output named image_embeds if there is one, else the first output)
    text.onnx        optional, the text tower: input_ids int64 [batch, tokens], and
                     attention_mask if it declares one -> [batch, dim] (text_embeds, else
                     the first output); without it, pictures can be searched by picture only
    tokenizer.json   the text tower's Hugging Face `tokenizers` file (needed with text.onnx)
    preprocess.json  optional: {"name": "...", "size": 224, "crop": true, "resample":
                     "bicubic", "mean": [...], "std": [...], "max_tokens": 77,
                     "stand_in": false}; the defaults are CLIP ViT-B/32's

Both towers run on one thread (or $ARS_THREADS), in batches; a tower exported with a
fixed batch or token length is fed at that length. The encoder's identity is a hash of
the folder's files, so an index built with one encoder is never read with another.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from agentic_recsys.errors import ArsError

IMAGE_TOWER = "image.onnx"
TEXT_TOWER = "text.onnx"
TOKENIZER = "tokenizer.json"
PREPROCESS = "preprocess.json"
FILES = (IMAGE_TOWER, TEXT_TOWER, TOKENIZER, PREPROCESS)
ENV = "ARS_CLIP_DIR"
BATCH = 32
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
RESAMPLE = {  # preprocess.json's names for Pillow's filters
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "box": Image.Resampling.BOX,
}
LAYOUT_HELP = "an encoder folder holds image.onnx, text.onnx, tokenizer.json (see the README)"


class EncoderError(ArsError):
    """An encoder folder that cannot be used, said in one line."""


class Preprocess(BaseModel):
    """How a picture becomes the image tower's input (preprocess.json)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="", max_length=100)
    size: int = Field(default=224, ge=8, le=1024)
    crop: bool = True  # scale the shorter side to `size` and cut the centre; else squash
    resample: Literal["bicubic", "bilinear", "box"] = "bicubic"
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    max_tokens: int = Field(default=77, ge=1, le=4096)
    stand_in: bool = False  # a deterministic stand-in, not a model that has seen pictures

    @classmethod
    def read(cls, folder: Path) -> Preprocess:
        """The folder's preprocess.json, or CLIP's defaults; a clear line if it is malformed."""
        path = folder / PREPROCESS
        try:
            raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            config = cls.model_validate(raw)
        except (OSError, ValueError) as e:  # pydantic's ValidationError is a ValueError
            why = " ".join(str(e).splitlines()[:3])
            raise EncoderError(f"{path} is not a valid preprocess file: {why}") from None
        return config if config.name else config.model_copy(update={"name": folder.name})


class ClipEncoder:
    """An image tower and (optionally) a text tower that map into one space; thread-safe."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        self.folder = folder
        if not (folder / IMAGE_TOWER).is_file():
            raise EncoderError(f"no {IMAGE_TOWER} in {folder}: {LAYOUT_HELP}")
        self.config = Preprocess.read(folder)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._image = _session(ort, folder / IMAGE_TOWER, opts)
        self._text = None
        self._tokenizer: Any = None
        if (folder / TEXT_TOWER).is_file():
            from tokenizers import Tokenizer

            if not (folder / TOKENIZER).is_file():
                raise EncoderError(f"{folder} has {TEXT_TOWER} but no {TOKENIZER}: {LAYOUT_HELP}")
            try:
                self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
            except Exception as e:  # tokenizers raises its own exception type
                raise EncoderError(f"{folder / TOKENIZER} cannot be read: {e}") from None
            self._tokenizer.enable_truncation(max_length=self.config.max_tokens)
            self._tokenizer.no_padding()
            self._text = _session(ort, folder / TEXT_TOWER, opts)
        self._lock = threading.Lock()
        self.dim = int(self.embed_images([Image.new("RGB", (8, 8))]).shape[1])
        if self._text is not None and self.embed_texts(["a"]).shape[1] != self.dim:
            raise EncoderError(f"the towers in {folder} give vectors of different sizes")

    @property
    def has_text(self) -> bool:
        """Whether words can be searched against pictures (a text tower is present)."""
        return self._text is not None

    @property
    def label(self) -> str:
        """How the encoder is named to a user; a stand-in says so."""
        name = self.config.name
        return f"{name} (a stand-in, not a real CLIP)" if self.config.stand_in else name

    @property
    def identity(self) -> str:
        """A hash of the folder's files: an index built with another encoder is stale."""
        return folder_identity(self.folder)

    def pixels(self, images: list[Image.Image]) -> np.ndarray:
        """The image tower's input for some pictures: resized, cropped, normalised, CHW."""
        c, size = self.config, self.config.size
        out = np.empty((len(images), 3, size, size), dtype=np.float32)
        mean, std = np.asarray(c.mean, np.float32), np.asarray(c.std, np.float32)
        for i, image in enumerate(images):
            image = image.convert("RGB")
            if c.crop:
                w, h = image.size
                scale = size / min(w, h)
                sw, sh = max(size, round(w * scale)), max(size, round(h * scale))
                image = image.resize((sw, sh), RESAMPLE[c.resample], reducing_gap=2.0)
                left, top = (sw - size) // 2, (sh - size) // 2
                image = image.crop((left, top, left + size, top + size))
            else:
                image = image.resize((size, size), RESAMPLE[c.resample], reducing_gap=2.0)
            array = np.asarray(image, dtype=np.float32) / 255.0
            out[i] = ((array - mean) / std).transpose(2, 0, 1)
        return out

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per picture, in batches."""
        session, (name, shape) = self._image, _first_input(self._image)
        batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else BATCH
        rows = []
        for start in range(0, len(images), batch):
            x = self.pixels(images[start : start + batch])
            out = self._run(session, {name: _pad_rows(x, shape[0])}, "image_embeds")
            rows.append(out[: len(x)])
        return _normalised(np.concatenate(rows) if rows else np.zeros((0, 0), np.float32))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (all zero for words it does not know)."""
        if self._text is None:
            raise EncoderError(f"the encoder in {self.folder} has no text tower ({TEXT_TOWER})")
        session = self._text
        inputs = {i.name: i.shape for i in session.get_inputs()}
        fixed = next((s[1] for n, s in inputs.items() if "ids" in n and isinstance(s[1], int)), 0)
        with self._lock:
            tokens = [e.ids for e in self._tokenizer.encode_batch(texts)]
        rows = []
        for start in range(0, len(tokens), BATCH):
            part = tokens[start : start + BATCH]
            width = fixed or max(1, *(len(t) for t in part))
            ids = np.zeros((len(part), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, t in enumerate(part):
                ids[row, : len(t)], mask[row, : len(t)] = t[:width], 1
            feed = {n: (mask if "mask" in n else ids) for n in inputs}
            rows.append(self._run(session, feed, "text_embeds"))
        return _normalised(np.concatenate(rows) if rows else np.zeros((0, self.dim), np.float32))

    def _run(self, session: Any, feed: dict[str, np.ndarray], preferred: str) -> np.ndarray:
        names = [o.name for o in session.get_outputs()]
        output = preferred if preferred in names else names[0]
        try:
            with self._lock:
                (out,) = session.run([output], feed)
        except Exception as e:  # onnxruntime's errors have no common public base
            raise EncoderError(f"the encoder in {self.folder} failed: {e}") from None
        out = np.asarray(out, dtype=np.float32)
        if out.ndim != 2:
            raise EncoderError(f"the encoder in {self.folder} gives {out.ndim}-D output, not 2-D")
        return out


def _session(ort: Any, path: Path, opts: Any) -> Any:
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own types for unloadable models
        raise EncoderError(f"{path} is not a loadable ONNX model ({e})") from None


def _first_input(session: Any) -> tuple[str, list[Any]]:
    first = session.get_inputs()[0]
    return first.name, list(first.shape)


def _pad_rows(x: np.ndarray, fixed: object) -> np.ndarray:
    """A tower exported for a fixed batch gets that many rows (the padding is dropped after)."""
    if not isinstance(fixed, int) or fixed <= len(x):
        return x
    return np.concatenate([x, np.zeros((fixed - len(x), *x.shape[1:]), x.dtype)])


def _normalised(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)


def folder_identity(folder: Path) -> str:
    """Hash of the encoder files present (names and contents), cached by size and time."""
    stats = tuple(
        (name, st.st_size, st.st_mtime_ns)
        for name in FILES
        if (path := folder / name).is_file() and (st := path.stat())
    )
    return _hash_files(folder.resolve(), stats)


@lru_cache(maxsize=16)
def _hash_files(folder: Path, stats: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for name, _, _ in stats:
        h.update(name.encode())
        with (folder / name).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def encoder_folder(path: Path | str | None) -> Path:
    """The encoder folder: the path given, else $ARS_CLIP_DIR; a clear line if neither."""
    chosen = path or os.environ.get(ENV)
    if not chosen:
        raise EncoderError(f"no image encoder: pass --encoder DIR or set {ENV}; {LAYOUT_HELP}")
    folder = Path(chosen).expanduser()
    if not folder.is_dir():
        raise EncoderError(f"the image encoder folder {folder} does not exist; {LAYOUT_HELP}")
    return folder


def load_encoder(folder: Path) -> ClipEncoder:
    """The process-wide encoder for a folder as it is now (threads: $ARS_THREADS, default 1)."""
    return _load(folder.resolve(), folder_identity(folder))


@lru_cache(maxsize=4)
def _load(folder: Path, identity: str) -> ClipEncoder:
    return ClipEncoder(folder, threads=int(os.environ.get("ARS_THREADS", "1")))
