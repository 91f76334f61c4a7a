"""Benchmark (issue 17): perceptual fingerprints — detection rates on real photos, cost per photo, query time.

The labelled set is built from the repository's real camera photos (``tests/data/photos``):
- **positives** (must be found as near-duplicates of their original): JPEG re-encodes (q 75, 40), resizes (½, ¼),
  small crops (3 %, 5 % per side), exposure (±15 %) and contrast (+20 %) changes — what a re-export or an edit of a
  published photo looks like;
- **negatives** (must not be found): every pair of different photos, including nine shot on one trip with one camera
  (different photos of the same place) and the same scene in portrait vs landscape.

Reported: recall per variant family and overall at the configured ``series.near_duplicate_distance``, false matches
among the negatives, the closest negative and the farthest positive (the margin the default sits in); the hash's
extra cost per photo on a 1024 px model image; one query against 50,000 published hashes.

Run: ``python -m benchmarks.bench_series``; writes ``benchmarks/results/series.json``.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from PIL import Image, ImageEnhance

from amirtui.config import Settings
from amirtui.core.fingerprint import HashIndex, hamming, phash
from amirtui.core.imaging import open_upright

RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "series.json"
PHOTOS = PROJECT_ROOT / "tests" / "data" / "photos"
TARGETS = {"recall": 0.95, "false_matches": 0, "hash_ms": 5.0, "query_ms": 5.0}


def _reencode(img: Image.Image, q: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(img: Image.Image, frac: float) -> Image.Image:
    w, h = img.size
    return img.crop((int(w * frac), int(h * frac), int(w * (1 - frac)), int(h * (1 - frac))))


VARIANTS = {
    "jpeg q75": lambda im: _reencode(im, 75),
    "jpeg q40": lambda im: _reencode(im, 40),
    "resize 1/2": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.LANCZOS),
    "resize 1/4": lambda im: im.resize((max(1, im.width // 4), max(1, im.height // 4)), Image.Resampling.LANCZOS),
    "crop 3%": lambda im: _crop(im, 0.03),
    "crop 5%": lambda im: _crop(im, 0.05),
    "brighter 15%": lambda im: ImageEnhance.Brightness(im).enhance(1.15),
    "darker 15%": lambda im: ImageEnhance.Brightness(im).enhance(0.85),
    "contrast +20%": lambda im: ImageEnhance.Contrast(im).enhance(1.2),
}


def _originals() -> dict[str, Image.Image]:
    out: dict[str, Image.Image] = {}
    files = [p for d in ("cameras", "gps", "xmp") for p in sorted((PHOTOS / d).glob("*.jpg"))]
    files += [PHOTOS / "orientation" / "landscape_1.jpg", PHOTOS / "orientation" / "portrait_1.jpg"]
    for p in files:
        try:
            out[f"{p.parent.name}/{p.name}"] = open_upright(p, (1024, 1024))
        except Exception:  # an undecodable sample (the invalid/ folder is not used; xmp/ has one odd file)
            continue
    return out


def run(out_dir: Path | str | None = None, catalog_size: int = 50_000, queries: int = 200) -> dict:
    """Score the labelled set and time hashing and querying; returns (and writes) the results dict."""
    cfg = Settings().series
    threshold = cfg.near_duplicate_distance
    originals = _originals()
    hashes = {k: phash(im) for k, im in originals.items()}

    families: dict[str, list[int]] = {}
    for name, fn in VARIANTS.items():
        families[name] = [hamming(hashes[k], phash(fn(im))) for k, im in originals.items()]
    positives = [d for ds in families.values() for d in ds]
    negatives = [(hamming(hashes[a], hashes[b]), a, b) for a, b in itertools.combinations(originals, 2)]

    recall = {name: sum(d <= threshold for d in ds) / len(ds) for name, ds in families.items()}
    overall = sum(d <= threshold for d in positives) / len(positives)
    false_matches = [(d, a, b) for d, a, b in negatives if d <= threshold]
    closest = min(negatives)

    # Cost: the hash of a 1024 px model image (what the model-image stage adds per photo).
    model_image = max(originals.values(), key=lambda im: im.width * im.height)
    if max(model_image.size) < 1024:
        model_image = model_image.resize((1024, round(1024 * model_image.height / model_image.width)))
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        phash(model_image)
        times.append((time.perf_counter() - t0) * 1000)
    hash_ms = statistics.median(times)

    rng = random.Random(17)
    index = HashIndex((f"N{i:06d}.JPG", rng.getrandbits(64) - (1 << 63)) for i in range(catalog_size))
    qtimes = []
    for _ in range(queries):
        q = rng.getrandbits(64) - (1 << 63)
        t0 = time.perf_counter()
        index.nearest(q, threshold)
        qtimes.append((time.perf_counter() - t0) * 1000)
    qtimes.sort()
    query_p95 = qtimes[int(len(qtimes) * 0.95) - 1]

    result = {
        "threshold_bits": threshold,
        "photos": len(originals),
        "positives": len(positives),
        "negatives": len(negatives),
        "recall_by_variant": {k: round(v, 3) for k, v in recall.items()},
        "max_distance_by_variant": {k: max(v) for k, v in families.items()},
        "recall": round(overall, 4),
        "recall_ok": overall >= TARGETS["recall"],
        "false_matches": len(false_matches),
        "false_match_examples": false_matches[:5],
        "false_ok": len(false_matches) <= TARGETS["false_matches"],
        "closest_negative": {"bits": closest[0], "pair": closest[1:]},
        "hash_ms_per_photo": round(hash_ms, 3),
        "hash_ok": hash_ms <= TARGETS["hash_ms"],
        "catalog_size": catalog_size,
        "query_ms_p50": round(qtimes[len(qtimes) // 2], 3),
        "query_ms_p95": round(query_p95, 3),
        "query_ok": query_p95 <= TARGETS["query_ms"],
    }
    out_path = Path(out_dir) / "series.json" if out_dir else RESULTS
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
