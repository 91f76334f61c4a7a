"""Series half of the review screen: keep the best frame, approve a series, go to the next series, filter by series
size, compare a near-duplicate with the published photo it looks like, and unpublish a published row.

Kept apart from :mod:`.review` (table, decisions, bulk, undo, filters) so each file holds one idea; ReviewScreen
inherits this class. The decisions are the core's (:mod:`amirtui.core.review_series`): each is one decision token,
so ``u`` undoes a whole series action. Writes run in thread workers that post messages back.
"""

from __future__ import annotations

from typing import Any

from textual import work

from ...core import review as rv
from ...core import review_series as rs
from ...core.db.models import Photo
from ...core.errors import AmirError
from ...core.series_view import published_image
from ...core.states import State
from ..bindings import bind
from ..messages import ActionFailed, RowsChanged
from ..text import plural
from ..widgets.preview import ImagePreview
from .dialogs import ConfirmScreen
from .review_live import ReviewLive

SERIES_CYCLE: tuple[int, ...] = (0, 2, 3, 5)
"""The series-size filter: off, then series of at least 2, 3, 5 photos."""
SERIES_ACTIONS = frozenset({"keep_best", "approve_series"})
ON_WEBSITE = frozenset({State.PUBLISHED.value, State.MODIFIED.value, State.UNPUBLISHING.value})


