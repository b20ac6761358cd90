"""Index build time, warm app.recommend latency, the offline eval's duration, memory.

Usage: OPENBLAS_NUM_THREADS=1 python benchmarks/bench_recommend.py [DATASET_DIR]
The dataset is copied to a temporary folder, so its index is built from scratch and the
original folder is never written to.
"""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import agentic_recsys as ars
from agentic_recsys.data.dataset import INDEX_DIR, Dataset
from agentic_recsys.evaluation.offline import FUSIONS, evaluate_offline


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(source: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / source.name
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns(INDEX_DIR))

        start = time.perf_counter()
        app = ars.open(folder)
        build = time.perf_counter() - start
        print(f"index build (cold, incl. embedding the catalog): {build:.1f} s")

        users = app.dataset.interactions.user_ids
        for user in users[:50]:  # warm up
            app.recommend(user, k=10)
        latencies = []
        for user in users:
            start = time.perf_counter()
            app.recommend(user, k=10)
            latencies.append(time.perf_counter() - start)
        ms = np.array(latencies) * 1000
        print(
            f"app.recommend warm, {len(ms)} users, k=10: p50 {np.percentile(ms, 50):.1f} ms, "
            f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms"
        )
        print(f"peak RSS after serving: {peak_rss_mb():.0f} MB")

        start = time.perf_counter()
        report = evaluate_offline(Dataset.open(folder))
        print(f"offline eval (tuning + test, all engines): {time.perf_counter() - start:.1f} s")
        for row in report.rows:
            print(
                f"  {row.name:18s} HR@10 {row.hr:.4f}  NDCG@10 {row.ndcg:.4f}  "
                f"sampled NDCG@10 {row.ndcg_sampled:.4f}  fit {row.fit_seconds:.2f} s"
            )
        best = max((r for r in report.rows if r.name not in FUSIONS), key=lambda r: r.ndcg)
        fused = next(r for r in report.rows if r.name == report.chosen_fusion)
        print(f"fusion / best single ({best.name}): {fused.ndcg / best.ndcg:.2f}x")
        print(f"peak RSS: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/ml-100k"))
