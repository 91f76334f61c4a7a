"""Review queue: queries (page / filter / sort in SQL) and the operator's decisions on photo rows.

Pure core (no Textual). Every state change goes through :func:`amirtui.core.db.repo.transition` with actor
``operator``, each in its own short transaction. Decisions (approve / reject, single or bulk) carry a decision token in
their history reason — ``[decision d<N>]`` — so :func:`undo_last` can find the last decision (a bulk decision is one
token over many rows) from the database alone: the undo stack survives a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import peewee as pw

from .db import repo
from .db.models import Fingerprint, Photo, PhotoSet, StateChange, database
from .errors import AmirError, ReservationConflict
from .events import EventBus, RowChanged
from .fsnames import display_name
from .review_images import bring_back_model_image as _bring_back_model_image
from .review_images import drop_model_image as _drop_model_image
from .states import REVIEWABLE, State
from .titles import photo_title

log = logging.getLogger("amirtui.review")
ACTOR = "operator"
BANDS: tuple[str, ...] = ("Top", "Good", "Average", "Low", "Very Low")
SORTS: tuple[str, ...] = ("id", "qr", "band", "file_name")
#: What the review queue shows unless a state filter narrows it.
QUEUE_STATES: tuple[str, ...] = tuple(
    s.value for s in (State.PREFILLED, State.NEEDS_WORK, State.QUARANTINED, State.APPROVED, State.REJECTED,
                      State.PUBLISH_FAILED, State.MODIFIED)  # modified: edited after publish, to republish
)
APPROVABLE = frozenset(REVIEWABLE)
REJECTABLE = frozenset(REVIEWABLE | {State.APPROVED, State.PUBLISH_FAILED})
EDITABLE = frozenset(REVIEWABLE | {State.APPROVED, State.REJECTED, State.PUBLISH_FAILED})
_TOKEN_RE = re.compile(r"\[decision (d\d+)\]")


class ReviewRefused(AmirError):
    """An operator action that does not apply to this row (with the reason and what to do)."""

    title = "Not possible"


class NeedsOverride(ReviewRefused):
    """Approve refused because the gate says needs_work; repeat with ``override=True`` to record an override."""

    title = "Gate says needs work"

    def __init__(self, photo_id: int, reasons: list[str]) -> None:
        why = "; ".join(reasons) or "no reason recorded"
        super().__init__(f"photo {photo_id}: the gate marked its text needs_work ({why})",
                         fix="fix the text, or confirm an override (recorded in the row's history)")
        self.photo_id = photo_id
        self.reasons = reasons


class ReviewRow(NamedTuple):
    """One line of the review table (a plain tuple: cheap to build for thousands of rows)."""

    id: int
    file_name: str | None
    qc_band: str | None
    qr: float | None
    gate_status: str | None
    state: str
    text_source: str | None


@dataclass(frozen=True)
class ReviewFilter:
    """What the table shows. Empty ``states`` means :data:`QUEUE_STATES`; ``text`` searches names and text."""

    states: tuple[str, ...] = ()
    needs_work: bool = False
    band: str | None = None
    set_id: int | None = None
    text: str = ""
    sort: str = "id"
    descending: bool = False
    min_series: int = 0  # ≥ 2: only rows of a series of at least this many photos

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort '{self.sort}': use one of {', '.join(SORTS)}")
        if self.band is not None and self.band not in BANDS:
            raise ValueError(f"unknown QC band '{self.band}': use one of {', '.join(BANDS)}")
        for s in self.states:
            State(s)  # raises ValueError naming the bad state


@dataclass
class PhotoDetail:
    """Everything the editor panel shows for one row."""

    id: int
    state: str
    file_name: str | None
    original_name: str
    set_label: str
    caption: str
    alt_text: str
    keywords: list[str]
    ai_caption: str | None
    ai_alt_text: str | None
    ai_keywords: list[str] | None
    text_source: str | None
    edited_at: dt.datetime | None
    qr: float | None
    qc_band: str | None
    scores: dict[str, float] = field(default_factory=dict)
    gate_status: str | None = None
    gate_reasons: list[str] = field(default_factory=list)
    gate_override: bool = False
    model_image_path: str | None = None
    last_error: str | None = None
    qr_metrics: list[str] = field(default_factory=list)  # which metrics made the QR (issue 20: offline-only note)
    title: str = ""
    """The title published (dc:title): the row's own, else the set's "Subject, Location"."""
    title_own: bool = False
    """True when the row has its own title (not the set's)."""


# ---------------------------------------------------------------- queries

_COLUMNS = (Photo.id, Photo.file_name, Photo.qc_band, Photo.qr, Photo.gate_status, Photo.state, Photo.text_source)
_BAND_RANK = pw.Case(Photo.qc_band, [(b, i) for i, b in enumerate(BANDS)], len(BANDS))


def _where(f: ReviewFilter) -> pw.Expression:
    cond = Photo.state.in_(list(f.states) or list(QUEUE_STATES))
    if f.needs_work:
        cond &= Photo.gate_status == "needs_work"
    if f.band:
        cond &= Photo.qc_band == f.band
    if f.set_id is not None:
        cond &= Photo.set == f.set_id
    if f.min_series >= 2:
        cond &= Photo.id.in_(Fingerprint.select(Fingerprint.photo).where(Fingerprint.series_count >= f.min_series))
    text = f.text.strip()
    if text:
        like = f"%{text}%"
        cond &= (Photo.file_name ** like) | (Photo.original_name ** like) | (Photo.caption ** like) | (
            Photo.alt_text ** like)
    return cond


def _order(f: ReviewFilter) -> list[Any]:
    key = {"id": Photo.id, "qr": Photo.qr, "band": _BAND_RANK, "file_name": Photo.file_name}[f.sort]
    # NULL scores sort last either way; id breaks ties so paging is stable
    first = key.desc(nulls="LAST") if f.descending else key.asc(nulls="LAST")
    return [first, Photo.id.desc() if f.descending else Photo.id]


def count_rows(f: ReviewFilter = ReviewFilter()) -> int:
    """How many rows match the filter."""
    return Photo.select().where(_where(f)).count()


def page_rows(f: ReviewFilter = ReviewFilter(), offset: int = 0, limit: int = 500) -> list[ReviewRow]:
    """One page of the filtered, sorted queue, as :class:`ReviewRow` tuples."""
    q = Photo.select(*_COLUMNS).where(_where(f)).order_by(*_order(f)).offset(offset).limit(limit)
    return [ReviewRow(*t) for t in q.tuples()]


def reason_texts(raw: Any) -> list[str]:
    """Gate reasons as readable strings: the gate stores ``[code, detail]`` pairs, older rows plain strings."""
    out = []
    for r in raw or []:
        if isinstance(r, (list, tuple)):
            out.append(": ".join(str(x) for x in r if x))
        else:
            out.append(str(r))
    return out


def get_row(photo_id: int) -> ReviewRow:
    """The table line of one photo (after an action changed it)."""
    t = Photo.select(*_COLUMNS).where(Photo.id == photo_id).tuples().get()
    return ReviewRow(*t)


def any_rows() -> bool:
    """True when anything was ever imported (an empty queue then means "wait", not "import")."""
    return Photo.select(Photo.id).limit(1).exists()


def rows_by_id(ids: Iterable[int]) -> list[ReviewRow]:
    """The table lines of several photos in one query (the live review refresh); ids that no longer exist are
    simply absent."""
    wanted = list(ids)
    if not wanted:
        return []
    return [ReviewRow(*t) for t in Photo.select(*_COLUMNS).where(Photo.id.in_(wanted)).tuples()]


def load_detail(photo_id: int) -> PhotoDetail:
    """Everything the editor shows for a photo; raises :class:`ReviewRefused` when the id does not exist."""
    # one joined query: this runs on every cursor move
    p = Photo.select(Photo, PhotoSet).join(PhotoSet).where(Photo.id == photo_id).first()
    if p is None:
        raise ReviewRefused(f"photo {photo_id} does not exist", fix="refresh the table")
    s = p.set
    scores = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (p.scores or {}).items()}
    return PhotoDetail(
        id=p.id, state=p.state, file_name=p.file_name, original_name=display_name(p.original_name),
        set_label=f"{s.subject} / {s.location} / {s.folder}",
        caption=p.caption or "", alt_text=p.alt_text or "", keywords=list(p.keywords or []),
        ai_caption=p.ai_caption, ai_alt_text=p.ai_alt_text, ai_keywords=p.ai_keywords,
        text_source=p.text_source, edited_at=p.edited_at, qr=p.qr, qc_band=p.qc_band, scores=scores,
        gate_status=p.gate_status, gate_reasons=reason_texts(p.gate_reasons), gate_override=bool(p.gate_override),
        model_image_path=p.model_image_path, last_error=p.last_error, qr_metrics=list(p.qr_metrics or []),
        title=photo_title(p), title_own=bool((p.title or "").strip()),
    )


