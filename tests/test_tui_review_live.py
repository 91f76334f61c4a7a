"""The review queue is live: rows the pipeline, Generate or publish move appear and change in place by themselves,
a burst of events costs one refresh, and the cursor, the selection and an edit in progress are left alone."""

from __future__ import annotations

import threading

from textual.widgets import Input, Static

from amirtui.core.db import repo
from amirtui.core.db.models import Photo
from amirtui.core.events import RowChanged
from amirtui.core.stage import Stage, StageContext
from amirtui.core.states import State
from amirtui.tui.app import make_app
from amirtui.tui.screens.review import ReviewScreen
from amirtui.tui.widgets.editor import EditorPanel
from amirtui.tui.widgets.review_table import ReviewTable
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import settle, wait_for


class PrefillStage(Stage):
    """A real stage for the runner: writes a caption and moves a scored row into the queue, one row per release."""

    name = "captioning"
    input_state = State.SCORED
    concurrency = 1

    def __init__(self, release: threading.Semaphore) -> None:
        self.release = release

    def process(self, photo_id: int, ctx: StageContext) -> None:
        self.release.acquire(timeout=10)
        repo.transition(photo_id, State.PREFILLED, bus=ctx.bus, caption=f"caption {photo_id}",
                        alt_text=f"alt {photo_id}", gate_status="pass", text_source="ai", ai_caption=f"caption {photo_id}")


def scored_rows(n: int) -> list[int]:
    """Rows walked to SCORED (waiting for captions), with reserved names."""
    s = make_set(subject="Kestrel")
    ids = []
    for i in range(1, n + 1):
        p = Photo.create(set=s, seq=i, original_path=f"/x/{i}.jpg", original_name=f"IMG_{i}.jpg")
        for st in (State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED):
            fields = {"file_name": f"Kestrel_Oslo_Birds_{i:03d}.JPG"} if st == State.QUEUED else {}
            if st == State.QUEUED:
                repo.reserve_name(fields["file_name"], p.id)
            repo.transition(p.id, st, **fields)
        ids.append(p.id)
    return ids


def filter_line(app) -> str:
    return str(app.screen.query_one("#filter-line", Static).render())


async def test_rows_arrive_on_review_while_the_pipeline_runs(settings, db):
    first = make_photo(make_set(), 1)  # already in the queue: the operator works on it meanwhile
    waiting = scored_rows(3)
    release = threading.Semaphore(0)
    app = make_app(settings, preview="off", stages=lambda: [PrefillStage(release)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        table = screen.query_one(ReviewTable)
        assert table.row_count == 1 and "of 1" in filter_line(app)
        # the operator starts typing a caption for row 1
        await pilot.press("e")
        caption = screen.query_one("#edit-caption")
        caption.focus()
        await pilot.press(*" more words")
        typed = screen.query_one(EditorPanel).values()["caption"]
        app.start_pipeline()
        await wait_for(pilot, lambda: app.pipeline_running)
        for n, pid in enumerate(waiting, start=2):
            release.release()  # one caption comes back
            await wait_for(pilot, lambda n=n: table.row_count == n, timeout=10)  # …and its row appears by itself
            assert str(pid) in table.rows
            assert f"of {n}" in filter_line(app)
        await wait_for(pilot, lambda: not app.pipeline_running, timeout=10)
        assert str(table.get_cell(str(waiting[-1]), "state")) == "prefilled"
        # nothing moved under the operator: same row highlighted, the edit untouched, focus still in the editor
        assert table.current_id == first
        assert screen.query_one(EditorPanel).values()["caption"] == typed
        assert screen.focused is caption


async def test_a_burst_of_changes_costs_one_refresh_and_keeps_the_cursor(settings, db):
    s = make_set()
    ids = [make_photo(s, n) for n in range(1, 201)]
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one(ReviewTable)
        await pilot.press("j", "j", "j")
        here = table.current_id
        before = screen.live_refreshes
        # elsewhere (another worker, say bulk approve from the CLI) 200 rows are approved in one burst
        for pid in ids:
            repo.transition(pid, State.APPROVED, reason="burst")
            app.bus.emit(RowChanged(photo_id=pid, from_state="prefilled", to_state="approved"))
        await wait_for(pilot, lambda: str(table.get_cell(str(ids[-1]), "state")) == "approved", timeout=10)
        await settle(app, pilot)
        assert screen.live_refreshes == before + 1
        assert all(str(table.get_cell(str(i), "state")) == "approved" for i in ids)
        assert table.current_id == here
        assert "approved" in str(screen.query_one("#quality", Static).render())  # the detail pane agrees


async def test_returning_to_review_shows_rows_published_meanwhile(settings, db):
    s = make_set()
    ids = [make_photo(s, n) for n in range(1, 4)]
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ReviewTable)
        await pilot.press("f7")  # away on another screen while rows move
        await settle(app, pilot)
        repo.transition(ids[0], State.APPROVED)
        repo.transition(ids[0], State.PUBLISHING)
        repo.transition(ids[0], State.PUBLISHED)
        await pilot.press("f2")
        await wait_for(pilot, lambda: str(table.get_cell(str(ids[0]), "state")) == "published", timeout=10)
        assert "published" in str(app.screen.query_one("#quality", Static).render())
        assert isinstance(app.screen.query_one("#search"), Input)