class ReviewSeries(ReviewLive):
    """Base of :class:`~.review.ReviewScreen`: series actions, the near-duplicate comparison and unpublish."""

    BINDINGS = [
        bind("K", "keep_best", "Keep best", "review.keep_best",
             "Approve the best frame (highest QR) of this row's series and reject the others (one undo)", show=False),
        bind("S", "approve_series", "Approve series", "review.approve_series",
             "Approve every open frame of this row's series (one undo)", show=False),
        bind("N", "next_series", "Next series", "review.next_series",
             "Go to the first row of the next series on this page", show=False),
        bind("m", "cycle_series", "Series size", "review.filter_series",
             "Cycle the series-size filter: off, 2+, 3+, 5+ photos", show=False),
        bind("v", "compare", "Compare", "review.compare",
             "Show the published photo this row looks like beside it (80×24: in its place; v again: back)",
             show=False),
        bind("U", "unpublish", "Unpublish", "review.unpublish",
             "Take a published row off the website (asks first; its File_Name stays reserved)", show=False),
    ]

    comparing = False
    """True while the published photo the row looks like is shown (``v``): beside the row's, or at 80×24 instead."""

    # ------------------------------------------------------------ what applies
    def series_check(self, action: str) -> bool | None:
        """:meth:`check_action` for this half: None dims an action that does not apply to the highlighted row."""
        series = self.editor.series if self.editor.detail is not None else None
        if action in SERIES_ACTIONS:
            return True if series is not None and series.key else None
        if action == "compare":
            return True if series is not None and series.near_name else None
        if action == "unpublish":
            return True if self.editor.detail is not None and self.editor.detail.state in ON_WEBSITE else None
        return True

    # ------------------------------------------------------------ series decisions
    def action_keep_best(self) -> None:
        """Keep the best frame of the highlighted row's series, reject the rest."""
        self._series_action("keep_best")

    def action_approve_series(self) -> None:
        """Approve the highlighted row's whole series."""
        self._series_action("approve_series")

    def _series_action(self, which: str, override: bool = False) -> None:
        pid = self._current()
        if pid is not None:
            self._run_series(pid, which, override)

    @work(thread=True, exit_on_error=False, group="series", description="series decision")
    def _run_series(self, photo_id: int, which: str, override: bool) -> None:
        fn = rs.keep_best if which == "keep_best" else rs.approve_series
        try:
            done = fn(photo_id, override=override, bus=self.amir.bus)
        except rv.NeedsOverride as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix, {
                "override": exc.photo_id, "reasons": exc.reasons,
                "retry": lambda: self._run_series(photo_id, which, True)}))
            return
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        ids = done.approved + done.rejected + [i for i, _ in done.skipped]
        if which == "keep_best":
            note = f"kept #{done.approved[0]} (best of its series), rejected {plural(len(done.rejected), 'row')}"
        else:
            note = f"approved the series: {plural(len(done.approved), 'row')}"
        if done.skipped:
            note += f"; left {len(done.skipped)} as they were (#{done.skipped[0][0]}: {done.skipped[0][1]})"
        self.post_message(RowsChanged(rv.rows_by_id(ids), note + " — u undoes it"))

    def action_next_series(self) -> None:
        """Move the cursor to the first row of the next series on this page (wraps around)."""
        current = self._current()
        target = rs.next_series_row(current, self.table.visible_ids) if current is not None else None
        if target is None:
            self.notify("no other series on this page", severity="warning", timeout=3)
            return
        self.table.move_cursor(row=self.table.get_row_index(str(target)))

    def action_cycle_series(self) -> None:
        """Next series-size filter: off, 2+, 3+, 5+."""
        cur = self.review_filter.min_series
        i = SERIES_CYCLE.index(cur) if cur in SERIES_CYCLE else 0
        self._set_filter(min_series=SERIES_CYCLE[(i + 1) % len(SERIES_CYCLE)])

    def _set_filter(self, **changes: Any) -> None:  # pragma: no cover - ReviewScreen defines it
        raise NotImplementedError

    # ------------------------------------------------------------ near-duplicate comparison
    def reset_compare(self, show_row: bool = False) -> None:
        """A new row is shown (or the width changed): no comparison; ``show_row`` puts the row's own image back."""
        was = self.comparing
        self.comparing = False
        self.set_class(False, "-comparing", "-side")
        detail = self.editor.detail
        if was and show_row and detail is not None:
            self.query_one("#preview", ImagePreview).show(detail.id, detail.model_image_path)

    def action_compare(self) -> None:
        """Compare the row with the published photo it looks like: side by side on a wide terminal (the row's image
        left, the published one right); at 80×24, where one preview fits, the preview toggles between the two."""
        detail, series = self.editor.detail, self.editor.series
        if detail is None or series is None or not series.near_name:
            return
        if self.comparing:
            self.reset_compare(show_row=True)
            return
        side = not self.has_class("-narrow")
        self.comparing = True
        self.set_class(True, "-comparing")  # at 80×24 the hidden preview shows while comparing
        self.set_class(side, "-side")
        path, note = published_image(series.near_name, self.amir.settings)
        target = self.query_one("#preview-compare" if side else "#preview", ImagePreview)
        target.show(("published", detail.id), path,
                    f"{note} ({series.near_distance} of 64 bits from #{detail.id}) — v: "
                    + ("close" if side else "back to this row"))

    # ------------------------------------------------------------ unpublish
    def action_unpublish(self) -> None:
        """Ask, naming the File_Name and what goes, then take the row off the website in a worker."""
        pid = self._current()
        p = Photo.get_or_none(Photo.id == pid) if pid is not None else None
        if p is None or p.state not in ON_WEBSITE:
            self.notify("only a published row can be unpublished", severity="warning")
            return
        catalog = "the MySQL catalog row and the local mirror row" if self.amir.settings.publish.mysql.enabled \
            else "the catalog row (local mirror)"
        question = (f"Unpublish {p.file_name}?\n\nRemoved from the website: {catalog}, the web image "
                    f"({p.web_remote_path or 'none recorded'}) and the thumbnail ({p.thumb_remote_path or 'none recorded'}"
                    f") on the {self.amir.settings.publish.target} target.\n\nThe row stays here as 'unpublished' with "
                    "its history; its File_Name stays reserved (never given to another photo). There is no undo.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._unpublish(p.id, p.file_name)

        self.app.push_screen(ConfirmScreen(question, title="Unpublish?", yes="Unpublish", no="Cancel"), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="unpublish", description="unpublish")
    def _unpublish(self, photo_id: int, file_name: str) -> None:
        from ...core.publish.unpublish import unpublish
        from ...secrets import load_secrets

        try:
            summary = unpublish(self.amir.settings, [file_name], secrets=load_secrets(self.amir.settings),
                                bus=self.amir.bus)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        if summary.failed:
            _, step, error = summary.failed[0]
            self.post_message(ActionFailed("Unpublish failed", f"{file_name}: {step}: {error}",
                                           "fix the cause, then press U again: the unpublish continues where it "
                                           "stopped"))
        note = f"{file_name}: {summary.text()}"
        if summary.skipped:
            note += f" ({summary.skipped[0][1]})"
        self.post_message(RowsChanged([rv.get_row(photo_id)], note, "information" if summary.unpublished else "warning"))
