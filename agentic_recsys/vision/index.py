"""The catalog's image index: one vector per item picture, kept with the dataset as arrays.

Built by `ars data index-images DIR --encoder PATH` (the user's CLIP-style pair, or the
stand-in) and saved under the dataset's index dir like the recommender's index (npz and
a manifest of hashes, engines/index_store.py: no pickles). It is used only while it
matches what it was built from: the catalog (its fingerprint), the encoder (a hash of its
files) and every picture file (path, size and modification time). Anything else makes it
stale: flagged with one line, never served, and rebuilt by the same command, which
re-encodes only the pictures whose contents changed.

Ranking is exact (vectors @ query), as for item text: a catalog's pictures fit in memory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from agentic_recsys.data.dataset import Dataset
from agentic_recsys.data.importer import is_url
from agentic_recsys.engines import index_store
from agentic_recsys.engines.semantic import NEIGHBOUR_SAMPLE, NULL_QUERIES
from agentic_recsys.errors import DataError
from agentic_recsys.vision.encoder import (
    ENV,
    ClipEncoder,
    EncoderError,
    encoder_folder,
    folder_identity,
    load_encoder,
)
from agentic_recsys.vision.pictures import PictureError, open_picture

FOLDER = "images"
PART = "pictures"
KEY = index_store.config_key("image-index-1")
BATCH = 32  # pictures decoded and encoded per step (a progress tick)
URL_SKIPPED = "a URL (network image fetches are off for catalog images)"
EXAMPLES = 3  # bad pictures named in the build's report line
TEXT_CACHE = 256  # texts whose vectors are kept

log = logging.getLogger(__name__)


@dataclass
class ImageIndex:
    """Item pictures as unit vectors (row i: item i; zeros and `present` False without one)."""

    vectors: np.ndarray
    present: np.ndarray
    encoder: ClipEncoder
    # the planner asks whether a text describes a look, then the tool searches it: encode once
    _texts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @cached_property
    def close_neighbour(self) -> float:
        """Picture-to-picture cosine above which two pictures look alike on this catalog.

        The median of each sampled picture's nearest neighbour (as `Semantic.close_neighbour`
        for text): "looks like" is said only of matches closer than half the catalog's
        pictures are to their own nearest one.
        """
        rows = np.flatnonzero(self.present)
        if len(rows) < 2:
            return 1.0
        sample = np.random.default_rng(0).choice(
            rows, size=min(len(rows), NEIGHBOUR_SAMPLE), replace=False
        )
        sims = self.vectors[sample] @ self.vectors[rows].T
        sims[sims > 1 - 1e-6] = -1.0  # itself (and exact duplicates)
        return float(np.median(sims.max(axis=1)))

    @cached_property
    def text_chance(self) -> float:
        """The best cosine words that describe no look reach here: a match must beat it."""
        if not self.encoder.has_text or not self.present.any():
            return 1.0
        null = self.encoder.embed_texts(list(NULL_QUERIES))
        return float(max(0.0, (self.vectors[self.present] @ null.T).max()))

    def picture_scores(self, pictures: list[Image.Image]) -> np.ndarray:
        """Cosine of every item's picture to the pictures given (their mean direction)."""
        mean = self.encoder.embed_images(pictures).mean(axis=0)
        return self.vectors @ (mean / max(float(np.linalg.norm(mean)), 1e-12))

    def text_scores(self, text: str) -> np.ndarray | None:
        """Cosine of every item's picture to a description; None without a text tower."""
        if not self.encoder.has_text or not text.strip():
            return None
        if text not in self._texts:
            if len(self._texts) >= TEXT_CACHE:
                self._texts.clear()
            self._texts[text] = self.encoder.embed_texts([text])[0]
        return self.vectors @ self._texts[text]

    def text_matches(self, text: str) -> np.ndarray:
        """Items whose picture the text describes: beyond chance, and standing out for it.

        Beyond chance: closer than words that describe nothing (`text_chance`). Standing
        out: more than a standard deviation above the text's mean over the catalog's
        pictures, since words close to every picture alike single none of them out.
        """
        scores = self.text_scores(text)
        if scores is None or not self.present.any():
            return np.zeros(len(self.present), dtype=bool)
        shown = scores[self.present]
        bar = max(self.text_chance, float(shown.mean() + shown.std()))
        return self.present & (scores > bar)

    def describes_look(self, text: str) -> bool:
        """Whether the text singles out some item's picture (see `text_matches`)."""
        return bool(self.text_matches(text).any())


