"""Repository functions: the only code that changes a photo's state, reservations and runs.

Each function is one short ``IMMEDIATE`` transaction (never held across an ``await``): a crash at any instant leaves a
consistent database that :mod:`amirtui.core.recovery` can continue from.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Iterable

import peewee as pw

from ..errors import ReservationConflict
from ..events import EventBus, RowChanged
from ..fsnames import storable_text
from ..states import State, check_transition
from .models import Photo, PublishStep, Reservation, Run, StateChange, database, utcnow


def name_key(name: str) -> str:
    """The case-folded form used for filename uniqueness."""
    return name.casefold()


# ---------------------------------------------------------------- state machine


def transition(
    photo_id: int,
    to: State | str,
    *,
    reason: str = "",
    actor: str = "pipeline",
    run_id: int | None = None,
    bus: EventBus | None = None,
    expect: Iterable[State | str] | None = None,
    **fields: Any,
) -> State:
    """Move one photo to ``to`` (checked by the state machine), set ``fields`` and record history, atomically.

    Returns the state the photo was in before.

    ``expect`` optionally names the states the caller believes the row is in; if another worker moved it meanwhile
    the transition raises :class:`~amirtui.core.errors.IllegalTransition` instead of clobbering that work.
    """
    to = State(to)
    # Messages may quote a file name with undecodable bytes: stored escaped (the name itself lives losslessly in
    # the FsTextField columns). Only free-text fields; paths keep their exact value.
    reason = storable_text(reason)
    for key in ("last_error", "scoring_reason"):
        if isinstance(fields.get(key), str):
            fields[key] = storable_text(fields[key])
    with database.atomic("IMMEDIATE"):
        # Only the state column: the row has ~70 columns and this runs for every row at every stage.
        raw_state = Photo.select(Photo.state).where(Photo.id == photo_id).scalar()
        if raw_state is None:
            raise Photo.DoesNotExist(f"photo {photo_id} does not exist")
        current = State(raw_state)
        if expect is not None and current not in {State(s) for s in expect}:
            from ..errors import IllegalTransition

            raise IllegalTransition(f"photo {photo_id} is '{current}', expected one of {sorted(map(str, expect))}")
        check_transition(current, to)
        fields["state"] = to.value
        fields["updated_at"] = utcnow()
        Photo.update(**fields).where(Photo.id == photo_id).execute()
        StateChange.insert(photo=photo_id, from_state=current.value, to_state=to.value, actor=actor, reason=reason,
                           run=run_id, at=utcnow()).execute()
    if bus is not None:
        bus.emit(RowChanged(photo_id=photo_id, from_state=current.value, to_state=to.value, reason=reason))
    return current


def update_fields(photo_id: int, **fields: Any) -> None:
    """Set fields on a photo without a state change (edits, progress notes)."""
    fields["updated_at"] = utcnow()
    with database.atomic("IMMEDIATE"):
        Photo.update(**fields).where(Photo.id == photo_id).execute()


def record_failure(photo_id: int, stage: str, error: str) -> int:
    """Count one failure of ``stage`` for a photo and keep the error; returns the new attempt count."""
    error = storable_text(error)
    with database.atomic("IMMEDIATE"):
        Photo.update(attempts=Photo.attempts + 1, last_error=error[:2000], error_stage=stage, updated_at=utcnow()).where(
            Photo.id == photo_id
        ).execute()
        return Photo.get_by_id(photo_id).attempts


def park_failed(photo_id: int, stage: str, reason: str, *, run_id: int | None = None,
                bus: EventBus | None = None) -> State:
    """Move a row that failed ``stage`` for a reason retrying cannot change into ``failed``, keeping the reason
    (``last_error``, ``error_stage`` and the history), so no run retries it and the operator sees why. A filename
    it held is released (a re-import after the fix takes a fresh one)."""
    before = transition(photo_id, State.FAILED, reason=f"{stage} failed: {reason}"[:500], run_id=run_id, bus=bus,
                        last_error=reason[:2000], error_stage=stage)
    release_name(photo_id, f"failed at {stage}")
    return before


def history(photo_id: int) -> list[StateChange]:
    """Every transition of a photo, oldest first."""
    return list(StateChange.select().where(StateChange.photo == photo_id).order_by(StateChange.id))


# ---------------------------------------------------------------- filename reservations


def active_reservation(name: str) -> Reservation | None:
    """The active (unreleased) reservation of ``name``, compared case-insensitively."""
    return Reservation.get_or_none((Reservation.name_key == name_key(name)) & Reservation.released_at.is_null())


def reserve_name(name: str, photo_id: int | None) -> Reservation:
    """Reserve ``name`` for a photo; raises :class:`ReservationConflict` when taken in any letter case.

    Call inside the transaction that queues the row, so the row and its name appear together or not at all.
    """
    try:
        with database.atomic("IMMEDIATE"):  # a savepoint when nested; a write lock up front when not
            return Reservation.create(name=name, name_key=name_key(name), photo=photo_id)
    except pw.IntegrityError as exc:
        holder = active_reservation(name)
        who = f"photo {holder.photo_id}" if holder and holder.photo_id else "the catalog"
        raise ReservationConflict(
            f"the filename '{name}' is already reserved by {who} (names are unique ignoring case)",
            fix="choose another name",
        ) from exc


def release_name(photo_id: int, reason: str) -> int:
    """Release the active reservations of a photo (kept as history); returns how many were released."""
    with database.atomic("IMMEDIATE"):
        return (
            Reservation.update(released_at=utcnow(), release_reason=reason)
            .where((Reservation.photo == photo_id) & Reservation.released_at.is_null())
            .execute()
        )


def reserved_names() -> list[str]:
    """Every active reservation (for the naming counter)."""
    return [r.name for r in Reservation.select(Reservation.name).where(Reservation.released_at.is_null())]


# ---------------------------------------------------------------- runs


def start_run(kind: str, detail: str = "") -> Run:
    """Record the start of a run with this process's pid and host."""
    with database.atomic("IMMEDIATE"):
        return Run.create(kind=kind, pid=os.getpid(), host=socket.gethostname(), detail=detail)


