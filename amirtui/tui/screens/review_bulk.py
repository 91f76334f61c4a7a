"""The review screen's bulk decisions and undo: count, confirm with the count, decide in a worker, undo as one.

A layer of :class:`~amirtui.tui.screens.review.ReviewScreen` (like the editing, live and series layers)."""

from __future__ import annotations

from textual import on, work

from ...core import review as rv
from ...core import review_bulk as rvb
from ...core.errors import AmirError
from ..messages import ActionFailed, BulkCounted, RowsChanged
from ..text import PAST, plural
from .dialogs import ConfirmScreen
from .review_series import ReviewSeries


class ReviewBulk(ReviewSeries):
    """Bulk approve/reject of the current filter (after a confirm naming the count) and undo of the last decision."""

    def action_bulk(self, decision: str) -> None:
        """Approve/reject the filtered rows after confirming their count."""
        self._count_bulk(decision, self.review_filter)

    @work(thread=True, exclusive=True, exit_on_error=False, group="bulk", description="count bulk rows")
    def _count_bulk(self, decision: str, f: rv.ReviewFilter) -> None:
        n = rvb.bulk_count(f, decision)
        skipped = rvb.bulk_count(f, decision, override=True) - n if decision == "approve" else 0
        self.post_message(BulkCounted(decision, n, skipped, f))

    @on(BulkCounted)
    def confirm_bulk(self, message: BulkCounted) -> None:
        """Ask "Approve N rows?" naming the count; then do it."""
        verb = message.decision
        if message.count == 0:
            self.notify(f"no rows of this filter can be {PAST[verb]}", severity="warning", markup=False)
            return
        skipped = message.skipped_needs_work
        note = (f"\n{plural(skipped, 'needs_work row')} {'is' if skipped == 1 else 'are'} left out (approve them one "
                "by one)." if skipped else "")
        question = (f"{verb.capitalize()} {plural(message.count, 'row')} of the current filter?{note}\n\n"
                    "One undo (u) takes it back.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._bulk(message.decision, message.filter, message.count)

        if not self.amir.settings.review.confirm_bulk:
            answered(True)
            return
        self.app.push_screen(ConfirmScreen(question, title=f"Bulk {verb}", yes=f"{verb.capitalize()} {message.count}"),
                             answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="bulk", description="bulk decision")
    def _bulk(self, decision: str, f: rv.ReviewFilter, expected: int) -> None:
        try:
            done, skipped = rvb.bulk_decide(f, decision, expected=expected, bus=self.amir.bus)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        extra = f" ({len(skipped)} skipped: {skipped[0][1]})" if skipped else ""
        self.post_message(RowsChanged([], f"{PAST[decision]} {plural(done, 'row')}{extra}", reload=True))

    def action_undo(self) -> None:
        """Undo the last decision."""
        self._undo()

    @work(thread=True, exclusive=True, exit_on_error=False, group="undo", description="undo decision")
    def _undo(self) -> None:
        try:
            res = rvb.undo_last(bus=self.amir.bus, settings=self.amir.settings)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        if res is None:
            self.post_message(RowsChanged([], "nothing to undo", "warning"))
            return
        rows = [rv.get_row(i) for i in res.restored]
        skipped = f"; skipped {len(res.skipped)}: " + ", ".join(f"#{i} {why}" for i, why in res.skipped[:3]) \
            if res.skipped else ""
        self.post_message(RowsChanged(rows, f"undo of '{res.decision}': {plural(len(res.restored), 'row')} restored{skipped}",
                                      "warning" if res.skipped else "information"))
