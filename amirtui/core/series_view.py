"""What review shows about series and near-duplicates: the table's series column for a page of rows (one query),
one row's series with its siblings and its near-duplicate flag, and where a local image of the published photo is.

Read-only queries over :mod:`amirtui.core.series`' tables; the grouping and the flagging themselves live there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import fn

from .db.models import Fingerprint, Photo
from .fsnames import display_name
from .states import State


@dataclass(frozen=True)
class Sibling:
    """One frame of a series as the detail pane lists it."""

    id: int
    position: int
    name: str  # File_Name, or the original file name before naming
    state: str


@dataclass(frozen=True)
class SeriesView:
    """One row's series (``key`` None when it is in none) and its near-duplicate of the website (``near_name``)."""

    key: str | None = None
    position: int = 0
    count: int = 0
    siblings: tuple[Sibling, ...] = ()
    near_name: str | None = None
    near_distance: int | None = None


def series_labels(photo_ids: Iterable[int]) -> dict[int, str]:
    """``{photo id: label}`` for the table's series column, one query for a page: ``"2/5"`` (position/count) for a
    row in a series, ``≈`` added when it looks like a published photo (``"≈pub"`` alone when in no series)."""
    ids = list(photo_ids)
    if not ids:
        return {}
    q = (Fingerprint.select(Fingerprint.photo, Fingerprint.series_key, Fingerprint.series_pos,
                            Fingerprint.series_count, Fingerprint.near_file_name)
         .where(Fingerprint.photo.in_(ids),
                Fingerprint.series_key.is_null(False) | Fingerprint.near_file_name.is_null(False)).tuples())
    out = {}
    for pid, key, pos, count, near in q:
        label = f"{pos}/{count}" if key else ""
        out[pid] = (label + "≈") if near and label else (label or "≈pub")
    return out


def series_view(photo_id: int) -> SeriesView:
    """The series and near-duplicate facts of one row (two indexed queries: it runs on every cursor move)."""
    fp = Fingerprint.get_or_none(Fingerprint.photo == photo_id)
    if fp is None:
        return SeriesView()
    siblings: tuple[Sibling, ...] = ()
    if fp.series_key:
        q = (Photo.select(Photo.id, Fingerprint.series_pos, Photo.file_name, Photo.original_name, Photo.state)
             .join(Fingerprint).where(Fingerprint.series_key == fp.series_key)
             .order_by(Fingerprint.series_pos).tuples())
        siblings = tuple(Sibling(pid, pos, name or display_name(orig), state) for pid, pos, name, orig, state in q)
    return SeriesView(fp.series_key, fp.series_pos or 0, fp.series_count or 0, siblings, fp.near_file_name,
                      fp.near_distance)


def published_image(file_name: str, settings: Any) -> tuple[str | None, str]:
    """A local image of the published photo ``file_name`` for a side-by-side look, and a note saying what it is.

    In order: the web image in the local site folder (``publish.target: local``), the photo's original file
    (published by amirtui from this machine). A website photo that predates amirtui, or one published to a remote
    target whose original is gone, has no local image: the path is None and the note says so.
    """
    p = (Photo.select(Photo.web_remote_path, Photo.original_path)
         .where(fn.lower(Photo.file_name) == file_name.lower(),
                Photo.state.in_([State.PUBLISHED.value, State.MODIFIED.value, State.REPUBLISHING.value]))
         .order_by(Photo.id.desc()).first())
    if p is None:
        return None, (f"no local image of {file_name}: it is on the website only (published before amirtui, "
                      "or from another machine)")
    if p.web_remote_path and settings.publish.target == "local":
        web = Path(settings.site_dir) / p.web_remote_path.lstrip("/")
        if web.is_file():
            return str(web), f"published web image of {file_name}"
    original = Path(p.original_path) if p.original_path else None
    if original is not None and original.is_file():
        return str(original), f"original file of the published {file_name}"
    return None, f"no local image of {file_name}: its web image is on the {settings.publish.target} target only"


__all__ = ["SeriesView", "Sibling", "published_image", "series_labels", "series_view"]
