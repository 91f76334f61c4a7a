"""Which files of a set are importable images: decided by content (magic bytes + Pillow header), never by extension.

Refusals are per file with a specific reason the operator can act on; the rest of the set goes on. Special files
(named pipes, sockets, devices) and directories named like images are refused from ``lstat``/``stat`` alone, before
anything opens them: opening a FIFO for reading blocks until a writer appears, i.e. forever.

The truncation check is cheap on purpose (a 24 MP set must validate in seconds): a JPEG that ends with its EOI marker
is accepted from the header; one that does not (truncated, or with a maker trailer after EOI) is decoded at 1/8 scale
in greyscale (~50 ms at 24 MP) and refused if Pillow reports it truncated. PNG chunks are CRC-checked without
inflating; TIFF strips/tiles and the WebP RIFF size are checked against the file size.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from PIL import Image

from .fsnames import display_name, display_path

__all__ = ["Inspection", "inspect_file", "iter_candidates", "IMAGE_SUFFIXES", "HEIC_HINT"]

HEIC_HINT = "HEIC needs pillow-heif, which is missing from this install: pip install pillow-heif"

#: Names the set walker treats as image candidates (content still decides). RAW, GIF, BMP and AVIF are listed so
#: they get a clear "not supported" refusal instead of being silently skipped.
IMAGE_SUFFIXES = frozenset(
    ".jpg .jpeg .jpe .jfif .png .tif .tiff .webp .heic .heif .hif .avif .gif .bmp "
    ".cr2 .cr3 .crw .nef .nrw .arw .srf .sr2 .dng .orf .rw2 .raf .pef .srw .x3f .3fr .iiq .rwl".split()
)
_RAW_SUFFIXES = frozenset(".cr2 .cr3 .crw .nef .nrw .arw .srf .sr2 .dng .orf .rw2 .raf .pef .srw .x3f .3fr .iiq .rwl".split())
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_PILLOW_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WEBP", "HEIF": "HEIF"}


@dataclass(frozen=True)
class Inspection:
    """The verdict on one candidate: ``ok`` with the content ``format``, or refused with ``code`` and ``reason``."""

    path: Path
    ok: bool
    format: str | None = None
    """JPEG, PNG, TIFF, WEBP or HEIF, from the content (not the extension)."""
    reason: str = ""
    """For a refusal: what is wrong and what to do, in one sentence for the operator."""
    code: str = ""
    """Short machine key of the refusal: empty, truncated, not_image, bomb, unreadable, fifo, symlink_outside …"""
    width: int | None = None
    height: int | None = None
    """Stored pixel size (before EXIF orientation)."""
    size: int | None = None
    """Bytes."""


def _refuse(path: Path, code: str, reason: str, **extra) -> Inspection:
    return Inspection(path=path, ok=False, code=code, reason=reason, **extra)


# ------------------------------------------------------------------------------------------------ content sniffing


def _sniff(head: bytes) -> str | None:
    """The container format from the first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        major = head[8:12]
        box_len = int.from_bytes(head[:4], "big")
        brands = {major} | {head[i : i + 4] for i in range(16, min(box_len, len(head)) - 3, 4)}
        if b"avif" in brands or b"avis" in brands:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
        return "VIDEO"
    return None


_OTHER_KINDS = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"GIF87a", "a GIF image (not supported: export it as PNG or JPEG)"),
    (b"GIF89a", "a GIF image (not supported: export it as PNG or JPEG)"),
    (b"BM", "a BMP image (not supported: export it as PNG or JPEG)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"IIRO", "an Olympus RAW file (not supported: export a JPEG or TIFF)"),
    (b"IIU\x00", "a Panasonic RAW file (not supported: export a JPEG or TIFF)"),
    (b"FUJIFILMCCD-RAW", "a Fujifilm RAW file (not supported: export a JPEG or TIFF)"),
]


