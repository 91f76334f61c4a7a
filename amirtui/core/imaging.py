"""Image work: upright sRGB decodes at the size needed, model images, and the published web + thumbnail renders.

Every path in here decodes a JPEG at most once and at the smallest DCT scale that still covers the output
(Pillow ``draft`` with the *exact* fitted size: ``Image.thumbnail`` alone asks draft for twice the target and decodes
more than needed). Output is always upright (EXIF orientation applied) and sRGB (embedded wide-gamut profiles are
converted, never just stripped — stripping shifts every colour).
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from PIL import Image, ImageCms, ImageDraw, ImageFont

from .xmp import build_xmp
from .heif import register as _register_heif

_register_heif()  # phone photos (HEIC) open like JPEGs: EXIF, ICC and orientation kept

if TYPE_CHECKING:  # pragma: no cover
    from ..config import PublishConfig

log = logging.getLogger("amirtui.imaging")

#: EXIF tag numbers used below.
TAG_ORIENTATION = 0x0112
IFD_EXIF = 0x8769
IFD_GPS = 0x8825
TAG_MAKERNOTE = 0x927C
TAG_INTEROP = 0xA005
#: Orientations whose upright image has width and height swapped.
_TRANSPOSED = {5, 6, 7, 8}
#: A JPEG APP1 segment holds at most 65,533 bytes after its length field.
_APP1_MAX = 65533


class ImageDecodeError(ValueError):
    """A source image could not be decoded; the message names the file and what to do."""


@lru_cache(maxsize=1)
def srgb_profile() -> ImageCms.ImageCmsProfile:
    """The sRGB profile (LittleCMS built-in), created once."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=1)
def srgb_icc_bytes() -> bytes:
    """The sRGB ICC profile as bytes, embedded in every published file."""
    return srgb_profile().tobytes()


def fit_size(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with ``size``'s aspect ratio that fits inside ``box``; never larger than ``size``."""
    w, h = size
    scale = min(box[0] / w, box[1] / h, 1.0)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(TAG_ORIENTATION, 1))
    except Exception:  # a broken IFD0 must not stop the decode; treat as upright
        return 1
    return value if 1 <= value <= 8 else 1


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    desc = (ImageCms.getProfileDescription(profile) or "").lower()
    return "srgb" in desc or "61966-2" in desc


