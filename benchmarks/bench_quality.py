"""Benchmarks (issues 4 and 20): quality scoring throughput, and whether QR ranks damage correctly.

**Throughput** (:func:`run`): 24 MP JPEGs with the default offline metric set, on CPU. Per photo it does what the
scoring stage does when it has to start from the original: a Pillow ``draft`` decode at ``quality.score_max_px``
(1024) plus every ready metric (the config's default list with an empty weights dir, i.e. PIQE) plus the classical
measures. Metrics are loaded once (setup), as in a run; the load time and the one-off ``import pyiqa`` are reported
separately. For reference it also times a full 24 MP decode + resize, the work a naive scorer would do per photo.

**Ranking** (:func:`run_ranking`): the repo's real camera photos (``tests/data/photos``) degraded at graded levels —
Gaussian blur, noise, JPEG quality, over/under exposure, downscale-upscale — plus pyiqa's ``ResultsCalibra``
reference/distorted pairs (shipped inside the pyiqa wheel). Targets on the offline default: every reference above its
distorted version; per family, mean Spearman ρ(QR, severity) ≤ −0.8 and ≥ 90 % of level pairs ordered right. It
also reports the QC band distribution of the real sample photos and the scoring cost per photo.

Run: ``python -m benchmarks.bench_quality [n]`` (throughput, writes ``benchmarks/results/quality.json``) or
``python -m benchmarks.bench_quality --ranking`` (writes ``benchmarks/results/quality_ranking.json``).
"""

from __future__ import annotations

import io
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

import numpy as np
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


# ------------------------------------------------------------------------------------------------ ranking (issue 20)

PHOTOS_DIR = PROJECT_ROOT / "tests" / "data" / "photos"
#: The repo's real camera photos with a natural scene and ≥ 360 px a side (the 100 px thumbnails and the graphics in
#: xmp/ and invalid/ are left out; orientation/ holds one picture eight times, so one copy).
RANKING_PHOTOS: tuple[str, ...] = tuple(
    [f"gps/DSCN00{n}.jpg" for n in ("10", "12", "21", "25", "27", "29", "38", "40", "42")]
    + ["orientation/landscape_1.jpg", "cameras/Canon_PowerShot_S40.jpg"]
)

#: Degradation family → severities (0 = the clean photo as decoded). Levels are chosen so each step is visible at
#: 100 % on a screen: blur σ and noise σ in pixels / 8-bit levels of the scored image, JPEG quality, exposure in EV
#: (applied in linear light, then clipped as a camera would), downscale factor before upscaling back.
FAMILIES: dict[str, tuple[float, ...]] = {
    "blur": (0, 0.8, 1.5, 2.5, 4, 7),
    "noise": (0, 4, 8, 14, 24, 40),
    "jpeg": (0, 60, 35, 20, 10, 4),
    "overexposure": (0, 0.7, 1.2, 1.8, 2.5, 3.5),
    "underexposure": (0, 0.7, 1.2, 1.8, 2.5, 3.5),
    "downscale": (1, 1.5, 2, 3, 4, 6),
}


def _srgb_to_linear(a: "np.ndarray") -> "np.ndarray":
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(a: "np.ndarray") -> "np.ndarray":
    a = np.clip(a, 0.0, 1.0)
    return np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)


def degrade(img: Image.Image, family: str, level: float, seed: int = 0) -> Image.Image:
    """``img`` with one degradation of ``family`` at ``level`` (see :data:`FAMILIES`); level 0 (1 for downscale)
    returns the image unchanged."""
    from PIL import ImageFilter

    img = img.convert("RGB")
    if family == "blur":
        return img if level == 0 else img.filter(ImageFilter.GaussianBlur(level))
    if family == "noise":
        if level == 0:
            return img
        rng = np.random.default_rng(seed)
        a = np.asarray(img, dtype=np.float64) + rng.normal(0.0, level, (img.size[1], img.size[0], 3))
        return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))
    if family == "jpeg":
        if level == 0:
            return img
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=int(level))
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if family in ("overexposure", "underexposure"):
        if level == 0:
            return img
        ev = level if family == "overexposure" else -level
        lin = _srgb_to_linear(np.asarray(img, dtype=np.float64) / 255.0) * (2.0 ** ev)
        return Image.fromarray(np.rint(_linear_to_srgb(lin) * 255.0).astype(np.uint8))
    if family == "downscale":
        if level == 1:
            return img
        small = img.resize((max(8, round(img.size[0] / level)), max(8, round(img.size[1] / level))),
                           Image.Resampling.BICUBIC)
        return small.resize(img.size, Image.Resampling.BICUBIC)
    raise ValueError(f"unknown degradation family '{family}' (known: {', '.join(FAMILIES)})")


