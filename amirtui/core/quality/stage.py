"""The scoring stage: model_ready → scored, with raw scores, website columns, QR, QC band and provenance.

It scores the row's model image (≤1024 px, upright, written by the imaging stage); only when that is missing does it
decode the staged original with a draft decode at ``quality.score_max_px``. A photo that cannot be scored is retried
once, then moved on with ``scoring_failed`` and the reason — never with a made-up score. A metric that crashes is
disabled for the rest of the run with one warning line (not one per photo); the photo is scored without it.
"""

from __future__ import annotations

import os

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from ..db import repo
from ..db.models import Photo
from ..stage import Stage, StageContext
from ..states import State
from .classical import classical_scores, load_score_image
from .metrics import LoadedMetric, load_metrics
from .qr import compute_qr

#: Photo columns the website shows, fed from these metric / measure names.
WEBSITE_COLUMNS: dict[str, str] = {
    "nima": "nima_score",
    "brisque": "brisque_score",
    "laion_aes": "clip_aesthetic_score",
    "piqe": "piqe_score",
    "blur": "blur_score",
    "brightness": "brightness_score",
    "contrast": "contrast_score",
}

#: Classical measures where a lower value is better (the rest: higher is better, or a target in the middle).
LOWER_BETTER = frozenset({"highlights", "shadows", "noise", "blockiness"})

ATTEMPTS = 2  # the first try and one retry
MIN_SIDE = 32  # smaller images cannot be scored meaningfully (PIQE works on 16 px blocks and crashes below that)


def to_tensor(img: Image.Image, device: str = "cpu") -> Any:
    """An RGB PIL image as a (1, 3, H, W) float tensor in [0, 1], exactly as pyiqa's own loader makes it
    (``torchvision.transforms.functional.to_tensor``: uint8 → float32, ÷ 255), so values match pyiqa's tables."""
    import numpy as np
    import torch

    arr = np.array(img.convert("RGB"), dtype=np.uint8, copy=True)
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous().unsqueeze(0).float().div(255).to(device)


@dataclass
class Scorer:
    """Runs the loaded pyiqa metrics plus the classical measures on one image.

    Thread-safe: a metric that raises is disabled for the rest of the run, reported once through ``warn``.
    """

    metrics: list[LoadedMetric]
    warn: Callable[[str], None]
    disabled: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def active(self) -> list[LoadedMetric]:
        """Metrics not disabled so far."""
        return [m for m in self.metrics if m.name not in self.disabled]

    def _disable(self, name: str, error: BaseException) -> None:
        with self._lock:
            if name in self.disabled:
                return
            self.disabled[name] = f"{type(error).__name__}: {error}"[:300]
        self.warn(f"quality metric '{name}' crashed ({self.disabled[name]}); disabled for the rest of this run")

    def score(self, img: Image.Image) -> dict[str, dict[str, Any]]:
        """``{metric: {"value": float, "lower_better": bool}}`` for the classical measures and every active metric.

        Raises ``ValueError``/``OSError`` when the image itself cannot be scored; a pyiqa metric's crash only removes
        that metric (for the rest of the run). A metric that returns NaN/inf for this image is recorded with
        ``value: None`` and an ``error`` — never as a number.
        """
        result = self.score_many([img])[0]
        if isinstance(result, Exception):
            raise result
        return result

    @staticmethod
    def _classical(img: Image.Image) -> dict[str, dict[str, Any]]:
        if min(img.size) < MIN_SIDE:
            # the photo's problem, not the metrics': refuse it here so no metric "crashes" and gets disabled
            raise ValueError(f"image is only {img.size[0]}x{img.size[1]} px; at least {MIN_SIDE} px a side is needed")
        c = classical_scores(img).as_dict()
        return {name: {"value": value, "lower_better": name in LOWER_BETTER} for name, value in c.items()}

    def score_many(self, images: list[Image.Image], batch_size: int = 8) -> list[dict[str, dict[str, Any]] | Exception]:
        """:meth:`score` for several images, running each metric on same-size images as one batch (what makes a GPU
        pay off; model images of one camera share a size). Per image: its scores, or the exception that made it
        unscorable. Values equal one-by-one scoring (checked by a test)."""
        out: list[dict[str, dict[str, Any]] | Exception] = []
        for img in images:
            try:
                out.append(self._classical(img))
            except (OSError, ValueError) as exc:
                out.append(exc)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, img in enumerate(images):
            if not isinstance(out[i], Exception):
                groups.setdefault(img.size, []).append(i)
        if not groups:
            return out
        import torch

        for m in self.active():
            for idxs in groups.values():
                for start in range(0, len(idxs), batch_size):
                    chunk = idxs[start:start + batch_size]
                    if m.name in self.disabled:
                        break
                    try:
                        x = torch.cat([to_tensor(images[i], m.device) for i in chunk])
                        values = [float(v) for v in m.fn(x).reshape(-1).tolist()]
                    except Exception as exc:  # noqa: BLE001 - a metric crash must not fail the photos
                        self._disable(m.name, exc)
                        break
                    for i, value in zip(chunk, values):
                        entry: dict[str, Any] = {"value": value, "lower_better": m.lower_better}
                        if not math.isfinite(value):
                            entry = {"value": None, "lower_better": m.lower_better, "error": f"non-finite ({value})"}
                        out[i][m.name] = entry  # type: ignore[index]
        return out


