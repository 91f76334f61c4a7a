"""Per-metric normalisation to 0–10, the weighted QR, QC bands and provenance.

Normalisation (raw value → 0–10, always "higher is better", clamped to [0, 10]):

- ``clip_aesthetic`` (pyiqa ``laion_aes``, ~1–10, higher better): used as is. It is already a 1–10 aesthetic
  rating, so a 6.3 means the same on the website as in QR.
- ``nima`` (0–10 mean of the predicted rating distribution, higher better): used as is, for the same reason.
- ``brisque`` (~0–150, lower better; natural photos mostly 0–60): ``10 × (1 − v/100)``; 100 and worse → 0.
- ``piqe`` (0–100, lower better): ``10 × (1 − v/100)``. PIQE stands in for BRISQUE (with BRISQUE's weight) when
  BRISQUE is unavailable, because both measure the same thing: distortion without a reference.
- ``blur`` (Laplacian variance of the ≤1024 px luma, 0…∞, higher = sharper): log scale, ``10 × log10(1+v) / 3``,
  so 1000+ (crisp) → 10, 100 → 6.7, 10 (soft) → 3.5. Log because the variance spans decades between photos.
- ``brightness`` (mean luma 0–255): 10 on a plateau 90–170 (normal exposures, including bright and moody ones), falling
  linearly to 0 at pure black (0) and pure white (255). Under- and over-exposure both lose points.
- ``contrast`` (luma standard deviation 0–~128): ``10 × v/64`` capped at 10: a flat, hazy photo (std 10) → 1.6, a
  normal photo (std ≥ 64) → 10.

QR = Σ wᵢ·nᵢ / Σ wᵢ over the metrics that actually have a value, so a missing metric never drags QR down; it is rounded
to 2 decimals and the band is taken from the rounded value (7.5 exactly → Top, and the band always matches the shown
QR). Provenance: the contributing metric names, heaviest first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
}

#: When a component has no value, this one takes its place (with its weight), if it has a value itself.
SUBSTITUTES: dict[str, str] = {"brisque": "piqe"}

#: (lower bound, band) from best to worst; anything below the last bound is "Very Low".
BANDS: tuple[tuple[float, str], ...] = ((7.5, "Top"), (6.5, "Good"), (5.5, "Average"), (4.5, "Low"))
VERY_LOW = "Very Low"


def _clamp10(x: float) -> float:
    return 0.0 if x < 0 else 10.0 if x > 10 else x


def _brightness(v: float) -> float:
    if v < 90:
        return 10.0 * v / 90.0
    if v > 170:
        return 10.0 * (255.0 - v) / 85.0
    return 10.0


NORMALISERS: dict[str, Callable[[float], float]] = {
    "clip_aesthetic": lambda v: v,
    "nima": lambda v: v,
    "brisque": lambda v: 10.0 * (1.0 - v / 100.0),
    "piqe": lambda v: 10.0 * (1.0 - v / 100.0),
    "blur": lambda v: 10.0 * math.log10(1.0 + max(v, 0.0)) / 3.0,
    "brightness": _brightness,
    "contrast": lambda v: 10.0 * v / 64.0,
}


def normalise(component: str, value: float | None) -> float | None:
    """``value`` of a QR component mapped to 0–10 (higher better); None for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return None
    fn = NORMALISERS.get(component)
    if fn is None:
        raise KeyError(f"no normalisation defined for QR component '{component}' (known: {', '.join(NORMALISERS)})")
    return _clamp10(fn(float(value)))


def band(qr: float | None) -> str | None:
    """The QC band of a QR: Top ≥ 7.5, Good ≥ 6.5, Average ≥ 5.5, Low ≥ 4.5, else Very Low (None stays None)."""
    if qr is None:
        return None
    for bound, name in BANDS:
        if qr >= bound:
            return name
    return VERY_LOW


@dataclass(frozen=True)
class QRResult:
    """A QR with its band and provenance: which components contributed, their 0–10 values and effective weights."""

    qr: float | None
    band: str | None
    contributed: list[str]
    normalised: dict[str, float]
    weights: dict[str, float]


def compute_qr(raw: Mapping[str, float | None], weights: Mapping[str, float]) -> QRResult:
    """Weighted QR over the components with a value.

    ``raw`` maps metric/measure names (``laion_aes``, ``nima``, ``brisque``, ``piqe``, ``blur``, ``brightness``,
    ``contrast``) to raw values; ``weights`` maps QR components (``clip_aesthetic``, ``nima``, ``blur`` …) to weights.
    A component without a value is dropped and the rest re-normalised; BRISQUE falls back to PIQE.
    """
    for comp, w in weights.items():
        if comp not in COMPONENT_SOURCE:
            raise KeyError(f"quality.qr_weights has unknown component '{comp}' (known: {', '.join(COMPONENT_SOURCE)})")
        if w < 0:
            raise ValueError(f"quality.qr_weights.{comp} is negative ({w}); weights must be ≥ 0")
    normalised: dict[str, float] = {}
    effective: dict[str, float] = {}
    for comp, w in weights.items():
        if w == 0:
            continue
        n = normalise(comp, raw.get(COMPONENT_SOURCE[comp]))
        used = comp
        if n is None and comp in SUBSTITUTES and SUBSTITUTES[comp] not in weights:
            used = SUBSTITUTES[comp]
            n = normalise(used, raw.get(COMPONENT_SOURCE[used]))
        if n is None:
            continue
        normalised[used] = n
        effective[used] = effective.get(used, 0.0) + w
    total = sum(effective.values())
    if total <= 0:
        return QRResult(None, None, [], {}, {})
    qr = round(sum(effective[c] * normalised[c] for c in effective) / total, 2)
    order = sorted(effective, key=lambda c: (-effective[c], c))
    return QRResult(qr, band(qr), order, {c: round(normalised[c], 4) for c in order}, {c: effective[c] for c in order})
