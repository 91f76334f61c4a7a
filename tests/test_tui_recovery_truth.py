"""The recovery screen tells the truth: only what a crash interrupted is "in flight", and roll back reports what it
did in counts (or that there was nothing to do)."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from amirtui.core import recovery
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, Run, StateChange
from amirtui.core.states import State
from amirtui.tui.app import make_app
from amirtui.tui.screens.recovery import RecoveryScreen
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import settle


def crashed_run() -> Run:
    run = repo.start_run("pipeline")
    Run.update(pid=2**22 + 4321).where(Run.id == run.id).execute()  # a pid that no longer exists
    return run


def walked_to(pset, n: int, last: State, run: Run | None = None) -> int:
    """A row walked through the pipeline states up to ``last`` (moved by ``run`` when given)."""
    p = Photo.create(set=pset, seq=n, original_path=f"/x/{n}.jpg", original_name=f"IMG_{n}.jpg")
    for st in (State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED):
        fields = {"file_name": f"Heron_Lake_Birds_{n:03d}.JPG"} if st == State.QUEUED else {}
        if st == State.QUEUED:
            repo.reserve_name(fields["file_name"], p.id)
        repo.transition(p.id, st, run_id=run.id if run else None, **fields)
        if st == last:
            break
    return p.id


def test_only_rows_a_crash_interrupted_are_in_flight(settings, db):
    s = make_set()
    finished = [make_photo(s, n) for n in range(1, 4)]  # reviewed work of an earlier, finished run
    waiting = walked_to(s, 10, State.QUEUED)  # an ordinary queue: no crash touched it
    run = crashed_run()
    hit = [walked_to(s, n, State.MODEL_READY, run) for n in (20, 21)]
    reached_review = make_photo(s, 30)
    StateChange.create(photo=reached_review, from_state="scored", to_state="prefilled", run=run.id, reason="t")
    report = recovery.detect(settings)
    assert report.by_state == {"model_ready": 2}
    assert finished and waiting and hit


async def test_roll_back_reports_counts_and_nothing_to_do(settings, db):
    s = make_set()
    run = crashed_run()
    ids = [walked_to(s, n, State.SCORED, run) for n in (1, 2, 3)]
    app = make_app(settings, preview="off", check_recovery=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RecoveryScreen)
        table = screen.query_one(DataTable)
        rows = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert rows["rows scored"] == "3"
        assert "1 unfinished run." in str(screen.query_one("#recovery-head", Static).render())
        await pilot.press("b", "y")
        await settle(app, pilot)
        head = str(screen.query_one("#recovery-head", Static).render())
        assert "3 rows rolled back" in head
        assert all(Photo.get_by_id(i).state == "rolled_back" for i in ids)
    # a second roll back finds nothing: it says so
    report = recovery.rollback(settings)
    from amirtui.tui.screens.recovery import outcome_line

    assert outcome_line(report, "rollback").startswith("nothing to do")