# ---------------------------------------------------------------- decisions


def _new_token() -> str:
    """A decision token unique in this DB: one more than the highest StateChange id (monotonic, survives restarts)."""
    last = StateChange.select(pw.fn.MAX(StateChange.id)).scalar() or 0
    return f"d{last + 1}"


def _photo(photo_id: int) -> Photo:
    p = Photo.get_or_none(Photo.id == photo_id)
    if p is None:
        raise ReviewRefused(f"photo {photo_id} does not exist", fix="refresh the table")
    return p


def _holds_name(p: Photo) -> bool:
    if not p.file_name:
        return False
    r = repo.active_reservation(p.file_name)
    return r is not None and r.photo_id == p.id


def approve(photo_id: int, *, override: bool = False, reason: str = "", bus: EventBus | None = None,
            _token: str | None = None) -> ReviewRow:
    """Approve a row for publish. Refused (:class:`NeedsOverride`) while its gate says needs_work, unless
    ``override`` — then ``gate_override`` is set and the reason recorded in its history."""
    p = _photo(photo_id)
    if State(p.state) not in APPROVABLE:
        raise ReviewRefused(f"photo {photo_id} is '{p.state}': only rows awaiting review can be approved",
                            fix="use 'back to pending' first" if p.state == State.REJECTED else "")
    if not _holds_name(p):
        raise ReviewRefused(f"photo {photo_id} holds no reserved filename (its name '{p.file_name}' is free or taken)",
                            fix="enter a free filename in the editor and save it, then approve")
    fields: dict[str, Any] = {}
    why = reason or "approved"
    if p.gate_status == "needs_work":
        if not override:
            raise NeedsOverride(photo_id, reason_texts(p.gate_reasons))
        fields["gate_override"] = True
        why = f"{why}; gate override ({'; '.join(reason_texts(p.gate_reasons)) or 'needs_work'})"
    token = _token or _new_token()
    repo.transition(photo_id, State.APPROVED, reason=f"{why} [decision {token}]", actor=ACTOR, bus=bus,
                    expect=[p.state], **fields)
    _record_human(photo_id)
    return get_row(photo_id)


