"""PreflightScreen: every check a run depends on — green / yellow / red, what was found, the fix.

Checks run in a worker (Ollama, FTP/SFTP, MySQL and the pyiqa import take seconds); ``r`` runs them again and Enter
proceeds to the Run screen only when no line is red.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...core.errors import AmirError
from ..bindings import bind
from ..widgets.chrome import KeyHints, StatusHeader
from ..text import LiteralTable, literal

MARK = {"green": ("✔ ok", "green"), "yellow": ("▲ warn", "yellow"), "red": ("✘ FAIL", "bold red")}


class PreflightScreen(Screen):
    """The checks table and a summary line."""

    TITLE = "Preflight"
    BINDINGS = [
        bind("r", "rerun", "Re-run checks", "preflight.rerun", "Run every check again"),
        bind("enter", "proceed", "Proceed", "preflight.proceed", "Go to the Run screen (only with no red line)"),
        bind("c", "without_captioning", "Run without captions", "preflight.without_captioning",
             "Ollama is the only red line: run with captioning skipped (rows arrive as needs_work)"),
    ]

    @dataclass
    class ChecksDone(Message):
        """The preflight checks finished."""

        checks: list

    def __init__(self) -> None:
        super().__init__()
        self.checks: list | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("running checks…", id="preflight-summary")
        yield LiteralTable(id="preflight-table", cursor_type="row")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", key="level", width=7)
        table.add_column("check", key="name", width=22)
        table.add_column("found", key="found", width=60)
        table.add_column("fix", key="fix")
        self.action_rerun()

    def action_rerun(self) -> None:
        """Run the checks again."""
        self.checks = None
        self.query_one("#preflight-summary", Static).update("running checks…")
        self.refresh_bindings()
        self._run_checks()

    @work(thread=True, exclusive=True, exit_on_error=False, group="preflight", description="preflight checks")
    def _run_checks(self) -> None:
        from ...core.preflight import RED, Check, run_checks
        from ...secrets import load_secrets

        settings = self.app.settings  # type: ignore[attr-defined]
        try:
            secrets = load_secrets(settings)
        except AmirError as exc:  # a bad secrets file is itself a red line
            self.post_message(self.ChecksDone([Check("secrets", RED, exc.detail, exc.fix)]))
            return
        self.post_message(self.ChecksDone(run_checks(settings, secrets)))

    @on(ChecksDone)
    def show_checks(self, message: ChecksDone) -> None:
        """Fill the table and the summary."""
        self.checks = message.checks
        table = self.query_one(DataTable)
        table.clear()
        for i, c in enumerate(message.checks):
            label, style = MARK.get(c.level, (c.level, ""))
            table.add_row(Text(label, style=style), c.name, c.found, c.fix if c.level != "green" else "", key=str(i))
        reds = sum(c.level == "red" for c in message.checks)
        yellows = sum(c.level == "yellow" for c in message.checks)
        text = (f"{len(message.checks)} checks: {reds} red, {yellows} yellow — "
                + ("fix the red lines, then press r" if reds else "ready: Enter goes to the Run screen"))
        self.query_one("#preflight-summary", Static).update(text)
        self.refresh_bindings()

    @property
    def ready(self) -> bool:
        """True when the checks ran and none is red."""
        return self.checks is not None and not any(c.level == "red" for c in self.checks)

    @property
    def only_ollama_red(self) -> bool:
        """True when every red line is an Ollama one: the run may go on with captioning skipped."""
        reds = [c for c in (self.checks or []) if c.level == "red"]
        return bool(reds) and all(c.name.startswith("ollama") for c in reds)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Proceed only with no red line; offer a caption-less run when only Ollama is red."""
        if action == "proceed":
            return True if self.ready else None
        if action == "without_captioning":
            return True if self.only_ollama_red else None
        return True

    def action_without_captioning(self) -> None:
        """Skip captioning for this session (rows reach review as needs_work "no AI text") and go on."""
        if not self.only_ollama_red:
            return
        self.app.settings.ollama.enabled = False  # type: ignore[attr-defined]  # this session only, not config.yaml
        self.notify("captioning skipped for this session: write captions in review, or Generate once Ollama is up",
                    severity="warning")
        self.app.switch_mode("run")

    def action_proceed(self) -> None:
        """Go to the Run screen."""
        if self.ready:
            self.app.switch_mode("run")

    @on(DataTable.RowSelected)
    def proceed_from_table(self) -> None:
        """Enter on the focused table selects a row: treat it as proceed (the table eats the screen's Enter)."""
        self.action_proceed()
