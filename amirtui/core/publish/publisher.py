"""Publish approved rows, one recorded step at a time: render → upload_web → upload_thumb → catalog → mirror → published.

Model: Lightroom's Publish Services. Each row's publish is a sequence of steps recorded in ``publish_step``; a re-run
continues every row from its last completed step (counting only steps done since the row's latest approval, so a row
sent back and edited is rendered again). A failing step marks only its row ``publish_failed`` (with the step and the
error); the other rows go on. ``parallel_uploads`` lanes — each one target connection plus one catalog connection,
reused across rows — publish rows concurrently. A row's two uploads go to the target as one batch
(:meth:`.targets.BaseTarget.put_many`: over SFTP both files in flight at once), each still its own recorded step;
folders known to exist are shared by all lanes, so none is looked up twice in a run.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import Any, Callable

from ..db import repo
from ..db.models import Photo, PublishStep, utcnow
from ..events import EventBus, PublishStepDone, RunFinished, RunStarted
from ..redact import redact
from ..states import State
from ..workfiles import remove_leftovers
from .catalog import build_row
from .lifecycle import PASSAGE, completed_steps, recorded_paths
from .mirror import Mirror
from .mysql_catalog import MySQLCatalog
from .steps import PublishSteps
from .retry import RetryPolicy, announce, reset_lane, with_retry
from .targets import BaseTarget, PublishError, RemotePaths, UploadVerifyFailed, build_paths
from .wiring import default_render, ensure_publish_log, make_target, public_url

__all__ = ["ELIGIBLE", "STEPS", "Lane", "PublishSummary", "Publisher", "default_render", "ensure_publish_log",
           "make_target", "public_url"]

log = logging.getLogger("amirtui.publish")

STEPS: tuple[str, ...] = ("render", "upload_web", "upload_thumb", "catalog", "mirror")
#: a row's two files, uploaded together (both in flight at once where the target allows it; see _run_uploads)
UPLOADS: tuple[str, ...] = ("upload_web", "upload_thumb")
#: approved, publish_failed, publishing (interrupted) — and published rows edited since (modified, republishing).
ELIGIBLE: tuple[State, ...] = tuple(PASSAGE)


# ---------------------------------------------------------------- results


@dataclass
class PublishSummary:
    """What a publish run did: ids published, failed (with step and error) and skipped."""

    run_id: int | None = None
    published: list[int] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    seconds: float = 0.0
    validation: Any = None

    def text(self) -> str:
        """One line for the final dialog and the log."""
        return f"published {len(self.published)}, failed {len(self.failed)}, skipped {len(self.skipped)}"


@dataclass
class Lane:
    """One worker's reusable connections: a target and (when MySQL is on) a catalog connection."""

    target: BaseTarget
    catalog: MySQLCatalog | None


@dataclass
class _Row:
    photo: Photo
    paths: RemotePaths
    web_url: str
    thumb_url: str
    work_dir: Path
    lane: Lane
    step_id: int = 0

    def catalog_row(self, settings: Any) -> dict[str, Any]:
        s = self.photo.set
        return build_row(self.photo, folder=s.folder, location=s.location, web_url=self.web_url,
                         thumb_url=self.thumb_url)


# ---------------------------------------------------------------- the publisher


