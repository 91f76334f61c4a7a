"""Generated JPEGs with realistic content and real EXIF (IFD0 + Exif IFD + GPS IFD), written by Pillow.

Content is deterministic by ``seed``: smooth gradients (sky-like), a few hard-edged shapes and stripes
(so sharpness / blur metrics have something to measure) and low-amplitude sensor noise. Built with numpy so
a 24 MP (6000x4000) file takes about half a second.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, TiffImagePlugin
from PIL.ExifTags import IFD

# EXIF tag numbers (named here so a reader does not need the spec open)
_MAKE, _MODEL, _ORIENTATION, _DATETIME, _SOFTWARE = 0x010F, 0x0110, 0x0112, 0x0132, 0x0131
_EXPOSURE, _FNUMBER, _ISO, _DT_ORIGINAL, _DT_DIGITIZED = 0x829A, 0x829D, 0x8827, 0x9003, 0x9004
_FOCAL, _LENS_MODEL, _PIXEL_X, _PIXEL_Y = 0x920A, 0xA434, 0xA002, 0xA003
_GPS_VERSION, _LAT_REF, _LAT, _LON_REF, _LON, _ALT_REF, _ALT = 0, 1, 2, 3, 4, 5, 6


def _rational(value: float | Fraction | tuple[int, int]) -> TiffImagePlugin.IFDRational:
    if isinstance(value, tuple):
        return TiffImagePlugin.IFDRational(*value)
    frac = Fraction(value).limit_denominator(10_000)
    return TiffImagePlugin.IFDRational(frac.numerator, frac.denominator)


def _dms(degrees: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    """Degrees as EXIF (deg, min, sec) rationals; seconds kept to 1/100."""
    degrees = abs(degrees)
    d = int(degrees)
    m = int((degrees - d) * 60)
    s = round(((degrees - d) * 60 - m) * 60 * 100)
    return (_rational((d, 1)), _rational((m, 1)), _rational((s, 100)))


def render_pixels(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """An ``(h, w, 3)`` uint8 array: gradients + edged shapes + stripes + noise, deterministic by ``seed``."""
    w, h = size
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(40, 230, size=(2, 3))
    tilt = rng.integers(-60, 60, size=3)
    # int16 and one full-size buffer: float32 temporaries made a 24 MP image take ~2 s instead of ~0.4 s
    rows = (top + (bottom - top) * np.linspace(0.0, 1.0, h)[:, None]).astype(np.int16)[:, None, :]
    cols = (tilt * np.linspace(-0.5, 0.5, w)[:, None]).astype(np.int16)[None, :, :]
    img = np.empty((h, w, 3), np.int16)
    np.add(rows, cols, out=img)
    for _ in range(int(rng.integers(3, 7))):  # hard-edged blocks: buildings, boats, horizons
        x0, x1 = sorted(rng.integers(0, w, 2))
        y0, y1 = sorted(rng.integers(0, h, 2))
        img[y0:y1 + 1, x0:x1 + 1] = rng.integers(0, 256, 3)
    period = max(2, int(rng.integers(3, 12)) * max(w, h) // 1000)
    band = img[int(h * 0.7):int(h * 0.78)]  # a striped band of fine detail
    band *= (3 + (np.arange(w) // period % 2)).astype(np.int16)[None, :, None]
    band //= 4
    img += rng.integers(-5, 6, size=(h, w, 1), dtype=np.int8)  # luminance noise; one channel is plenty
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8)


def build_exif(*, size: tuple[int, int], make: str | None = None, model: str | None = None,
               datetime_original: datetime | str | None = None, exposure: tuple[int, int] | float | None = (1, 250),
               fnumber: float | None = 5.6, iso: int | None = 200, focal: float | None = 50,
               orientation: int | None = 1, gps: tuple[float, float] | tuple[float, float, float] | None = None,
               lens: str | None = None) -> Image.Exif:
    """A Pillow ``Exif`` with IFD0, Exif IFD and (when ``gps`` is given) GPS IFD; ``None`` leaves a tag out."""
    exif = Image.Exif()
    if make is not None:
        exif[_MAKE] = make
    if model is not None:
        exif[_MODEL] = model
    if orientation is not None:
        exif[_ORIENTATION] = orientation
    exif[_SOFTWARE] = "amirtui test harness"
    sub = exif.get_ifd(IFD.Exif)  # Pillow writes this dict back as the Exif sub-IFD on tobytes()
    if datetime_original is not None:
        stamp = (datetime_original.strftime("%Y:%m:%d %H:%M:%S") if isinstance(datetime_original, datetime)
                 else datetime_original)
        exif[_DATETIME] = stamp
        sub[_DT_ORIGINAL] = stamp
        sub[_DT_DIGITIZED] = stamp
    if exposure is not None:
        sub[_EXPOSURE] = _rational(exposure)
    if fnumber is not None:
        sub[_FNUMBER] = _rational(fnumber)
    if iso is not None:
        sub[_ISO] = iso
    if focal is not None:
        sub[_FOCAL] = _rational(focal)
    if lens is not None:
        sub[_LENS_MODEL] = lens
    sub[_PIXEL_X], sub[_PIXEL_Y] = size
    if gps is not None:
        lat, lon, *alt = gps
        g = exif.get_ifd(IFD.GPSInfo)
        g[_GPS_VERSION] = b"\x02\x03\x00\x00"
        g[_LAT_REF], g[_LAT] = ("N" if lat >= 0 else "S"), _dms(lat)
        g[_LON_REF], g[_LON] = ("E" if lon >= 0 else "W"), _dms(lon)
        if alt:
            g[_ALT_REF], g[_ALT] = (b"\x00" if alt[0] >= 0 else b"\x01"), _rational(abs(alt[0]))
    return exif


def make_jpeg(path: str | Path, *, size: tuple[int, int] = (1200, 800), seed: int = 0, make: str | None = None,
              model: str | None = None, datetime_original: datetime | str | None = None,
              exposure: tuple[int, int] | float | None = (1, 250), fnumber: float | None = 5.6,
              iso: int | None = 200, focal: float | None = 50, orientation: int | None = 1,
              gps: tuple[float, float] | tuple[float, float, float] | None = None, lens: str | None = None,
              quality: int = 90, exif: bool = True) -> Path:
    """Write a realistic JPEG with real EXIF to ``path`` and return it.

    ``size`` is (width, height) of the stored pixels; ``orientation`` is only the EXIF tag (the pixels are not
    rotated), as a camera does. ``gps`` is (lat, lon) or (lat, lon, altitude_m) in signed degrees.
    ``exif=False`` writes a bare JPEG with no EXIF block at all.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(render_pixels(size, seed), "RGB")
    kwargs: dict = {"quality": quality}
    if exif:
        kwargs["exif"] = build_exif(size=size, make=make, model=model, datetime_original=datetime_original,
                                    exposure=exposure, fnumber=fnumber, iso=iso, focal=focal,
                                    orientation=orientation, gps=gps, lens=lens).tobytes()
    image.save(path, "JPEG", **kwargs)
    return path


class JpegFactory:
    """Makes JPEGs in one directory; each call gets a fresh seed unless one is given."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._count = 0

    def __call__(self, name: str | None = None, **options) -> Path:
        """``make_jpeg(directory / name, **options)``; name defaults to ``IMG_0001.JPG``, ``IMG_0002.JPG`` …

        ``name`` may also be an absolute path (e.g. ``tmp_path / "set" / "a.jpg"``), which is used as is.
        """
        self._count += 1
        options.setdefault("seed", self._count)
        return make_jpeg(self.directory / (name or f"IMG_{self._count:04d}.JPG"), **options)


__all__ = ["JpegFactory", "build_exif", "make_jpeg", "render_pixels"]