@dataclass(frozen=True)
class Status:
    """Whether a dataset's image index can be used, and if not why, in one line."""

    state: str  # "none", "ready", "stale" or "unusable"
    why: str = ""
    pictures: int = 0
    encoder: str = ""

    def line(self) -> str:
        """The status as a user reads it."""
        if self.state == "ready":
            return f"{self.pictures:,} pictures, encoder {self.encoder}"
        if self.state == "none":
            return "none (build one with `ars data index-images DIR --encoder PATH`)"
        return f"{self.state}: {self.why}; rebuild it with `ars data index-images DIR`"


@dataclass
class BuildReport:
    """What a build did: pictures encoded, reused, skipped (with examples), and how fast."""

    indexed: int = 0
    encoded: int = 0
    reused: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    encoder: str = ""

    def line(self) -> str:
        """The build in one line."""
        total = self.indexed + sum(self.skipped.values())
        rate = f", {self.encoded / self.seconds:.0f}/s" if self.encoded and self.seconds else ""
        text = (
            f"indexed {self.indexed:,} of {total:,} item pictures with {self.encoder} "
            f"({self.encoded:,} encoded, {self.reused:,} unchanged; {self.seconds:.1f} s{rate})"
        )
        if self.skipped:
            reasons = ", ".join(f"{n} {why}" for why, n in self.skipped.most_common())
            text += f"; skipped {sum(self.skipped.values()):,} ({reasons}): " + "; ".join(
                self.examples
            )
        return text


def open_image_index(dataset: Dataset) -> tuple[ImageIndex | None, Status]:
    """The dataset's image index if it matches the catalog, the encoder and every picture."""
    folder = dataset.index_dir / FOLDER
    if not folder.exists():
        return None, Status("none")
    stored = index_store.load(dataset, KEY, FOLDER)
    if stored is None:
        return None, Status("stale", "the catalog changed or the index is damaged")
    facts, arrays = stored.facts, stored.parts.get(PART, {})
    try:
        encoder_dir = Path(os.environ.get(ENV) or facts["encoder"]["path"])
        built_with = str(facts["encoder"]["identity"])
        vectors, present = arrays["vectors"], arrays["present"].astype(bool)
        signatures = [str(s) for s in arrays["signatures"]]
    except (KeyError, TypeError, ValueError) as e:
        return None, Status("unusable", f"its manifest or arrays lack {e}")
    if not encoder_dir.is_dir():
        return None, Status("unusable", f"its encoder folder {encoder_dir} is gone")
    if folder_identity(encoder_dir) != built_with:
        why = f"the encoder in {encoder_dir} is not the one it was built with"
        return None, Status("stale", why)
    changed = sum(a != b for a, b in zip(signatures, _signatures(dataset), strict=True))
    if changed:
        return None, Status("stale", f"{changed:,} catalog picture(s) changed since it was built")
    try:
        encoder = load_encoder(encoder_dir)
    except EncoderError as e:
        return None, Status("unusable", str(e))
    index = ImageIndex(vectors.astype(np.float32), present, encoder)
    return index, Status("ready", pictures=int(present.sum()), encoder=encoder.label)


