"""Bulk decisions and undo: one decision token over many rows, and undo of the newest decision from the DB alone.

Split from :mod:`amirtui.core.review` (the queue and single-row decisions), which these build on: a bulk is the same
approve / reject per row under one ``[decision dN]`` token, and :func:`undo_last` replays the newest token backwards
— so the undo stack survives a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import peewee as pw

from .db.models import Photo, StateChange, database
from .errors import IllegalTransition
from .events import EventBus
from .review import (
    ACTOR,
    APPROVABLE,
    REJECTABLE,
    ReviewFilter,
    ReviewRefused,
    _TOKEN_RE,
    _new_token,
    _pending_state,
    _photo,
    _restore,
    _where,
    approve,
    reject,
)
from .review_published import is_published_edit, undo_edit
from .states import State

_UNDO_RE = re.compile(r"\[undo (d\d+)\]")


@dataclass(frozen=True)
class UndoResult:
    """What :func:`undo_last` did: the decision undone, rows restored, rows that had moved on meanwhile."""

    token: str
    decision: str
    restored: list[int]
    skipped: list[tuple[int, str]]


def _eligible(f: ReviewFilter, decision: str, override: bool) -> pw.ModelSelect:
    allowed = APPROVABLE if decision == "approve" else REJECTABLE
    q = Photo.select(Photo.id).where(_where(f) & Photo.state.in_([s.value for s in allowed]))
    if decision == "approve" and not override:
        q = q.where((Photo.gate_status != "needs_work") | Photo.gate_status.is_null())
    return q.order_by(Photo.id)


def bulk_count(f: ReviewFilter, decision: str, *, override: bool = False) -> int:
    """How many rows of the filter a bulk ``decision`` ('approve' | 'reject') would change: ask before doing it."""
    if decision not in ("approve", "reject"):
        raise ValueError(f"unknown bulk decision '{decision}'")
    return _eligible(f, decision, override).count()


def bulk_decide(f: ReviewFilter, decision: str, *, expected: int, override: bool = False,
                bus: EventBus | None = None) -> tuple[int, list[tuple[int, str]]]:
    """Approve or reject every eligible row of the filter as one decision (one undo).

    ``expected`` is the count the operator confirmed; if the filter now matches a different number of rows the bulk
    is refused so nobody approves rows they were not shown. Returns (rows changed, [(id, why skipped)]).
    """
    ids = [p.id for p in _eligible(f, decision, override)]
    if len(ids) != expected:
        raise ReviewRefused(f"the filter now matches {len(ids)} rows, not the {expected} you confirmed",
                            fix="look at the table again and repeat the bulk action")
    token = _new_token()
    done, skipped = 0, []
    for pid in ids:  # one transaction per row: a crash mid-bulk leaves whole rows, never half a row
        try:
            if decision == "approve":
                approve(pid, override=override, reason="bulk approved", bus=bus, _token=token)
            else:
                reject(pid, reason="bulk rejected", bus=bus, _token=token)
            done += 1
        except (ReviewRefused, IllegalTransition) as exc:
            skipped.append((pid, str(exc)))
    return done, skipped


def _decision_changes(limit: int = 5000) -> list[StateChange]:
    q = (StateChange.select().where((StateChange.actor == ACTOR) & (StateChange.reason.contains("[")))
         .order_by(StateChange.id.desc()).limit(limit))
    return list(q)


def last_decision() -> tuple[str, list[StateChange]] | None:
    """The newest decision not yet undone: its token and its history rows (several for a bulk)."""
    undone: set[str] = set()
    token: str | None = None
    rows: list[StateChange] = []
    for ch in _decision_changes():
        m = _UNDO_RE.search(ch.reason)
        if m:
            undone.add(m.group(1))
            continue
        m = _TOKEN_RE.search(ch.reason)
        if not m or m.group(1) in undone:
            continue
        if token is None:
            token = m.group(1)
        if m.group(1) == token:
            rows.append(ch)
    return (token, rows) if token else None


def undo_last(*, bus: EventBus | None = None, settings: Any = None) -> UndoResult | None:
    """Undo the newest approve/reject decision (all rows of a bulk). None when there is nothing to undo.

    A row that moved on since (e.g. publishing started) is skipped and named in the result.
    """
    found = last_decision()
    if found is None:
        return None
    token, changes = found
    restored, skipped = [], []
    for ch in sorted(changes, key=lambda c: c.id):
        p = _photo(ch.photo_id)
        if is_published_edit(ch):  # an edit of a row on the website: its previous text comes back
            note = undo_edit(ch, token, bus)
            (skipped.append((p.id, note)) if note else restored.append(p.id))
            continue
        if p.state != ch.to_state:
            skipped.append((p.id, f"now '{p.state}'"))
            continue
        target = State(ch.from_state)
        if p.state == State.REJECTED and target not in (State.PREFILLED, State.NEEDS_WORK):
            target = _pending_state(p)  # the machine only lets a rejected row back into review
        if p.state == State.APPROVED and target == State.QUARANTINED:
            target = State.NEEDS_WORK
        note = _restore(p, target, f"undo [undo {token}]", bus, settings)
        if note:
            skipped.append((p.id, note))
        restored.append(p.id)
    decision = changes[0].to_state
    if not restored:  # nothing moved: still mark the token undone so the next undo reaches older decisions
        with database.atomic("IMMEDIATE"):
            StateChange.create(photo=changes[0].photo_id, from_state=decision, to_state=decision, actor=ACTOR,
                               reason=f"undo skipped [undo {token}]")
    return UndoResult(token=token, decision=decision, restored=restored, skipped=skipped)
