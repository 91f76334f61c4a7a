"""The runner: stages overlap, a failing row never loops, batches reach process_batch, cancel stops cleanly."""

from __future__ import annotations

import threading
import time

from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.events import StageProgressed
from amirtui.core.pipeline import Pipeline
from amirtui.core.stage import Stage
from amirtui.core.states import State


def rows(n: int, state: State = State.IMPORTED) -> list[int]:
    pset = PhotoSet.create(subject="S", location="L", folder="F")
    return [Photo.create(set=pset, seq=i, state=state.value, original_path=f"/x/{i}.jpg", original_name=f"{i}.jpg").id
            for i in range(n)]


class Step(Stage):
    """A stage that moves rows on after a short wait and records what it saw."""

    def __init__(self, name, src, dst, *, delay=0.02, fail=(), concurrency=2, batch_size=1):
        self.name, self.input_state, self.dst = name, src, dst
        self.delay, self.fail, self.concurrency, self.batch_size = delay, set(fail), concurrency, batch_size
        self.calls: list[int] = []
        self.batches: list[list[int]] = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def process(self, photo_id, ctx):
        with self.lock:
            self.calls.append(photo_id)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.delay)
            if photo_id in self.fail:
                raise RuntimeError(f"boom on {photo_id}")
            repo.transition(photo_id, self.dst, run_id=ctx.run_id)
        finally:
            with self.lock:
                self.active -= 1

    def process_batch(self, photo_ids, ctx):
        self.batches.append(list(photo_ids))
        for pid in photo_ids:
            self.process(pid, ctx)


def test_stages_overlap_and_every_row_reaches_the_end(db, settings, bus):
    ids = rows(12)
    a = Step("a", State.IMPORTED, State.STAGED)
    b = Step("b", State.STAGED, State.EXIF_READ)
    seen_b_while_a_busy = []

    def watch(event):
        if isinstance(event, StageProgressed) and event.stage == "b" and a.active:
            seen_b_while_a_busy.append(event)

    bus.subscribe(watch)
    result = Pipeline(settings, bus, stages=[a, b], poll=0.05).run()
    assert result.outcome == "ok"
    assert {p.state for p in Photo.select()} == {State.EXIF_READ.value}
    assert sorted(a.calls) == sorted(ids) == sorted(b.calls)
    assert seen_b_while_a_busy, "stage b only started after stage a had finished everything"
    assert a.max_active <= 2


def test_a_failing_row_is_tried_once_per_run_recorded_and_the_rest_go_on(db, settings, bus):
    ids = rows(5)
    bad = ids[2]
    a = Step("a", State.IMPORTED, State.STAGED, fail=[bad])
    result = Pipeline(settings, bus, stages=[a], poll=0.05).run()
    assert a.calls.count(bad) == 1
    assert result.stats["a"].done == 4 and result.stats["a"].failed == 1
    photo = Photo.get_by_id(bad)
    assert photo.state == State.IMPORTED.value and "boom" in photo.last_error and photo.attempts == 1
    # the next run (resume) tries it again
    a.fail.clear()
    Pipeline(settings, bus, stages=[a], poll=0.05).run()
    assert Photo.get_by_id(bad).state == State.STAGED.value


def test_batches_reach_process_batch_in_order(db, settings, bus):
    ids = rows(10, State.MODEL_READY)
    s = Step("score", State.MODEL_READY, State.SCORED, batch_size=4, concurrency=1, delay=0)
    Pipeline(settings, bus, stages=[s], poll=0.05).run()
    assert all(1 <= len(b) <= 4 for b in s.batches) and any(len(b) > 1 for b in s.batches)
    assert sorted(x for b in s.batches for x in b) == sorted(ids)
    assert {p.state for p in Photo.select()} == {State.SCORED.value}


