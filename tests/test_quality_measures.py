"""The classical measures on real camera photos (issue 20): sharp vs blurred, well exposed vs clipped, noisy, blocky,
and sharpness that does not depend on the size of the scoring image. No pyiqa here: numpy and Pillow only."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from amirtui.core.quality.classical import classical_scores, load_score_image
from amirtui.core.quality.qr import normalise

SCENES = ["gps/DSCN0010.jpg", "gps/DSCN0025.jpg", "orientation/landscape_1.jpg", "cameras/Canon_PowerShot_S40.jpg"]


def _photo(photos_dir, name: str) -> Image.Image:
    return load_score_image(photos_dir / name, 1024)


def _exposed(img: Image.Image, ev: float) -> Image.Image:
    """``img`` pushed by ``ev`` stops in linear light, clipped as a camera would."""
    a = np.asarray(img, dtype=np.float64) / 255.0
    lin = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4) * 2.0**ev
    lin = np.clip(lin, 0.0, 1.0)
    out = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)
    return Image.fromarray(np.rint(out * 255).astype(np.uint8))


@pytest.mark.parametrize("name", SCENES)
def test_blurred_photo_measures_softer_than_the_sharp_original(photos_dir, name):
    sharp = _photo(photos_dir, name)
    soft = sharp.filter(ImageFilter.GaussianBlur(2))
    s, b = classical_scores(sharp), classical_scores(soft)
    assert b.blur < s.blur / 3
    assert normalise("blur", b.blur) < normalise("blur", s.blur) - 1.0


@pytest.mark.parametrize("name", SCENES[:3])
def test_sharpness_is_measured_at_a_fixed_scale_so_the_scoring_size_does_not_matter(photos_dir, name):
    # the same picture handed to the scorer at 640, 1024 and 1600 px (as model images of different sizes would be)
    base = _photo(photos_dir, name)
    sizes = {w: base.resize((w, round(w * base.size[1] / base.size[0])), Image.Resampling.LANCZOS)
             for w in (1024, 1600)} | {base.size[0]: base}
    values = {w: classical_scores(img).blur for w, img in sizes.items()}
    assert max(values.values()) / min(values.values()) < 1.3, values
    # the plain Laplacian variance at each image's own size differs several-fold: the dependence the fixed scale removes
    native = {}
    for w, img in sizes.items():
        y = np.asarray(img.convert("L"), dtype=np.float64)
        native[w] = (y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4 * y[1:-1, 1:-1]).var()
    assert max(native.values()) / min(native.values()) > 3, native


@pytest.mark.parametrize("name", SCENES)
def test_blown_highlights_and_crushed_shadows_are_seen(photos_dir, name):
    good = _photo(photos_dir, name)
    over, under = _exposed(good, 2.0), _exposed(good, -3.0)
    g, o, u = classical_scores(good), classical_scores(over), classical_scores(under)
    assert o.highlights > g.highlights + 0.05  # at +2 EV skies and walls turn pure white
    assert u.shadows > g.shadows
    exp = {k: normalise("brightness", v.brightness, v.as_dict()) for k, v in (("g", g), ("o", o), ("u", u))}
    assert exp["o"] < exp["g"] - 2 and exp["u"] < exp["g"] - 2


def test_clipping_costs_points_even_at_a_normal_mean(photos_dir):
    # same mean brightness, but a fifth of the pixels blown out: exposure must score lower
    img = _photo(photos_dir, "gps/DSCN0025.jpg")
    raw = classical_scores(img).as_dict()
    clipped = {**raw, "highlights": raw["highlights"] + 0.2}
    assert normalise("brightness", raw["brightness"], clipped) < normalise("brightness", raw["brightness"], raw) - 2


def test_contrast_is_not_capped_at_a_common_value(photos_dir):
    stds = sorted(classical_scores(_photo(photos_dir, n)).contrast for n in SCENES)
    scores = [normalise("contrast", v) for v in stds]
    assert all(a < b for a, b in zip(scores, scores[1:])), (stds, scores)  # every step in std shows
    assert max(scores) < 10


@pytest.mark.parametrize("name", SCENES[:3])
def test_noise_is_measured_and_costs_points(photos_dir, name):
    clean = _photo(photos_dir, name)
    rng = np.random.default_rng(1)
    noisy = Image.fromarray(np.clip(np.asarray(clean, dtype=np.float64) + rng.normal(0, 15, (*clean.size[::-1], 3)),
                                    0, 255).astype(np.uint8))
    c, n = classical_scores(clean), classical_scores(noisy)
    assert n.noise > 1.4 * c.noise
    assert normalise("noise", n.noise, n.as_dict()) < normalise("noise", c.noise, c.as_dict())


@pytest.mark.parametrize("name", SCENES[:3])
def test_harsh_jpeg_compression_shows_as_blockiness(photos_dir, name):
    clean = _photo(photos_dir, name)
    buf = io.BytesIO()
    clean.save(buf, "JPEG", quality=8)
    blocky = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    c, b = classical_scores(clean), classical_scores(blocky)
    assert b.blockiness > c.blockiness + 0.3
    assert normalise("blockiness", b.blockiness) < normalise("blockiness", c.blockiness) - 3


def test_dense_foliage_is_not_taken_for_noise(photos_dir):
    # DSCN0010 and DSCN0012 are hillsides and trees full of fine leaves: texture everywhere, no noise to speak of
    for name in ("gps/DSCN0010.jpg", "gps/DSCN0012.jpg"):
        clean = _photo(photos_dir, name)
        rng = np.random.default_rng(2)
        noisy = Image.fromarray(np.clip(np.asarray(clean, dtype=np.float64) + rng.normal(0, 14, (*clean.size[::-1], 3)),
                                        0, 255).astype(np.uint8))
        c, n = classical_scores(clean), classical_scores(noisy)
        assert c.noise < 1.5, (name, c.noise)
        assert normalise("noise", c.noise, c.as_dict()) > 8
        assert n.noise > c.noise + 2  # σ 14 per channel is still seen through the leaves
