"""The image index with the stand-in encoder: build rate on one thread, query latency at 10K.

Draws N posters (JPEG, 300x450, random colours and shapes) with Pillow, writes a catalog
naming them, builds the index through `build_image_index` (decode, hash, encode, save),
then times queries as the tools run them: a picture the user sent (encode it, score every
item, top 10) and a look in words (encode the words, pick the pictures they single out,
top 10). Targets (issue 15): >= 50 images/s to index on one thread, query p95 < 20 ms at
10K images. The stand-in's numbers say nothing of a real CLIP's speed.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_images.py [--n 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from agentic_recsys.data.dataset import Dataset, ItemRecord, write_dataset
from agentic_recsys.engines.fusion import top_k
from agentic_recsys.vision.index import build_image_index, open_image_index
from agentic_recsys.vision.standin import write_standin

LOOKS = ["a dark, rainy poster", "bright red", "a green forest", "snowy white top", "night"]


def poster(rng: random.Random) -> Image.Image:
    """A poster-like picture: a background and a few shapes in random colours."""
    image = Image.new("RGB", (300, 450), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(1, 5)):
        (x0, x1), (y0, y1) = sorted(rng.sample(range(300), 2)), sorted(rng.sample(range(450), 2))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile of durations in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
        root = Path(tmp)
        (root / "posters").mkdir()
        start = time.perf_counter()
        records = []
        for i in range(args.n):
            path = root / "posters" / f"{i}.jpg"
            poster(rng).save(path, quality=85)
            records.append(ItemRecord(id=str(i), title=f"Item {i}", image=str(path)))
        print(f"drew {args.n:,} posters in {time.perf_counter() - start:.0f} s")
        write_dataset(root / "data", "posters", records, [])
        dataset = Dataset.open(root / "data")
        encoder = write_standin(root / "encoder")
        cpu = time.process_time()
        report = build_image_index(dataset, encoder)
        cpu = time.process_time() - cpu
        print(f"build: {report.line()}")
        rate, cpu_rate = report.encoded / report.seconds, report.encoded / cpu
        again = build_image_index(dataset, encoder)
        print(f"rebuild, nothing changed: {again.seconds:.1f} s")
        index, status = open_image_index(dataset)
        assert index is not None, status.line()
        sent = [poster(rng) for _ in range(args.queries)]
        allowed = np.ones(args.n, dtype=bool)
        picture: list[tuple[float, float]] = []  # (wall, CPU) seconds
        words: list[tuple[float, float]] = []
        for image in sent:
            t, c = time.perf_counter(), time.thread_time()
            top_k(np.where(allowed, index.picture_scores([image]), -np.inf).astype(np.float32), 10)
            picture.append((time.perf_counter() - t, time.thread_time() - c))
        for q in range(args.queries):
            text = LOOKS[q % len(LOOKS)] + ("" if q < len(LOOKS) else f" {q}")
            t, c = time.perf_counter(), time.thread_time()
            scores = index.text_scores(text)
            assert scores is not None
            matches = index.text_matches(text)
            top_k(np.where(matches, scores, -np.inf).astype(np.float32), 10)
            words.append((time.perf_counter() - t, time.thread_time() - c))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    machine = platform.processor() or platform.machine()
    print(f"{when}; {machine}, {os.cpu_count()} cores, load average {load:.1f}")
    print(f"index build: {rate:.0f} images/s wall, {cpu_rate:.0f}/s of CPU, one thread (>= 50)")
    for name, times in (("picture", picture), ("words", words)):
        wall, used = [w for w, _ in times], [c for _, c in times]
        print(
            f"{name} query at {args.n:,}: wall p50 {percentile(wall, 50):.1f} ms, "
            f"p95 {percentile(wall, 95):.1f} ms; CPU p50 {percentile(used, 50):.1f} ms, "
            f"p95 {percentile(used, 95):.1f} ms (target p95 < 20)"
        )


if __name__ == "__main__":
    main()