def finish_run(run_id: int, outcome: str, detail: str | None = None) -> None:
    """Record how a run ended (ok, failed, cancelled, crashed, rolled_back)."""
    fields: dict[str, Any] = {"finished_at": utcnow(), "outcome": outcome}
    if detail is not None:
        fields["detail"] = detail
    with database.atomic("IMMEDIATE"):
        Run.update(**fields).where(Run.id == run_id).execute()


def unfinished_runs() -> list[Run]:
    """Runs without an outcome (in progress here, or crashed)."""
    return list(Run.select().where(Run.outcome.is_null()).order_by(Run.id))


# ---------------------------------------------------------------- publish steps


def step_started(photo_id: int, step: str, run_id: int | None = None) -> PublishStep:
    """Record that a publish step began."""
    with database.atomic("IMMEDIATE"):
        return PublishStep.create(photo=photo_id, step=step, status="started", run=run_id)


def step_finished(step_id: int, ok: bool, error: str | None = None, detail: dict | None = None) -> None:
    """Record that a publish step ended (done or failed)."""
    fields: dict[str, Any] = {"status": "done" if ok else "failed", "finished_at": utcnow(), "error": error}
    if detail is not None:
        fields["detail"] = detail
    with database.atomic("IMMEDIATE"):
        PublishStep.update(**fields).where(PublishStep.id == step_id).execute()


def done_steps(photo_id: int) -> set[str]:
    """Names of the publish steps this photo has completed (in any run)."""
    q = PublishStep.select(PublishStep.step).where((PublishStep.photo == photo_id) & (PublishStep.status == "done"))
    return {s.step for s in q}
