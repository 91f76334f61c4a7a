"""EXIF capture metadata without decoding pixels (``Image.open`` reads the header only).

Broken EXIF never stops a photo: every field is read on its own, anything missing or unreadable becomes ``None`` with
a sentence in :attr:`ExifInfo.notes`, and :func:`read_exif` never raises. Display strings follow the conventions the
website already shows (and exiftool prints): ``1/250 sec``, ``0.5 sec``, ``2 sec``, ``f/5.6``, ``50 mm``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from .camera import camera_token
from .capture_clock import judge_clock
from .heif import register as _register_heif

_register_heif()  # phone photos (HEIC) open like JPEGs: EXIF, ICC and orientation kept

__all__ = ["ExifInfo", "read_exif", "format_exposure", "format_aperture", "format_focal_length"]

# Tag numbers (EXIF 2.3): IFD0, the Exif sub-IFD (0x8769) and the GPS IFD (0x8825).
MAKE, MODEL, ORIENTATION, DATETIME = 0x010F, 0x0110, 0x0112, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
EXPOSURE_TIME, FNUMBER, ISO, DATETIME_ORIGINAL = 0x829A, 0x829D, 0x8827, 0x9003
SHUTTER_APEX, APERTURE_APEX, FOCAL_LENGTH = 0x9201, 0x9202, 0x920A
LENS_MAKE, LENS_MODEL = 0xA433, 0xA434
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4
OFFSET_TIME_ORIGINAL, GPS_TIME, GPS_DATE = 0x9011, 7, 29

_DATETIME_RE = re.compile(r"^\d{4}:\d{2}:\d{2}( \d{2}:\d{2}:\d{2})?")


@dataclass
class ExifInfo:
    """Capture metadata of one file; every field may be ``None``. ``notes`` says what was missing or broken."""

    datetime_original: str | None = None
    """``YYYY:MM:DD HH:MM:SS`` from DateTimeOriginal, else from DateTime (with a note)."""
    datetime: str | None = None
    """IFD0 DateTime (file modification time as the camera/editor wrote it)."""
    make: str | None = None
    model: str | None = None
    camera: str = "Camera"
    """Canonical token for filenames (:func:`amirtui.core.naming.camera_token`)."""
    lens: str | None = None
    exposure: str | None = None
    aperture: str | None = None
    iso: str | None = None
    focal_length: str | None = None
    width: int | None = None
    """Pixel width as the photo is viewed, i.e. after the EXIF orientation (5–8 swap width and height)."""
    height: int | None = None
    orientation: int | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    time_trusted: bool = True
    """False when the capture hour cannot be judged by (edit time, or a clock in another zone: see capture_clock)."""
    readable: bool = True
    """False when the file could not be opened as an image at all (the notes say why)."""
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------------ formatting


def _num(value: Any) -> float | None:
    """A finite float from an EXIF rational/int/tuple, or None (zero denominators give nan in Pillow)."""
    if isinstance(value, (tuple, list)):
        if not value:
            return None
        if len(value) == 2 and all(isinstance(v, int) for v in value):  # raw (numerator, denominator)
            return value[0] / value[1] if value[1] else None
        value = value[0]
    try:
        f = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if math.isfinite(f) else None


def _trim(f: float, digits: int = 1) -> str:
    """``5.60`` → ``5.6``, ``8.0`` → ``8``."""
    text = f"{f:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_exposure(seconds: float) -> str:
    """``1/250 sec`` below a quarter second (as cameras and exiftool show it), else ``0.5 sec``, ``2 sec``."""
    if seconds <= 0.25001:
        return f"1/{int(0.5 + 1 / seconds)} sec"
    return f"{_trim(seconds)} sec"


def format_aperture(fnumber: float) -> str:
    """``f/5.6``, ``f/8``, ``f/11``."""
    return f"f/{_trim(fnumber)}"


def format_focal_length(mm: float) -> str:
    """``50 mm``, ``7.1 mm``."""
    return f"{_trim(mm)} mm"


def _text(value: Any) -> str | None:
    """EXIF ASCII for display: strip NUL padding and whitespace; bytes decoded leniently; empty → None.

    An inner NUL ends the string here, as exiftool shows it (``ION230\x00F`` → ``ION230``). The camera token is made
    from the raw tag instead (:func:`amirtui.core.camera.camera_token`, where the NUL separates words as it did in the
    old generator), so the reader and ``camera_token`` agree on the token.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip("\x00 ").split("\x00", 1)[0]
    text = " ".join(text.split())
    return text or None


