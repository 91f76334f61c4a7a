"""The App and its factory. ``make_app(settings)`` is what the CLI and every test use.

The stylesheet is ``amirtui/styles.tcss`` (shipped inside the package, so an installed amirtui finds it); the
project-root ``styles.tcss`` is a copy kept identical by a test, for people who look for it at the root.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, ScreenStackError, UnknownModeError
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from ..config import Settings
from ..core.db import open_db
from ..core.db.models import database
from ..core.events import (
    Event,
    EventBus,
    LogLine,
    RunFinished,
    RunStarted,
    StageProgressed,
)
from .bindings import bind, binding_ids, validate_keymap
from .commands import GoToScreen, ScreenActions
from .hangup import HangupMixin
from .messages import CoreEventReceived, PipelineFinished, PublishFinished
from .screens.dialogs import ConfirmScreen
from .screens.help import HelpScreen
from .screens.import_sets import ImportScreen
from .screens.preflight import PreflightScreen
from .screens.publish import PublishDoneScreen, PublishScreen
from .screens.recovery import RecoveryScreen
from .screens.review import ReviewScreen
from .screens.run import RunScreen
from .screens.summary import SummaryScreen
from .screens.taxonomy import TaxonomyScreen
from .text import escape_controls
from .widgets.preview import prepare_renderer

log = logging.getLogger("amirtui.tui")
CSS_FILE = Path(__file__).resolve().parent.parent / "styles.tcss"
#: Every class whose BINDINGS the keymap may remap (add new screens here).
BINDING_OWNERS: list[type] = []


class AmirApp(HangupMixin, App[None]):
    """amirtui's terminal UI: screens as modes, bindings with ids, the core's events forwarded as messages."""

    CSS_PATH = CSS_FILE
    TITLE = "amirtui"
    MODES = {"review": ReviewScreen, "run": RunScreen, "preflight": PreflightScreen, "import": ImportScreen,
             "publish": PublishScreen, "summary": SummaryScreen, "taxonomy": TaxonomyScreen}
    DEFAULT_MODE = "review"
    COMMANDS = App.COMMANDS | {GoToScreen, ScreenActions}
    BINDINGS = [
        bind("f1,question_mark", "help", "Help", "app.help", "List every key of this screen"),
        bind("ctrl+q", "quit", "Quit", "app.quit", "Leave amirtui (work in progress is kept in the DB)",
             priority=True),
        bind("f2", "switch_mode('review')", "Review", "app.review", "Go to the review queue", show=False),
        bind("f4", "switch_mode('preflight')", "Preflight", "app.preflight", "Check everything a run needs",
             show=False),
        bind("f3", "switch_mode('run')", "Run", "app.run", "Go to the run: stage board and live log", show=False),
        bind("f5", "switch_mode('import')", "Import", "app.import", "Add photo sets and start a run", show=False),
        bind("f6", "switch_mode('publish')", "Publish", "app.publish", "Publish approved rows, per-row progress",
             show=False),
        bind("f7", "switch_mode('summary')", "Summary", "app.summary", "Run summary: states, bands, stage times",
             show=False),
        bind("f8", "switch_mode('taxonomy')", "Taxonomy", "app.taxonomy", "Folders, locations, subject autofix",
             show=False),
    ]

    def __init__(self, settings: Settings, bus: EventBus, preview_mode: str, keymap: dict[str, str],
                 stages: Callable[[], list] | None = None, start: str = "review", recovery: Any = None) -> None:
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
        self.run_status = "no run yet"
        """The run state in a few words (the status header and the Run screen show it)."""
        self.status_signal: Signal[AmirApp] = Signal(self, "status")
        """Published when the run state or the runtime line changes (the status header listens)."""
        self.pipeline: Any = None
        self.last_run: Any = None
        """The last pipeline :class:`RunResult` of this session (per-stage times for the summary)."""
        self.recovery_report = recovery
        """What :func:`amirtui.core.recovery.detect` found at start-up (None when not checked)."""
        self.publisher: Any = None
        self.last_publish: Any = None
        self._pipeline_idle = threading.Event()
        self._pipeline_idle.set()
        self._old_sighup: Any = None
        self.hung_up = False

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run in the real terminal. A crash's leftovers are looked for first (tests and benchmarks use
        ``run_test`` and opt in with ``make_app(check_recovery=True)``)."""
        if self.recovery_report is None and not kwargs.get("headless"):  # headless = snapshot tests
            from ..core.recovery import detect

            self.recovery_report = detect(self.settings)
        return super().run(*args, **kwargs)

    def on_mount(self) -> None:
        if self._user_keymap:
            self.set_keymap(self._user_keymap)
        # The bus calls listeners in the emitting thread; post_message is the one thread-safe door into the UI.
        self._unsubscribe = self.bus.subscribe(lambda e: self.post_message(CoreEventReceived(e)))
        self._install_sighup()
        if self.recovery_report is not None and self.recovery_report.needs_attention:
            self.push_screen(RecoveryScreen(self.recovery_report))  # a crash left work: decide that first

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stop_work_in_flight()
        self._remove_sighup()

    # ------------------------------------------------------------ quitting mid-run (SIGHUP: see HangupMixin)
    def _cancel_work(self) -> None:
        if self.pipeline is not None:
            self.pipeline.cancel.set()
        if self.publisher is not None:
            self.publisher.cancel.set()

    def _stop_work_in_flight(self, timeout: float = 300.0) -> None:
        """On exit: ask the pipeline / publisher to stop and wait (bounded) for the rows in flight to finish, so the
        run records its outcome ("cancelled") instead of being found as a crash at the next start."""
        if self._pipeline_idle.is_set() and not self.publish_running:
            return
        self._cancel_work()
        if not self._pipeline_idle.wait(timeout):
            log.error("pipeline still busy after %.0f s at exit; the next start offers recovery", timeout)

    # ------------------------------------------------------------ crashes: Textual's handler bypasses sys.excepthook
    def _handle_exception(self, error: Exception) -> None:
        """An exception in a callback ends the app through Textual, never through ``sys.excepthook``: record it in
        ``data/crash_runtime.log`` (secrets masked) before Textual shows it."""
        from ..core.logs import log_crash

        self._crash_error = error
        try:
            log_crash("TUI crashed", error, context=f"screen {type(self.screen).__name__}" if self._screen_stack else "")
        except Exception:  # noqa: BLE001 - the crash report must never hide the crash itself
            pass
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's default prints a traceback with local variables (a password among them) on exit; ours prints
        the masked traceback without locals."""
        from rich.text import Text

        from ..core.logs import masked_traceback

        error = getattr(self, "_crash_error", None)
        if error is None:
            return super()._fatal_error()
        self.bell()
        self._exit_renderables.append(Text(masked_traceback(error)))
        self._close_messages_no_wait()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors surface: a notification, never a silent failure or a crash."""
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            from ..core.logs import log_crash

            log_crash("worker failed", err, context=event.worker.description or event.worker.name)
            self.notify(f"{event.worker.description or event.worker.name} failed: {err!r}", title="Unexpected error", markup=False,
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
            if isinstance(event, (LogLine, RunStarted, RunFinished)):
                self.status_signal.publish(self)
        screen = self._live_screen()
        handler = getattr(screen, "on_core_event", None)
        if handler is not None:
            handler(message.event)

    def _live_screen(self) -> Screen | None:
        """The active screen if it can take an event; None while the app or the screen is being torn down.

        An event from the pipeline thread can arrive after the app began closing: Textual then removes a screen's
        widgets one by one, so a handler could find its log pane but not its stage board (a crash seen in CI).
        The App has already recorded the event, so a screen that is going away just does not draw it."""
        if getattr(self, "_exit", False) or getattr(self, "_closing", False) or not self.is_running:
            return None
        try:
            screen = self.screen
        except ScreenStackError:
            return None
        if any(getattr(screen, flag, False) for flag in ("_closing", "_closed", "_pruning")) or not screen.is_attached:
            return None
        return screen

    # ------------------------------------------------------------ the pipeline (owned by the app, not a screen)
    @property
    def pipeline_running(self) -> bool:
        """True while a pipeline worker is running."""
        return any(w.group == "pipeline" and w.is_running for w in self.workers)

    def start_pipeline(self, stages: list | None = None) -> None:
        """Start (or resume) the pipeline in a thread worker of the App: switching screens never stops it."""
        if self.pipeline_running:
            return
        from ..core.pipeline import (
            Pipeline,  # heavy stage modules load lazily, not at start-up
        )

        self.progress.clear()
        if stages is None and self.stage_factory is not None:
            stages = self.stage_factory()
        self.pipeline = Pipeline(self.settings, self.bus, stages)
        self.run_status = "starting…"
        self.status_signal.publish(self)
        self._run_pipeline(self.pipeline)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pipeline", description="pipeline run")
    def _run_pipeline(self, pipeline: Any) -> None:
        self._pipeline_idle.clear()
        try:
            result = pipeline.run()
        finally:
            self._pipeline_idle.set()
        self.post_message(PipelineFinished(result))

    def on_pipeline_finished(self, message: PipelineFinished) -> None:
        """Keep the result for the summary; show the summary when the operator is watching the run."""
        self.last_run = message.result
        outcome = getattr(message.result, "outcome", "")
        # The mode, not the screen object: a fast run can end while the Run screen is still being mounted.
        if self._exit or not self.is_running:  # closing: switching modes now would add a screen stack mid-teardown
            return
        try:
            if outcome == "ok" and self.current_mode == "run":
                self.switch_mode("summary")
            else:
                self.notify("the run finished — F7 shows its summary", timeout=5)
        except (UnknownModeError, ScreenStackError):  # the run ended while the app was closing: nothing to show
            return

    # ------------------------------------------------------------ publishing (owned by the app, not a screen)
    @property
    def publish_running(self) -> bool:
        """True while a publish worker is running."""
        return any(w.group == "publish" and w.is_running for w in self.workers)

    def start_publish(self, ids: list[int] | None = None) -> bool:
        """Publish ``ids`` (None = every eligible row) in a thread worker of the App. False when one is running or
        the secrets cannot be loaded (the operator is told why)."""
        if self.publish_running:
            return False
        from ..core.errors import AmirError
        from ..core.publish.publisher import Publisher
        from ..secrets import load_secrets

        try:
            secrets = load_secrets(self.settings)
            self.publisher = Publisher(self.settings, secrets=secrets, bus=self.bus)
        except AmirError as exc:
            self.notify(f"{exc.detail}" + (f"\nfix: {exc.fix}" if exc.fix else ""), title=exc.title, markup=False,
                        severity="error", timeout=10)
            return False
        self._run_publish(self.publisher, ids, secrets)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="publish", description="publish")
    def _run_publish(self, publisher: Any, ids: list[int] | None, secrets: Any) -> None:
        summary = publisher.run(ids, validate_after=True, secrets=secrets)
        self.post_message(PublishFinished(summary))

    def on_publish_finished(self, message: PublishFinished) -> None:
        """The one completion dialog; OK returns to the review queue."""
        self.last_publish = message.summary
        handler = getattr(self.screen, "on_publish_summary", None)
        if handler is not None:
            handler(message.summary)

        def closed(_: object) -> None:
            self.switch_mode("review")

        self.push_screen(PublishDoneScreen(message.summary), closed)

    def cancel_pipeline(self) -> None:
        """Ask the running pipeline to stop after the rows in flight."""
        if self.pipeline is not None:
            self.pipeline.cancel.set()
            self.run_status = "cancelling: waiting for the rows in flight…"
            self.status_signal.publish(self)

    def action_help(self) -> None:
        """Show every key of the current screen (F1 / ? again closes it)."""
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        if isinstance(self.screen, ConfirmScreen):
            return
        title = f"{self.screen.title or self.screen.__class__.__name__} — keys"
        self.push_screen(HelpScreen(title, self.screen))

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification is literal text: messages quote file names, subjects and model output, which are
        data (a Subject ``Heron [/] x`` must not end the app with a MarkupError). Control characters are escaped."""
        super().notify(escape_controls(message, keep_newlines=True), title=escape_controls(title), severity=severity,
                       timeout=timeout, markup=False)

    def emit(self, event: Event) -> None:
        """Emit a core event on the app's bus (for the UI's own actions)."""
        self.bus.emit(event)


BINDING_OWNERS.extend([AmirApp, ReviewScreen, RunScreen, PreflightScreen, ConfirmScreen, HelpScreen, ImportScreen,
                       PublishScreen, PublishDoneScreen, SummaryScreen, TaxonomyScreen, RecoveryScreen])


def make_app(settings: Settings, *, bus: EventBus | None = None, preview: str | None = None,
             db_path: Path | None = None, stages: Callable[[], list] | None = None, start: str = "review",
             check_recovery: bool = False) -> AmirApp:
    """Build the app: validate ``ui.keymap``, open the review DB, pick and import the preview renderer.

    ``preview`` overrides ``ui.preview`` (tests force ``halfcell``); ``db_path`` overrides ``settings.db_path``;
    ``stages`` builds the pipeline's stage list (default: the standard stages); ``start`` is the first screen
    (any of :attr:`AmirApp.MODES`). With ``check_recovery`` the DB is checked now for what a crash left behind
    (:func:`amirtui.core.recovery.detect`) and, when it needs attention, the recovery screen comes first;
    :meth:`AmirApp.run` (the real terminal, i.e. the CLI) always checks, ``run_test`` only with this flag.
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
    report = None
    if check_recovery:
        from ..core.recovery import detect

        report = detect(settings)
    return AmirApp(settings, bus or EventBus(), mode, keymap, stages, start, report)


__all__ = ["AmirApp", "make_app"]