def _to_srgb_rgb(im: Image.Image, icc: bytes | None, name: str) -> tuple[Image.Image, str | None]:
    """Convert ``im`` to mode RGB in sRGB; returns the image and a note when something was assumed."""
    note = None
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if not _is_srgb(src) or im.mode not in ("RGB", "L"):
                im = ImageCms.profileToProfile(im, src, srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            # An unreadable profile cannot be honoured; say so instead of silently pretending it was converted.
            note = f"{name}: embedded ICC profile unusable ({exc}); colours treated as sRGB"
            log.warning(note)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # Flatten transparency onto white: a JPEG has no alpha and black under transparent pixels looks broken.
        rgba = im.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        im = bg
    elif im.mode != "RGB":
        im = im.convert("RGB")
    return im, note


@dataclass
class Decoded:
    """An upright sRGB RGB image plus what was read from the source on the way."""

    image: Image.Image
    exif: Image.Exif
    source_size: tuple[int, int]  # stored (pre-orientation) pixel size of the source
    orientation: int
    notes: list[str] = field(default_factory=list)


def decode(
    path: Path | str,
    target: tuple[int, int] | None = None,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Decoded:
    """Decode ``path`` once: draft at the exact fitted size, resize to fit ``target``, make upright and sRGB.

    ``resample`` only does the last step from the drafted size (less than 2× larger than the target: the JPEG
    decoder's DCT scaling already did the big reduction).

    Raises :class:`ImageDecodeError` (file named, cause given) for anything Pillow cannot read, including truncated
    files and decompression bombs.
    """
    path = Path(path)
    try:
        im = Image.open(path)
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(f"{path}: not a readable image ({exc}); re-export it or remove it from the set") from exc
    try:
        with im:
            exif = im.getexif()
            orientation = _orientation(im)
            icc = im.info.get("icc_profile")
            source_size = im.size
            stored_target = None
            if target is not None:
                upright = source_size[::-1] if orientation in _TRANSPOSED else source_size
                fw, fh = fit_size(upright, target)
                stored_target = (fh, fw) if orientation in _TRANSPOSED else (fw, fh)
                # draft only ever scales by 1/2, 1/4, 1/8 and never below the requested size.
                im.draft("RGB", stored_target)
            im.load()
            out: Image.Image = im
            if stored_target is not None and out.size != stored_target:
                # reducing_gap: for non-JPEG sources (no draft) a cheap box reduce first, the filter for the last ≤3×
                out = out.resize(stored_target, resample, reducing_gap=3.0)
    except (OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(
            f"{path}: cannot decode the image data ({exc}); the file is damaged or truncated — copy it again from "
            "the camera/card or remove it from the set"
        ) from exc
    if orientation != 1:
        out = out.transpose(_TRANSPOSE_OPS[orientation]) if orientation in _TRANSPOSE_OPS else out
    out, note = _to_srgb_rgb(out, icc, path.name)
    out.info.pop("icc_profile", None)  # it is sRGB now; the old profile must not travel with it
    out.info.pop("exif", None)
    return Decoded(out, exif, source_size, orientation, [note] if note else [])


# Orientation → the transpose that makes it upright (the same table ImageOps.exif_transpose uses). Applied by hand
# because exif_transpose would re-read EXIF from the drafted image; we already have the value.
_TRANSPOSE_OPS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def open_upright(
    path: Path | str,
    target: tuple[int, int] | None = None,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> Image.Image:
    """An upright, sRGB, mode-RGB image of ``path``, fitted within ``target`` (never upscaled) when given.

    With a target the JPEG is decoded at the smallest DCT scale covering the fitted size (``draft`` before ``load``).
    Raises :class:`ImageDecodeError` naming the file when it cannot be decoded.
    """
    return decode(path, target, resample).image


# ---------------------------------------------------------------- model image


def model_image_name(photo_id: int) -> str:
    """The deterministic file name of a photo's model image (also the review preview)."""
    return f"photo_{int(photo_id):08d}.jpg"


def _atomic_write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # No fsync: the model image is regenerable from the staged copy; the rename alone guarantees no reader ever
        # sees half a file.
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_model_image(src: Path | str, dest_dir: Path | str, photo_id: int, max_px: int = 1024, quality: int = 85,
                      observe: Callable[[Image.Image], None] | None = None) -> Path:
    """Write the ≤``max_px`` upright sRGB JPEG of ``src`` to ``dest_dir/model_image_name(photo_id)`` atomically.

    ``observe`` is called with the decoded upright image before it is encoded, so other per-photo work on the same
    pixels (the perceptual hash) costs no second decode. Raises :class:`ImageDecodeError` when the source cannot be
    decoded (nothing is written then).
    """
    # HAMMING for the residual <2× step: half LANCZOS's cost here (14 vs 30 ms at 1500→1024 px), and the model image
    # feeds a captioning model, the scorer and a terminal preview, none of which can tell the two apart.
    img = open_upright(src, (max_px, max_px), Image.Resampling.HAMMING)
    if observe is not None:
        observe(img)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, icc_profile=srgb_icc_bytes(), optimize=False)
    dest = Path(dest_dir) / model_image_name(photo_id)
    _atomic_write(dest, buf.getvalue())
    return dest


# ---------------------------------------------------------------- publish renders


@dataclass
class PublishMeta:
    """What goes into a published file besides pixels: its name and the XMP text."""

    file_name: str
    title: str = ""
    caption: str = ""
    alt_text: str = ""
    keywords: Sequence[str] = ()
    keep_exif: bool = True
    """Keep the original capture EXIF (orientation reset to 1; GPS removed when the config strips it)."""


@dataclass
class RenderedPair:
    """The web image and thumbnail bytes of one photo, ready to upload."""

    web: bytes
    thumb: bytes
    web_size: tuple[int, int]
    thumb_size: tuple[int, int]
    notes: list[str] = field(default_factory=list)


def _publish_exif(exif: Image.Exif, strip_gps: bool, name: str, notes: list[str]) -> bytes:
    """The kept capture EXIF as bytes: Orientation = 1 (pixels are upright now), GPS gone when asked."""
    # Load the sub-IFDs as dicts so tobytes() writes them out as IFDs (a bare offset would point at garbage).
    def ifd(tag: int) -> dict:
        value = exif.get(tag)
        return dict(value) if isinstance(value, dict) else dict(exif.get_ifd(tag))

    sub = {tag: ifd(tag) for tag in (IFD_EXIF, IFD_GPS) if tag in exif}
    if IFD_EXIF in sub and TAG_INTEROP in sub[IFD_EXIF]:
        value = sub[IFD_EXIF][TAG_INTEROP]
        interop = dict(value) if isinstance(value, dict) else dict(exif.get_ifd(TAG_INTEROP))
        if interop:
            sub[IFD_EXIF][TAG_INTEROP] = interop
        else:
            del sub[IFD_EXIF][TAG_INTEROP]
    out = Image.Exif()
    for tag, value in exif.items():
        if tag in (IFD_EXIF, IFD_GPS):
            continue
        out[tag] = value
    out[TAG_ORIENTATION] = 1
    if IFD_EXIF in sub and sub[IFD_EXIF]:
        out[IFD_EXIF] = sub[IFD_EXIF]
    if IFD_GPS in sub and sub[IFD_GPS] and not strip_gps:
        out[IFD_GPS] = sub[IFD_GPS]
    for attempt in ("full", "no_makernote", "ifd0_only"):
        try:
            data = out.tobytes()
        except Exception as exc:  # a vendor tag Pillow cannot re-serialise
            data, err = b"", exc
        else:
            err = None
            if len(data) <= _APP1_MAX:
                return data
        # Maker notes are the usual culprit (huge, and offsets that break when moved); drop them, then sub-IFDs.
        if attempt == "full" and IFD_EXIF in out:
            ifd = dict(out[IFD_EXIF])
            ifd.pop(TAG_MAKERNOTE, None)
            out[IFD_EXIF] = ifd
            notes.append(f"{name}: maker note dropped from EXIF ({err or 'too long for one JPEG segment'})")
        elif attempt == "no_makernote":
            out.pop(IFD_EXIF, None)
            out.pop(IFD_GPS, None)
            notes.append(f"{name}: capture EXIF sub-IFD dropped ({err or 'too long'}); camera make/model kept")
    notes.append(f"{name}: EXIF could not be kept at all")
    return b""


def _watermark(img: Image.Image, text: str) -> Image.Image:
    """Bottom-right text, white with a dark outline so it reads on light and dark photos alike."""
    img = img.copy()
    size = max(10, img.height // 30)
    font = ImageFont.load_default(size=size)
    draw = ImageDraw.Draw(img)
    margin = max(4, size // 2)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=max(1, size // 12))
    xy = (img.width - (right - left) - margin, img.height - (bottom - top) - margin)
    draw.text(xy, text, font=font, fill=(255, 255, 255), stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
    return img


def _encode(img: Image.Image, quality: int, exif: bytes, xmp: bytes) -> bytes:
    buf = io.BytesIO()
    kwargs = {"quality": quality, "icc_profile": srgb_icc_bytes(), "xmp": xmp, "optimize": True, "progressive": True}
    if exif:
        kwargs["exif"] = exif
    img.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def render_publish_images(source: Path | str, meta: PublishMeta, cfg: "PublishConfig") -> RenderedPair:
    """Render the web image (fit in ``cfg.web_max``) and thumbnail (fit in ``cfg.thumb_max``) from one decode.

    Both files: upright, sRGB with the sRGB profile embedded, ``cfg.jpeg_quality``, the caption/alt/keywords/title as
    XMP and the capture EXIF (Orientation 1, GPS removed when ``cfg.strip_gps``) unless ``meta.keep_exif`` is false.
    The watermark (``cfg.watermark``, off when empty) goes on the web image only: at thumbnail size it is unreadable.
    Raises :class:`ImageDecodeError` for an unreadable source and :class:`ValueError` for XMP text that cannot be
    stored (see :func:`amirtui.core.xmp.build_xmp`).
    """
    xmp = build_xmp(meta.title, meta.caption, meta.alt_text, list(meta.keywords))  # fail before decoding
    decoded = decode(source, tuple(cfg.web_max))
    notes = list(decoded.notes)
    web = decoded.image
    # The thumbnail comes from the web-size pixels: one decode, and 1500 px holds far more detail than 548 px needs.
    thumb = web.resize(fit_size(web.size, tuple(cfg.thumb_max)), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if cfg.watermark:
        web = _watermark(web, cfg.watermark)
    exif = _publish_exif(decoded.exif, cfg.strip_gps, Path(source).name, notes) if meta.keep_exif else b""
    return RenderedPair(
        web=_encode(web, cfg.jpeg_quality, exif, xmp),
        thumb=_encode(thumb, cfg.jpeg_quality, exif, xmp),
        web_size=web.size,
        thumb_size=thumb.size,
        notes=notes,
    )
