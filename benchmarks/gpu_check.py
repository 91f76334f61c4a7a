"""GPU check (issue 19 §4): CUDA scoring with batching for the configured quality metrics, compared with the CPU.

Run: ``python benchmarks/gpu_check.py --photos DIR [--weights-dir data/weights] [--metrics piqe,brisque,nima,laion_aes]``

Needs only torch, numpy, Pillow and pyiqa. amirtui's own pure modules (the classical measures, QR, the weight-file
table and the offline download guard) are imported from this checkout by path — they need nothing beyond those four
packages; if they cannot be imported the check still runs the pyiqa metrics and says that QR was not compared.

What it does:

1. Picks the metrics to check: every configured metric whose weight files are in the weights dir, else PIQE (which
   needs none). Nothing is ever downloaded (``HF_HUB_OFFLINE=1``; pyiqa's downloader refuses).
2. Decodes the photos (upright, ≤ 1024 px like the scoring stage's model images) and makes them one size (centre
   crop to the most common size) so they batch; fewer than 64 photos are reused round-robin.
3. Scores every image one by one on the CPU, then on CUDA at batch sizes 1, 8 and 32, and checks that each CUDA
   score equals the CPU score within tolerance (per metric: 1e-3 of its range, i.e. 0.1 for PIQE/BRISQUE's 0–100,
   0.01 for NIMA/LAION's 0–10), and that QR agrees to 0.01.
4. Reports photos/s per batch size (metric time only, transfers included, decode excluded) and the CPU figure.

Exit codes: 0 = all scores agree (or: no NVIDIA GPU here — the check is skipped with a message saying so),
1 = a CUDA score differs from the CPU beyond tolerance, 2 = the check cannot run (no photos, pyiqa missing).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections import Counter
from contextlib import nullcontext, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BATCH_SIZES = (1, 8, 32)
MIN_IMAGES = 64
MAX_PX = 1024
#: Metric → the width of its scale; the tolerance is 1e-3 of it.
SCALE = {"piqe": 100.0, "brisque": 100.0, "niqe": 20.0, "nima": 10.0, "laion_aes": 10.0, "musiq": 100.0}
DEFAULT_METRICS = ("piqe", "brisque", "nima", "laion_aes")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


def _amirtui():
    """amirtui's pure quality modules, or None (the check then runs without QR and without the weight table)."""
    try:
        from amirtui.core.quality import classical, metrics, qr

        return classical, metrics, qr
    except Exception as exc:  # noqa: BLE001 - any import problem: fall back, and say so
        print(f"note: amirtui's quality modules did not import ({type(exc).__name__}: {exc}); "
              "QR is not compared, only the pyiqa metrics", file=sys.stderr)
        return None


def _load(path: Path):
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.draft("RGB", (MAX_PX, MAX_PX))
        im = ImageOps.exif_transpose(im).convert("RGB")
        im.thumbnail((MAX_PX, MAX_PX), Image.Resampling.BILINEAR)
        return im


def load_images(folder: Path) -> tuple[list, list[str]]:
    """Decode every image under ``folder``; crop them to the most common size; report the unreadable ones."""
    from PIL import Image

    images, problems = [], []
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in IMAGE_SUFFIXES or not p.is_file():
            continue
        try:
            img = _load(p)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            problems.append(f"{p}: {type(exc).__name__}: {exc}")
            continue
        if min(img.size) >= 64:
            images.append(img)
        else:
            problems.append(f"{p}: only {img.size[0]}x{img.size[1]} px, too small to score (skipped)")
    if not images:
        return [], problems
    # the most common size among the larger images; smaller ones are left out rather than upscaled
    w, h = Counter(im.size for im in images).most_common(1)[0][0]
    same = []
    for im in images:
        if im.size[0] < w or im.size[1] < h:
            continue
        left, top = (im.size[0] - w) // 2, (im.size[1] - h) // 2
        same.append(im.crop((left, top, left + w, top + h)))
    return same, problems


def _tensor(images, device: str):
    import numpy as np
    import torch

    arr = np.stack([np.asarray(im, dtype=np.uint8) for im in images])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(255).to(device)


def pick_metrics(wanted: list[str], weights_dir: Path, mods) -> list[str]:
    """The wanted metrics whose weight files are present (without amirtui's table: PIQE only), else ["piqe"]."""
    if mods is None:
        return ["piqe"]
    table = mods[1].KNOWN_WEIGHTS
    ready = [m for m in wanted if m in table and all(f.present(weights_dir) for f in table[m])]
    return ready or ["piqe"]


def build(pyiqa, name: str, device: str, weights_dir: Path, mods):
    """``pyiqa.create_metric`` offline (amirtui's download guard when available)."""
    guard = mods[1].download_guard(weights_dir) if mods is not None else nullcontext()
    with guard, redirect_stdout(io.StringIO()):
        return pyiqa.create_metric(name, device=device)


def score(metric, images, batch: int, device: str) -> tuple[list[float], float]:
    """Scores of ``images`` in batches of ``batch``, and the seconds it took (CUDA synchronised)."""
    import torch

    out: list[float] = []
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out += [float(v) for v in metric(_tensor(images[i:i + batch], device)).reshape(-1).tolist()]
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


def _qr(mods, img, metric_values: dict[str, float]) -> float | None:
    if mods is None:
        return None
    classical, _, qr = mods
    raw = {**classical.classical_scores(img).as_dict(), **metric_values}
    return qr.compute_qr(raw, qr.ORIGINAL_WEIGHTS, qr.OFFLINE_WEIGHTS).qr