def _describe_unknown(head: bytes) -> str:
    for magic, what in _OTHER_KINDS:
        if head.startswith(magic):
            return what
    sample = head[:256]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if text and sum(c.isprintable() or c in "\r\n\t" for c in text) >= 0.95 * len(text):
        first = text.strip().splitlines()[0][:40] if text.strip() else ""
        return f"text (it starts with {first!r})"
    return f"unrecognised data (first bytes {head[:8].hex(' ')})"


# ------------------------------------------------------------------------------------------------ truncation checks


def _jpeg_ends_with_eoi(fh: BinaryIO, size: int) -> bool:
    """True when the last non-padding bytes are the EOI marker FF D9 (padding: NULs some writers append)."""
    fh.seek(max(0, size - 1024))
    tail = fh.read().rstrip(b"\x00")
    return tail.endswith(b"\xff\xd9")


def _check_jpeg(im: Image.Image, fh: BinaryIO, size: int, thorough: bool) -> str | None:
    if not thorough and _jpeg_ends_with_eoi(fh, size):
        return None
    # No EOI at the end: truncated, or a trailer after EOI (some cameras append one). Decode at 1/8 scale to know.
    w, h = im.size
    im.draft("L", (max(1, w // 8), max(1, h // 8)))
    im.load()  # raises OSError("image file is truncated …") when the entropy-coded data stops early
    return None


def _check_tiff(im: Image.Image, size: int) -> str | None:
    tags = getattr(im, "tag_v2", {})
    for off_tag, cnt_tag in ((273, 279), (324, 325)):  # strips, tiles
        offsets, counts = tags.get(off_tag), tags.get(cnt_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        end = max((o + c for o, c in zip(offsets, counts)), default=0)
        if end > size:
            return f"truncated: the image data needs {end} bytes but the file has {size}"
    return None


def _check_webp(head: bytes, size: int) -> str | None:
    riff_size = struct.unpack("<I", head[4:8])[0] + 8
    if riff_size > size:
        return f"truncated: the WebP header announces {riff_size} bytes but the file has {size}"
    return None


def _heif_available() -> bool:
    from .heif import register

    return register()


# ------------------------------------------------------------------------------------------------ inspect


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _kind_refusal(path: Path, mode: int) -> Inspection | None:
    if stat.S_ISDIR(mode):
        return _refuse(path, "directory", "a directory named like an image, not a file: it was not imported")
    if stat.S_ISFIFO(mode):
        return _refuse(path, "fifo", "a named pipe (FIFO), not a photo: refused without opening it")
    if stat.S_ISSOCK(mode):
        return _refuse(path, "socket", "a socket, not a photo: refused without opening it")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _refuse(path, "device", "a device file, not a photo: refused without opening it")
    if not stat.S_ISREG(mode):
        return _refuse(path, "special", "not a regular file: refused without opening it")
    return None


def inspect_file(
    path: Path | str,
    *,
    set_root: Path | str | None = None,
    max_pixels: int = 200_000_000,
    thorough: bool = False,
) -> Inspection:
    """Decide whether ``path`` is an importable image, reading as little as possible. Never raises for bad files.

    ``set_root``: symlinks must resolve inside it (the set's folder). ``max_pixels``: larger images are refused as
    decompression bombs. ``thorough``: always decode JPEGs at 1/8 scale (default: only when EOI is not at the end).
    """
    path = Path(path)
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        return _refuse(path, "missing", "the file does not exist (moved or deleted since it was selected?)")
    except OSError as exc:
        return _refuse(path, "unreadable", f"cannot read the file's status: {exc.strerror}")

    if stat.S_ISLNK(lst.st_mode):
        target = os.path.realpath(path)
        if set_root is not None and not _within(target, os.path.realpath(set_root)):
            return _refuse(path, "symlink_outside", f"a symlink pointing outside the set (to {display_path(target)}): "
                           "copy the photo into the set instead")
        try:
            st = os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return _refuse(path, "symlink_loop", "a symlink loop (the link leads back to itself): not a photo; "
                               "remove the link")
            return _refuse(path, "symlink_broken",
                           f"a broken symlink (its target {display_path(target)} does not exist)")
    else:
        st = lst
    refusal = _kind_refusal(path, st.st_mode)
    if refusal is not None:
        return refusal
    if st.st_size == 0:
        return _refuse(path, "empty", "a zero-byte file (an interrupted copy?): copy the photo again", size=0)

    try:
        # O_NONBLOCK: if the path became a FIFO after stat(), open() must not hang; harmless for regular files
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        return _refuse(path, "unreadable", "permission denied: make the file readable (chmod a+r) and import again",
                       size=st.st_size)
    except OSError as exc:
        return _refuse(path, "unreadable", f"cannot open the file: {exc.strerror}", size=st.st_size)
    with os.fdopen(fd, "rb") as fh:
        fst = os.fstat(fh.fileno())
        refusal = _kind_refusal(path, fst.st_mode)
        if refusal is not None:
            return refusal
        try:
            return _inspect_content(path, fh, fst.st_size, max_pixels, thorough)
        except OSError as exc:  # an I/O error mid-read (bad disk, vanished network share)
            return _refuse(path, "unreadable", f"reading failed: {exc}", size=fst.st_size)


def _inspect_content(path: Path, fh: BinaryIO, size: int, max_pixels: int, thorough: bool) -> Inspection:
    head = fh.read(64)
    kind = _sniff(head)
    ext = path.suffix.lower()
    if kind is None:
        named = f", although its name ends in {display_name(path.suffix)}" if ext in IMAGE_SUFFIXES else ""
        return _refuse(path, "not_image", f"not an image: the content is {_describe_unknown(head)}{named}", size=size)
    if kind == "AVIF":
        return _refuse(path, "unsupported", "an AVIF image (not supported: export it as JPEG)", size=size)
    if kind == "VIDEO":
        return _refuse(path, "not_image", "a video or other ISO-media file, not a photo", size=size)
    if kind == "HEIF" and not _heif_available():
        return _refuse(path, "heic_decoder_missing", HEIC_HINT, format="HEIF", size=size)
    if kind == "TIFF" and (ext in _RAW_SUFFIXES or head[8:10] == b"CR"):
        return _refuse(path, "raw", f"a camera RAW file ({ext or 'CR2'}), not supported: export a JPEG or TIFF",
                       size=size)
    if kind == "WEBP" and (problem := _check_webp(head, size)):
        return _refuse(path, "truncated", problem, format=kind, size=size)

    fh.seek(0)
    try:
        im = Image.open(fh, formats=None)
    except Image.DecompressionBombError as exc:
        return _refuse(path, "bomb", f"too many pixels to open safely ({exc}); refused as a decompression bomb",
                       format=kind, size=size)
    except Exception as exc:  # noqa: BLE001 — Pillow raises many types for bad headers; all mean "broken"
        return _refuse(path, "corrupt", f"a damaged {kind} file: Pillow cannot read its header ({exc})",
                       format=kind, size=size)
    with im:
        fmt = _PILLOW_FORMAT.get(im.format or "", im.format)
        w, h = im.size
        dims = {"format": fmt, "width": w, "height": h, "size": size}
        if fmt != kind:
            return _refuse(path, "corrupt", f"the content starts like {kind} but Pillow reads it as {im.format}", **dims)
        if w * h > max_pixels:
            return _refuse(path, "bomb", f"{w}×{h} = {w * h:,} pixels is over the limit of {max_pixels:,} "
                           "(ingest.max_image_pixels): refused as a possible decompression bomb", **dims)
        if kind == "TIFF" and 50706 in getattr(im, "tag_v2", {}):
            return _refuse(path, "raw", "a DNG raw file, not supported: export a JPEG or TIFF", **dims)
        try:
            problem = None
            if kind == "JPEG":
                problem = _check_jpeg(im, fh, size, thorough)
            elif kind == "PNG":
                im.verify()  # walks the chunks and checks CRCs up to IEND without inflating the pixels
            elif kind == "TIFF":
                problem = _check_tiff(im, size)
        except Exception as exc:  # noqa: BLE001
            text = str(exc)
            if "truncated" in text.lower():
                return _refuse(path, "truncated", f"truncated: the {kind} data ends early ({text}); "
                               "copy the photo again from the card or backup", **dims)
            return _refuse(path, "corrupt", f"a damaged {kind} file: {text}", **dims)
        if problem:
            return _refuse(path, "truncated", problem + "; copy the photo again", **dims)
    return Inspection(path=path, ok=True, **dims)


# ------------------------------------------------------------------------------------------------ walking sets


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


HIDDEN_FILE = "a hidden file (its name starts with '.'): not imported; rename it without the dot to import it"


def _count_files(folder: Path, cap: int = 10_000) -> str:
    """How many files a skipped folder holds, for its refusal line (counting stops at ``cap``: a ``.git`` folder
    must not slow validation down)."""
    n = 0
    for _dirpath, _dirs, files in os.walk(folder, followlinks=False):
        n += len(files)
        if n >= cap:
            return f"{cap:,}+"
    return str(n)


def iter_candidates(sources: Iterable[Path | str], *, refused: list[tuple[Path, str]] | None = None) -> list[Path]:
    """Every file in the set's sources, in a deterministic order (sorted names, folders walked top-down): content
    decides what is an image (:func:`inspect_file`), so a ``.txt``, a sidecar or a name with a trailing space is
    inspected too, never silently left out.

    What is not even inspected is appended to ``refused`` as ``(path, reason)``: hidden files (name starts with
    ``.``), hidden folders (one entry with the number of files inside), symlinked folders (not followed: they could
    loop or leave the set) and folders that cannot be read. A source that is a file (or a pipe, or missing) is
    returned as it is: the operator chose it, so :func:`inspect_file` gives the verdict. Nothing is opened here.
    """
    out: list[Path] = []
    seen: set[str] = set()
    skipped = refused if refused is not None else []

    def take(p: Path) -> None:
        key = os.path.abspath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for source in sources:
        src = Path(source)
        if not src.is_dir():
            take(src)
            continue

        def unreadable(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else src
            fix = ("make it readable (chmod a+rx) and import again" if exc.errno == errno.EACCES
                   else "move its files to a shorter path" if exc.errno == errno.ENAMETOOLONG
                   else "check the disk or share, then import again")
            skipped.append((where, f"a folder that cannot be read ({exc.strerror}): its files were not imported; "
                                   + fix))

        for dirpath, dirnames, filenames in os.walk(src, followlinks=False, onerror=unreadable):
            here = Path(dirpath)
            entries: list[str] = []  # this folder's candidates, files and image-named folders sorted together
            subdirs: list[str] = []
            for d in sorted(dirnames):
                if os.path.islink(here / d):
                    skipped.append((here / d, "a symlink to a folder: not followed (it could loop or lead out of "
                                              "the set); add that folder as a source to import it"))
                elif _is_hidden(d):
                    n = _count_files(here / d)
                    skipped.append((here / d, f"a hidden folder (its name starts with '.'): its {n} file(s) were "
                                              "not imported; rename it without the dot to import them"))
                elif os.path.splitext(d)[1].lower() in IMAGE_SUFFIXES:
                    entries.append(d)  # a directory named like an image: inspect_file refuses it, never walked
                else:
                    subdirs.append(d)
            dirnames[:] = subdirs  # os.walk descends in this (sorted) order
            for name in filenames:
                if _is_hidden(name):
                    skipped.append((here / name, HIDDEN_FILE))
                else:
                    entries.append(name)
            for name in sorted(entries):
                take(here / name)
    return out
