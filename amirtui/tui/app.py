"""The App and its factory. ``make_app(settings)`` is what the CLI and every test use.

The stylesheet is ``amirtui/styles.tcss`` (shipped inside the package, so an installed amirtui finds it); the
project-root ``styles.tcss`` is a copy kept identical by a test, for people who look for it at the root.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.worker import Worker, WorkerState

from ..config import Settings
from ..core.db import open_db
from ..core.db.models import database
from ..core.events import Event, EventBus, LogLine, RunFinished, RunStarted, StageProgressed
from .bindings import bind, binding_ids, validate_keymap
from .commands import ScreenActions
from .messages import CoreEventReceived
from .screens.dialogs import ConfirmScreen
from .screens.help import HelpScreen
from .screens.preflight import PreflightScreen
from .screens.review import ReviewScreen
from .screens.run import RunScreen
from .widgets.preview import prepare_renderer

log = logging.getLogger("amirtui.tui")
CSS_FILE = Path(__file__).resolve().parent.parent / "styles.tcss"
#: Every class whose BINDINGS the keymap may remap (add new screens here).
BINDING_OWNERS: list[type] = []


class AmirApp(App[None]):
    """amirtui's terminal UI: screens as modes, bindings with ids, the core's events forwarded as messages."""

    CSS_PATH = CSS_FILE
    TITLE = "amirtui"
    MODES = {"review": ReviewScreen, "run": RunScreen, "preflight": PreflightScreen}
    DEFAULT_MODE = "review"
    COMMANDS = App.COMMANDS | {ScreenActions}
    BINDINGS = [
        bind("f1,question_mark", "help", "Help", "app.help", "List every key of this screen"),
        bind("ctrl+q", "quit", "Quit", "app.quit", "Leave amirtui (work in progress is kept in the DB)",
             priority=True),
        bind("f2", "switch_mode('review')", "Review", "app.review", "Go to the review queue", show=False),
        bind("f4", "switch_mode('preflight')", "Preflight", "app.preflight", "Check everything a run needs",
             show=False),
        bind("f3", "switch_mode('run')", "Run", "app.run", "Go to the run: stage board and live log", show=False),
    ]

    def __init__(self, settings: Settings, bus: EventBus, preview_mode: str, keymap: dict[str, str],
                 stages: Callable[[], list] | None = None, start: str = "review") -> None:
        self.DEFAULT_MODE = start  # read by App.__init__: the first screen mounted is the start screen
        super().__init__()
        self.stage_factory = stages
        """Builds the stage list for a run; None = the standard stages (tests pass their own)."""
        self.settings = settings
        self.bus = bus
        self.preview_mode = preview_mode
        self._user_keymap = keymap
        self._unsubscribe = None
        self.animation_level = "full" if settings.ui.animations else "none"
        # What the run screen shows, collected here so nothing is lost while another screen is active.
        self.progress: dict[str, StageProgressed] = {}
        self.log_history: deque[tuple[int, str]] = deque(maxlen=settings.ui.log_lines)
        self.runtime_line = ""
        self.run_status = "no run yet — press r on the Run screen (F3) to start"
        self.pipeline: Any = None

    def on_mount(self) -> None:
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        # The bus calls listeners in the emitting thread; post_message is the one thread-safe door into the UI.
        self._unsubscribe = self.bus.subscribe(lambda e: self.post_message(CoreEventReceived(e)))

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors surface: a notification, never a silent failure or a crash."""
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            log.error("worker %s failed", event.worker.description, exc_info=err)
            self.notify(f"{event.worker.description or event.worker.name} failed: {err!r}", title="Unexpected error",
                        severity="error", timeout=10)

    def on_core_event_received(self, message: CoreEventReceived) -> None:
        """Record a core event for the run screen, then hand it to the active screen if it wants events."""
        event = message.event
        if isinstance(event, StageProgressed):
            self.progress[event.stage] = event
        else:
            self.log_history.append((event.level, event.text()))
            if isinstance(event, LogLine) and event.message.startswith("Ollama runtime:"):
                self.runtime_line = event.message
            elif isinstance(event, RunStarted):
                self.run_status = f"run {event.run_id} ({event.kind}) running…"
            elif isinstance(event, RunFinished):
                self.run_status = f"run {event.run_id} ({event.kind}) finished: {event.outcome}"
        handler = getattr(self.screen, "on_core_event", None)
        if handler is not None:
            handler(message.event)

    # ------------------------------------------------------------ the pipeline (owned by the app, not a screen)
    @property
    def pipeline_running(self) -> bool:
        """True while a pipeline worker is running."""
        return any(w.group == "pipeline" and w.is_running for w in self.workers)

    def start_pipeline(self, stages: list | None = None) -> None:
        """Start (or resume) the pipeline in a thread worker of the App: switching screens never stops it."""
        if self.pipeline_running:
            return
        from ..core.pipeline import Pipeline  # heavy stage modules load lazily, not at start-up

        self.progress.clear()
        if stages is None and self.stage_factory is not None:
            stages = self.stage_factory()
        self.pipeline = Pipeline(self.settings, self.bus, stages)
        self.run_status = "starting…"
        self._run_pipeline(self.pipeline)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pipeline", description="pipeline run")
    def _run_pipeline(self, pipeline: Any) -> None:
        pipeline.run()

    def cancel_pipeline(self) -> None:
        """Ask the running pipeline to stop after the rows in flight."""
        if self.pipeline is not None:
            self.pipeline.cancel.set()
            self.run_status = "cancelling: waiting for the rows in flight…"

    def action_help(self) -> None:
        """Show the bindings of the current screen."""
        if isinstance(self.screen, (HelpScreen, ConfirmScreen)):
            return
        title = f"{self.screen.title or self.screen.__class__.__name__} — keys"
        self.push_screen(HelpScreen(title, dict(self.screen.active_bindings)))

    def emit(self, event: Event) -> None:
        """Emit a core event on the app's bus (for the UI's own actions)."""
        self.bus.emit(event)


BINDING_OWNERS.extend([AmirApp, ReviewScreen, RunScreen, PreflightScreen, ConfirmScreen, HelpScreen])


def make_app(settings: Settings, *, bus: EventBus | None = None, preview: str | None = None,
             db_path: Path | None = None, stages: Callable[[], list] | None = None, start: str = "review") -> AmirApp:
    """Build the app: validate ``ui.keymap``, open the review DB, pick and import the preview renderer.

    ``preview`` overrides ``ui.preview`` (tests force ``halfcell``); ``db_path`` overrides ``settings.db_path``;
    ``stages`` builds the pipeline's stage list (default: the standard stages); ``start`` is the first screen
    (``review`` | ``run`` | ``preflight``).
    Raises :class:`~amirtui.core.errors.ConfigError` for a keymap naming an unknown binding id.
    """
    keymap = validate_keymap(dict(settings.ui.keymap), binding_ids(BINDING_OWNERS))
    path = Path(db_path or settings.db_path)
    bound = database.obj
    if bound is None or Path(bound.database).resolve() != path.resolve():
        open_db(path)
    mode = preview or settings.ui.preview
    prepare_renderer(mode)  # textual-image probes the terminal on import: must happen before App.run()
    if start not in AmirApp.MODES:
        raise ValueError(f"unknown start screen '{start}': use one of {', '.join(AmirApp.MODES)}")
    return AmirApp(settings, bus or EventBus(), mode, keymap, stages, start)


__all__ = ["AmirApp", "make_app"]
