"""Build the gate and prompt contexts of one photo from the DB (shared by the stage and Generate)."""

from __future__ import annotations

from typing import Iterable

from ..db.models import Photo
from ..states import State
from .gate import MAX_KEYWORDS, GateContext
from .prompts import PromptContext

#: Rows whose text no longer counts for duplicate checks.
_GONE = (State.REJECTED.value, State.ROLLED_BACK.value)


def siblings(photo: Photo) -> list[Photo]:
    """Other rows of the photo's set that hold text (pending and done)."""
    return list(
        Photo.select(Photo.id, Photo.caption, Photo.alt_text, Photo.ai_caption)
        .where((Photo.set == photo.set_id) & (Photo.id != photo.id) & Photo.state.not_in(_GONE))
        .order_by(Photo.seq, Photo.id)
    )


def published_text() -> tuple[set[str], set[str]]:
    """Captions and alt texts of rows already published (for the duplicate_published check)."""
    caps, alts = set(), set()
    for row in Photo.select(Photo.caption, Photo.alt_text).where(Photo.state == State.PUBLISHED.value):
        if row.caption:
            caps.add(row.caption)
        if row.alt_text:
            alts.add(row.alt_text)
    return caps, alts


def gate_context(photo: Photo, language: str, published: tuple[Iterable[str], Iterable[str]] = ((), ()), *,
                 max_keywords: int = MAX_KEYWORDS) -> GateContext:
    """The gate's view of one photo: its names, camera, EXIF time, set siblings and published text.

    ``max_keywords`` is ``captioning.max_keywords`` (callers with settings pass it).
    """
    sibs = siblings(photo)
    pset = photo.set
    return GateContext(
        subject=pset.subject, location=pset.location, folder=pset.folder,
        file_name=" ".join(n for n in (photo.file_name, photo.original_name) if n),
        camera=photo.model or photo.camera or "",
        exif_datetime=photo.datetime_original or "", time_trusted=bool(photo.time_trusted),
        language=language,
        set_captions=[s.caption for s in sibs if s.caption],
        set_alts=[s.alt_text for s in sibs if s.alt_text],
        published_captions=published[0], published_alts=published[1], max_keywords=max_keywords,
    )


def prompt_context(photo: Photo, language: str, *, nudge: bool = False) -> PromptContext:
    """The prompt's view of one photo; ``nudge`` adds the set's other captions to write something different."""
    pset = photo.set
    avoid: list[str] = []
    if nudge:
        avoid = [s.caption or s.ai_caption for s in siblings(photo) if s.caption or s.ai_caption]
        if photo.ai_caption:
            avoid.append(photo.ai_caption)
    return PromptContext(subject=pset.subject, location=pset.location, folder=pset.folder, language=language,
                         avoid_captions=tuple(avoid))
