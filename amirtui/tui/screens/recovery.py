"""RecoveryScreen: shown first at start-up when a crash left work behind (see :mod:`amirtui.core.recovery`).

What was in flight — crashed runs, rows per stage, rows mid-publish, file problems — and three choices: resume
(repair and continue), roll back the unfinished run(s), or decide later. Resume and roll back run in a worker; the
result text stays on screen until the operator continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...core import recovery
from ...core.states import PIPELINE_ORDER
from ..bindings import bind
from ..text import LiteralTable, literal, plural
from ..widgets.chrome import KeyHints, StatusHeader
from .dialogs import ConfirmScreen

if TYPE_CHECKING:
    from ..app import AmirApp


def outcome_line(report: Any, mode: str) -> str:
    """What resume / roll back did, in counts; says so when there was nothing to do."""
    rows = sum("→ rolled_back" in a for a in report.actions)
    other = len(report.actions) - rows
    kept = len(report.kept)
    if not report.actions:
        return "nothing to do" + (f" ({report.kept[0]})" if kept == 1 else
                                  f" ({plural(kept, 'item')} left alone, listed below)" if kept else "")
    parts = []
    if rows:
        parts.append(f"{plural(rows, 'row')} rolled back")
    if other:
        parts.append(f"{plural(other, 'repair')} ({'files, names' if mode == 'rollback' else 'files, rows'})")
    if kept:
        parts.append(f"{plural(kept, 'item')} left alone")
    return ", ".join(parts)


class RecoveryScreen(Screen):
    """The crash-recovery choice. Dismissed (popped) by "decide later" or "continue" after an action."""

    TITLE = "Recovery"
    DEFAULT_CSS = """
    #recovery-head { height: auto; padding: 0 1; margin-bottom: 1; }
    #recovery-counts { height: auto; max-height: 18; }
    #recovery-text { height: 1fr; border-top: solid $primary-darken-2; padding: 0 1; }
    """
    BINDINGS = [
        bind("r", "resume", "Resume", "recovery.resume", "Repair what the crash left and continue the work"),
        bind("b", "rollback", "Roll back", "recovery.rollback",
             "Undo the unfinished run(s): rows → rolled_back, names released, temp files removed"),
        bind("l,escape", "later", "Decide later", "recovery.later", "Leave everything as it is for now"),
        bind("enter", "proceed", "Continue", "recovery.continue", "Go on after resume / roll back", priority=True),
    ]

    @dataclass
    class RecoveryDone(Message):
        """Resume or roll back finished with this report."""

        report: Any
        mode: str

    def __init__(self, report: Any) -> None:
        super().__init__()
        self.report = report
        self.done_mode: str | None = None
        self.busy = False

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("", id="recovery-head")
        yield LiteralTable(id="recovery-counts", cursor_type="none")
        with VerticalScroll():
            yield Static("", id="recovery-text", markup=False)
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("in flight", key="what", width=34)
        table.add_column("rows", key="n", width=8)
        table.add_column("detail", key="detail")
        self.show(self.report)

    def show(self, report: Any) -> None:
        """Render a report: headline, counts per stage and mid-publish rows, the full text."""
        crashed = len(report.crashed_runs)
        head = Text.assemble(("amirtui did not finish its last work", "bold"),
                             f" — {plural(crashed, 'unfinished run')}. ", ("r", "bold"), " resume (repair, continue)  ·  ",
                             ("b", "bold"), " roll back  ·  ", ("l", "bold"), " decide later")
        if self.done_mode:
            head = Text.assemble((f"{self.done_mode}: ", "bold"), outcome_line(report, self.done_mode),
                                 " — Enter continues")
        self.query_one("#recovery-head", Static).update(head)
        table = self.query_one(DataTable)
        table.clear()
        for run in report.crashed_runs:
            table.add_row("crashed run", "", run.text())
        order = [s.value for s in PIPELINE_ORDER]
        for state, n in sorted(report.by_state.items(), key=lambda kv: (kv[0] not in order, order.index(kv[0])
                                                                         if kv[0] in order else 0, kv[0])):
            table.add_row(f"rows {state}", str(n), "interrupted: the next stage picks them up on resume")
        mid = [p for p in report.publishing if p.state == "publishing"]
        if mid:
            table.add_row("rows mid-publish", str(len(mid)),
                          ", ".join(f"#{p.photo_id} after [{', '.join(p.done) or '-'}]" for p in mid[:6]))
        for line in report.files.lines():
            table.add_row("files", "", line)
        self.query_one("#recovery-text", Static).update(literal(report.text(), keep_newlines=True))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Resume / roll back before a choice was made; continue after."""
        if action in ("resume", "rollback", "later"):
            return None if (self.done_mode or self.busy) else True
        if action == "proceed":
            return True if self.done_mode else None
        return True

    def action_resume(self) -> None:
        """Repair and continue."""
        self._act("resume")

    def action_rollback(self) -> None:
        """Ask, then roll back the unfinished run(s)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self._act("rollback")

        self.app.push_screen(ConfirmScreen(
            "Roll back the unfinished run(s)? Their rows become rolled_back (history kept), reserved names are "
            "released and temp files removed. Published rows and originals are never touched.",
            title="Roll back", yes="Roll back", no="Keep"), answered)

    def _act(self, mode: str) -> None:
        self.busy = True
        self.refresh_bindings()
        self.query_one("#recovery-head", Static).update(f"{mode}: working…")
        self._run(mode)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recovery", description="recovery")
    def _run(self, mode: str) -> None:
        settings, bus = self.amir.settings, self.amir.bus
        report = recovery.resume(settings, bus) if mode == "resume" else recovery.rollback(settings, bus)
        self.post_message(self.RecoveryDone(report, mode))

    @on(RecoveryDone)
    def show_result(self, message: RecoveryDone) -> None:
        """Show what was done; Enter continues."""
        self.busy = False
        self.done_mode = message.mode
        self.amir.recovery_report = message.report
        self.show(message.report)
        self.refresh_bindings()

    def action_later(self) -> None:
        """Leave it; the screen comes back at the next start."""
        self.dismiss(None)

    def action_proceed(self) -> None:
        """After resume: continue the pipeline on the Run screen; after roll back: the queue."""
        mode = self.done_mode
        self.dismiss(None)
        if mode == "resume":
            from ...core.pipeline import pending_counts

            if any(pending_counts().values()):
                self.amir.start_pipeline()
                self.app.switch_mode("run")
