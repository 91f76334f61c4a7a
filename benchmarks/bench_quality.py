"""Benchmark (issue 4): quality scoring throughput on 24 MP JPEGs with the default offline metric set, on CPU.

Per photo it does what the scoring stage does when it has to start from the original: a Pillow ``draft`` decode at
``quality.score_max_px`` (1024) plus every ready metric (the config's default list with an empty weights dir, i.e.
PIQE) plus the classical blur/brightness/contrast. Metrics are loaded once (setup), as in a run; the load time and the
one-off ``import pyiqa`` are reported separately. For reference it also times a full 24 MP decode + resize, the
work a naive scorer would do per photo.

Run: ``python -m benchmarks.bench_quality [n]`` from the project root; writes ``benchmarks/results/quality.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:  # so `tests.harness` (the realistic JPEG generator) imports as a script
    sys.path.insert(0, str(PROJECT_ROOT))

from PIL import Image

from amirtui.config import Settings
from amirtui.core.imaging import fit_size
from amirtui.core.quality.classical import load_score_image
from amirtui.core.quality.metrics import load_metrics
from amirtui.core.quality.stage import Scorer

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "quality.json"
SIZE = (6000, 4000)  # 24 MP


def _make_images(n: int, directory: Path) -> list[Path]:
    from tests.harness.images import make_jpeg

    return [make_jpeg(directory / f"DSC_{i:04d}.JPG", size=SIZE, seed=i + 1) for i in range(n)]


def run(n: int = 6, out_dir: Path | str | None = None, repeats: int = 2) -> dict:
    """Score ``n`` generated 24 MP JPEGs ``repeats`` times on CPU; returns (and writes) the results dict."""
    out_path = Path(out_dir) / "quality.json" if out_dir else RESULTS
    with tempfile.TemporaryDirectory(prefix="amirtui-bench-quality-") as tmp:
        tmp_path = Path(tmp)
        settings = Settings(base_dir=tmp_path)  # the default metric list, an empty weights dir → offline set
        settings.quality.device = "cpu"
        max_px = settings.quality.score_max_px
        photos = _make_images(n, tmp_path / "src")
        file_mb = statistics.mean(p.stat().st_size for p in photos) / 1e6

        t0 = time.perf_counter()
        skipped: list[str] = []
        metrics, statuses = load_metrics(settings, warn=skipped.append)
        setup_s = time.perf_counter() - t0
        scorer = Scorer(metrics, warn=lambda m: skipped.append(m))
        scorer.score(load_score_image(photos[0], max_px))  # warm-up: first torch call allocates

        decode_ms, score_ms, total_ms = [], [], []
        for _ in range(repeats):
            for p in photos:
                a = time.perf_counter()
                img = load_score_image(p, max_px)
                b = time.perf_counter()
                scorer.score(img)
                c = time.perf_counter()
                decode_ms.append((b - a) * 1e3)
                score_ms.append((c - b) * 1e3)
                total_ms.append((c - a) * 1e3)

        naive_ms = []
        for p in photos[: min(3, n)]:
            a = time.perf_counter()
            with Image.open(p) as im:
                im.convert("RGB").resize(fit_size(im.size, (max_px, max_px)), Image.Resampling.BILINEAR)
            naive_ms.append((time.perf_counter() - a) * 1e3)

    import torch

    total_med = statistics.median(total_ms)
    result = {
        "benchmark": "quality",
        "photos": n,
        "repeats": repeats,
        "source_size": list(SIZE),
        "source_file_mb": round(file_mb, 2),
        "score_max_px": max_px,
        "device": "cpu",
        "torch_threads": torch.get_num_threads(),
        "metrics_ready": [m.name for m in metrics],
        "metrics_skipped": {s.name: s.detail for s in statuses if s.status != "ready"},
        "setup_s_including_pyiqa_import": round(setup_s, 2),
        "per_photo_ms_median": {
            "total": round(total_med, 1),
            "draft_decode": round(statistics.median(decode_ms), 1),
            "metrics_and_classical": round(statistics.median(score_ms), 1),
            "naive_full_decode_resize": round(statistics.median(naive_ms), 1),
        },
        "images_per_s": round(1000.0 / total_med, 2),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    res = run(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
    print(json.dumps(res, indent=2))