def build_image_index(
    dataset: Dataset,
    encoder_path: Path | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Encode every item picture (reusing unchanged ones) and save the index with the dataset.

    The encoder is `encoder_path`, else $ARS_CLIP_DIR, else the one the index was built
    with. Bad pictures are skipped and counted; a catalog with no readable picture at all
    is a DataError.
    """
    start = time.perf_counter()
    previous = index_store.load(dataset, KEY, FOLDER)
    folder = encoder_folder(encoder_path or _built_with(previous))
    encoder = load_encoder(folder)
    old = _reusable(previous, encoder.identity)
    refs = dataset.items.images
    if not any(r.strip() for r in refs):
        raise DataError(
            "no item has a picture: import items with an `image` column (a path per item)",
            path=dataset.path,
        )
    n = len(refs)
    vectors = np.zeros((n, encoder.dim), dtype=np.float32)
    present = np.zeros(n, dtype=bool)
    signatures, contents = _signatures(dataset), [""] * n
    report = BuildReport(encoder=encoder.label)
    pending: list[tuple[int, Image.Image]] = []

    def flush() -> None:
        if pending:
            rows = [i for i, _ in pending]
            vectors[rows] = encoder.embed_images([p for _, p in pending])
            present[rows] = True
            report.encoded += len(pending)
            pending.clear()

    for i, ref in enumerate(refs):
        if progress:
            progress(i, n)
        if not ref.strip():
            continue
        try:
            path = _picture_path(dataset, ref)
            contents[i] = _content_hash(path)
            if (vector := old.get(contents[i])) is not None:
                vectors[i], present[i] = vector, True
                report.reused += 1
                continue
            pending.append((i, open_picture(path)))
        except PictureError as e:
            report.skipped[str(e)] += 1
            if len(report.examples) < EXAMPLES:
                report.examples.append(f"item {dataset.items.ids[i]} ({ref[:80]}): {e}")
            continue
        if len(pending) >= BATCH:
            flush()
    flush()
    if progress:
        progress(n, n)
    report.indexed = int(present.sum())
    if not report.indexed:
        raise DataError(f"no item picture could be read: {report.line()}", path=dataset.path)
    parts = {
        PART: {
            "vectors": vectors,
            "present": present,
            "signatures": np.asarray(signatures, dtype=np.str_),
            "contents": np.asarray(contents, dtype=np.str_),
        }
    }
    facts = {
        "encoder": {
            "path": str(folder.resolve()),
            "identity": encoder.identity,
            "label": encoder.label,
            "stand_in": encoder.config.stand_in,
            "dim": encoder.dim,
        },
        "pictures": report.indexed,
        "skipped": dict(report.skipped),
    }
    index_store.save(dataset, KEY, index_store.StoredIndex(parts, facts), FOLDER)
    report.seconds = time.perf_counter() - start
    return report


def _picture_path(dataset: Dataset, ref: str) -> Path:
    """A catalog picture's file: absolute as imported, or relative to the dataset folder."""
    if is_url(ref):
        raise PictureError(URL_SKIPPED)
    path = Path(ref.strip()).expanduser()
    return path if path.is_absolute() else dataset.path / path


def _signatures(dataset: Dataset) -> list[str]:
    """Per item: its picture reference with the file's size and time ("" without a picture)."""
    out = []
    for ref in dataset.items.images:
        if not ref.strip():
            out.append("")
            continue
        try:
            st = _picture_path(dataset, ref).stat()
            out.append(f"{ref}\0{st.st_size}\0{st.st_mtime_ns}")
        except (PictureError, OSError):
            out.append(f"{ref}\0-")
    return out


def _content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        raise PictureError("missing") from None
    except OSError as e:
        raise PictureError(f"unreadable ({e.strerror})") from None


def _built_with(stored: index_store.StoredIndex | None) -> str | None:
    """The encoder folder an earlier build used, if its manifest says."""
    try:
        return str(stored.facts["encoder"]["path"]) if stored is not None else None
    except (KeyError, TypeError):
        return None


def _reusable(stored: index_store.StoredIndex | None, identity: str) -> dict[str, np.ndarray]:
    """Content hash -> an earlier build's vector for it, when it used this encoder."""
    try:
        if stored is None or stored.facts["encoder"]["identity"] != identity:
            return {}
        arrays = stored.parts[PART]
        pairs = zip(arrays["contents"], arrays["present"], arrays["vectors"], strict=True)
        return {str(h): v for h, ok, v in pairs if h and ok}
    except (KeyError, TypeError, ValueError):
        return {}