class Publisher(PublishSteps):
    """Publishes eligible rows (approved, publish_failed, or stuck in publishing after a crash).

    Everything outside is injectable for tests and the CLI: ``render(photo, settings)``, ``target_factory()``,
    ``catalog_factory()`` (None = MySQL off: the mirror is the catalog) and the ``mirror``.
    """

    def __init__(
        self,
        settings: Any,
        *,
        secrets: Any = None,
        bus: EventBus | None = None,
        render: Callable[[Photo, Any], Any] | None = None,
        target_factory: Callable[[], BaseTarget] | None = None,
        catalog_factory: Callable[[], MySQLCatalog] | None | bool = True,
        mirror: Mirror | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus or EventBus()
        self.render = render or default_render
        self.target_factory = target_factory or (lambda: make_target(settings, secrets))
        if catalog_factory is True:  # default: from settings
            pw = getattr(secrets, "mysql_password", None)
            catalog_factory = (lambda: MySQLCatalog.from_settings(settings, pw)) if settings.publish.mysql.enabled else None
        self.catalog_factory = catalog_factory or None
        self.mirror = mirror or Mirror(settings.mirror_db_path, settings.publish.mysql.table)
        self.cancel = cancel or threading.Event()
        self.run_id: int | None = None
        self.retry = RetryPolicy.from_settings(settings)
        #: upload a row's web image and thumbnail as one batch (False: one file at a time, the benchmark's baseline)
        self.batch_uploads = True
        self._lock = threading.Lock()
        ensure_publish_log(settings.logs_dir)

    # ---- selection
    @staticmethod
    def eligible_ids() -> list[int]:
        """Rows a publish run picks: approved, publish_failed, and publishing (interrupted), oldest first."""
        q = Photo.select(Photo.id).where(Photo.state.in_([s.value for s in ELIGIBLE])).order_by(Photo.id)
        return [p.id for p in q]

    @staticmethod
    def completed_steps(photo_id: int) -> set[str]:
        """Steps done for the version being published (see :func:`.lifecycle.completed_steps`)."""
        return completed_steps(photo_id)

    @staticmethod
    def owns_remote(photo: Photo, step: str, current_step_id: int) -> bool:
        """Whether an existing remote file at this row's path is this row's own: it has a catalog row, or an earlier
        ``step`` of this row finished or was interrupted mid-way (crash) — a *failed* earlier step never got to rename."""
        if photo.catalog_id is not None:
            return True
        q = PublishStep.select().where(
            (PublishStep.photo == photo.id) & (PublishStep.step == step) & (PublishStep.id != current_step_id)
            & ((PublishStep.status == "done") | (PublishStep.finished_at.is_null())))
        return q.exists()

    # ---- run
    def run(self, photo_ids: list[int] | None = None, *, validate_after: bool = False, secrets: Any = None) -> PublishSummary:
        """Publish ``photo_ids`` (default: every eligible row). Returns the summary; never raises for a row's failure."""
        t0 = time.perf_counter()
        ids = self.eligible_ids() if photo_ids is None else list(photo_ids)
        run = repo.start_run("publish", detail=f"{len(ids)} rows")
        self.run_id = run.id
        summary = PublishSummary(run_id=run.id)
        self.bus.emit(RunStarted(run_id=run.id, kind="publish"))
        log.info("publish run %s: %d rows, target=%s, lanes=%d", run.id, len(ids), self.settings.publish.target,
                 self.settings.publish.parallel_uploads)
        lanes: Queue[Lane] = Queue()
        made: list[Lane] = []
        n = max(1, min(self.settings.publish.parallel_uploads, len(ids) or 1))
        for _ in range(n):
            lane = Lane(self.target_factory(), self.catalog_factory() if self.catalog_factory else None)
            made.append(lane)
            lanes.put(lane)
        known_dirs: set[str] = set()  # folders that exist remotely: made or seen by any lane, never asked again
        for lane in made:
            if hasattr(lane.target, "_known_dirs"):
                lane.target._known_dirs = known_dirs  # type: ignore[attr-defined]
        self._connect_lanes(made if ids else [])

        def work(pid: int) -> None:
            if self.cancel.is_set():
                return
            lane = lanes.get()
            try:
                outcome = self.publish_row(pid, lane)
            finally:
                lanes.put(lane)
            with self._lock:
                if outcome == "published":
                    summary.published.append(pid)
                elif outcome == "skipped":
                    summary.skipped.append(pid)
                else:
                    summary.failed.append((pid, *outcome))

        try:
            with ThreadPoolExecutor(max_workers=n, thread_name_prefix="publish") as pool:
                list(pool.map(work, ids))
            if made and made[0].catalog is not None and not self.cancel.is_set():
                from ..captioning.quality_mirror import mirror_safely  # the AI-text record follows the catalog

                mirror_safely(made[0].catalog, self.bus)
        finally:
            for lane in made:
                lane.target.close()
                if lane.catalog is not None:
                    lane.catalog.close()
        summary.seconds = time.perf_counter() - t0
        outcome = "cancelled" if self.cancel.is_set() else ("ok" if not summary.failed else "failed")
        repo.finish_run(run.id, outcome, summary.text())
        log.info("publish run %s finished: %s in %.1f s", run.id, summary.text(), summary.seconds)
        if summary.failed:
            first = summary.failed[0]
            log.error("first failing row: id=%d at step %s: %s", first[0], first[1], first[2])
        self.bus.emit(RunFinished(run_id=run.id, kind="publish", outcome=outcome, summary=summary.text()))
        if validate_after:
            from .validation import validate

            summary.validation = validate(self.settings, secrets, check_urls=self.settings.publish.verify_urls,
                                          target=self.target_factory())
        return summary

    def _connect_lanes(self, lanes: list[Lane]) -> None:
        """Open every lane's target connection up front (in parallel): a bad host key or password shows at once in
        the log. A failure here is only logged; each row then reports it as its own upload error and retries."""
        def connect(lane: Lane) -> None:
            try:
                lane.target.connect()
            except Exception as exc:
                log.error("cannot open a %s connection: %s", lane.target.name, redact(str(exc)))
        with ThreadPoolExecutor(max_workers=len(lanes) or 1) as pool:
            list(pool.map(connect, lanes))

    def publish_row(self, pid: int, lane: Lane) -> str | tuple[str, str]:
        """Publish one row on ``lane``: ``"published"``, ``"skipped"`` or ``(step, error)`` when a step failed."""
        photo = Photo.get_by_id(pid)
        state = State(photo.state)
        if state not in ELIGIBLE:
            log.info("id=%d file=%s skipped (state %s)", pid, photo.file_name, state)
            return "skipped"
        step = "prepare"
        passage = PASSAGE[state]
        try:
            repo.transition(pid, passage.running, expect=[state], run_id=self.run_id, bus=self.bus,
                            reason="resumed" if state == passage.running else passage.verb)
            row = self._prepare(photo, lane)
            done = self.completed_steps(pid)
            uploads = [s for s in UPLOADS if s not in done]
            for step in STEPS:
                if step in done:
                    continue
                if step in UPLOADS and self.batch_uploads and len(uploads) > 1:
                    failed = self._run_uploads(row, uploads) if step == uploads[0] else None
                    if failed is not None:
                        step = failed[0]
                        raise failed[1]
                    continue
                self._run_step(row, step)
            repo.transition(
                pid, passage.done, run_id=self.run_id, bus=self.bus, reason="all steps done",
                web_remote_path=row.paths.web, thumb_remote_path=row.paths.thumb, web_url=row.web_url,
                thumb_url=row.thumb_url, published_at=utcnow(), last_error=None, error_stage=None,
            )
        except Exception as exc:
            error = redact(f"{exc}" if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}")
            log.error("id=%d file=%s FAILED at %s: %s", pid, photo.file_name, step, error)
            try:
                repo.transition(pid, passage.failed, run_id=self.run_id, bus=self.bus, reason=f"{step}: {error}",
                                error_stage=step, last_error=error[:2000])
            except Exception as inner:  # e.g. it never reached publishing: leave it where it is, say why
                repo.record_failure(pid, step, error)
                log.error("id=%d could not be marked publish_failed: %s", pid, inner)
            return (step, error)
        self._cleanup(row)
        log.info("id=%d file=%s PUBLISHED web=%s", pid, photo.file_name, row.web_url)
        return "published"

    def _cleanup(self, row: _Row) -> None:
        """Remove working files a published row no longer needs (:mod:`amirtui.core.workfiles` is the rule; a kill
        before this point leaves them for ``recover --resume``, which applies the same rule)."""
        for line in remove_leftovers(Photo.get_by_id(row.photo.id), self.settings):
            log.info("%s", line)

    # ---- steps
    def _prepare(self, photo: Photo, lane: Lane) -> _Row:
        if not photo.file_name:
            raise PublishError(f"photo {photo.id} has no final filename", fix="send it back to review and name it")
        work_dir = self.settings.data_dir / "publish_tmp" / str(photo.id)
        live = recorded_paths(photo)
        if live is not None:  # a republish replaces exactly the files this row published
            return _Row(photo=photo, paths=live, web_url=photo.web_url or live.web, thumb_url=photo.thumb_url or live.thumb,
                        work_dir=work_dir, lane=lane)
        year = photo.year or (photo.datetime_original or "")[:4] or None
        paths = build_paths(self.settings.publish.remote_base, year, photo.set.folder, photo.file_name)
        return _Row(photo=photo, paths=paths,
                    web_url=public_url(self.settings, lane.target, paths.web, paths.web_rel),
                    thumb_url=public_url(self.settings, lane.target, paths.thumb, paths.thumb_rel),
                    work_dir=self.settings.data_dir / "publish_tmp" / str(photo.id), lane=lane)

    def _run_step(self, row: _Row, step: str) -> None:
        rec = repo.step_started(row.photo.id, step, self.run_id)
        row.step_id = rec.id
        t0 = time.perf_counter()
        try:
            detail = with_retry(lambda: getattr(self, f"_step_{step}")(row) or {}, self.retry, cancel=self.cancel,
                                reset=lambda: reset_lane(row.lane),
                                on_retry=announce(self.bus, self.retry, row.photo.id, row.photo.file_name, step))
        except Exception as exc:
            error = redact(f"{exc}" if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}")
            repo.step_finished(rec.id, False, error=error)
            self.bus.emit(PublishStepDone(photo_id=row.photo.id, file_name=row.photo.file_name or "", step=step,
                                          ok=False, error=error, level=logging.ERROR))
            raise
        ms = (time.perf_counter() - t0) * 1000
        detail["ms"] = round(ms, 1)
        repo.step_finished(rec.id, True, detail=detail)
        log.info("id=%d file=%s step=%s ok %.0f ms", row.photo.id, row.photo.file_name, step, ms)
        self.bus.emit(PublishStepDone(photo_id=row.photo.id, file_name=row.photo.file_name or "", step=step, ok=True))

    def _run_uploads(self, row: _Row, steps: list[str]) -> tuple[str, Exception] | None:
        """Both upload steps of a row as one batch (:meth:`BaseTarget.put_many`: over SFTP every request of both
        files in flight at once), each still its own recorded step with its own outcome, retry and event.

        A transient fault retries the files not yet in place; a file-specific error (someone else's file at the
        destination) fails that step only, after the other file finished. Returns the first failed step (in
        :data:`STEPS` order) and its error, or None."""
        recs = {step: repo.step_started(row.photo.id, step, self.run_id) for step in steps}
        t0 = time.perf_counter()
        files = {step: (self._rendered(row, step[len("upload_"):]),
                        row.paths.web if step == "upload_web" else row.paths.thumb) for step in steps}
        owned = {step: self.owns_remote(row.photo, step, recs[step].id) for step in steps}
        errors: dict[str, Exception] = {}
        placed: dict[str, float] = {}

        def attempt() -> None:
            todo = [s for s in steps if s not in placed and s not in errors]
            outcomes = row.lane.target.put_many([(files[s][1], files[s][0], owned[s]) for s in todo])
            retry_me = None
            for step, err in zip(todo, outcomes):
                if err is None:
                    placed[step] = time.perf_counter()
                elif isinstance(err, UploadVerifyFailed):
                    retry_me = retry_me or err
                else:
                    errors[step] = err
            if retry_me is not None:
                raise retry_me

        try:
            with_retry(attempt, self.retry, cancel=self.cancel, reset=lambda: reset_lane(row.lane),
                       on_retry=announce(self.bus, self.retry, row.photo.id, row.photo.file_name, steps[0]))
        except Exception as exc:  # the link never came back: every file not in place fails with it
            for step in steps:
                if step not in placed:
                    errors.setdefault(step, exc)
        if steps[0] in errors:  # as one file at a time would: nothing of a row whose first file failed stays new
            for step in steps[1:]:
                if step in placed and not owned[step]:
                    try:
                        row.lane.target.remove(files[step][1])  # the rename refused an existing file: ours, new
                        del placed[step]
                        errors[step] = PublishError(f"withdrawn: {steps[0]} failed", fix="see that step's error")
                    except Exception as exc:  # noqa: BLE001 - it stays, recorded as done, and the rerun keeps it
                        log.warning("id=%d could not withdraw %s: %s", row.photo.id, files[step][1], redact(str(exc)))
        first: tuple[str, Exception] | None = None
        for step in steps:
            rec = recs[step]
            if step in placed:
                ms = (placed[step] - t0) * 1000
                repo.step_finished(rec.id, True, detail={"path": files[step][1], "bytes": len(files[step][0]),
                                                         "ms": round(ms, 1), "batched": len(steps)})
                log.info("id=%d file=%s step=%s ok %.0f ms", row.photo.id, row.photo.file_name, step, ms)
                self.bus.emit(PublishStepDone(photo_id=row.photo.id, file_name=row.photo.file_name or "",
                                              step=step, ok=True))
                continue
            exc = errors[step]
            error = redact(f"{exc}" if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}")
            repo.step_finished(rec.id, False, error=error)
            self.bus.emit(PublishStepDone(photo_id=row.photo.id, file_name=row.photo.file_name or "", step=step,
                                          ok=False, error=error, level=logging.ERROR))
            first = first or (step, exc)
        return first
