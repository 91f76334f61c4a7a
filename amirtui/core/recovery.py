"""Crash recovery: find what a crash left behind, repair it (resume) or undo an unfinished run (rollback).

The database is the truth, so recovery is mostly reading it against the disk:

- :func:`detect` — runs without an outcome whose process is gone (marked ``crashed``; a live pid is never touched,
  only reported), rows per intermediate state, rows stuck in ``publishing`` with their started/done steps, temp files
  without rows, staged copies that are missing or differ from the original's hash, and active filename reservations
  that no live or published row holds. Returns a :class:`RecoveryReport`.
- :func:`resume` — repairs files (re-stage or ``source_missing``), removes orphan temp files, releases dangling
  reservations and leaves every row in its stage's input state, so the next pipeline / publish run continues it.
  Rows in ``publishing`` stay as they are: the publisher continues them from their last done step.
- :func:`rollback` — rows of unfinished (crashed) runs that were never published become ``rolled_back`` (history
  kept, actor ``recovery``), their reservations are released and their temp files removed. Originals are never
  touched; published rows and rows with a done upload/catalog step are never rolled back (they are reported).
- :func:`locked_by` — which process holds the SQLite DB, for "database is locked" messages
  (in :mod:`amirtui.core.recovery_lock`, re-exported here).

File checks and repairs live in :mod:`amirtui.core.recovery_files`; the report types in
:mod:`amirtui.core.recovery_report`.
"""

from __future__ import annotations

import os
import socket

from peewee import fn

from .db import repo
from .db.models import (
    Photo,
    PublishStep,
    Reservation,
    Run,
    StateChange,
    database,
    utcnow,
)
from .events import EventBus, RunFinished, RunStarted
from .fsnames import display_name
from .lock import pid_alive
from .recovery_files import (
    dangling_reservations as _dangling_now,
)
from .recovery_files import (
    release_dangling_reservations,
    remove_paths,
    repair_rows,
    rollback_files,
    scan_files,
)
from .recovery_lock import locked_by, locked_message
from .recovery_report import PUBLISH_IN_FLIGHT, PublishingRow, RecoveryReport, RunInfo
from .states import LIVE, PIPELINE_ORDER, State

ACTOR = "recovery"

#: States a row passes through on its way to review / publish (shown as "in flight" counts).
INTERMEDIATE: tuple[State, ...] = (
    State.IMPORTED, State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED,
    State.PREFILLED, State.NEEDS_WORK, State.QUARANTINED, State.APPROVED, State.PUBLISHING, State.PUBLISH_FAILED,
    State.SOURCE_MISSING,
)

# ---------------------------------------------------------------- detection


def _run_info(run: Run) -> RunInfo:
    return RunInfo(run.id, run.kind, run.pid, run.host, str(run.started_at)[:19])


def _alive(run: Run) -> bool:
    if run.pid == os.getpid() and run.host == socket.gethostname():
        return True  # this very process (e.g. the TUI's own pipeline run)
    if run.host != socket.gethostname():
        return True  # another machine's process: we cannot know, so never touch it
    return pid_alive(run.pid)


def _classify_runs(report: RecoveryReport, *, mark: bool) -> None:
    """Fill live/crashed runs; with ``mark`` give dead unfinished runs the outcome ``crashed``."""
    for run in repo.unfinished_runs():
        if _alive(run):
            report.live_runs.append(_run_info(run))
            continue
        if mark:
            repo.finish_run(run.id, "crashed", detail=(run.detail + " | " if run.detail else "")
                            + "process gone without an outcome (crash, kill or power cut)")
        report.crashed_runs.append(_run_info(run))
    # crashed earlier and not yet resumed or rolled back
    known = {r.id for r in report.crashed_runs}
    for run in Run.select().where(Run.outcome == "crashed").order_by(Run.id):
        if run.id not in known:
            report.crashed_runs.append(_run_info(run))


def _publishing_rows() -> list[PublishingRow]:
    out = []
    q = Photo.select(Photo.id, Photo.file_name, Photo.state).where(
        Photo.state.in_([State.PUBLISH_FAILED.value, *PUBLISH_IN_FLIGHT])).order_by(Photo.id)
    for p in q:
        steps = list(PublishStep.select().where(PublishStep.photo == p.id).order_by(PublishStep.id))
        if p.state in (State.REPUBLISHING.value, State.UNPUBLISHING.value):  # only this pass's steps, not the first
            start = _pass_start(p.id, State(p.state))  # publish's (a live row is never rolled back anyway)
            steps = [s for s in steps if start is None or s.started_at >= start]
        done = sorted({s.step for s in steps if s.status == "done"})
        unfinished = sorted({s.step for s in steps if s.status == "started" and s.finished_at is None} - set(done))
        out.append(PublishingRow(p.id, p.file_name, p.state, done, unfinished))
    return out


