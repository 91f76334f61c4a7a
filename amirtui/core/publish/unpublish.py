"""Unpublish: take a row off the website — catalog row, mirror row, then its web image and thumbnail.

The same recorded, resumable steps as a publish (``publish_step`` rows, one run record), in the order that keeps the
website consistent at every instant: the catalog row goes first (the site stops listing the photo), then the mirror
row, then the two files — so the catalog never points at a missing file. Every step is idempotent (deleting what is
already gone is fine), so a re-run after a kill or a failure simply finishes. The row stays as ``unpublished`` with its
history, and its ``File_Name`` stays reserved forever: a public URL that existed never names another photo.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from peewee import fn

from ..db import repo
from ..db.models import Photo, PublishStep, StateChange
from ..events import EventBus, PublishStepDone, RunFinished, RunStarted
from ..redact import redact
from ..states import State
from .mirror import Mirror
from .mysql_catalog import MySQLCatalog
from .retry import RetryPolicy, announce, reset_lane, with_retry
from .targets import BaseTarget, PublishError

log = logging.getLogger("amirtui.publish")

STEPS: tuple[str, ...] = ("unpublish_catalog", "unpublish_mirror", "delete_web", "delete_thumb")
#: Rows that can be unpublished (or whose unpublish is continued).
UNPUBLISHABLE = (State.PUBLISHED, State.MODIFIED, State.UNPUBLISHING)


@dataclass
class UnpublishSummary:
    """What an unpublish run did, by File_Name."""

    run_id: int | None = None
    unpublished: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        """One line for the CLI and the log."""
        return f"unpublished {len(self.unpublished)}, failed {len(self.failed)}, skipped {len(self.skipped)}"


@dataclass
class _Lane:
    target: BaseTarget
    catalog: MySQLCatalog | None


def find_rows(file_names: list[str]) -> tuple[list[Photo], list[tuple[str, str]]]:
    """The rows named (case-insensitive File_Name) and, for each name that cannot be unpublished, why."""
    rows, skipped = [], []
    for name in file_names:
        p = (Photo.select().where(Photo.file_name.is_null(False) & (fn.lower(Photo.file_name) == name.strip().lower()))
             .order_by(Photo.id.desc()).first())
        if p is None:
            skipped.append((name, "no photo has this File_Name"))
        elif p.state == State.UNPUBLISHED.value:
            skipped.append((p.file_name, "already unpublished"))
        elif State(p.state) not in UNPUBLISHABLE:
            why = ("its republish is in progress: run amirtui publish first" if p.state == State.REPUBLISHING.value
                   else f"it is '{p.state}', not on the website")
            skipped.append((p.file_name, why))
        else:
            rows.append(p)
    return rows, skipped


def interrupted() -> list[str]:
    """File_Names of rows whose unpublish was interrupted (a kill, a failure): ``amirtui unpublish`` continues them."""
    return [p.file_name for p in Photo.select(Photo.file_name).where(Photo.state == State.UNPUBLISHING.value)]


def _done_steps(photo_id: int) -> set[str]:
    start = (StateChange.select(StateChange.at)
             .where((StateChange.photo == photo_id) & (StateChange.to_state == State.UNPUBLISHING.value)
                    & (StateChange.from_state != State.UNPUBLISHING.value))
             .order_by(StateChange.id.desc()).first())
    if start is None:
        return set()
    q = PublishStep.select(PublishStep.step).where((PublishStep.photo == photo_id) & (PublishStep.status == "done")
                                                   & (PublishStep.started_at >= start.at))
    return {s.step for s in q}


class Unpublisher:
    """Unpublishes rows by File_Name; the same injection points as :class:`~.publisher.Publisher`."""

    def __init__(self, settings: Any, *, secrets: Any = None, bus: EventBus | None = None,
                 target_factory: Callable[[], BaseTarget] | None = None,
                 catalog_factory: Callable[[], MySQLCatalog] | None | bool = True, mirror: Mirror | None = None,
                 cancel: threading.Event | None = None) -> None:
        from .publisher import ensure_publish_log, make_target

        self.settings = settings
        self.bus = bus or EventBus()
        self.target_factory = target_factory or (lambda: make_target(settings, secrets))
        if catalog_factory is True:
            pw = getattr(secrets, "mysql_password", None)
            catalog_factory = (lambda: MySQLCatalog.from_settings(settings, pw)) if settings.publish.mysql.enabled else None
        self.catalog_factory = catalog_factory or None
        self.mirror = mirror or Mirror(settings.mirror_db_path, settings.publish.mysql.table)
        self.retry = RetryPolicy.from_settings(settings)
        self.cancel = cancel or threading.Event()
        self.run_id: int | None = None
        ensure_publish_log(settings.logs_dir)

    def run(self, file_names: list[str] | None = None) -> UnpublishSummary:
        """Unpublish ``file_names`` (default: continue every interrupted unpublish). Never raises for one row."""
        rows, skipped = find_rows(list(file_names) if file_names else interrupted())
        run = repo.start_run("unpublish", detail=f"{len(rows)} rows")
        self.run_id = run.id
        summary = UnpublishSummary(run_id=run.id, skipped=skipped)
        self.bus.emit(RunStarted(run_id=run.id, kind="unpublish"))
        for name, why in skipped:
            log.info("unpublish %s skipped: %s", name, why)
        lane = _Lane(self.target_factory(), self.catalog_factory() if self.catalog_factory else None)
        try:
            for p in rows:
                if self.cancel.is_set():
                    break
                outcome = self._row(p, lane)
                if outcome is None:
                    summary.unpublished.append(p.file_name)
                else:
                    summary.failed.append((p.file_name, *outcome))
        finally:
            lane.target.close()
            if lane.catalog is not None:
                lane.catalog.close()
        outcome = "cancelled" if self.cancel.is_set() else ("ok" if not summary.failed else "failed")
        repo.finish_run(run.id, outcome, summary.text())
        log.info("unpublish run %s finished: %s", run.id, summary.text())
        self.bus.emit(RunFinished(run_id=run.id, kind="unpublish", outcome=outcome, summary=summary.text()))
        return summary

    def _row(self, p: Photo, lane: _Lane) -> tuple[str, str] | None:
        step = "prepare"
        try:
            repo.transition(p.id, State.UNPUBLISHING, expect=[p.state], run_id=self.run_id, bus=self.bus,
                            actor="operator", reason="resumed" if p.state == State.UNPUBLISHING.value else "unpublish")
            done = _done_steps(p.id)
            for step in STEPS:
                if step not in done:
                    self._step(p, step, lane)
            repo.transition(p.id, State.UNPUBLISHED, run_id=self.run_id, bus=self.bus, actor="operator",
                            reason="removed from the website; its File_Name stays reserved", catalog_id=None,
                            last_error=None, error_stage=None)
        except Exception as exc:  # noqa: BLE001 - one row's failure, recorded on it; the others go on
            error = redact(f"{exc}" if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}")
            log.error("unpublish %s FAILED at %s: %s", p.file_name, step, error)
            repo.update_fields(p.id, last_error=error[:2000], error_stage=step)  # stays unpublishing: resumable
            return step, error
        log.info("id=%d file=%s UNPUBLISHED", p.id, p.file_name)
        return None

    def _step(self, p: Photo, step: str, lane: _Lane) -> None:
        rec = repo.step_started(p.id, step, self.run_id)
        try:
            detail = with_retry(lambda: self._do(p, step, lane), self.retry, cancel=self.cancel,
                                reset=lambda: reset_lane(lane),
                                on_retry=announce(self.bus, self.retry, p.id, p.file_name, step))
        except Exception as exc:
            repo.step_finished(rec.id, False, error=redact(str(exc)))
            self.bus.emit(PublishStepDone(photo_id=p.id, file_name=p.file_name or "", step=step, ok=False,
                                          error=redact(str(exc)), level=logging.ERROR))
            raise
        repo.step_finished(rec.id, True, detail=detail)
        self.bus.emit(PublishStepDone(photo_id=p.id, file_name=p.file_name or "", step=step, ok=True))

    def _do(self, p: Photo, step: str, lane: _Lane) -> dict:
        if step == "unpublish_catalog":
            if lane.catalog is None:  # MySQL off: the mirror is the catalog (next step)
                return {"where": "mirror"}
            return {"where": "mysql", "deleted": lane.catalog.delete(p.file_name)}
        if step == "unpublish_mirror":
            return {"deleted": self.mirror.delete(p.file_name)}
        path = p.web_remote_path if step == "delete_web" else p.thumb_remote_path
        if not path:
            return {"path": None}
        return {"path": path, "deleted": lane.target.remove(path)}



def unpublish(settings: Any, file_names: list[str], *, secrets: Any = None, bus: EventBus | None = None
              ) -> UnpublishSummary:
    """The core call behind ``amirtui unpublish`` and the review's Unpublish action (ask the operator first): takes
    the named rows off the website; see :class:`Unpublisher`."""
    return Unpublisher(settings, secrets=secrets, bus=bus).run(file_names)
