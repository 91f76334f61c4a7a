"""Live half of the review screen: rows the pipeline, Generate or publish move appear and change in place.

Core events (``RowChanged``, ``FileAccepted``) only note photo ids; one refresh follows a short quiet moment however
many events came (a 200-row burst costs one refresh): a worker reads the changed rows and the current page in one go,
and the UI thread updates cells in place and appends rows that joined the page. Kept apart from :mod:`.review` so
each file holds one idea; ReviewScreen inherits this class.
"""

from __future__ import annotations

from textual import on, work

from ...core import review as rv
from ...core.events import Event, FileAccepted, RowChanged
from ...core.series_view import series_labels
from ..messages import LiveRowsLoaded
from .review_editing import ReviewEditing

LIVE_COALESCE_S = 0.2
"""Events arriving within this quiet window become one refresh (the pipeline moves rows in bursts)."""


class ReviewLive(ReviewEditing):
    """Base of :class:`~.review.ReviewScreen`: the live refresh of the queue."""

    page_offset: int
    row_total: int
    _generation: int

    def __init__(self) -> None:
        super().__init__()
        self._live_ids: set[int] = set()
        self._live_pending = False
        self._live_page = False
        self.live_refreshes = 0
        """How many live refreshes ran (tests check that a burst of events costs one)."""

    def on_core_event(self, event: Event) -> None:
        """A row changed or arrived elsewhere: note its id; one refresh (in a worker) follows a short quiet moment,
        however many events came meanwhile (a 200-row burst costs one refresh)."""
        if isinstance(event, (RowChanged, FileAccepted)) and event.photo_id:
            self._live_ids.add(event.photo_id)
            self._schedule_live()

    def on_screen_resume(self) -> None:
        """Back on Review: rows may have moved while another screen was shown — refresh the page in place."""
        if self.table.row_count:
            self._live_ids.update(int(k.value) for k in self.table.rows if k.value is not None)
        self._live_page = True
        self._schedule_live()

    def _schedule_live(self) -> None:
        if not self._live_pending:
            self._live_pending = True
            self.set_timer(LIVE_COALESCE_S, self._flush_live)

    def _flush_live(self) -> None:
        self._live_pending = False
        rows = self.table.rows
        on_page = {i for i in self._live_ids if str(i) in rows}
        # the page is read again only when a row may have joined it (an id not shown yet, or back from elsewhere);
        # the operator's own decisions change rows already shown: those are read by id alone
        with_page = self._live_page or len(on_page) < len(self._live_ids) or not rows
        self._live_ids.clear()
        self._live_page = False
        self.live_refreshes += 1
        self._load_live(self.review_filter, self.page_offset, self.amir.settings.review.page_size, self._generation,
                        on_page, with_page, self.table.visible_ids)

    @work(thread=True, exit_on_error=False, group="live", description="live review refresh")
    def _load_live(self, f: rv.ReviewFilter, offset: int, limit: int, generation: int, ids: set[int],
                   with_page: bool, shown: list[int]) -> None:
        page = rv.page_rows(f, offset, limit) if with_page else []
        changed = rv.rows_by_id(ids)
        # a frame that gets its fingerprint regroups its set: the series column of every row shown may change
        series = series_labels(set(shown) | {r.id for r in page})
        self.post_message(LiveRowsLoaded(changed, page, rv.count_rows(f), generation, series))

    @on(LiveRowsLoaded)
    def merge_live_rows(self, message: LiveRowsLoaded) -> None:
        """Update changed rows in place and add rows that joined this page at its end: the cursor, the selection
        and an edit in progress stay as they are (rows that left the filter stay until the next reload, showing
        their new state, so nothing jumps under the operator's cursor)."""
        if message.generation != self._generation:  # the filter or page changed meanwhile: its own load shows all
            return
        table = self.table
        was_empty = table.row_count == 0
        table.set_series(message.series, table.visible_ids + [r.id for r in message.page])
        changed = [r for r in message.changed if r.id not in self._busy and not table.shows(r)]
        for row in changed:  # rows already showing these values (the operator's own decision) are not repainted
            table.update_row(row)
        room = self.amir.settings.review.page_size - table.row_count
        for row in message.page:
            if room <= 0:
                break
            if str(row.id) not in table.rows:
                table.append_row(row)
                room -= 1
        self.row_total = message.total
        self._update_filter_line(table.row_count)
        editor = self.editor
        changed_ids = {r.id for r in changed}
        if was_empty and table.row_count:
            self.show_detail(table.current_id)
        elif editor.detail is not None and editor.detail.id in changed_ids and not editor.dirty \
                and not editor.has_focus_within:
            editor.detail = None  # re-read: the row's state moved (e.g. approved → published)
            self.show_detail(table.current_id)
        self._refresh_bindings_if_changed()