def _pass_start(photo_id: int, state: State):
    """When the current republish (the edit that made it ``modified``) or unpublish began."""
    entry = State.MODIFIED if state == State.REPUBLISHING else State.UNPUBLISHING
    row = (StateChange.select(StateChange.at)
           .where((StateChange.photo == photo_id) & (StateChange.to_state == entry.value)
                  & StateChange.from_state.not_in([State.REPUBLISHING.value, State.UNPUBLISHING.value]))
           .order_by(StateChange.id.desc()).first())
    return row.at if row is not None else None


def _crash_touched_ids(run_ids: list[int]) -> set[int]:
    """Photos imported by, or moved by, any of these runs."""
    if not run_ids:
        return set()
    ids = {p.id for p in Photo.select(Photo.id).where(Photo.run.in_(run_ids))}
    ids |= {c.photo_id for c in StateChange.select(StateChange.photo).where(StateChange.run.in_(run_ids))}
    return ids


def _interrupted_by_state(run_ids: list[int]) -> dict[str, int]:
    """Rows a crashed run touched that still wait for a pipeline stage, per state (in pipeline order).

    Only these were "in flight": rows that reached review, were decided or published are finished work, and rows
    of runs that ended normally are an ordinary queue — neither is listed (publishing rows are listed on their own).
    """
    if not run_ids:
        return {}
    moved = StateChange.select(StateChange.photo).where(StateChange.run.in_(run_ids))
    order = [s.value for s in PIPELINE_ORDER]
    q = (Photo.select(Photo.state, fn.COUNT(Photo.id))
         .where((Photo.run.in_(run_ids) | Photo.id.in_(moved)) & Photo.state.in_(order))
         .group_by(Photo.state).tuples())
    found = dict(q)
    return {s: found[s] for s in order if found.get(s)}


def _detect(settings, *, mark: bool, deep_ids: set[int] | None = None) -> RecoveryReport:
    report = RecoveryReport()
    _classify_runs(report, mark=mark)
    report.by_state = _interrupted_by_state([r.id for r in report.crashed_runs])
    report.publishing = _publishing_rows()
    if deep_ids is None:
        deep_ids = _crash_touched_ids([r.id for r in report.crashed_runs])
    # With a live run on this data dir, files may be mid-write: look, but do not call them orphans.
    report.files = scan_files(settings, hash_ids=deep_ids, live=bool(report.live_runs))
    return report


def detect(settings, *, deep: bool = False, mark: bool = True) -> RecoveryReport:
    """Report what a crash left behind. Marks dead unfinished runs ``crashed`` (a live pid is only reported);
    ``mark=False`` writes nothing at all (``amirtui recover --status`` only reports).

    Staged copies are checked by size for every row and by sha256 for rows a crashed run touched (all rows with
    ``deep=True``), so start-up stays fast on a large queue.
    """
    deep_ids = {p.id for p in Photo.select(Photo.id)} if deep else None
    return _detect(settings, mark=mark, deep_ids=deep_ids)


# ---------------------------------------------------------------- resume


def _begin(kind: str, bus: EventBus | None) -> int:
    run = repo.start_run(kind)
    if bus is not None:
        bus.emit(RunStarted(run_id=run.id, kind=kind))
    return run.id


def _end(run_id: int, kind: str, report: RecoveryReport, bus: EventBus | None) -> None:
    summary = f"{len(report.actions)} action(s), {len(report.kept)} left alone"
    repo.finish_run(run_id, "ok", detail=summary)
    if bus is not None:
        for a in report.actions:
            bus.info(a, source="recovery")
        for k in report.kept:
            bus.warning(k, source="recovery")
        bus.emit(RunFinished(run_id=run_id, kind=kind, outcome="ok", summary=summary))


def resume(settings, bus: EventBus | None = None, *, deep: bool = False) -> RecoveryReport:
    """Repair what a crash left so the next pipeline / publish run continues it. Never deletes a row.

    - staged copy missing or corrupt, original intact: pipeline rows go back to ``imported`` (re-staged by the next
      run); reviewed rows get a fresh verified copy in place, keeping the reviewer's work;
    - neither copy nor original: ``source_missing`` with the reason (kept for the operator); an original that came
      back moves a ``source_missing`` row to ``imported``;
    - model image lost for a ``model_ready`` row: back to ``queued``;
    - orphan temp files removed; reservations no live or published row holds released;
    - rows in ``publishing`` left for the publisher, which continues each from its last done step.

    Refuses to repair anything while another live process is running on this data dir (it is only reported).
    """
    report = detect(settings, deep=deep)
    report.mode = "resume"
    if report.live_runs:
        report.kept.append("a live run is in progress: nothing repaired (stop it, or wait for it to finish)")
        return report
    run_id = _begin("recover", bus)
    report.run_id = run_id
    report.actions += repair_rows(report.files, settings, run_id=run_id, bus=bus, actor=ACTOR)
    report.actions += remove_paths(report.files.orphans, settings)
    report.actions += remove_paths(report.files.leftovers, settings, what="working file of a finished row")
    report.actions += release_dangling_reservations(report.files.dangling_reservations)
    for p in report.publishing:
        if p.state in PUBLISH_IN_FLIGHT:
            cmd = "amirtui unpublish" if p.state == State.UNPUBLISHING.value else "amirtui publish"
            report.kept.append(f"photo {p.photo_id} {p.file_name or ''} stays {p.state}: `{cmd}` continues "
                               f"it after [{', '.join(p.done) or 'no step'}]")
    for r in report.crashed_runs:
        repo.finish_run(r.id, "recovered", detail=f"crashed; resumed by recovery run {run_id}")
    _end(run_id, "recover", report, bus)
    return report


