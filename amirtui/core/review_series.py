"""Review actions on a whole series: keep the best frame of a burst, approve a series, go to the next series.

Each action is one decision (one decision token), so one undo reverts it entirely — the same mechanism as bulk
approve/reject in :mod:`amirtui.core.review`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .db.models import Fingerprint, Photo
from .errors import IllegalTransition
from .events import EventBus
from .review import APPROVABLE, REJECTABLE, NeedsOverride, ReviewRefused, _new_token, approve, reason_texts, reject
from .series import series_of
from .states import State


@dataclass(frozen=True)
class SeriesDecision:
    """What a series action did: the row kept/approved, the rows rejected, rows left alone (and why)."""

    token: str
    approved: list[int]
    rejected: list[int]
    skipped: list[tuple[int, str]]


def _members(photo_id: int) -> list[Photo]:
    info = series_of(photo_id)
    if info is None:
        raise ReviewRefused(f"photo {photo_id} is not part of a series", fix="pick a row whose series column is set")
    rows = {p.id: p for p in Photo.select().where(Photo.id.in_(info.photo_ids))}
    return [rows[i] for i in info.photo_ids if i in rows]


def best_of(photos: list[Photo]) -> Photo | None:
    """The frame to keep: highest QR among rows awaiting review; ties → the earlier frame. None if none is open."""
    open_rows = [p for p in photos if State(p.state) in APPROVABLE]
    if not open_rows:
        return None
    return max(open_rows, key=lambda p: (p.qr if p.qr is not None else -1.0, -photos.index(p)))


def keep_best(photo_id: int, *, override: bool = False, bus: EventBus | None = None) -> SeriesDecision:
    """Approve the series' best frame (highest QR) and reject the other open frames, as one decision (one undo).

    Raises :class:`NeedsOverride` before changing anything when the best frame's gate says needs_work and no
    override was confirmed.
    """
    photos = _members(photo_id)
    best = best_of(photos)
    if best is None:
        raise ReviewRefused("no row of this series is awaiting review", fix="undo an earlier decision first")
    if best.gate_status == "needs_work" and not override:
        raise NeedsOverride(best.id, reason_texts(best.gate_reasons))
    token = _new_token()
    approve(best.id, override=override, reason="kept as the best of its series", bus=bus, _token=token)
    rejected, skipped = [], []
    for p in photos:
        if p.id == best.id:
            continue
        if State(p.state) not in REJECTABLE or p.state == State.APPROVED.value:
            skipped.append((p.id, f"'{p.state}': already decided, left as it is"))
            continue
        try:
            reject(p.id, reason=f"not the best of its series (kept {best.file_name})", bus=bus, _token=token)
            rejected.append(p.id)
        except (ReviewRefused, IllegalTransition) as exc:
            skipped.append((p.id, str(exc)))
    return SeriesDecision(token, [best.id], rejected, skipped)


def approve_series(photo_id: int, *, override: bool = False, bus: EventBus | None = None) -> SeriesDecision:
    """Approve every open frame of the series as one decision. Frames whose gate says needs_work need ``override``
    (refused before any change, naming how many)."""
    photos = [p for p in _members(photo_id) if State(p.state) in APPROVABLE]
    if not photos:
        raise ReviewRefused("no row of this series is awaiting review")
    blocked = [p for p in photos if p.gate_status == "needs_work"]
    if blocked and not override:
        raise NeedsOverride(blocked[0].id, [f"{len(blocked)} of {len(photos)} frames have gate reasons"]
                            + reason_texts(blocked[0].gate_reasons))
    token = _new_token()
    approved, skipped = [], []
    for p in photos:
        try:
            approve(p.id, override=override, reason="series approved", bus=bus, _token=token)
            approved.append(p.id)
        except (ReviewRefused, IllegalTransition) as exc:
            skipped.append((p.id, str(exc)))
    return SeriesDecision(token, approved, [], skipped)


def next_series_row(after_id: int, visible_ids: list[int]) -> int | None:
    """The first row after ``after_id`` (in the table's order, ``visible_ids``) that starts a different series."""
    if not visible_ids:
        return None
    keys = dict(
        Fingerprint.select(Fingerprint.photo, Fingerprint.series_key)
        .where(Fingerprint.photo.in_(visible_ids), Fingerprint.series_key.is_null(False)).tuples()
    )
    current = keys.get(after_id)
    start = visible_ids.index(after_id) + 1 if after_id in visible_ids else 0
    for pid in visible_ids[start:] + visible_ids[:start]:  # wraps around, like search
        key = keys.get(pid)
        if key and key != current:
            return pid
    return None
