"""Classical quality measures computed with numpy and Pillow (no torch, no weights).

All three work on the luma channel (ITU-R BT.601, 0–255) of the *scoring image*: the ≤ ``score_max_px`` decode the
scoring stage makes, so values are comparable between photos of different camera resolutions.

- ``blur``: variance of the 4-neighbour Laplacian. High = sharp detail, low = soft/blurred. It scales with the square
  of the image's tonal range, so darkening a photo lowers it too (a dark photo also shows less detail).
- ``brightness``: mean luma (0 = black, 255 = white).
- ``contrast``: RMS contrast = standard deviation of luma.

Decoding lives here too (:func:`load_score_image`) because every metric, classical or pyiqa, scores the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class ClassicalScores:
    """Raw classical values of one image (see the module docstring for their meaning)."""

    blur: float
    brightness: float
    contrast: float


def luma(img: Image.Image) -> np.ndarray:
    """The image's BT.601 luma as a float64 array in 0–255."""
    rgb = np.asarray(img.convert("RGB"), dtype=np.float64)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def laplacian_variance(y: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian over the interior of a 2-D array (the classic blur measure)."""
    if y.shape[0] < 3 or y.shape[1] < 3:
        raise ValueError(f"image of {y.shape[1]}x{y.shape[0]} px is too small to measure sharpness (needs 3x3)")
    lap = y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4.0 * y[1:-1, 1:-1]
    return float(lap.var())


def classical_scores(img: Image.Image) -> ClassicalScores:
    """Blur (Laplacian variance), brightness (mean luma) and contrast (luma std) of ``img``."""
    y = luma(img)
    return ClassicalScores(blur=laplacian_variance(y), brightness=float(y.mean()), contrast=float(y.std()))


def load_score_image(path: Path | str, max_px: int) -> Image.Image:
    """Decode ``path`` as an upright RGB image whose longer side is at most ``max_px``.

    A large JPEG is decoded with ``draft`` at the exact target size first (the DCT scales 1/2, 1/4, 1/8 skip most of a
    24 MP decode); a plain ``thumbnail`` would ask draft for twice the target and decode more than needed.
    Raises ``FileNotFoundError`` / ``PIL.UnidentifiedImageError`` / ``OSError`` with the path in the message.
    """
    from ..imaging import open_upright  # the one decode path (draft, orientation, sRGB) shared with the model image

    # BILINEAR for the last resize: scores of a ≤1024 px image do not need LANCZOS's cost.
    return open_upright(Path(path), (max_px, max_px), resample=Image.Resampling.BILINEAR)
