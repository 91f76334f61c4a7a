"""ReviewTable: the queue as a DataTable keyed by DB id, filled a page at a time and updated cell by cell."""

from __future__ import annotations

from collections.abc import Iterable

from ..text import LiteralTable

from ...core.review import ReviewRow

#: (key, label, width); the file name comes last so a narrow terminal truncates it, not the state.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("id", "id", 5), ("state", "state", 14), ("gate", "gate", 10), ("band", "band", 8), ("qr", "QR", 4),
    ("file", "file name", 56),
)


def cells(row: ReviewRow, busy: str = "") -> tuple[str, ...]:
    """The display text of one row's cells (``busy`` replaces the state, e.g. while generating)."""
    qr = "" if row.qr is None else f"{row.qr:.1f}"
    state = busy or row.state + (" ✎" if row.text_source == "manual" else "")
    return (str(row.id), state, row.gate_status or "—", row.qc_band or "—", qr, row.file_name or "—")


class ReviewTable(LiteralTable):
    """Rows keyed by ``str(photo id)``; replacing a page is one ``clear`` + ``add_rows``, never a remove loop."""

    DEFAULT_CSS = "ReviewTable { height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    def load_page(self, rows: Iterable[ReviewRow], keep_id: int | None = None) -> None:
        """Show a new page; keeps the cursor on ``keep_id`` when that row is still on it."""
        self.clear()
        for r in rows:
            self.add_row(*cells(r), key=str(r.id))
        if keep_id is not None and str(keep_id) in self.rows:
            self.move_cursor(row=self.get_row_index(str(keep_id)))

    def append_row(self, row: ReviewRow) -> None:
        """Add one row at the end of the page (a row that arrived while the operator reviews)."""
        self.add_row(*cells(row), key=str(row.id))

    def update_row(self, row: ReviewRow, busy: str = "") -> bool:
        """Refresh one row in place (``update_cell``); False when it is not on this page."""
        key = str(row.id)
        if key not in self.rows:
            return False
        for (col, _, _), text in zip(COLUMNS, cells(row, busy)):
            self.update_cell(key, col, text)
        return True

    @property
    def current_id(self) -> int | None:
        """The DB id of the highlighted row (None on an empty page)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None