def reject(photo_id: int, *, reason: str = "", bus: EventBus | None = None, _token: str | None = None) -> ReviewRow:
    """Reject a row (kept as history) and release its filename reservation for other photos."""
    p = _photo(photo_id)
    if State(p.state) not in REJECTABLE:
        raise ReviewRefused(f"photo {photo_id} is '{p.state}' and cannot be rejected")
    token = _token or _new_token()
    with database.atomic("IMMEDIATE"):  # state and reservation change together or not at all
        repo.transition(photo_id, State.REJECTED, reason=f"{reason or 'rejected'} [decision {token}]", actor=ACTOR,
                        expect=[p.state])
        repo.release_name(photo_id, "rejected in review")
    _record_human(photo_id)
    _drop_model_image(photo_id)
    if bus is not None:
        bus.emit(RowChanged(photo_id=photo_id, from_state=p.state, to_state=State.REJECTED.value, reason="rejected"))
    return get_row(photo_id)


def _record_human(photo_id: int) -> None:
    """The human outcome into the metadata_quality record (imported here: review must not load captioning early)."""
    from .captioning.record import record_human

    record_human(photo_id)


def _pending_state(p: Photo) -> State:
    return State.NEEDS_WORK if p.gate_status != "pass" else State.PREFILLED


def _restore(p: Photo, to: State, reason: str, bus: EventBus | None, settings: Any = None) -> str:
    """Move ``p`` back to ``to``; re-reserve its released name. Returns a note for the operator ("" when clean)."""
    note = ""
    with database.atomic("IMMEDIATE"):
        fields: dict[str, Any] = {}
        if p.state == State.APPROVED and p.gate_override:
            fields["gate_override"] = False  # an override belongs to the approval being taken back
        if p.file_name and not _holds_name(p):
            try:
                repo.reserve_name(p.file_name, p.id)
            except ReservationConflict:
                holder = repo.active_reservation(p.file_name)
                who = f"photo {holder.photo_id}" if holder and holder.photo_id else "the catalog"
                note = (f"its filename '{p.file_name}' was taken by {who} meanwhile: "
                        "enter a new filename in the editor before approving")
                to = State.NEEDS_WORK
        repo.transition(p.id, to, reason=reason, actor=ACTOR, expect=[p.state], **fields)
    _record_human(p.id)
    if bus is not None:
        bus.emit(RowChanged(photo_id=p.id, from_state=p.state, to_state=to.value, reason=reason))
    return "; ".join(n for n in (note, _bring_back_model_image(p.id, settings)) if n)


def back_to_pending(photo_id: int, *, bus: EventBus | None = None, settings: Any = None) -> tuple[ReviewRow, str]:
    """Return an approved/rejected row to review (prefilled or needs_work by its gate status).

    Re-reserves a released filename; when another photo took it meanwhile the row goes to needs_work and the returned
    note tells the operator to choose a new name.
    """
    p = _photo(photo_id)
    if p.state not in (State.APPROVED, State.REJECTED, State.PUBLISH_FAILED):
        raise ReviewRefused(f"photo {photo_id} is '{p.state}': only approved, rejected or failed rows go back to pending")
    note = _restore(p, _pending_state(p), "back to pending", bus, settings)
    return get_row(photo_id), note


# ---------------------------------------------------------------- bulk and undo