def main(argv: list[str] | None = None) -> int:
    """Run the check; see the module docstring for the exit codes."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=ROOT / "tests" / "data" / "photos", help="folder of photos")
    ap.add_argument("--weights-dir", type=Path, default=ROOT / "data" / "weights")
    ap.add_argument("--metrics", default=",".join(DEFAULT_METRICS), help="comma-separated pyiqa metric names")
    ap.add_argument("--out", type=Path, help="also write the result as JSON here")
    ap.add_argument("--device", default="cuda", help="cuda (default); 'cpu' runs the whole check CPU against CPU, "
                    "which proves the script works on a machine without a GPU")
    args = ap.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("SKIP: torch is not installed here, so there is no CUDA to check (exit 0)")
        return 0
    dev = args.device
    if dev.startswith("cuda") and not torch.cuda.is_available():
        print(f"SKIP: no NVIDIA GPU visible to torch {torch.__version__} (CUDA build: {torch.version.cuda}); "
              "this check needs a machine with an NVIDIA GPU and a CUDA build of torch (exit 0)")
        return 0
    mods = _amirtui()
    if mods is not None:
        mods[1].point_caches(args.weights_dir, offline=True)
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ["TORCH_HOME"] = str(args.weights_dir)
    try:
        import pyiqa
    except ImportError as exc:
        print(f"ERROR: pyiqa does not import ({exc}); install it (and torchvision) to run this check")
        return 2
    images, problems = load_images(args.photos)
    for line in problems:
        print(f"note: {line}", file=sys.stderr)
    if not images:
        print(f"ERROR: no scorable image in {args.photos} (give --photos a folder of JPEGs)")
        return 2
    pool = [images[i % len(images)] for i in range(max(MIN_IMAGES, len(images)))]
    names = pick_metrics([m.strip() for m in args.metrics.split(",") if m.strip()], args.weights_dir, mods)
    gpu = torch.cuda.get_device_name(0) if dev.startswith("cuda") else f"none (--device {dev})"
    print(f"GPU: {gpu}; torch {torch.__version__}; pyiqa {getattr(pyiqa, '__version__', '?')}; metrics: {', '.join(names)}; "
          f"{len(images)} photos at {images[0].size[0]}x{images[0].size[1]} px, {len(pool)} scored per pass")

    result = {"gpu": gpu, "torch": torch.__version__, "metrics": names, "image_size": list(images[0].size),
              "images_per_pass": len(pool), "per_metric": {}, "all_agree": True}
    cpu_all: dict[str, list[float]] = {}
    cuda_all: dict[str, list[float]] = {}
    for name in names:
        cpu_metric = build(pyiqa, name, "cpu", args.weights_dir, mods)
        uniq = images  # CPU reference on each distinct image once (the pool repeats them)
        cpu_vals, cpu_s = score(cpu_metric, uniq, 1, "cpu")
        del cpu_metric
        gpu_metric = build(pyiqa, name, dev, args.weights_dir, mods)
        score(gpu_metric, pool[:8], 8, dev)  # warm-up: kernels, allocator
        tol = 1e-3 * SCALE.get(name, 100.0)
        entry = {"tolerance": tol, "cpu_photos_per_s": round(len(uniq) / cpu_s, 2), "batch": {}}
        for b in BATCH_SIZES:
            try:
                vals, secs = score(gpu_metric, pool, b, dev)
            except torch.cuda.OutOfMemoryError:
                entry["batch"][b] = {"error": "CUDA out of memory"}
                torch.cuda.empty_cache()
                continue
            diff = max(abs(vals[i] - cpu_vals[i % len(uniq)]) for i in range(len(pool)))
            ok = diff <= tol
            entry["batch"][b] = {"photos_per_s": round(len(pool) / secs, 1), "max_abs_diff_vs_cpu": diff, "agree": ok}
            result["all_agree"] &= ok
            if b == 1:
                cuda_all[name] = vals[: len(uniq)]
        cpu_all[name] = cpu_vals
        result["per_metric"][name] = entry
        del gpu_metric
        if dev.startswith("cuda"):
            torch.cuda.empty_cache()

    if mods is not None and cuda_all:
        qr_diffs = []
        for i, img in enumerate(images):
            a = _qr(mods, img, {n: v[i] for n, v in cpu_all.items()})
            b = _qr(mods, img, {n: v[i] for n, v in cuda_all.items()})
            if a is not None and b is not None:
                qr_diffs.append(abs(a - b))
        result["qr_max_abs_diff"] = round(max(qr_diffs), 4) if qr_diffs else None
        result["qr_agree"] = bool(qr_diffs) and max(qr_diffs) <= 0.01 + 1e-9
        result["all_agree"] &= result["qr_agree"]

    print(f"{'metric':<10} {'batch':>5} {'photos/s':>9} {'max |cuda-cpu|':>15} {'tolerance':>9}  agree")
    for name, e in result["per_metric"].items():
        print(f"{name:<10} {'cpu':>5} {e['cpu_photos_per_s']:>9} {'—':>15} {'':>9}")
        for b, r in e["batch"].items():
            if "error" in r:
                print(f"{name:<10} {b:>5} {r['error']}")
                continue
            print(f"{name:<10} {b:>5} {r['photos_per_s']:>9} {r['max_abs_diff_vs_cpu']:>15.2e} {e['tolerance']:>9}  "
                  f"{'yes' if r['agree'] else 'NO'}")
    if "qr_agree" in result:
        print(f"QR (offline mix) max |cuda-cpu| = {result['qr_max_abs_diff']} → {'agrees' if result['qr_agree'] else 'DIFFERS'}")
    print("all CUDA scores equal the CPU scores within tolerance" if result["all_agree"]
          else "MISMATCH: some CUDA scores differ from the CPU beyond tolerance")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return 0 if result["all_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