# ---------------------------------------------------------------- rollback


def rollback(settings, bus: EventBus | None = None, run_id: int | None = None) -> RecoveryReport:
    """Roll back unfinished runs (all crashed ones, or just ``run_id``): their never-published rows → ``rolled_back``.

    Reservations of those rows are released (or handed to the published row using the name), their model image,
    staged copy and render folder removed; originals are never touched. Rows in ``publishing`` and rows with a done
    upload/catalog step are not rolled back: they are reported, to be finished by ``amirtui publish``.
    """
    report = detect(settings)
    report.mode = "rollback"
    if run_id is not None:
        live = [r for r in report.live_runs if r.id == run_id]
        if live:
            report.kept.append(f"{live[0].text()} is still running: not rolled back")
            return report
        run = Run.get_or_none(Run.id == run_id)
        if run is None:
            report.kept.append(f"run {run_id} does not exist")
            return report
        targets = [_run_info(run)]
    else:
        targets = list(report.crashed_runs)
    if not targets:
        report.kept.append("no crashed or unfinished run to roll back")
        return report
    rec_id = _begin("rollback", bus)
    report.run_id = rec_id
    steps = {p.photo_id: p for p in _publishing_rows()}
    for pid in sorted(_crash_touched_ids([t.id for t in targets])):
        photo = Photo.get_by_id(pid)
        state = State(photo.state)
        if state in LIVE or state in (State.ROLLED_BACK, State.UNPUBLISHED):
            continue  # it was on the website: never rolled back
        pr = steps.get(pid)
        if state == State.PUBLISHING or (pr is not None and pr.has_live_step):
            report.kept.append(f"photo {pid} {photo.file_name or ''} has publish steps done [{', '.join(pr.done) if pr else ''}]"
                               ": not rolled back — run `amirtui publish` to finish it")
            continue
        with database.atomic("IMMEDIATE"):  # state and name change together
            repo.transition(pid, State.ROLLED_BACK, actor=ACTOR, run_id=rec_id,
                            reason=f"run(s) {', '.join(str(t.id) for t in targets)} rolled back (was {state})")
            handed = _release_or_hand_over(pid)
        report.actions.append(f"photo {pid} {display_name(photo.original_name)}: {state} → rolled_back" + handed)
        report.actions += rollback_files(photo, settings)
        if bus is not None:
            from .events import RowChanged

            bus.emit(RowChanged(photo_id=pid, from_state=state.value, to_state=State.ROLLED_BACK.value,
                                reason="rolled back"))
    report.actions += remove_paths(report.files.orphans, settings)
    report.actions += release_dangling_reservations(_dangling_now())
    for t in targets:
        repo.finish_run(t.id, "rolled_back", detail=f"rolled back by recovery run {rec_id}")
    _end(rec_id, "rollback", report, bus)
    return report


def _release_or_hand_over(photo_id: int) -> str:
    """Release a rolled-back row's reservations; a name a published row uses is handed to that row instead."""
    note = ""
    for res in Reservation.select().where((Reservation.photo == photo_id) & Reservation.released_at.is_null()):
        owner = (Photo.select(Photo.id).where((Photo.state == State.PUBLISHED.value) & (Photo.id != photo_id)
                                              & (Photo.file_name.is_null(False)))
                 .where(Photo.file_name == res.name).first())
        if owner is not None:
            Reservation.update(photo=owner.id).where(Reservation.id == res.id).execute()
            note += f"; name {res.name} kept for published photo {owner.id}"
        else:
            Reservation.update(released_at=utcnow(), release_reason="rolled back").where(
                Reservation.id == res.id).execute()
            note += f"; name {res.name} released"
    return note


__all__ = ["RecoveryReport", "PublishingRow", "RunInfo", "detect", "resume", "rollback", "locked_by",
           "locked_message", "INTERMEDIATE"]