def _spearman(x: list[float], y: list[float]) -> float:
    from scipy.stats import spearmanr

    rho = spearmanr(x, y).statistic
    return float(rho) if rho == rho else 0.0  # constant QR → NaN → no ranking at all


def _pairs_correct(severities: list[float], qrs: list[float]) -> tuple[int, int]:
    """(pairs ordered right, pairs): the less damaged image must score strictly higher (a tie is wrong)."""
    ok = n = 0
    for i in range(len(qrs)):
        for j in range(i + 1, len(qrs)):
            n += 1
            ok += qrs[i] > qrs[j]
    return ok, n


def calibra_dir() -> Path | None:
    """pyiqa's ``ResultsCalibra`` folder (ships in the pyiqa wheel beside the package), or None."""
    import importlib.util

    spec = importlib.util.find_spec("pyiqa")
    if spec is None or not spec.origin:
        return None
    d = Path(spec.origin).parent.parent / "ResultsCalibra"
    return d if (d / "ref_dir").is_dir() and (d / "dist_dir").is_dir() else None


def ranking(photos: list[Path] | None = None, families: dict[str, tuple[float, ...]] | None = None,
            settings: Settings | None = None) -> dict:
    """Score each photo at every degradation level and pyiqa's ResultsCalibra pairs with the configured QR.

    Per family: mean and worst Spearman ρ(QR, severity) over the photos, and the share of level pairs ordered right.
    """
    from amirtui.core.quality.stage import score_fields

    families = families or FAMILIES
    photos = photos or [PHOTOS_DIR / p for p in RANKING_PHOTOS]
    with tempfile.TemporaryDirectory(prefix="amirtui-bench-ranking-") as tmp:
        if settings is None:
            settings = Settings(base_dir=Path(tmp))  # an empty weights dir: the offline default
            settings.quality.device = "cpu"
        metrics, _ = load_metrics(settings)
        scorer = Scorer(metrics, warn=lambda m: None)
        weights, offline = dict(settings.quality.qr_weights), dict(settings.quality.qr_weights_offline)
        made_of: set[str] = set()
        cost_ms: list[float] = []

        def qr(img: Image.Image) -> float:
            t = time.perf_counter()
            fields = score_fields(scorer.score(img), weights, offline)
            cost_ms.append((time.perf_counter() - t) * 1e3)
            made_of.update(fields["qr_metrics"])
            return fields["qr"]

        per_family: dict[str, dict] = {}
        clean_qr: dict[str, float] = {}
        for fam, levels in families.items():
            rhos, ok, n, table = [], 0, 0, {}
            for p in photos:
                base = load_score_image(p, settings.quality.score_max_px)
                qrs = [qr(degrade(base, fam, lv, seed=i)) for i, lv in enumerate(levels)]
                clean_qr[p.name] = qrs[0]
                sev = list(range(len(levels)))
                rhos.append(_spearman(sev, qrs))
                a, b = _pairs_correct(sev, qrs)
                ok, n = ok + a, n + b
                table[p.name] = qrs
            per_family[fam] = {
                "levels": list(levels), "rho_mean": round(statistics.mean(rhos), 3), "rho_worst": round(max(rhos), 3),
                "pairs_correct": round(ok / n, 3), "qr": table,
                "holds": statistics.mean(rhos) <= -0.8 and ok / n >= 0.9,
            }
        calibra: dict[str, dict] = {}
        cdir = calibra_dir()
        if cdir is not None:
            for ref in sorted((cdir / "ref_dir").glob("*.bmp")):
                dist = cdir / "dist_dir" / ref.name
                r = qr(load_score_image(ref, settings.quality.score_max_px))
                d = qr(load_score_image(dist, settings.quality.score_max_px))
                calibra[ref.stem] = {"ref": r, "dist": d, "ref_above": r > d}
    from amirtui.core.quality.qr import band

    bands: dict[str, int] = {}
    for v in clean_qr.values():
        bands[band(v)] = bands.get(band(v), 0) + 1
    return {
        "photos": [p.name for p in photos],
        "metrics": sorted(made_of),
        "families": per_family,
        "calibra": calibra,
        "calibra_all_ref_above": bool(calibra) and all(c["ref_above"] for c in calibra.values()),
        "clean_bands": bands,
        "clean_qr": clean_qr,
        "score_ms_per_photo_median": round(statistics.median(cost_ms), 1),
        "holds": all(f["holds"] for f in per_family.values()) and bool(calibra)
        and all(c["ref_above"] for c in calibra.values()),
    }