# ------------------------------------------------------------------------------------------------ readers


def _read_datetime(raw: Any, label: str, notes: list[str]) -> str | None:
    text = _text(raw)
    if text is None:
        return None
    m = _DATETIME_RE.match(text)
    if not m or text.startswith("0000"):
        notes.append(f"{label} {text[:40]!r} is not a valid date (expected YYYY:MM:DD HH:MM:SS); left empty")
        return None
    value = m.group(0) if m.group(1) else m.group(0) + " 00:00:00"
    try:  # the shape is right; the calendar and the clock must be too (2021:02:30 25:61:61 is no date)
        _dt.datetime.strptime(value, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        notes.append(f"{label} {text[:40]!r} is an impossible date or time; left empty")
        return None
    return value


def _gps_coord(ref: Any, value: Any, positive: str, negative: str) -> float | None:
    if value is None:
        return None
    parts = list(value) if isinstance(value, (tuple, list)) else [value]
    nums = [_num(p) for p in parts[:3]]
    if not nums or any(n is None for n in nums):
        raise ValueError(f"unreadable value {value!r}")
    deg = nums[0] + (nums[1] / 60 if len(nums) > 1 else 0) + (nums[2] / 3600 if len(nums) > 2 else 0)  # type: ignore[operator]
    ref_s = (_text(ref) or positive).upper()[:1]
    if ref_s not in (positive, negative):
        raise ValueError(f"reference {ref!r} is neither {positive} nor {negative}")
    return -deg if ref_s == negative else deg


def _read_gps(gps: dict, info: ExifInfo) -> None:
    if not gps or (GPS_LAT not in gps and GPS_LON not in gps):
        return
    try:
        lat = _gps_coord(gps.get(GPS_LAT_REF), gps.get(GPS_LAT), "N", "S")
        lon = _gps_coord(gps.get(GPS_LON_REF), gps.get(GPS_LON), "E", "W")
    except (ValueError, TypeError) as exc:
        info.notes.append(f"GPS position unreadable: {exc}")
        return
    if lat is None or lon is None:
        info.notes.append("GPS position incomplete (latitude or longitude missing)")
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        info.notes.append(f"GPS position out of range ({lat:.5f}, {lon:.5f}); ignored")
    else:
        info.gps_lat, info.gps_lon = round(lat, 7), round(lon, 7)


def _missing_or_bad(missing: list[str], notes: list[str], label: str, value: float | None) -> None:
    if value is None:
        missing.append(label)
    else:
        notes.append(f"{label} {value:g} is not plausible; left empty")


def _fill(info: ExifInfo, ifd0: Any, exif: dict, gps: dict) -> None:
    notes = info.notes
    info.make, info.model = _text(ifd0.get(MAKE)), _text(ifd0.get(MODEL))
    if not info.make and not info.model:
        notes.append("no camera Make/Model")

    info.datetime = _read_datetime(ifd0.get(DATETIME), "DateTime", notes)
    info.datetime_original = _read_datetime(exif.get(DATETIME_ORIGINAL), "DateTimeOriginal", notes)
    from_edit_time = False
    if info.datetime_original is None:
        if info.datetime:
            info.datetime_original, from_edit_time = info.datetime, True
            notes.append("no DateTimeOriginal: used DateTime (may be the time of editing, not of capture)")
        else:
            notes.append("no capture date")

    lens = _text(exif.get(LENS_MODEL))
    lens_make = _text(exif.get(LENS_MAKE))
    info.lens = f"{lens_make} {lens}" if lens and lens_make and not lens.casefold().startswith(lens_make.casefold()) \
        else lens
    missing: list[str] = [] if info.lens else ["lens model"]

    t = _num(exif.get(EXPOSURE_TIME))
    if t is None and _num(exif.get(SHUTTER_APEX)) is not None:
        t = 2 ** -_num(exif.get(SHUTTER_APEX))  # type: ignore[operator]
        notes.append("exposure time derived from ShutterSpeedValue")
    if t is not None and 0 < t < 100_000:
        info.exposure = format_exposure(t)
    else:
        _missing_or_bad(missing, notes, "exposure time", t)

    f = _num(exif.get(FNUMBER))
    if f is None and _num(exif.get(APERTURE_APEX)) is not None:
        f = 2 ** (_num(exif.get(APERTURE_APEX)) / 2)  # type: ignore[operator]
        notes.append("aperture derived from ApertureValue")
    if f is not None and 0.5 <= f <= 256:
        info.aperture = format_aperture(f)
    else:
        _missing_or_bad(missing, notes, "aperture (FNumber)", f)

    iso = exif.get(ISO)
    iso_n = _num(iso)
    if iso_n is not None and iso_n > 0:
        info.iso = str(int(iso_n))
    else:
        _missing_or_bad(missing, notes, "ISO", iso_n)

    fl = _num(exif.get(FOCAL_LENGTH))
    if fl is not None and 0 < fl < 10_000:
        info.focal_length = format_focal_length(fl)
    else:
        _missing_or_bad(missing, notes, "focal length", fl)
    if missing:
        notes.append("not in EXIF: " + ", ".join(missing))

    _read_gps(gps, info)
    verdict = judge_clock(info.datetime_original, from_edit_time=from_edit_time,
                          offset=_text(exif.get(OFFSET_TIME_ORIGINAL)), gps_utc=_gps_utc(gps), lon=info.gps_lon)
    if not verdict.trusted:
        info.time_trusted = False
        notes.append(verdict.note)


def _gps_utc(gps: dict) -> str | None:
    """GPS date and time (UTC) as ``YYYY:MM:DD HH:MM:SS``, or ``HH:MM:SS`` without a date; None when unreadable."""
    raw = gps.get(GPS_TIME) if gps else None
    if not isinstance(raw, (tuple, list)) or len(raw) != 3:
        return None
    nums = [_num(v) for v in raw]
    if any(n is None or n < 0 for n in nums) or nums[0] >= 24 or nums[1] >= 60 or nums[2] >= 61:  # type: ignore[operator]
        return None
    clock = f"{int(nums[0]):02d}:{int(nums[1]):02d}:{min(int(nums[2]), 59):02d}"  # type: ignore[arg-type]
    date = _text(gps.get(GPS_DATE))
    return f"{date[:10]} {clock}" if date and re.match(r"^\d{4}:\d{2}:\d{2}$", date[:10]) else clock


def _safe_ifd(exif: Image.Exif, tag: int, label: str, notes: list[str]) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except Exception as exc:  # noqa: BLE001 — any parse error in a sub-IFD is one note, never a crash
        notes.append(f"{label} unreadable: {exc}")
        return {}


def read_exif(path: Path | str, *, default_camera: str = "Camera", transliterate: bool = True) -> ExifInfo:
    """Read capture metadata from ``path`` (header only, well under a second even for broken files). Never raises."""
    info = ExifInfo()
    try:
        im = Image.open(path)
    except Exception as exc:  # noqa: BLE001 — unreadable files are reported, not raised (filetypes refuses them)
        info.readable = False
        info.notes.append(f"cannot open {Path(path).name} as an image: {exc}")
        info.camera = camera_token(None, None, default_camera, transliterate=transliterate)
        return info
    with im:
        width, height = im.size
        try:
            exif = im.getexif()
        except Exception as exc:  # noqa: BLE001
            info.notes.append(f"EXIF unreadable: {exc}")
            exif = Image.Exif()
        if not len(exif) and not exif.get_ifd(EXIF_IFD):
            info.notes.append("no EXIF data")
        exif_ifd = _safe_ifd(exif, EXIF_IFD, "Exif IFD", info.notes)
        gps_ifd = _safe_ifd(exif, GPS_IFD, "GPS IFD", info.notes)
        try:
            _fill(info, exif, exif_ifd, gps_ifd)
        except Exception as exc:  # noqa: BLE001 — a tag Pillow decoded to something unexpected: keep what we have
            info.notes.append(f"EXIF partly unreadable: {type(exc).__name__}: {exc}")

        raw_orientation = exif.get(ORIENTATION)
        orientation = _num(raw_orientation)
        if raw_orientation is None:
            info.orientation = 1
        elif orientation is not None and orientation == int(orientation) and 1 <= orientation <= 8:
            info.orientation = int(orientation)
        else:
            info.orientation = 1
            info.notes.append(f"orientation {raw_orientation!r} is not 1–8; treated as upright")
        if info.orientation >= 5:  # 5–8 are rotated by 90°: the viewed image is portrait where the sensor is landscape
            width, height = height, width
        info.width, info.height = width, height
        # from the raw tags, NULs and all: the token must equal camera_token(Make, Model) of the same file
        info.camera = camera_token(exif.get(MAKE), exif.get(MODEL), default_camera, transliterate=transliterate)
    return info
