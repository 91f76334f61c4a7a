"""Run screen: the real Pipeline runner driven from the keyboard, its events on the stage board and in the log."""

from __future__ import annotations

import threading

import pytest

from amirtui.core.db import repo
from amirtui.core.db.models import Photo
from amirtui.core.stage import Stage, StageContext
from amirtui.core.states import State
from amirtui.tui.app import make_app
from amirtui.tui.screens.review import ReviewScreen
from amirtui.tui.screens.run import RunScreen
from amirtui.tui.widgets.log_pane import LogPane
from amirtui.tui.widgets.stage_board import StageBoard
from tests.test_review_core import make_set
from tests.test_tui_review import settle, wait_for


class HeldStage(Stage):
    """A real stage (the runner's contract): moves imported rows to staged, waiting on ``gate`` first."""

    name = "staging"
    input_state = State.IMPORTED
    concurrency = 2

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def process(self, photo_id: int, ctx: StageContext) -> None:
        self.gate.wait(10)
        repo.transition(photo_id, State.STAGED, bus=ctx.bus)
        ctx.bus.info(f"staged id={photo_id}", source="staging")


@pytest.fixture
def imported(db):
    s = make_set()
    return [Photo.create(set=s, seq=i, original_path=f"/x/{i}.jpg", original_name=f"{i}.jpg").id for i in range(5)]


async def test_run_keeps_going_across_screens_and_reports_on_the_board(settings, imported):
    gate = threading.Event()
    app = make_app(settings, preview="off", stages=lambda: [HeldStage(gate)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, RunScreen)
        assert app.screen.check_action("cancel", ()) is None  # nothing to cancel yet
        await pilot.press("r")
        await wait_for(pilot, lambda: app.pipeline_running)
        board = app.screen.query_one(StageBoard)
        # before the first row finishes, the board says what is in flight and for how long (no ETA yet)
        await wait_for(pilot, lambda: "staging" in board.rows and "in flight" in str(board.get_cell("staging", "eta")))
        await wait_for(pilot, lambda: str(board.get_cell("staging", "eta")).startswith("4 in flight 1s"), timeout=5)
        await pilot.press("f2")  # the operator goes reviewing; the run must not stop
        assert isinstance(app.screen, ReviewScreen) and app.pipeline_running
        gate.set()
        await wait_for(pilot, lambda: not app.pipeline_running, timeout=15)
        await pilot.pause()
        assert all(Photo.get_by_id(i).state == "staged" for i in imported)
        await pilot.press("f3")
        await pilot.pause()
        board = app.screen.query_one(StageBoard)
        assert str(board.get_cell("staging", "done")) == "5 / 5"
        assert str(board.get_cell("staging", "eta")) == "done"
        texts = app.screen.query_one(LogPane).visible_texts
        assert any("staging: staged id=" in t for t in texts)
        assert any("(pipeline) finished: ok" in t for t in texts)
        assert "finished: ok" in str(app.screen.query_one("#run-status").render())


async def test_cancel_asks_then_stops_resumably(settings, imported):
    gate = threading.Event()
    app = make_app(settings, preview="off", stages=lambda: [HeldStage(gate)])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3", "r")
        await wait_for(pilot, lambda: app.pipeline_running)
        await pilot.press("c")
        await pilot.press("y")
        gate.set()  # rows in flight finish; nothing new starts
        await wait_for(pilot, lambda: not app.pipeline_running, timeout=15)
        await pilot.pause()
        assert "cancelled" in app.run_status
        states = [Photo.get_by_id(i).state for i in imported]
        assert "imported" in states  # left for the next run
        board = app.screen.query_one(StageBoard)
        assert str(board.get_cell("staging", "eta")) == "cancelled"  # no ETA for work that is not coming
        app.screen.query_one(LogPane).cycle_level()  # WARNING and above: info lines hidden
        assert not any("staged id=" in t for t in app.screen.query_one(LogPane).visible_texts)
        gate.clear()
        await pilot.press("r")  # resume finishes the rest
        await wait_for(pilot, lambda: "staging" in board.rows and str(board.get_cell("staging", "done")).startswith("0 /"))
        assert "cancelled" not in str(board.get_cell("staging", "eta"))  # a new run starts from a fresh board
        gate.set()
        await wait_for(pilot, lambda: all(Photo.get_by_id(i).state == "staged" for i in imported), timeout=15)


async def test_events_arriving_while_the_run_screen_is_torn_down_never_crash_the_app(settings, imported):
    """CI once saw the app crash at exit: the pipeline's last event reached the run screen while Textual was removing
    its widgets one by one (the log pane still there, the stage board gone). Both halves of that moment, made on
    purpose: a screen missing a widget, and an app that has begun to exit."""
    from amirtui.core.events import LogLine, RunFinished
    from amirtui.tui.messages import CoreEventReceived

    app = make_app(settings, preview="off", stages=lambda: [])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await screen.query_one(StageBoard).remove()  # half torn down: the board is gone, the log pane is not
        app.on_core_event_received(CoreEventReceived(RunFinished(run_id=7, kind="pipeline", outcome="cancelled")))
        app.on_core_event_received(CoreEventReceived(LogLine(message="late line", source="t")))
        await pilot.pause()
        assert "run 7 (pipeline) finished: cancelled" in app.run_status  # the app still recorded it
        assert getattr(app, "_crash_error", None) is None
        app.exit()
        # once exit is asked, events are recorded but no screen draws them
        before = list(screen.query_one(LogPane).lines_kept)
        app.on_core_event_received(CoreEventReceived(LogLine(message="after exit", source="t")))
        assert list(screen.query_one(LogPane).lines_kept) == before
        assert app.log_history[-1][1].endswith("after exit")
    assert getattr(app, "_crash_error", None) is None
