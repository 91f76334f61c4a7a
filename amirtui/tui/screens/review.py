"""ReviewScreen: the queue table, the image preview and the editor for the highlighted row.

Reads that drive the editor are single-row primary-key lookups (well under a millisecond in WAL mode) and run on the
UI thread so the editor follows the cursor within a frame; every write and every page load runs in a thread worker
that posts a message back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from ...core import review as rv
from ...core.errors import AmirError
from ...core.series_view import series_labels, series_view
from ..bindings import bind
from ..messages import ActionFailed, PageLoaded, RowsChanged
from ..text import literal
from ..widgets.chrome import KeyHints, StatusHeader
from ..widgets.editor import EditorPanel
from ..widgets.preview import ImagePreview
from ..widgets.review_table import ReviewTable
from .dialogs import ConfirmScreen
from .review_bulk import ReviewBulk

log = logging.getLogger("amirtui.tui")
STATE_CYCLE: tuple[tuple[str, ...], ...] = ((), ("prefilled",), ("needs_work",), ("quarantined",), ("approved",),
                                            ("rejected",), ("publish_failed",),
                                            ("modified", "republishing"),  # "to republish": edited after publish
                                            ("published",), ("unpublished",))
BAND_CYCLE: tuple[str | None, ...] = (None, *rv.BANDS)
SORT_CYCLE: tuple[tuple[str, bool], ...] = (("id", False), ("qr", True), ("band", False), ("file_name", False))
_ROW_ACTIONS = {"approve", "reject", "pending", "edit", "save", "revert", "generate", "keep_best", "approve_series",
                "compare", "unpublish"}


class ReviewScreen(ReviewBulk):
    """Review the queue from the keyboard: decide, edit, generate, bulk, undo, filter."""

    TITLE = "Review"
    # Textual focuses the first focusable widget (the search field) when a screen resumes with nothing focused; under
    # load that ran before on_mount's focus, and the operator's `a` went into the search box (a tmux run caught it)
    AUTO_FOCUS = "#review-table"
    BINDINGS = [
        bind("j", "move(1)", "Next", "review.next", "Highlight the next row", show=False),
        bind("k", "move(-1)", "Prev", "review.prev", "Highlight the previous row", show=False),
        bind("a", "approve", "Approve", "review.approve", "Approve the row for publishing"),
        bind("x", "reject", "Reject", "review.reject", "Reject the row and release its filename"),
        bind("p", "pending", "Pending", "review.pending", "Send an approved/rejected row back to review"),
        bind("e", "edit", "Edit", "review.edit", "Edit the next field of the row (Enter saves, Esc reverts)"),
        bind("ctrl+s", "save", "Save", "review.save", "Save the editor's changes", priority=True),
        bind("ctrl+r", "revert", "Revert AI", "review.revert", "Replace the final text with the AI text"),
        bind("escape", "cancel_edit", "Cancel", "review.cancel", "Discard unsaved edits, back to the table",
             show=False),
        bind("g", "generate", "Generate", "review.generate", "Caption this row again with the model"),
        bind("A", "bulk('approve')", "Bulk ✓", "review.bulk_approve", "Approve every eligible row of the filter"),
        bind("X", "bulk('reject')", "Bulk ✗", "review.bulk_reject", "Reject every row of the filter"),
        bind("u", "undo", "Undo", "review.undo", "Undo the last approve/reject (a bulk counts as one)"),
        bind("slash", "search", "Search", "review.search", "Search file names and text (Enter applies)"),
        bind("f", "cycle_state", "State", "review.filter_state", "Cycle the state filter", show=False),
        bind("n", "toggle_needs_work", "Needs work", "review.filter_needs_work", "Show only needs_work rows",
             show=False),
        bind("b", "cycle_band", "Band", "review.filter_band", "Cycle the QC band filter", show=False),
        bind("s", "cycle_sort", "Sort", "review.sort", "Cycle the sort: id, QR, band, file name", show=False),
        bind("right_square_bracket", "page(1)", "Next page", "review.next_page", "Load the next page", show=False),
        bind("left_square_bracket", "page(-1)", "Prev page", "review.prev_page", "Load the previous page",
             show=False),
        bind("r", "reload", "Reload", "review.reload", "Reload the page from the database (sorted afresh)",
             show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.review_filter = rv.ReviewFilter()
        self.page_offset = 0
        self.row_total = 0
        self._generation = 0
        self._busy: set[int] = set()
        self._advance_from: dict[int, int | None] = {}
        """Rows decided with the cursor moved on at once → the row it moved to (to come back on a refusal)."""

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        ui = self.amir.settings.ui
        with Horizontal(id="review-main"):
            with Vertical(id="review-left"):
                yield Input(placeholder="/ search file names, captions", id="search", compact=True)
                yield Static("", id="filter-line")
                yield ReviewTable(id="review-table")
                yield Static("", id="empty-note")
            with Vertical(id="review-right"):
                with Horizontal(id="preview-row"):
                    yield ImagePreview(self.amir.preview_mode, ui.preview_debounce_ms, id="preview")
                    yield ImagePreview(self.amir.preview_mode, 0, id="preview-compare")
                yield EditorPanel(id="editor")
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one(ReviewTable).focus()
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        """Small terminals (80×24 over SSH) drop the preview so the table and editor stay usable."""
        narrow = event.size.width < 100 or event.size.height < 30
        if narrow != self.has_class("-narrow") and self.comparing:  # the comparison's layout depends on the width
            self.reset_compare(show_row=True)
        self.set_class(narrow, "-narrow")

    # ------------------------------------------------------------ loading
    def reload(self, keep_id: int | None = None) -> None:
        """Load the current page of the current filter (in a worker; stale results are dropped)."""
        self._generation += 1
        self._load_page(self.review_filter, self.page_offset, self.amir.settings.review.page_size, self._generation, keep_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="page", description="load review page")
    def _load_page(self, f: rv.ReviewFilter, offset: int, limit: int, generation: int, keep_id: int | None) -> None:
        total = rv.count_rows(f)
        rows = rv.page_rows(f, offset, limit)
        msg = PageLoaded(rows, total, offset, generation, series_labels(r.id for r in rows))
        msg.keep_id = keep_id  # type: ignore[attr-defined]
        self.post_message(msg)

    @on(PageLoaded)
    def show_page(self, message: PageLoaded) -> None:
        """Fill the table with a freshly loaded page."""
        if message.generation != self._generation:
            return
        self.row_total = message.total
        self.table.load_page(message.rows, getattr(message, "keep_id", None), message.series)
        self._update_filter_line(len(message.rows))
        self.show_detail(self.table.current_id)
        self._refresh_bindings_if_changed()

    def _update_filter_line(self, shown: int) -> None:
        f = self.review_filter
        parts = [f"state={'/'.join(f.states) or 'queue'}"]
        if f.needs_work:
            parts.append("needs_work only")
        if f.band:
            parts.append(f"band={f.band}")
        if f.min_series:
            parts.append(f"series≥{f.min_series}")
        if f.text:
            parts.append(f"search '{f.text}'")
        parts.append(f"sort={f.sort}{'↓' if f.descending else ''}")
        span = f"{self.page_offset + 1}–{self.page_offset + shown} of {self.row_total}" if shown else "none"
        self.query_one("#filter-line", Static).update(literal(f"{' · '.join(parts)}  — rows {span}"))
        self._update_empty_note(shown)

    def _update_empty_note(self, shown: int) -> None:
        """An empty table says why and what to do (nothing imported / queue empty / filter matches nothing)."""
        note = self.query_one("#empty-note", Static)
        self.set_class(not shown, "-empty")
        if shown:
            note.update("")
            return
        f = self.review_filter
        if f == rv.ReviewFilter(sort=f.sort, descending=f.descending):
            if not rv.any_rows():
                note.update("Nothing imported yet — F5 to import a photo set.")
            else:
                note.update("The review queue is empty: rows arrive here as the pipeline captions them "
                            "(F3 shows the run, F6 publishes approved rows).")
        else:
            note.update(literal("No rows match this filter. f cycles the state, b the band, n needs_work, m the "
                                "series size; / then Enter on an empty search clears the search."))

    @on(DataTable.RowHighlighted)
    def follow_cursor(self, event: DataTable.RowHighlighted) -> None:
        """Bind the editor and the preview to the highlighted row."""
        key = event.row_key.value if event.row_key is not None else None
        self.show_detail(int(key) if key is not None else None)

    def show_detail(self, photo_id: int | None) -> None:
        """Load one row's detail into the editor (UI thread: a primary-key read) and request its preview."""
        editor = self.editor
        if editor.detail is not None and editor.detail.id == photo_id:
            return
        if editor.dirty:
            self.notify(f"unsaved edits to #{editor.detail.id} were discarded", severity="warning", markup=False)
        try:
            detail = rv.load_detail(photo_id) if photo_id is not None else None
            series = series_view(photo_id) if photo_id is not None else None
        except AmirError as exc:
            self.notify(str(exc), title=exc.title, severity="error")
            detail, series = None, None
        editor.bind_detail(detail, series)
        self.reset_compare()
        self.query_one("#preview", ImagePreview).show(photo_id, detail.model_image_path if detail else None)
        self._refresh_bindings_if_changed()

    # ------------------------------------------------------------ bindings state
    def _refresh_bindings_if_changed(self) -> None:
        """Refresh the footer only when an answer of :meth:`check_action` can have changed (a row present or not,
        the page position). Rebuilding the footer on every cursor move cost ~20 % of the UI thread (benchmark)."""
        state = (self.table.current_id is None, self.page_offset, self.row_total)
        if state != getattr(self, "_bindings_state", None):
            self._bindings_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim the actions that do not apply (no row, no previous/next page)."""
        if action in _ROW_ACTIONS and not self.is_mounted:
            return True
        if action in _ROW_ACTIONS and self.query_one(ReviewTable).current_id is None:
            return None
        if self.is_mounted and self.series_check(action) is None:
            return None
        if action == "page" and parameters:
            step = int(parameters[0])  # type: ignore[arg-type]
            size = self.amir.settings.review.page_size
            if (step < 0 and self.page_offset == 0) or (step > 0 and self.page_offset + size >= self.row_total):
                return None
        return True

    # ------------------------------------------------------------ actions
    def action_move(self, step: int) -> None:
        """Move the cursor (j / k)."""
        t = self.table
        if t.row_count:
            t.move_cursor(row=max(0, min(t.row_count - 1, t.cursor_row + step)))

    def _decide(self, fn: Callable[..., Any], advance: bool = True, **kwargs: Any) -> None:
        pid = self._current()
        if pid is None:
            return
        if advance:
            # The cursor moves on at once and the decision commits in a worker: typing `a a a` decides three rows
            # in a row, however long each commit takes (a key arriving before the commit once decided the same row
            # twice). A refused decision brings the cursor back to its row (report_failure).
            self.action_move(1)
            self._advance_from[pid] = self._current()
        self._run(pid, fn, **kwargs)

    def action_approve(self) -> None:
        """Approve the highlighted row (asks before overriding a needs_work gate)."""
        self._decide(rv.approve)

    def action_reject(self) -> None:
        """Reject the highlighted row."""
        self._decide(rv.reject)

    def action_pending(self) -> None:
        """Back to pending."""
        self._decide(rv.back_to_pending, advance=False, settings=self.amir.settings)

    @work(thread=True, exit_on_error=False, group="decide", description="review decision")
    def _run(self, photo_id: int, fn: Callable[..., Any], **kwargs: Any) -> None:
        try:
            result = fn(photo_id, bus=self.amir.bus, **kwargs)
        except rv.NeedsOverride as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix, {"override": photo_id,
                                                                            "reasons": exc.reasons}))
            return
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix, {"photo_id": photo_id}))
            return
        row, note = (result, "") if isinstance(result, rv.ReviewRow) else result
        self.post_message(RowsChanged([row], note, "warning" if note else "information"))

    @on(ActionFailed)
    def report_failure(self, message: ActionFailed) -> None:
        """Show a failed action; a needs_work approval becomes an override question."""
        pid = message.extra.get("override")
        refused = pid if pid is not None else message.extra.get("photo_id")
        moved_to = self._advance_from.pop(refused, None) if refused is not None else None
        if moved_to is not None and self.table.current_id == moved_to and str(refused) in self.table.rows:
            # the cursor moved on when the key was pressed; the operator has not moved since: back to the row
            # the refusal is about, so what the dialog or the notification names is what the editor shows
            self.table.move_cursor(row=self.table.get_row_index(str(refused)))
        if pid is not None:
            reasons = "; ".join(message.extra.get("reasons") or []) or "no reason recorded"
            question = (f"Photo #{pid}: the gate says needs_work ({reasons}).\n\n"
                        "Approve anyway? The override is recorded in the row's history.")

            retry = message.extra.get("retry")  # a series action asks again with override=True

            def answered(yes: bool | None) -> None:
                if yes and retry is not None:
                    retry()
                elif yes:
                    if self.table.current_id == pid:
                        self.action_move(1)
                        self._advance_from[pid] = self._current()
                    self._run(pid, rv.approve, override=True, reason="approved with override")

            self.app.push_screen(ConfirmScreen(question, title="Override the gate?", yes="Approve anyway",
                                               no="Cancel"), answered)
            return
        self.notify(f"{message.detail}" + (f"\n→ {message.fix}" if message.fix else ""), title=message.title,
                    severity="error", timeout=8, markup=False)

    @on(RowsChanged)
    def refresh_rows(self, message: RowsChanged) -> None:
        """Update changed rows in place and the editor when it shows one of them."""
        for row in message.rows:
            self._busy.discard(row.id)
            self.table.update_row(row)
            self._advance_from.pop(row.id, None)
            if self.table.current_id == row.id and self.editor.detail is not None and self.editor.detail.id == row.id \
                    and not self.editor.dirty:  # still on it (no decision to advance from, or the last row)
                self.editor.detail = None  # force a fresh read
                self.show_detail(row.id)
        if message.note:
            self.notify(message.note, severity=message.severity, timeout=8)  # type: ignore[arg-type]
        if message.reload:
            self.reload(self._current())
        self._refresh_bindings_if_changed()

    # -- filters
    def _set_filter(self, **changes: Any) -> None:
        values = {k: getattr(self.review_filter, k) for k in ("states", "needs_work", "band", "set_id", "text", "sort",
                                                       "descending", "min_series")}
        values.update(changes)
        self.review_filter = rv.ReviewFilter(**values)
        self.page_offset = 0
        self.reload(self._current())

    def action_search(self) -> None:
        """Focus the search box."""
        self.query_one("#search", Input).focus()

    @on(Input.Submitted, "#search")
    def apply_search(self, event: Input.Submitted) -> None:
        """Enter in the search box filters the table."""
        event.stop()
        self._set_filter(text=event.value.strip())
        self.table.focus()

    def action_cycle_state(self) -> None:
        """Next state filter."""
        i = STATE_CYCLE.index(self.review_filter.states) if self.review_filter.states in STATE_CYCLE else 0
        self._set_filter(states=STATE_CYCLE[(i + 1) % len(STATE_CYCLE)])

    def action_toggle_needs_work(self) -> None:
        """Only rows whose gate says needs_work, or all."""
        self._set_filter(needs_work=not self.review_filter.needs_work)

    def action_cycle_band(self) -> None:
        """Next QC band filter."""
        self._set_filter(band=BAND_CYCLE[(BAND_CYCLE.index(self.review_filter.band) + 1) % len(BAND_CYCLE)])

    def action_cycle_sort(self) -> None:
        """Next sort order."""
        cur = (self.review_filter.sort, self.review_filter.descending)
        i = SORT_CYCLE.index(cur) if cur in SORT_CYCLE else 0
        sort, desc = SORT_CYCLE[(i + 1) % len(SORT_CYCLE)]
        self._set_filter(sort=sort, descending=desc)

    def action_page(self, step: int) -> None:
        """Load the next/previous page."""
        size = self.amir.settings.review.page_size
        new = max(0, self.page_offset + step * size)
        if new != self.page_offset and new < max(self.row_total, 1):
            self.page_offset = new
            self.reload()

    def action_reload(self) -> None:
        """Reload from the DB."""
        self.reload(self._current())
