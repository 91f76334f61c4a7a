"""RunScreen: the stage board, the Ollama runtime line and the live log while the pipeline runs.

The pipeline itself runs in a worker owned by the App (see :meth:`AmirApp.start_pipeline`), so it keeps going when
the operator switches to the review screen; this screen only renders what the App has collected from the events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from ...core.events import Event, LogLine, RunFinished, RunStarted, StageProgressed
from ..bindings import bind
from ..text import literal
from ..widgets.chrome import KeyHints, StatusHeader
from ..widgets.log_pane import LogPane
from ..widgets.stage_board import StageBoard
from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ..app import AmirApp


class RunScreen(Screen):
    """Live view of a pipeline run."""

    TITLE = "Run"
    BINDINGS = [
        bind("r", "start", "Start/resume", "run.start", "Run every stage over the rows waiting for it"),
        bind("c", "cancel", "Cancel", "run.cancel", "Stop after the rows in flight (the run stays resumable)"),
        bind("l", "cycle_level", "Log level", "run.level", "Show DEBUG / INFO / WARNING / ERROR and above"),
    ]

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("", id="runtime-line")
        yield Static("", id="run-status")
        yield StageBoard(id="stage-board")
        yield LogPane(self.amir.settings.ui.log_lines, id="log-pane")
        yield KeyHints()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.rebuild()

    def on_screen_resume(self) -> None:
        self.rebuild()

    def _tick(self) -> None:
        # query, not query_one: a timer can fire once more while the screen's widgets are being removed
        for board in self.query(StageBoard):
            board.tick()

    def rebuild(self) -> None:
        """Render everything the App collected (events that arrived while another screen was shown)."""
        board = self.query_one(StageBoard)
        board.reset()
        for p in self.amir.progress.values():
            board.update_stage(p)
        outcome = getattr(self.amir.last_run, "outcome", "")
        if not self.amir.pipeline_running and outcome and outcome != "ok":
            board.stop(outcome)
        pane = self.query_one(LogPane)
        pane.clear()
        pane.lines_kept.clear()
        pane.extend(self.amir.log_history)
        self._status()

    def _status(self) -> None:
        a = self.amir
        self.query_one("#runtime-line", Static).update(literal(a.runtime_line or "Ollama runtime: (not reported yet)"))
        status = a.run_status
        if status == "no run yet":
            status = "No run yet: r runs every stage over the rows waiting (F5 imports photo sets first)."
        self.query_one("#run-status", Static).update(literal(status))
        self.refresh_bindings()

    def on_core_event(self, event: Event) -> None:
        """One event from the core (already recorded by the App)."""
        boards, panes = self.query(StageBoard), self.query(LogPane)
        if not boards or not panes:  # not composed yet: rebuild() shows the App's history when the screen resumes
            return
        board = boards.first()
        if isinstance(event, StageProgressed):
            board.update_stage(event)
        else:
            if isinstance(event, RunStarted) and event.kind == "pipeline":
                board.reset()  # a new run starts from an empty board
            elif isinstance(event, RunFinished) and event.kind == "pipeline" and event.outcome != "ok":
                board.stop(event.outcome)
            panes.first().add(event.level, event.text())
        if isinstance(event, (RunStarted, RunFinished, LogLine)):
            self._status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Start only when idle, cancel only while running."""
        running = self.amir.pipeline_running
        if action == "start":
            return None if running else True
        if action == "cancel":
            return True if running else None
        return True

    def action_start(self) -> None:
        """Start (or resume) the pipeline."""
        self.amir.start_pipeline()
        self._status()

    def action_cancel(self) -> None:
        """Ask, then cancel the run."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.amir.cancel_pipeline()
                self._status()

        self.app.push_screen(ConfirmScreen("Cancel the run? Rows in flight finish first; start again to resume.",
                                           title="Cancel run", yes="Cancel run", no="Keep running"), answered)

    def action_cycle_level(self) -> None:
        """Next log level filter."""
        name = self.query_one(LogPane).cycle_level()
        self.notify(f"log shows {name} and above", timeout=2, markup=False)
