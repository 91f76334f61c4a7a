"""Classical quality measures computed with numpy and Pillow (no torch, no weights).

They work on the luma channel (ITU-R BT.601, 0–255) of the *scoring image* (the ≤ ``score_max_px`` model image).
Measures of fine detail are taken at a **fixed scale** — the luma reduced (Lanczos) so its longer side is
:data:`FIXED_SCALE_PX` — so a photo scores the same whether its model image is 1024, 768 or 600 px wide (an image
already smaller than that is measured as it is: upsampling would invent softness).

- ``blur``: variance of the 4-neighbour Laplacian at the fixed scale. High = sharp detail, low = soft/blurred. It
  scales with the square of the tonal range, so a dark photo (less visible detail) measures lower too.
- ``brightness``: mean luma (0 = black, 255 = white).
- ``contrast``: RMS contrast = standard deviation of luma.
- ``highlights``: share of pixels blown out (every channel ≥ :data:`CLIP_HIGH`), 0–1.
- ``shadows``: share of pixels crushed to black (every channel ≤ :data:`CLIP_LOW`), 0–1.
- ``noise``: standard deviation of the noise in 8-bit levels at the fixed scale (Immerkær's fast estimator on the
  flattest tenth of 16 px tiles, at the fixed scale and at half of it: white noise halves there, texture does not).
- ``blockiness``: JPEG 8×8 blocking — mean luma step across 8-px block borders ÷ the largest mean step at any other
  offset in the block, minus 1 (0 for a clean image, rising as the compression gets harsher). Measured at the image's own scale, where a JPEG's
  grid is.

Decoding lives here too (:func:`load_score_image`) because every metric, classical or pyiqa, scores the same pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

FIXED_SCALE_PX = 512
"""Longer side (px) at which sharpness and noise are measured."""
CLIP_HIGH = 250
"""A pixel whose every channel is at least this is blown out."""
CLIP_LOW = 5
"""A pixel whose every channel is at most this is crushed to black."""


@dataclass(frozen=True)
class ClassicalScores:
    """Raw classical values of one image (see the module docstring for their meaning)."""

    blur: float
    brightness: float
    contrast: float
    highlights: float = 0.0
    shadows: float = 0.0
    noise: float = 0.0
    blockiness: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """Measure name → value."""
        return asdict(self)


def luma(img: Image.Image) -> np.ndarray:
    """The image's BT.601 luma as a float64 array in 0–255."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float64)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def at_fixed_scale(y: np.ndarray, long_side: int = FIXED_SCALE_PX) -> np.ndarray:
    """``y`` reduced (Lanczos) so its longer side is ``long_side`` (unchanged when it is already that small)."""
    h, w = y.shape
    if max(h, w) <= long_side:
        return y
    f = long_side / max(h, w)
    im = Image.fromarray(y.astype(np.float32))  # float32 → Pillow mode "F"
    # LANCZOS: a proper low-pass, so a 640 px and a 1600 px copy of one picture measure alike (BOX: up to 2× apart)
    size = (max(3, round(w * f)), max(3, round(h * f)))
    return np.asarray(im.resize(size, Image.Resampling.LANCZOS), dtype=np.float64)


