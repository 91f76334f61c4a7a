"""PreflightScreen: every check a run depends on — green / yellow / red, what was found, the fix.

Checks run in a worker (Ollama, FTP/SFTP, MySQL and the pyiqa import take seconds); ``r`` runs them again and Enter
proceeds to the Run screen only when no line is red.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...core.errors import AmirError
from ..bindings import bind
from ..text import LiteralTable, literal, plural
from ..widgets.chrome import KeyHints, StatusHeader

MARK = {"green": ("✔ ok", "green"), "yellow": ("▲ warn", "yellow"), "red": ("✘ FAIL", "bold red")}


class PreflightScreen(Screen):
    """The checks table (each line appears as its check completes), a detail panel with the highlighted check's
    full finding and fix, and a summary line."""

    TITLE = "Preflight"
    DEFAULT_CSS = """
    #preflight-table { height: 1fr; }
    #preflight-detail { height: auto; max-height: 9; border-top: solid $primary-darken-2; padding: 0 1; }
    """
    BINDINGS = [
        bind("r", "rerun", "Re-run checks", "preflight.rerun", "Run every check again"),
        bind("enter", "proceed", "Proceed", "preflight.proceed", "Go to the Run screen (only with no red line)"),
        bind("c", "without_captioning", "Run without captions", "preflight.without_captioning",
             "Ollama is the only red line: run with captioning skipped (rows arrive as needs_work)"),
    ]

    @dataclass
    class CheckStarted(Message):
        """A group of checks started (its name and when)."""

        name: str
        started: float
        generation: int

    @dataclass
    class ChecksCompleted(Message):
        """A group of checks finished with these lines after ``seconds``."""

        name: str
        checks: list
        seconds: float
        generation: int

    @dataclass
    class ChecksDone(Message):
        """Every preflight check finished."""

        checks: list
        generation: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.checks: list | None = None
        self._partial: list = []
        self._running: tuple[str, float] | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("running checks…", id="preflight-summary")
        yield LiteralTable(id="preflight-table", cursor_type="row")
        yield Static("", id="preflight-detail")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(LiteralTable)
        table.add_column("", key="level", width=6)
        table.add_column("check", key="name", width=16)
        table.add_column("found", key="found")
        self.set_interval(1.0, self._tick)
        self.action_rerun()

    def action_rerun(self) -> None:
        """Run the checks again."""
        self.checks = None
        self._partial = []
        self._generation += 1
        self.query_one(LiteralTable).clear()
        self.query_one("#preflight-summary", Static).update("running checks…")
        self.refresh_bindings()
        self._run_checks(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="preflight", description="preflight checks")
    def _run_checks(self, generation: int) -> None:
        from ...core.preflight import RED, Check, iter_checks
        from ...secrets import load_secrets

        settings = self.app.settings  # type: ignore[attr-defined]
        try:
            secrets = load_secrets(settings)
        except AmirError as exc:  # a bad secrets file is itself a red line
            self.post_message(self.ChecksDone([Check("secrets", RED, exc.detail, exc.fix)], generation))
            return
        done: list = []
        for name, run in iter_checks(settings, secrets):
            t0 = time.monotonic()
            self.post_message(self.CheckStarted(name, t0, generation))
            lines = run()
            done += lines
            self.post_message(self.ChecksCompleted(name, lines, time.monotonic() - t0, generation))
        self.post_message(self.ChecksDone(done, generation))

    @on(CheckStarted)
    def show_running(self, message: CheckStarted) -> None:
        """A line for the check now running, with its elapsed time (the model warm-up takes a while)."""
        if message.generation != self._generation:
            return
        self._running = (message.name, message.started)
        table = self.query_one(LiteralTable)
        table.add_row(Text("⟳", style="cyan"), message.name, "running…", key="running")
        self._summary()

    def _tick(self) -> None:
        if self._running is None:
            return
        table = self.query_one(LiteralTable)
        if "running" in table.rows:
            table.update_cell("running", "found", f"running… {time.monotonic() - self._running[1]:.0f} s")

    @on(ChecksCompleted)
    def show_completed(self, message: ChecksCompleted) -> None:
        """Replace the running line by the group's finished lines."""
        if message.generation != self._generation:
            return
        self._running = None
        table = self.query_one(LiteralTable)
        if "running" in table.rows:
            table.remove_row("running")  # one line, not a loop
        for c in message.checks:
            self._partial.append(c)
            label, style = MARK.get(c.level, (c.level, ""))
            found = c.found + (f" ({message.seconds:.0f} s)" if message.seconds >= 1 else "")
            table.add_row(Text(label, style=style), c.name, found, key=str(len(self._partial) - 1))
        self._summary()
        self._show_detail()

    @on(ChecksDone)
    def show_checks(self, message: ChecksDone) -> None:
        """Every check finished: the summary says whether the run may start."""
        if message.generation != self._generation:
            return
        if not self._partial and message.checks:  # the secrets line: no group ran
            self.show_completed(self.ChecksCompleted("secrets", message.checks, 0.0, message.generation))
        self.checks = message.checks
        self._summary()
        self.refresh_bindings()

    def _summary(self) -> None:
        checks = self.checks if self.checks is not None else self._partial
        reds = sum(c.level == "red" for c in checks)
        yellows = sum(c.level == "yellow" for c in checks)
        counts = f"{plural(len(checks), 'check')}: {reds} red, {yellows} yellow"
        if self.checks is None:
            running = f" — checking {self._running[0]}…" if self._running else " — checking…"
            text = counts + running
        else:
            text = f"{counts} — " + ("fix the red lines, then press r" if reds else
                                     "ready: Enter goes to the Run screen")
        self.query_one("#preflight-summary", Static).update(text)

    @on(DataTable.RowHighlighted, "#preflight-table")
    def follow_cursor(self) -> None:
        """The detail panel follows the highlighted check."""
        self._show_detail()

    def _show_detail(self) -> None:
        table = self.query_one(LiteralTable)
        detail = self.query_one("#preflight-detail", Static)
        if not table.row_count:
            detail.update("")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key is None or not key.isdigit() or int(key) >= len(self._partial):
            detail.update(literal("running…"))
            return
        c = self._partial[int(key)]
        label, style = MARK.get(c.level, (c.level, ""))
        text = Text(label, style=style).append(" ").append(literal(c.name, "bold")).append("\n")
        text.append(literal(c.found))
        if c.fix and c.level != "green":
            text.append("\nfix: ", "bold").append(literal(c.fix))
        detail.update(text)

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