def score_fields(
    scores: dict[str, dict[str, Any]], qr_weights: dict[str, float], offline_weights: dict[str, float] | None = None
) -> dict[str, Any]:
    """The Photo fields for a scored row: raw scores, website columns, QR, band and provenance.

    ``offline_weights`` (``quality.qr_weights_offline``) is the mix used when no learned metric has a value."""
    raw = {k: v["value"] for k, v in scores.items()}
    result = compute_qr(raw, qr_weights, offline_weights)
    for comp, norm in result.normalised.items():
        src = {"clip_aesthetic": "laion_aes"}.get(comp, comp)
        if src in scores:
            scores[src]["norm"] = norm
    fields: dict[str, Any] = {col: raw.get(src) for src, col in WEBSITE_COLUMNS.items()}
    fields.update(
        scores=scores, qr=result.qr, qc_band=result.band, qr_metrics=result.contributed,
        scoring_failed=False, scoring_reason=None,
    )
    return fields


#: Rows per batch when the metrics run on a GPU (model images of one camera share a size).
GPU_BATCH = 8


class ScoringStage(Stage):
    """Pipeline stage ``score``: model_ready → scored (see the module docstring)."""

    name = "score"
    input_state = State.MODEL_READY

    def __init__(self, concurrency: int | None = None) -> None:
        """``concurrency`` overrides ``quality.workers`` (which :meth:`setup` applies otherwise)."""
        self._explicit_concurrency = concurrency
        self.concurrency = concurrency or 1
        self.scorer: Scorer | None = None

    requires = ("torch", "pyiqa")  # checked by preflight (a red line with the fix) without importing them

    def cannot_start(self, settings) -> str | None:
        """pyiqa and torch are needed only when quality scoring is on."""
        return super().cannot_start(settings) if settings.quality.enabled else None

    def setup(self, ctx: StageContext) -> None:
        """Load the configured metrics once for the run; missing ones are skipped with one warning each."""
        self.concurrency = self._explicit_concurrency or ctx.settings.quality.workers
        metrics, _ = load_metrics(ctx.settings, warn=lambda msg: ctx.bus.warning(msg, source=self.name))
        # On a GPU same-size images go through each metric as one batch; on the CPU batching buys nothing.
        on_gpu = any(str(getattr(m, "device", "cpu")).startswith("cuda") for m in metrics)
        self.batch_size = GPU_BATCH if on_gpu else 1
        if metrics and not on_gpu:
            # torch takes every core by default and starves the other stages (staging, model images, the caption
            # threads feeding the GPU box): leave one core to them. Measured on 2 cores: 53 s → 46 s for 200 photos.
            import torch

            torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
        self.scorer = Scorer(metrics, warn=lambda msg: ctx.bus.warning(msg, source=self.name))
        names = ", ".join(m.name for m in metrics) or "none"
        ctx.bus.info(f"scoring with pyiqa metrics: {names} + classical sharpness/exposure/contrast/noise/blockiness",
                     source=self.name)

    def teardown(self, ctx: StageContext) -> None:
        """Drop the metrics (frees GPU memory)."""
        self.scorer = None

    def _image(self, photo: Photo, max_px: int) -> Image.Image:
        model = Path(photo.model_image_path) if photo.model_image_path else None
        if model is not None and model.is_file():
            return load_score_image(model, max_px)
        if photo.staged_path and Path(photo.staged_path).is_file():
            return load_score_image(photo.staged_path, max_px)
        raise FileNotFoundError(
            f"neither the model image ({photo.model_image_path or 'not recorded'}) nor the staged copy "
            f"({photo.staged_path or 'not recorded'}) exists"
        )

    def process_batch(self, photo_ids: list[int], ctx: StageContext) -> None:
        """Score several rows with batched metric calls (for a GPU runner); a row that fails here goes through
        :meth:`process` (its retry and ``scoring_failed`` path). Same results as calling :meth:`process` per row."""
        if self.scorer is None:
            self.setup(ctx)
        assert self.scorer is not None
        q = ctx.settings.quality
        images: dict[int, Image.Image] = {}
        for pid in photo_ids:
            try:
                images[pid] = self._image(Photo.get_by_id(pid), q.score_max_px)
            except (OSError, ValueError, Image.DecompressionBombError):
                pass  # handled one by one below
        ids = list(images)
        results = dict(zip(ids, self.scorer.score_many([images[i] for i in ids]))) if ids else {}
        for pid in photo_ids:
            if ctx.cancel.is_set():
                return
            res = results.get(pid)
            if res is None or isinstance(res, Exception):
                self.process(pid, ctx)
                continue
            fields = score_fields(res, dict(q.qr_weights), dict(q.qr_weights_offline))
            repo.transition(
                pid, State.SCORED, reason=f"QR {fields['qr']} ({fields['qc_band']})",
                run_id=ctx.run_id, bus=ctx.bus, expect=[State.MODEL_READY], **fields,
            )

    def process(self, photo_id: int, ctx: StageContext) -> None:
        """Score one photo (one retry) and move it to ``scored``."""
        if self.scorer is None:
            self.setup(ctx)
        assert self.scorer is not None
        q = ctx.settings.quality
        photo = Photo.get_by_id(photo_id)
        error = ""
        for attempt in range(1, ATTEMPTS + 1):
            if ctx.cancel.is_set():
                return  # the row stays model_ready; the next run scores it
            try:
                fields = score_fields(
                    self.scorer.score(self._image(photo, q.score_max_px)), dict(q.qr_weights), dict(q.qr_weights_offline)
                )
                repo.transition(
                    photo_id, State.SCORED, reason=f"QR {fields['qr']} ({fields['qc_band']})",
                    run_id=ctx.run_id, bus=ctx.bus, expect=[State.MODEL_READY], **fields,
                )
                return
            except (OSError, ValueError, Image.DecompressionBombError) as exc:  # the image, not the code
                error = f"{type(exc).__name__}: {exc}"
                if attempt < ATTEMPTS:
                    ctx.bus.warning(f"[RETRY] id={photo_id} scoring failed ({error}); retrying once", source=self.name)
        reason = f"scoring failed twice: {error}"[:1000]
        ctx.bus.warning(f"id={photo_id} {photo.original_name}: {reason}", source=self.name)
        repo.transition(
            photo_id, State.SCORED, reason=reason, run_id=ctx.run_id, bus=ctx.bus, expect=[State.MODEL_READY],
            scoring_failed=True, scoring_reason=reason, qr=None, qc_band=None, qr_metrics=[], scores={},
        )
