"""The runner: every stage is a worker over the DB, all running at once.

Each stage has its own thread pool (its ``concurrency``). One scheduler thread hands each stage the ids of rows in
its input state, as soon as a slot is free; when a row finishes a stage it moves to the next stage's input state and
the scheduler is woken, so a photo can be captioned while the next is scored and the one after is staged.

Resume = start the runner again: it works from the DB state, whatever run left it there. A row a stage has already
tried in this run is not handed to it again (a failing row can never make a stage loop).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from . import memory
from .db import repo
from .db.models import Photo, database
from .events import EventBus, RunFinished, RunStarted, StageProgressed
from .fsnames import display_name
from .logs import log_crash
from .stage import Stage, StageContext
from .states import PIPELINE_ORDER, State


def default_stages(settings) -> list[Stage]:
    """The standard stage list, in pipeline order. Heavy modules are imported here, not at start-up."""
    from .captioning.stage import CaptionStage
    from .ingest_stages import ExifStage, QueueStage, StagingStage
    from .model_image_stage import ModelImageStage
    from .quality.stage import ScoringStage

    return [StagingStage(), ExifStage(), QueueStage(), ModelImageStage(), ScoringStage(), CaptionStage()]


@dataclass
class StageStats:
    """Live counters of one stage in this run."""

    done: int = 0
    failed: int = 0
    skipped: int = 0  # moved on without the stage's work (the stage reported a ``skip_reason``); also in ``done``
    started_at: float | None = None
    busy_seconds: float = 0.0
    seen: set[int] = field(default_factory=set)
    in_flight: set[int] = field(default_factory=set)


@dataclass
class RunResult:
    """How a pipeline run ended, with per-stage counts and times.

    ``outcome``: ``ok`` only when every row the run was given got through every stage (to review, for the full
    pipeline); ``partial`` otherwise, with ``reasons`` counting rows per reason (see :data:`REASONS`) and
    ``not_started`` naming each stage that could not start and why; ``cancelled``; ``failed`` (the runner crashed).
    """

    run_id: int
    outcome: str
    stats: dict[str, StageStats]
    wall_seconds: float
    reasons: dict[str, int] = field(default_factory=dict)
    not_started: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    """Rows the run was given (waiting in a stage's input state at the start, or arriving during the run)."""

    def headline(self) -> str:
        """``ok: 12 row(s) through`` / ``partial: 3 of 12 row(s) not through — 2 row failed, 1 quarantined``."""
        return outcome_text(self.outcome, self.rows, self.reasons, self.not_started)


#: Why a row the run was given did not get through, in the words the summary uses.
REASONS = {
    "stage_not_started": "stage could not start",
    "row_failed": "row failed",
    "quarantined": "quarantined",
    "skipped_captioning": "skipped captioning",
}


def outcome_text(outcome: str, rows: int, reasons: dict[str, int], not_started: dict[str, str]) -> str:
    """``ok: 12 row(s) through`` / ``partial: 3 of 12 row(s) not through — row failed: 2; quarantined: 1``."""
    return f"{outcome}: {_outcome_detail(outcome, rows, reasons, not_started)}"


def _outcome_detail(outcome: str, rows: int, reasons: dict[str, int], not_started: dict[str, str]) -> str:
    if outcome == "ok":
        return f"{rows} row(s) through"
    parts = [f"{REASONS.get(k, k)}: {n}" for k, n in reasons.items() if n]
    if not_started:
        stages = "; ".join(f"{name}: {why}" for name, why in not_started.items())
        if reasons.get("stage_not_started"):
            parts[list(k for k, n in reasons.items() if n).index("stage_not_started")] += f" ({stages})"
        else:
            parts.append(f"stage could not start ({stages})")
    head = f"{sum(reasons.values())} of {rows} row(s) not through" if rows else "no rows"
    return head + (" — " + "; ".join(parts) if parts else "")


class Pipeline:
    """Run the stages concurrently until no stage has work left (or cancel is set)."""

    def __init__(self, settings, bus: EventBus, stages: list[Stage] | None = None, *, poll: float = 0.25) -> None:
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = settings.ingest.max_image_pixels  # one decompression-bomb limit for every stage
        memory.tune(getattr(getattr(settings, "quality", None), "device", "auto"))  # before any stage imports torch
        self.settings = settings
        self.bus = bus
        self.stages = stages if stages is not None else default_stages(settings)
        self.cancel = threading.Event()
        self.poll = poll
        self._wake = threading.Event()
        self._lock = threading.Lock()
        # One progress line at a time, counted and emitted together: two rows finishing at once must not deliver an
        # older count last (the board once ended a run at '5 / 6').
        self._progress_lock = threading.RLock()
        self.stats: dict[str, StageStats] = {s.name: StageStats() for s in self.stages}
        self._pending_setup: dict = {}
        self.run_id: int | None = None
        self.not_started: dict[str, str] = {}
        """Stages whose setup failed in this run: name → the error (their rows stay where they are)."""

    # ---------------------------------------------------------------- public
    def run(self) -> RunResult:
        """Run to completion in the calling thread (the TUI calls this from a thread worker)."""
        run = repo.start_run("pipeline")
        self.run_id = run.id
        ctx = StageContext(settings=self.settings, bus=self.bus, run_id=run.id, cancel=self.cancel)
        self.bus.emit(RunStarted(run_id=run.id, kind="pipeline"))
        t0 = time.perf_counter()
        pools: dict[str, ThreadPoolExecutor] = {}
        outcome = "ok"
        ready: list[Stage] = []
        inputs = [s.input_state.value for s in self.stages]
        given = {r.id for r in Photo.select(Photo.id).where(Photo.state.in_(inputs))}
        reasons: dict[str, int] = {}
        try:
            # Set stages up in parallel: loading pyiqa (~5 s) or warming a model must not hold back staging.
            with ThreadPoolExecutor(max_workers=len(self.stages) or 1, thread_name_prefix="amirtui-setup") as setup_pool:
                setups = [(stage, setup_pool.submit(stage.setup, ctx)) for stage in self.stages]
                for stage, fut in setups:
                    fut.add_done_callback(lambda _f: self._wake.set())
                self._pending_setup = dict(setups)
                self._schedule(ready, pools, ctx)
            if self.cancel.is_set():
                outcome = "cancelled"
            else:
                given |= set().union(*(st.seen for st in self.stats.values()))
                reasons = self._reasons(given)
                if any(reasons.values()) or self.not_started:
                    outcome = "partial"
        except BaseException as exc:
            outcome = "failed"
            log_crash("pipeline crashed", exc)
            raise
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True)
            for stage in ready:
                try:
                    stage.teardown(ctx)
                except Exception as exc:
                    log_crash("stage teardown failed", exc, context=stage.name)
            wall = time.perf_counter() - t0
            stages = ", ".join(f"{n}: {s.done - s.skipped} done/{s.failed} failed" + (
                f"/{s.skipped} skipped" if s.skipped else "") for n, s in self.stats.items())
            summary = f"{_outcome_detail(outcome, len(given), reasons, self.not_started)} ({stages})"
            repo.finish_run(run.id, outcome, detail=summary)
            self.bus.emit(RunFinished(run_id=run.id, kind="pipeline", outcome=outcome, summary=summary,
                                      level=logging.INFO if outcome in ("ok", "cancelled") else logging.WARNING))
        return RunResult(run_id=run.id, outcome=outcome, stats=self.stats, wall_seconds=wall, reasons=reasons,
                         not_started=dict(self.not_started), rows=len(given))

    def _reasons(self, given: set[int]) -> dict[str, int]:
        """Count the rows of ``given`` that did not get through, per reason (see :data:`REASONS`)."""
        from .captioning.stage import NO_AI_TEXT

        by_input = {s.input_state.value: s for s in self.stages}
        counts = dict.fromkeys(REASONS, 0)
        ids = sorted(given)
        for i in range(0, len(ids), 500):  # stay below SQLite's bound-variable limit
            rows = Photo.select(Photo.id, Photo.state, Photo.gate_reasons).where(Photo.id.in_(ids[i:i + 500]))
            for row in rows:
                stage = by_input.get(row.state)
                if stage is not None:  # still waiting for a stage of this pipeline
                    counts["stage_not_started" if stage.name in self.not_started else "row_failed"] += 1
                elif row.state in (State.FAILED.value, State.SOURCE_MISSING.value):
                    counts["row_failed"] += 1
                elif row.state == State.QUARANTINED.value:
                    counts["quarantined"] += 1
                elif row.state == State.NEEDS_WORK.value and any(
                        isinstance(r, (list, tuple)) and r and r[0] == NO_AI_TEXT for r in (row.gate_reasons or [])):
                    counts["skipped_captioning"] += 1
        return {k: n for k, n in counts.items() if n}

    # ---------------------------------------------------------------- scheduling
    def _candidates(self, stage: Stage, ctx: StageContext, limit: int) -> list[int]:
        st = self.stats[stage.name]
        # One read transaction: the candidate list and every order_ok() check see the same snapshot. Without it a
        # row that moved between the two queries could be named before an earlier row of its set.
        with database.atomic():
            return self._candidates_in_snapshot(stage, ctx, limit, st)

    def _candidates_in_snapshot(self, stage: Stage, ctx: StageContext, limit: int, st: StageStats) -> list[int]:
        q = (Photo.select(Photo.id).where(Photo.state == stage.input_state.value)
             .order_by(Photo.set, Photo.seq, Photo.id).limit(limit + len(st.seen) + len(st.in_flight)))
        out = []
        for row in q:
            if row.id in st.seen or row.id in st.in_flight:
                continue
            if not stage.order_ok(row.id, ctx):
                break  # rows are in set order: later ones must wait too
            out.append(row.id)
            if len(out) >= limit:
                break
        return out

    def _admit_ready_stages(self, stages: list[Stage], pools: dict[str, ThreadPoolExecutor]) -> None:
        """Move stages whose setup finished into the running list (in pipeline order); report failed setups."""
        for stage, fut in list(self._pending_setup.items()):
            if not fut.done():
                continue
            del self._pending_setup[stage]
            exc = fut.exception()
            if exc is not None:  # a stage that cannot start (e.g. no metric loads) is reported; the others go on
                log_crash("stage setup failed", exc, context=stage.name)
                self.not_started[stage.name] = f"{type(exc).__name__}: {exc}"
                self.bus.error(f"stage {stage.name} could not start: {exc} — its rows stay where they are; "
                               "`amirtui preflight` shows the fix", source="pipeline")
                continue
            pools[stage.name] = ThreadPoolExecutor(max_workers=max(1, stage.concurrency),
                                                   thread_name_prefix=f"amirtui-{stage.name}")
            stages.append(stage)
            stages.sort(key=self.stages.index)

    def _schedule(self, stages: list[Stage], pools: dict[str, ThreadPoolExecutor], ctx: StageContext) -> None:
        while True:
            if self.cancel.is_set():
                break
            self._wake.clear()
            self._admit_ready_stages(stages, pools)
            submitted = False
            for stage in stages:
                st = self.stats[stage.name]
                size = max(1, stage.batch_size)
                free = (max(1, stage.concurrency) * 2) * size - len(st.in_flight)  # keep the pool fed one deep
                if free <= 0:
                    continue
                picked = self._candidates(stage, ctx, free)
                for i in range(0, len(picked), size):
                    batch = picked[i:i + size]
                    with self._lock:
                        st.in_flight.update(batch)
                        st.started_at = st.started_at or time.perf_counter()
                    fut = pools[stage.name].submit(self._run_batch, stage, batch, ctx)
                    fut.add_done_callback(lambda f, s=stage, b=batch: self._finished_batch(f, s, b))
                    submitted = True
                if picked:
                    self._progress(stage)  # the board shows rows in flight before the first one finishes
            if not submitted and not self._pending_setup and not any(self.stats[s.name].in_flight for s in stages):
                if not any(self._candidates(s, ctx, 1) for s in stages):
                    break  # nothing in flight, nothing to pick: done
            self._wake.wait(self.poll)
        for stage in stages:  # cancelled: let in-flight rows finish their current stage cleanly
            while self.stats[stage.name].in_flight:
                self._wake.wait(0.05)
                self._wake.clear()

    def _run_batch(self, stage: Stage, batch: list[int], ctx: StageContext) -> float:
        t = time.perf_counter()
        if ctx.cancel.is_set():
            return 0.0
        if len(batch) == 1:
            stage.process(batch[0], ctx)
        else:
            stage.process_batch(batch, ctx)
        return time.perf_counter() - t

    def _finished_batch(self, fut: Future, stage: Stage, batch: list[int]) -> None:
        exc = fut.exception()
        if exc is None:
            with self._lock:
                self.stats[stage.name].busy_seconds += fut.result()
        for photo_id in batch:
            self._finished(exc, stage, photo_id)

    def _finished(self, exc: BaseException | None, stage: Stage, photo_id: int) -> None:
        st = self.stats[stage.name]
        with self._lock:
            st.in_flight.discard(photo_id)
            st.seen.add(photo_id)
        if exc is not None:
            log_crash("stage failed on a row", exc, context=f"stage {stage.name}, photo {photo_id}")
            error = display_name(f"{type(exc).__name__}: {exc}")
            try:
                repo.record_failure(photo_id, stage.name, error)
            except Exception as inner:  # the DB itself failing must not kill the callback thread silently
                log_crash("could not record a failure", inner)
            self.bus.error(f"id={photo_id} {stage.name} failed: {display_name(str(exc))}", source=stage.name)
        if stage.max_failures and not self.cancel.is_set():
            self._park_if_stuck(stage, photo_id)
        state = Photo.select(Photo.state).where(Photo.id == photo_id).scalar()
        with self._progress_lock:
            with self._lock:
                if exc is None and state != stage.input_state.value and state != State.FAILED.value:
                    st.done += 1
                    if getattr(stage, "skip_reason", None):
                        st.skipped += 1
                elif not self.cancel.is_set() or state == State.FAILED.value:
                    st.failed += 1
            self._progress(stage)
        self._wake.set()

    def _park_if_stuck(self, stage: Stage, photo_id: int) -> None:
        """A row still in the stage's input state after ``max_failures`` failures of this stage (across runs) is
        parked in ``failed`` with its last error, so no run retries it forever and the operator sees why."""
        try:
            row = Photo.select(Photo.state, Photo.attempts, Photo.error_stage, Photo.last_error).where(
                Photo.id == photo_id).get()
            if (row.state == stage.input_state.value and row.error_stage == stage.name
                    and row.attempts >= (stage.max_failures or 0)):
                repo.park_failed(photo_id, stage.name, f"{row.last_error} ({row.attempts} failures)",
                                 run_id=self.run_id, bus=self.bus)
        except Exception as exc:  # noqa: BLE001 - e.g. another actor moved the row meanwhile
            log_crash("could not park a failing row", exc)

    def _progress(self, stage: Stage) -> None:
        st = self.stats[stage.name]
        order = [s.value for s in PIPELINE_ORDER]
        idx = order.index(stage.input_state.value) if stage.input_state.value in order else len(order)
        with self._progress_lock:
            self._emit_progress(stage, st, order, idx)

    def _emit_progress(self, stage: Stage, st: StageStats, order: list[str], idx: int) -> None:
        waiting = Photo.select().where(Photo.state.in_(order[: idx + 1])).count()
        elapsed = time.perf_counter() - (st.started_at or time.perf_counter())
        self.bus.emit(StageProgressed(stage=stage.name, done=st.done, total=st.done + st.failed + waiting,
                                      failed=st.failed, skipped=st.skipped,
                                      rate=(st.done / elapsed) if elapsed > 0 else 0.0, in_flight=len(st.in_flight)))


def pending_counts() -> dict[str, int]:
    """Rows per pipeline input state (for the run screen and `recover --status`)."""
    return {s.value: Photo.select().where(Photo.state == s.value).count() for s in PIPELINE_ORDER}


__all__ = ["Pipeline", "RunResult", "StageStats", "default_stages", "pending_counts", "State"]
