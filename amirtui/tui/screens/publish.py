"""PublishScreen: per-row live progress (render / web / thumb / catalog / mirror) fed by PublishStepDone events,
failures with the first error, retry of failed rows, and the one completion dialog (PublishDoneScreen).

The publish itself runs in a worker owned by the App (:meth:`AmirApp.start_publish`): switching screens never stops
it, and the completion dialog's OK returns to the review queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Static

from ...core.db.models import Photo
from ...core.events import Event, PublishStepDone, RunFinished, RunStarted
from ...core.states import State
from ..bindings import bind
from ..text import LiteralTable, literal
from ..widgets.chrome import KeyHints, StatusHeader
from ..widgets.review_table import name_tail

if TYPE_CHECKING:
    from ..app import AmirApp

#: (step, column label): three letters each so the result column keeps its room at 80 columns (help: ? keys).
STEP_COLUMNS = (("render", "rnd"), ("upload_web", "web"), ("upload_thumb", "thm"), ("catalog", "cat"),
                ("mirror", "mir"))
FILE_WIDTH = 22
ELIGIBLE = (State.APPROVED.value, State.PUBLISH_FAILED.value, State.PUBLISHING.value, State.MODIFIED.value,
            State.REPUBLISHING.value)  # the Publisher's own list: edited published rows are republished
OK, FAIL, WAIT = Text("✔", style="green"), Text("✘", style="bold red"), Text("·", style="dim")


class PublishScreen(Screen):
    """The rows to publish, a column per step, the first error per failed row."""

    TITLE = "Publish"
    DEFAULT_CSS = """
    #publish-status { height: auto; padding: 0 1; margin-bottom: 1; }
    #publish-table { height: 1fr; }
    """
    BINDINGS = [
        bind("p", "publish", "Publish", "publish.start", "Publish every approved row (and continue unfinished ones)"),
        bind("f", "retry_failed", "Retry failed", "publish.retry", "Publish the failed rows again (from their last "
             "done step)"),
        bind("c", "cancel", "Cancel", "publish.cancel", "Stop after the rows in flight"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("", id="publish-status")
        yield LiteralTable(id="publish-table", cursor_type="row")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("id", key="id", width=5)
        table.add_column("file", key="file", width=FILE_WIDTH)
        for key, label in STEP_COLUMNS:
            table.add_column(label, key=key, width=3)
        table.add_column("result", key="result")
        self.reload()

    def on_screen_resume(self) -> None:
        if not self.amir.publish_running:
            self.reload()

    def reload(self) -> None:
        """Rows waiting to publish (or failed), from the DB; the step columns show what is already done."""
        from ...core.publish.publisher import Publisher

        table = self.query_one(DataTable)
        table.clear()
        rows = (Photo.select(Photo.id, Photo.file_name, Photo.state, Photo.last_error)
                .where(Photo.state.in_(ELIGIBLE)).order_by(Photo.id).limit(2000))
        for p in rows:
            done = Publisher.completed_steps(p.id) if p.state != State.APPROVED.value else set()
            cells = [OK if step in done else WAIT for step, _ in STEP_COLUMNS]
            result = literal(f"failed: {p.last_error or ''}"[:200], "red") if p.state == "publish_failed" else \
                Text(p.state, style="dim")
            table.add_row(str(p.id), name_tail(p.file_name, FILE_WIDTH), *cells, result, key=str(p.id))
        self._count()

    def _count(self) -> None:
        rows = Photo.select(Photo.state).where(Photo.state.in_(ELIGIBLE)).tuples()
        self.counts = {s: 0 for s in ELIGIBLE}
        for (s,) in rows:
            self.counts[s] += 1
        self._status()

    def _status(self, extra: str = "") -> None:
        c = self.counts
        target = self.amir.settings.publish.target
        running = "publishing…  " if self.amir.publish_running else ""
        if not any(c.values()) and not running:
            line = f"Nothing to publish: no row is approved. Approve rows on Review (F2, key a) first — target: {target}"
        else:
            line = (f"{running}{c.get('approved', 0)} approved, {c.get('publish_failed', 0)} failed, "
                    f"{c.get('publishing', 0)} unfinished — target: {target}")
        self.query_one("#publish-status", Static).update(literal(line + (f"\n{extra}" if extra else "")))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Publish only with something approved (or unfinished); retry only with failed rows; cancel while running."""
        running = self.amir.publish_running
        if action == "publish":
            return True if not running and (self.counts.get("approved") or self.counts.get("publishing")) else None
        if action == "retry_failed":
            return True if not running and self.counts.get("publish_failed") else None
        if action == "cancel":
            return True if running else None
        return True

    def action_publish(self) -> None:
        """Publish every eligible row."""
        if self.amir.start_publish(None):
            self._status()

    def action_retry_failed(self) -> None:
        """Publish the failed rows again."""
        ids = [p.id for p in Photo.select(Photo.id).where(Photo.state == State.PUBLISH_FAILED.value)]
        for pid in ids:
            self._set_result(pid, Text("retrying…", style="yellow"))
        if self.amir.start_publish(ids):
            self._status()

    def action_cancel(self) -> None:
        """Stop after the rows in flight."""
        if self.amir.publisher is not None:
            self.amir.publisher.cancel.set()
            self._status("cancelling: rows in flight finish first")

    def _set_result(self, pid: int, text: Text) -> None:
        table = self.query_one(DataTable)
        if str(pid) in table.rows:
            table.update_cell(str(pid), "result", text)

    def on_core_event(self, event: Event) -> None:
        """Live progress: one cell per finished step; the first error of a failed row."""
        table = self.query_one(DataTable)
        if isinstance(event, PublishStepDone):
            key = str(event.photo_id)
            if key not in table.rows:
                table.add_row(key, name_tail(event.file_name, FILE_WIDTH), *[WAIT for _ in STEP_COLUMNS], Text(""), key=key)
            if event.step in dict(STEP_COLUMNS):
                table.update_cell(key, event.step, OK if event.ok else FAIL)
            if not event.ok:
                self._set_result(event.photo_id, literal(f"failed at {event.step}: {event.error}"[:200], "red"))
            elif event.step == STEP_COLUMNS[-1][0]:
                self._set_result(event.photo_id, Text("published", style="green"))
        elif isinstance(event, (RunStarted, RunFinished)) and event.kind == "publish":
            self._count()

    def on_publish_summary(self, summary: Any) -> None:
        """The publish worker returned (the App shows the dialog): refresh counts."""
        self._count()


