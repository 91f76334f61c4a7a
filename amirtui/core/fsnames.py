"""File names as the filesystem gives them: shown escaped, staged under a safe internal name.

A Linux file name is any byte sequence without ``/`` and NUL. Python hands undecodable bytes over as lone surrogates
(``os.fsdecode``'s surrogateescape); the database keeps them losslessly (``db.models.FsTextField``). This module is
the one place that turns such a name into text a terminal, a log file or a database column can hold, and that
decides the name of a staged copy.
"""

from __future__ import annotations

import os
import re

from .safe_text import escape_control

__all__ = ["display_name", "display_path", "staged_name", "fs_bytes", "storable_text"]

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
_FORMAT_SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp", "HEIF": ".heic"}


def display_name(name: str) -> str:
    """``name`` made safe to print: undecodable bytes as ``\\xNN``, control and bidi characters as ``\\xNN`` /
    ``\\uNNNN``, and leading/trailing spaces made visible as ``\\x20``. Plain names come back unchanged."""
    text = escape_control(name, invisible=True)  # the one escaping rule (core.safe_text), zero-width chars too
    stripped = text.strip(" ")
    if stripped != text:
        lead = len(text) - len(text.lstrip(" "))
        trail = len(text) - len(text.rstrip(" "))
        text = "\\x20" * lead + stripped + "\\x20" * trail
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable_text(text: str) -> str:
    """``text`` with any lone surrogate (an undecodable file-name byte that reached a message) written as
    ``\\xNN`` / ``\\uNNNN``, so a database text column, a log file or a terminal can hold it. Anything else is kept
    as it is (this is not the display escape: messages keep their line breaks)."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: escape_control(m.group()), text)


def display_path(path: os.PathLike[str] | str) -> str:
    """A whole path, each component escaped like :func:`display_name`."""
    return "/".join(display_name(part) for part in os.fspath(path).split("/"))


def fs_bytes(name: str) -> bytes:
    """The raw bytes of a name as the filesystem holds them."""
    return os.fsencode(name)


def staged_name(photo_id: int, original_name: str, image_format: str | None = None) -> str:
    """The staged copy's file name: the row id plus a short, plain suffix. It always fits (≤ 20 bytes) whatever the
    original is called — a 250-byte, non-UTF-8 or right-to-left name included — and never collides (ids are unique).

    The suffix is the original's when it is plain ASCII (``.JPG`` → ``.jpg``), else the content format's."""
    suffix = os.path.splitext(original_name.rstrip(" ."))[1]
    if not _SUFFIX.match(suffix):
        suffix = _FORMAT_SUFFIX.get(image_format or "", ".img")
    return f"{photo_id:06d}_original{suffix.lower()}"