def test_cancel_finishes_rows_in_flight_and_leaves_the_rest_resumable(db, settings, bus):
    rows(30)
    a = Step("a", State.IMPORTED, State.STAGED, delay=0.05, concurrency=2)
    pipeline = Pipeline(settings, bus, stages=[a], poll=0.05)

    def cancel_after_a_few(event):
        if isinstance(event, StageProgressed) and event.done >= 3:
            pipeline.cancel.set()

    bus.subscribe(cancel_after_a_few)
    result = pipeline.run()
    assert result.outcome == "cancelled"
    staged = Photo.select().where(Photo.state == State.STAGED.value).count()
    assert 3 <= staged < 30
    assert Photo.select().where(Photo.state == State.IMPORTED.value).count() == 30 - staged
    assert Pipeline(settings, bus, stages=[a], poll=0.05).run().outcome == "ok"
    assert Photo.select().where(Photo.state == State.STAGED.value).count() == 30


# ------------------------------------------------------------------------------------------------ how a run ended


class NoStart(Step):
    """A stage whose setup fails, as the scoring stage does when pyiqa cannot be imported."""

    def setup(self, ctx):
        raise ImportError("No module named 'pyiqa'")


def test_a_failing_row_makes_the_run_partial_with_the_reason_counted(db, settings, bus):
    ids = rows(5)
    result = Pipeline(settings, bus, stages=[Step("a", State.IMPORTED, State.STAGED, fail=[ids[1]])], poll=0.05).run()
    assert result.outcome == "partial" and result.rows == 5
    assert result.reasons == {"row_failed": 1}
    assert result.headline() == "partial: 1 of 5 row(s) not through — row failed: 1"


def test_a_stage_that_cannot_start_makes_the_run_partial_not_ok(db, settings, bus):
    rows(4)
    a = Step("a", State.IMPORTED, State.STAGED)
    b = NoStart("score", State.STAGED, State.SCORED)
    result = Pipeline(settings, bus, stages=[a, b], poll=0.05).run()
    assert result.outcome == "partial"
    assert result.reasons == {"stage_not_started": 4}
    assert "pyiqa" in result.not_started["score"]
    assert result.headline().startswith("partial: 4 of 4 row(s) not through — stage could not start: 4 (score: ")
    finished = [e for e in bus.seen if type(e).__name__ == "RunFinished"][-1]
    assert finished.outcome == "partial" and "stage could not start: 4 (score: ImportError" in finished.summary


def test_a_row_failing_the_same_stage_run_after_run_is_parked_as_failed_with_its_reason(db, settings, bus):
    ids = rows(3)
    bad = ids[0]
    a = Step("a", State.IMPORTED, State.STAGED, fail=[bad])
    a.max_failures = 3
    for run in range(3):
        result = Pipeline(settings, bus, stages=[a], poll=0.05).run()
        assert result.outcome == "partial" and result.reasons == {"row_failed": 1}
    photo = Photo.get_by_id(bad)
    assert photo.state == State.FAILED.value and "boom" in photo.last_error and photo.error_stage == "a"
    calls = a.calls.count(bad)
    assert Pipeline(settings, bus, stages=[a], poll=0.05).run().outcome == "ok"  # nothing left for it to do
    assert a.calls.count(bad) == calls == 3  # parked rows are never handed to a stage again


def test_progress_lines_carry_done_total_rate_and_eta(db, settings, bus):
    rows(6)
    Pipeline(settings, bus, stages=[Step("a", State.IMPORTED, State.STAGED, delay=0.05, concurrency=1)],
             poll=0.05).run()
    lines = [e.text() for e in bus.seen if isinstance(e, StageProgressed)]
    assert lines[-1].startswith("stage a: 6/6 done, 0 failed, ")
    assert any("/s, ETA 0:0" in line for line in lines[:-1]), lines  # rows left at a known rate: an ETA


def test_a_run_without_captioning_says_rows_skipped_captioning_not_done(db, settings, bus):
    from amirtui.core.captioning.stage import CaptionStage

    assert settings.ollama.enabled is False  # the test home's config: no Ollama
    rows(5, State.SCORED)
    result = Pipeline(settings, bus, stages=[CaptionStage(settings)], poll=0.05).run()
    assert {p.state for p in Photo.select()} == {State.NEEDS_WORK.value}  # in review, for manual text
    assert result.outcome == "partial" and result.reasons == {"skipped_captioning": 5}
    last = [e for e in bus.seen if isinstance(e, StageProgressed)][-1]
    assert last.text().startswith("stage caption: 0/5 done, 5 skipped, 0 failed")