def laplacian_variance(y: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian over the interior of a 2-D array (the classic blur measure)."""
    if y.shape[0] < 3 or y.shape[1] < 3:
        raise ValueError(f"image of {y.shape[1]}x{y.shape[0]} px is too small to measure sharpness (needs 3x3)")
    lap = y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4.0 * y[1:-1, 1:-1]
    return float(lap.var())


def noise_sigma(y: np.ndarray, block: int = 16, percentile: float = 10.0) -> float:
    """Noise standard deviation of a luma array: Immerkær's (1996) estimator per ``block``×``block`` tile, and the
    ``percentile``-th tile.

    The 3×3 mask is blind to planes and ramps, but edges and texture leak through it. Noise covers the whole frame
    while texture does not, so the flattest tiles (sky, walls, skin) show the noise alone.
    """
    if y.shape[0] < 3 or y.shape[1] < 3:
        return 0.0
    c = y[1:-1, 1:-1]
    n, s, w, e = y[:-2, 1:-1], y[2:, 1:-1], y[1:-1, :-2], y[1:-1, 2:]
    nw, ne, sw, se = y[:-2, :-2], y[:-2, 2:], y[2:, :-2], y[2:, 2:]
    resp = np.abs(4.0 * c - 2.0 * (n + s + w + e) + (nw + ne + sw + se))
    h, w_ = resp.shape[0] - resp.shape[0] % block, resp.shape[1] - resp.shape[1] % block
    if h == 0 or w_ == 0:
        tiles = resp.reshape(-1)
    else:
        tiles = resp[:h, :w_].reshape(h // block, block, w_ // block, block).mean(axis=(1, 3)).reshape(-1)
    return float(np.sqrt(np.pi / 2.0) * np.percentile(tiles, percentile) / 6.0)


def noise_level(fixed: np.ndarray) -> float:
    """Noise σ (8-bit levels) of a luma array at the fixed scale, told apart from fine texture by a second scale.

    :func:`noise_sigma` alone reads dense foliage or gravel as noise (they fill every tile). Halving the scale halves
    white noise's estimate (4 pixels averaged) but leaves texture's about where it was (natural detail looks alike
    across scales), so ``2 · (σ at this scale − σ at half of it)`` keeps the noise and drops the texture.
    """
    if min(fixed.shape) < 8:
        return 0.0
    half = at_fixed_scale(fixed, max(fixed.shape) // 2)
    return 2.0 * max(0.0, noise_sigma(fixed) - noise_sigma(half))


def blockiness(y: np.ndarray, block: int = 8) -> float:
    """JPEG blocking: the mean |step| across ``block``-px borders ÷ the largest mean |step| at any other offset in
    the block, minus 1 (≥ 0).

    Comparing with every other offset, not with their average, keeps periodic patterns that are not JPEG's out:
    an image upscaled 2× or 4× has its own 2/4-px rhythm, which lands on the 8-px borders too but equally on offset
    3 (or 1, 5), so it does not count as blocking.
    """
    ratios = []
    for axis in (1, 0):
        # mean step per column (row) boundary, then per offset within the block
        steps = np.abs(np.diff(y, axis=axis)).mean(axis=1 - axis, dtype=np.float64)
        n = steps.size - steps.size % block
        if n < 2 * block:
            continue
        per_offset = steps[:n].reshape(-1, block).mean(axis=0)
        others = np.delete(per_offset, block - 1)
        ratios.append(per_offset[block - 1] / max(float(others.max()), 1e-6))
    return float(max(0.0, float(np.mean(ratios)) - 1.0)) if ratios else 0.0


def classical_scores(img: Image.Image) -> ClassicalScores:
    """Every classical measure of ``img`` (see the module docstring)."""
    img = img.convert("RGB")
    # Pillow's "L" conversion is the same BT.601 luma, done in C (rounded to whole levels): ~20× faster than numpy
    y = np.asarray(img.convert("L"), dtype=np.float32)
    r, g, b = (np.asarray(band) for band in img.split())
    pixels = y.size
    fixed = at_fixed_scale(y).astype(np.float64)
    return ClassicalScores(
        blur=laplacian_variance(fixed),
        brightness=float(y.mean(dtype=np.float64)),
        contrast=float(y.std(dtype=np.float64)),
        highlights=np.count_nonzero(np.minimum(np.minimum(r, g), b) >= CLIP_HIGH) / pixels,
        shadows=np.count_nonzero(np.maximum(np.maximum(r, g), b) <= CLIP_LOW) / pixels,
        noise=noise_level(fixed),
        blockiness=blockiness(y),
    )


def load_score_image(path: Path | str, max_px: int) -> Image.Image:
    """Decode ``path`` as an upright RGB image whose longer side is at most ``max_px``.

    A large JPEG is decoded with ``draft`` at the exact target size first (the DCT scales 1/2, 1/4, 1/8 skip most of a
    24 MP decode); a plain ``thumbnail`` would ask draft for twice the target and decode more than needed.
    Raises ``FileNotFoundError`` / ``PIL.UnidentifiedImageError`` / ``OSError`` with the path in the message.
    """
    from ..imaging import open_upright  # the one decode path (draft, orientation, sRGB) shared with the model image

    # BILINEAR for the last resize: scores of a ≤1024 px image do not need LANCZOS's cost.
    return open_upright(Path(path), (max_px, max_px), resample=Image.Resampling.BILINEAR)
