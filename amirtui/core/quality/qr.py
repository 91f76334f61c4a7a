"""Per-metric normalisation to 0–10, the weighted QR, its two default mixes, QC bands and provenance.

Normalisation (raw value → 0–10, always "higher is better", smooth and strictly monotone wherever the raw value
still says something, so a worse photo never ties with a better one on a cap):

- ``clip_aesthetic`` (pyiqa ``laion_aes``, ~1–10, higher better) and ``nima`` (0–10): used as is (clamped to 0–10).
  They are already 1–10 ratings, so a 6.3 means the same on the website as in QR.
- ``brisque`` (~0–150, lower better; natural photos mostly 0–60): ``10 × (1 − v/100)``; 100 and worse → 0.
- ``piqe`` (0–100, lower better): ``10 × (1 − v/100)``.
- ``blur`` (Laplacian variance at the fixed 512 px scale, higher = sharper): a logistic curve in log space,
  ``10 · t⁴ / (t⁴ + m⁴)`` with ``t = log10(1 + v)`` and ``m = log10(1 + SHARP_MID)``: 1,000 → 5, 3,000 → 6.4,
  15,000 → 7.9, 300 → 3.2, 50 → 1.0. No cap: a sharper photo always scores a little higher.
- ``brightness`` is the **exposure** component: a bell around mean luma :data:`EXPOSURE_TARGET` (10 at the target,
  9.5 at ±20 levels, 4.6 at ±75), times ``(1 − 1.5 · highlights)`` for blown-out pixels and ``(1 − 4 · shadows)`` for
  crushed blacks — a photo with a fifth of its pixels blown out loses 30 %, whatever its mean.
- ``contrast`` (luma std): ``10 · (1 − exp(−v / 50))``: 25 → 3.9, 50 → 6.3, 75 → 7.8; never capped.
- ``noise`` (σ in 8-bit levels at the fixed scale, rescaled to a mid-grey exposure so a dark photo's noise counts as
  much as a bright one's): ``10 / (1 + (σ/3)²)``: 1 → 9.0, 3 → 5, 6 → 2.0. Clean photos measure 0–1.
- ``blockiness`` (JPEG blocking, 0 = none): ``10 · exp(−v / 0.25)``.

QR = Σ wᵢ·nᵢ / Σ wᵢ over the components that actually have a value, so a missing metric never drags QR down; rounded
to 2 decimals, and the band is taken from the rounded value (7.5 exactly → Top; the band always matches the shown QR).

Two mixes: ``quality.qr_weights`` is the original system's (CLIP aesthetic, NIMA, blur, brightness, contrast, BRISQUE;
PIQE stands in for BRISQUE when BRISQUE is missing). When none of the learned metrics it names (LAION, NIMA, BRISQUE)
has a value — every install without fetched weights — QR uses ``quality.qr_weights_offline`` instead, a mix of the
measures that need no weights and are weighted to tell damage apart (see README "Quality scores").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

#: QR component → the pyiqa metric (or classical measure) whose value feeds it.
COMPONENT_SOURCE: dict[str, str] = {
    "clip_aesthetic": "laion_aes",
    "nima": "nima",
    "brisque": "brisque",
    "piqe": "piqe",
    "blur": "blur",
    "brightness": "brightness",
    "contrast": "contrast",
    "noise": "noise",
    "blockiness": "blockiness",
}

#: Components fed by learned metrics (weight files needed); QR without any of them is "offline".
LEARNED: tuple[str, ...] = ("clip_aesthetic", "nima", "brisque")

#: When a component has no value, this one takes its place (with its weight), if it has a value itself.
SUBSTITUTES: dict[str, str] = {"brisque": "piqe"}

#: The original system's mix (the default of ``quality.qr_weights``).
ORIGINAL_WEIGHTS: dict[str, float] = {
    "clip_aesthetic": 0.23, "nima": 0.20, "blur": 0.17, "brightness": 0.17, "contrast": 0.13, "brisque": 0.10,
}
#: The mix without learned metrics (the default of ``quality.qr_weights_offline``); measured by
#: ``benchmarks/bench_quality.py``'s ranking benchmark.
OFFLINE_WEIGHTS: dict[str, float] = {
    "piqe": 0.30, "blur": 0.20, "brightness": 0.15, "noise": 0.15, "contrast": 0.10, "blockiness": 0.10,
}

#: (lower bound, band) from best to worst; anything below the last bound is "Very Low".
BANDS: tuple[tuple[float, str], ...] = ((7.5, "Top"), (6.5, "Good"), (5.5, "Average"), (4.5, "Low"))
VERY_LOW = "Very Low"

SHARP_MID = 1000.0
"""Laplacian variance (fixed scale) that scores 5: clearly soft."""
SHARP_EXP = 4.0
"""Steepness of the sharpness curve (in log-variance)."""
EXPOSURE_TARGET = 118.0
"""Mean luma that scores 10 (a mid-grey exposure)."""
EXPOSURE_WIDTH = 60.0
NOISE_SCALE = 3.0
"""Noise σ (levels, at a mid-grey exposure) that halves the noise score."""

OFFLINE_NOTE = "QR from offline metrics only — `amirtui models fetch` adds NIMA/BRISQUE/LAION"
"""The one wording used wherever the operator is told QR came from the offline set (preflight, review, summary)."""

Raw = Mapping[str, "float | None"]


def _clamp10(x: float) -> float:
    return 0.0 if x < 0 else 10.0 if x > 10 else x


def _get(raw: Raw, name: str, default: float) -> float:
    v = raw.get(name)
    return default if v is None or not math.isfinite(v) else float(v)


def _sharpness(v: float, raw: Raw) -> float:
    t = math.log10(1.0 + max(v, 0.0))
    m = math.log10(1.0 + SHARP_MID)
    return 10.0 * t**SHARP_EXP / (t**SHARP_EXP + m**SHARP_EXP)


def _exposure(v: float, raw: Raw) -> float:
    bell = math.exp(-0.5 * ((v - EXPOSURE_TARGET) / EXPOSURE_WIDTH) ** 2)
    highlights = min(max(_get(raw, "highlights", 0.0), 0.0), 1.0)
    shadows = min(max(_get(raw, "shadows", 0.0), 0.0), 1.0)
    return 10.0 * bell * max(0.0, 1.0 - 1.5 * highlights) * max(0.0, 1.0 - 4.0 * shadows)


def _noise(v: float, raw: Raw) -> float:
    mean = _get(raw, "brightness", EXPOSURE_TARGET)
    sigma = max(v, 0.0) * EXPOSURE_TARGET / max(mean, 20.0)
    return 10.0 / (1.0 + (sigma / NOISE_SCALE) ** 2)


#: component → f(raw value, all raw values) → 0–10 before clamping.
NORMALISERS: dict[str, Callable[[float, Raw], float]] = {
    "clip_aesthetic": lambda v, raw: v,
    "nima": lambda v, raw: v,
    "brisque": lambda v, raw: 10.0 * (1.0 - v / 100.0),
    "piqe": lambda v, raw: 10.0 * (1.0 - v / 100.0),
    "blur": _sharpness,
    "brightness": _exposure,
    "contrast": lambda v, raw: 10.0 * (1.0 - math.exp(-max(v, 0.0) / 50.0)),
    "noise": _noise,
    "blockiness": lambda v, raw: 10.0 * math.exp(-max(v, 0.0) / 0.25),
}


def normalise(component: str, value: float | None, raw: Raw | None = None) -> float | None:
    """``value`` of a QR component mapped to 0–10 (higher better); None for a missing or non-finite value.

    ``raw`` (all raw values of the photo) feeds the components that look at more than one measure: exposure uses
    the clipped highlights/shadows, noise the mean brightness.
    """
    if value is None or not math.isfinite(value):
        return None
    fn = NORMALISERS.get(component)
    if fn is None:
        raise KeyError(f"no normalisation defined for QR component '{component}' (known: {', '.join(NORMALISERS)})")
    return _clamp10(fn(float(value), raw or {}))


def band(qr: float | None) -> str | None:
    """The QC band of a QR: Top ≥ 7.5, Good ≥ 6.5, Average ≥ 5.5, Low ≥ 4.5, else Very Low (None stays None)."""
    if qr is None:
        return None
    for bound, name in BANDS:
        if qr >= bound:
            return name
    return VERY_LOW


def offline_only(contributed: Iterable[str]) -> bool:
    """Whether a QR made of ``contributed`` (a row's ``qr_metrics``) came from the offline set only.

    False for a row without QR (nothing contributed): there is no QR to qualify.
    """
    names = list(contributed or [])
    return bool(names) and not any(n in LEARNED for n in names)


def offline_mix_expected(ready_metrics: Iterable[str], weights: Mapping[str, float]) -> bool:
    """Whether QR will come from the offline mix: ``weights`` names learned components, and none of their pyiqa
    metrics is among ``ready_metrics`` (preflight's ready list)."""
    learned = [COMPONENT_SOURCE[c] for c in LEARNED if weights.get(c, 0) > 0]
    ready = set(ready_metrics)
    return bool(learned) and not any(m in ready for m in learned)


def offline_note(contributed: Iterable[str]) -> str:
    """A short label for the review detail pane: "" or "(offline metrics only)"."""
    return " (offline metrics only)" if offline_only(contributed) else ""


@dataclass(frozen=True)
class QRResult:
    """A QR with its band and provenance: which components contributed, their 0–10 values and effective weights."""

    qr: float | None
    band: str | None
    contributed: list[str]
    normalised: dict[str, float]
    weights: dict[str, float]
    mode: str = "learned"
    """``learned`` (the ``qr_weights`` mix) or ``offline`` (``qr_weights_offline``, no learned metric had a value)."""


def _check(weights: Mapping[str, float], key: str) -> None:
    for comp, w in weights.items():
        if comp not in COMPONENT_SOURCE:
            raise KeyError(f"quality.{key} has unknown component '{comp}' (known: {', '.join(COMPONENT_SOURCE)})")
        if w < 0:
            raise ValueError(f"quality.{key}.{comp} is negative ({w}); weights must be ≥ 0")


def _has_value(raw: Raw, comp: str) -> bool:
    v = raw.get(COMPONENT_SOURCE[comp])
    return v is not None and math.isfinite(v)


def compute_qr(
    raw: Raw, weights: Mapping[str, float], offline_weights: Mapping[str, float] | None = None
) -> QRResult:
    """Weighted QR over the components with a value.

    ``raw`` maps metric/measure names (``laion_aes``, ``nima``, ``brisque``, ``piqe``, ``blur``, ``brightness``,
    ``contrast``, ``highlights``, ``shadows``, ``noise``, ``blockiness``) to raw values; ``weights`` maps QR
    components (``clip_aesthetic``, ``nima``, ``blur`` …) to weights. A component without a value is dropped and the
    rest re-normalised; BRISQUE falls back to PIQE. When ``offline_weights`` is given, ``weights`` names a learned
    component and none of those has a value, ``offline_weights`` is used instead (``mode="offline"``).
    """
    _check(weights, "qr_weights")
    mode = "learned"
    if offline_weights is not None:
        _check(offline_weights, "qr_weights_offline")
        learned = [c for c in LEARNED if weights.get(c, 0) > 0]
        if learned and not any(_has_value(raw, c) for c in learned):
            weights, mode = offline_weights, "offline"
    normalised: dict[str, float] = {}
    effective: dict[str, float] = {}
    for comp, w in weights.items():
        if w == 0:
            continue
        n = normalise(comp, raw.get(COMPONENT_SOURCE[comp]), raw)
        used = comp
        if n is None and comp in SUBSTITUTES and weights.get(SUBSTITUTES[comp], 0) == 0:
            used = SUBSTITUTES[comp]
            n = normalise(used, raw.get(COMPONENT_SOURCE[used]), raw)
        if n is None:
            continue
        normalised[used] = n
        effective[used] = effective.get(used, 0.0) + w
    total = sum(effective.values())
    if total <= 0:
        return QRResult(None, None, [], {}, {}, mode)
    qr = round(sum(effective[c] * normalised[c] for c in effective) / total, 2)
    order = sorted(effective, key=lambda c: (-effective[c], c))
    return QRResult(
        qr, band(qr), order, {c: round(normalised[c], 4) for c in order}, {c: effective[c] for c in order}, mode
    )
