"""The website's catalog row: its columns (the existing site reads these names) and how a Photo becomes one.

Both catalogs — MySQL (:mod:`.mysql_catalog`) and the local SQLite mirror (:mod:`.mirror`) — store exactly
:data:`COLUMNS` plus an integer ``id``; the mirror keeps the MySQL id so the two can be compared row by row.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..fsnames import display_name

#: Column order as the website's table has them. ``File_Name`` is the one UNIQUE key besides ``id``.
COLUMNS: tuple[str, ...] = (
    "Folder", "File_Name", "Path", "Thumb_Path", "DateTime", "Camera", "Lens_model", "Width", "Height", "Exposure",
    "Aperture", "ISO", "Focal_length", "Keywords", "Caption", "alt_text", "Location", "QR", "QC_Status",
    "Original_File_Name", "nima_score", "blur_score", "brightness_score", "contrast_score", "brisque_score",
    "clip_aesthetic_score",
)

#: Columns holding numbers (everything else is text); used for typed DDL and tolerant comparisons.
NUMERIC: frozenset[str] = frozenset(
    {"Width", "Height", "QR", "nima_score", "blur_score", "brightness_score", "contrast_score", "brisque_score",
     "clip_aesthetic_score"}
)
INTEGER: frozenset[str] = frozenset({"Width", "Height"})


class Catalog(Protocol):
    """A catalog the publisher writes to: upsert by File_Name, returning the row id."""

    def upsert(self, row: dict[str, Any], *, row_id: int | None = None) -> int:
        """Insert or update the row keyed by ``File_Name``; return its id."""

    def fetch(self, file_name: str) -> dict[str, Any] | None:
        """The stored row (with ``id``) for ``file_name``, or None."""


def exif_datetime_to_sql(value: str | None) -> str | None:
    """``YYYY:MM:DD HH:MM:SS`` (EXIF) → ``YYYY-MM-DD HH:MM:SS`` (SQL DATETIME); None or unusable → None.

    A date-only value is never invented into a timestamp: only full timestamps pass.
    """
    if not value:
        return None
    v = value.strip().replace("T", " ")
    if len(v) < 19:
        return None
    date, _, time = v[:19].partition(" ")
    date = date.replace(":", "-")
    if len(date) != 10 or len(time) != 8 or date.startswith("0000"):
        return None
    return f"{date} {time}"


def keywords_text(keywords: list[str] | str | None) -> str:
    """Keywords as the website stores them: one comma-separated string, order kept, blanks dropped."""
    if not keywords:
        return ""
    if isinstance(keywords, str):
        return keywords
    return ", ".join(k.strip() for k in keywords if k and k.strip())


def build_row(photo: Any, *, folder: str, location: str, web_url: str, thumb_url: str) -> dict[str, Any]:
    """The catalog row for a photo (a :class:`~amirtui.core.db.models.Photo` or anything with the same attributes).

    ``Path``/``Thumb_Path`` are the public URLs of the published pair; ``Width``/``Height`` are the upright original
    dimensions (the aspect ratio the site lays out with); ``QC_Status`` is the QC band.
    """
    row: dict[str, Any] = {
        "Folder": folder,
        "File_Name": photo.file_name,
        "Path": web_url,
        "Thumb_Path": thumb_url,
        "DateTime": exif_datetime_to_sql(photo.datetime_original),
        "Camera": photo.camera or photo.model or "",
        "Lens_model": photo.lens or "",
        "Width": photo.width,
        "Height": photo.height,
        "Exposure": photo.exposure or "",
        "Aperture": photo.aperture or "",
        "ISO": photo.iso or "",
        "Focal_length": photo.focal_length or "",
        "Keywords": keywords_text(photo.keywords),
        "Caption": photo.caption or "",
        "alt_text": photo.alt_text or "",
        "Location": location,
        "QR": photo.qr,
        "QC_Status": photo.qc_band or "",
        "Original_File_Name": display_name(photo.original_name),  # undecodable bytes as \xNN: MySQL holds text
        "nima_score": photo.nima_score,
        "blur_score": photo.blur_score,
        "brightness_score": photo.brightness_score,
        "contrast_score": photo.contrast_score,
        "brisque_score": photo.brisque_score,
        "clip_aesthetic_score": photo.clip_aesthetic_score,
    }
    assert tuple(row) == COLUMNS  # one definition of the column order
    return row


def same_value(column: str, a: Any, b: Any) -> bool:
    """Whether two stored values of ``column`` agree (numbers within float noise, DATETIME vs text tolerated)."""
    if a is None or b is None:
        return (a is None or a == "") and (b is None or b == "")
    if column in NUMERIC:
        try:
            return abs(float(a) - float(b)) < 1e-6
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def differences(expected: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Column names whose stored value differs from the expected one."""
    return [c for c in COLUMNS if not same_value(c, expected.get(c), stored.get(c))]