class PublishDoneScreen(ModalScreen[None]):
    """The one completion dialog: published / failed / skipped counts and the first error; OK closes it."""

    DEFAULT_CSS = "PublishDoneScreen { align: center middle; }"
    BINDINGS = [bind("enter,escape,o", "ok", "OK", "publish.ok", "Close and return to the review queue")]

    def __init__(self, summary: Any) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        s = self.summary
        lines = [f"published {len(s.published)} · failed {len(s.failed)} · skipped {len(s.skipped)}"
                 + (f" · {s.seconds:.1f} s" if getattr(s, "seconds", 0) else "")]
        if s.failed:
            pid, step, error = s.failed[0]
            lines.append(f"first failure: photo {pid} at {step}: {error}")
            lines.append("F6 → f retries the failed rows from their last done step")
        validation = getattr(s, "validation", None)
        if validation is not None:  # the post-publish check of catalog, mirror and files
            lines.extend(validation.summary_lines()[:3])
        with Vertical(id="dialog"):
            yield Static("[b]Publish finished[/b]", id="dialog-title")
            yield Static(literal("\n".join(lines), keep_newlines=True), id="publish-done-text")
            with Horizontal(id="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK closes."""
        self.dismiss(None)

    def action_ok(self) -> None:
        """Close the dialog."""
        self.dismiss(None)