def sample_photos() -> list[Path]:
    """Every distinct real sample JPEG: all of ``tests/data/photos`` except the corrupted file and the seven extra
    orientation copies of one picture (38 photos, from 100 px thumbnails to 640 px frames)."""
    out = []
    for p in sorted(PHOTOS_DIR.glob("*/*.jpg")):
        if p.name == "corrupted.jpg" or (p.parent.name == "orientation" and p.name != "landscape_1.jpg"):
            continue
        out.append(p)
    return out


def sample_bands(settings: Settings | None = None) -> dict:
    """QC band per real sample photo with the configured QR (offline default unless ``settings`` says otherwise)."""
    from amirtui.core.quality.qr import BANDS, VERY_LOW
    from amirtui.core.quality.stage import score_fields

    with tempfile.TemporaryDirectory(prefix="amirtui-bench-bands-") as tmp:
        settings = settings or Settings(base_dir=Path(tmp))
        settings.quality.device = "cpu"
        scorer = Scorer(load_metrics(settings)[0], warn=lambda m: None)
        q = settings.quality
        per_photo = {}
        for p in sample_photos():
            try:
                f = score_fields(scorer.score(load_score_image(p, q.score_max_px)), dict(q.qr_weights),
                                 dict(q.qr_weights_offline))
            except ValueError:  # e.g. 284×25 px: too small to score (the stage marks such a row scoring_failed)
                per_photo[f"{p.parent.name}/{p.name}"] = (None, "unscorable")
                continue
            per_photo[f"{p.parent.name}/{p.name}"] = (f["qr"], f["qc_band"])
    counts = {name: 0 for _, name in BANDS} | {VERY_LOW: 0, "unscorable": 0}
    for _, b in per_photo.values():
        counts[b] += 1
    return {"photos": len(per_photo), "bands": counts, "per_photo": per_photo}


def run_ranking(out_dir: Path | str | None = None, *, quick: bool = False) -> dict:
    """The ranking benchmark (all 11 photos; ``quick``: 3 photos) plus the sample band distribution; writes
    ``quality_ranking.json``."""
    photos = [PHOTOS_DIR / p for p in (RANKING_PHOTOS[:3] if quick else RANKING_PHOTOS)]
    t = time.perf_counter()
    result = ranking(photos)
    result["sample_bands"] = {k: v for k, v in sample_bands().items() if k != "per_photo"}
    result["wall_s"] = round(time.perf_counter() - t, 1)
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    out_path = (Path(out_dir) if out_dir else RESULTS.parent) / "quality_ranking.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def print_ranking(r: dict) -> None:
    """A short text table of :func:`run_ranking`'s result."""
    print(f"QR made of: {', '.join(r['metrics'])}; scoring {r['score_ms_per_photo_median']} ms/photo (median)")
    print(f"{'family':<14} {'rho mean':>8} {'worst':>6} {'pairs ok':>8}  holds")
    for fam, f in r["families"].items():
        print(f"{fam:<14} {f['rho_mean']:>8} {f['rho_worst']:>6} {f['pairs_correct']:>8}  {f['holds']}")
    for name, c in r["calibra"].items():
        print(f"ResultsCalibra {name}: reference {c['ref']} vs distorted {c['dist']} → {'ok' if c['ref_above'] else 'WRONG'}")
    print(f"clean ranking photos by band: {r['clean_bands']}")
    print(f"all {r['sample_bands']['photos']} sample photos by band: {r['sample_bands']['bands']}")


if __name__ == "__main__":
    if "--ranking" in sys.argv:
        res = run_ranking(quick="--quick" in sys.argv)
        print_ranking(res)
    else:
        res = run(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
        print(json.dumps(res, indent=2))
