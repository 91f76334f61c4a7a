"""ReviewTable: the queue as a DataTable keyed by DB id, filled a page at a time and updated cell by cell.

The columns fit the width the table gets: id, state, QR, the series position ("2/5", empty outside a series; ``≈``
marks a row that looks like a published photo) and the file name always; band and gate only when the name keeps room for its distinguishing part. Names of one set share their head (``Subject_Location_Folder_Photography_``)
and differ in the tail (camera, year, counter), so a name that does not fit is cut on the left: ``…Canon_2024_007.JPG``.
The full name is in the detail pane.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...core.review import ReviewRow
from ..text import LiteralTable

#: (key, label, width), in display order; the file name (width 0) takes the room left.
ESSENTIAL: tuple[tuple[str, str, int], ...] = (("id", "id", 5), ("state", "state", 12), ("qr", "QR", 4),
                                               ("series", "ser", 5), ("file", "file name", 0))
#: Shown when the name still gets at least :data:`NAME_MIN_ROOM` cells, in this order of preference.
OPTIONAL: tuple[tuple[str, str, int], ...] = (("band", "band", 8), ("gate", "gate", 10))
NAME_MIN = 10
"""The name column never gets narrower: ``…_2024_001`` still tells the rows of a set apart (year and counter)."""
NAME_MIN_ROOM = 24  # at 120 columns the band keeps its column beside the series one
PAD = 2  # DataTable's cell padding (one each side)


def name_tail(name: str | None, width: int) -> str:
    """``name`` cut on the left to ``width`` cells (the end of a name tells rows of one set apart); a name that does
    not fit loses its extension first (every final name is ``.JPG``; the detail pane shows it whole)."""
    if not name:
        return "—"
    if len(name) <= width:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and 1 <= len(ext) <= 4:
        name = stem
    return name if len(name) <= width else "…" + name[-(width - 1):]


def plan_columns(width: int) -> tuple[tuple[tuple[str, str, int], ...], int]:
    """The columns that fit ``width`` cells and the name column's width."""
    cols = list(ESSENTIAL)
    fixed = sum(w + PAD for _, _, w in cols if w) + PAD + 1  # + the name's padding and the scrollbar
    for opt in OPTIONAL:
        if width - fixed - opt[2] - PAD >= NAME_MIN_ROOM:
            cols.insert(-1, opt)
            fixed += opt[2] + PAD
    return tuple(cols), max(NAME_MIN, width - fixed)


def cells(row: ReviewRow, busy: str = "", columns: Iterable[tuple[str, str, int]] = ESSENTIAL + OPTIONAL,
          name_width: int = 60, series: str = "") -> tuple[str, ...]:
    """The display text of one row's cells, in ``columns`` order (``busy`` replaces the state, e.g. while
    generating; ``series`` is the row's "position/count", empty when it is in no series)."""
    qr = "" if row.qr is None else f"{row.qr:.1f}"
    state = busy or row.state + (" ✎" if row.text_source == "manual" else "")
    values = {"id": str(row.id), "state": state, "gate": row.gate_status or "—", "band": row.qc_band or "—",
              "qr": qr, "file": name_tail(row.file_name, name_width), "series": series}
    return tuple(values[key] for key, _, _ in columns)


class ReviewTable(LiteralTable):
    """Rows keyed by ``str(photo id)``; replacing a page is one ``clear`` + ``add_row`` loop, never a remove loop."""

    DEFAULT_CSS = "ReviewTable { height: 1fr; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.columns_plan, self.name_width = plan_columns(60)
        self._review_rows: dict[str, ReviewRow] = {}
        self._busy_text: dict[str, str] = {}
        self.series: dict[str, str] = {}
        """The series column's text by row key ("2/5"); rows in no series are absent."""

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, label, width in self.columns_plan:
            self.add_column(label, key=key, width=width or self.name_width)

    def on_resize(self) -> None:
        """Re-plan the columns for the new width; rebuild only when the plan changed (cursor kept)."""
        plan = plan_columns(self.size.width)
        if plan == (self.columns_plan, self.name_width):
            return
        self.columns_plan, self.name_width = plan
        cursor = self.cursor_row
        self.clear(columns=True)
        self._add_columns()
        for key, row in self._review_rows.items():
            super().add_row(*self._cells(row, self._busy_text.get(key, "")), key=key)
        if self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)

    def _cells(self, row: ReviewRow, busy: str = "") -> tuple[str, ...]:
        return cells(row, busy, self.columns_plan, self.name_width, self.series.get(str(row.id), ""))

    def load_page(self, rows: Iterable[ReviewRow], keep_id: int | None = None,
                  series: dict[int, str] | None = None) -> None:
        """Show a new page; keeps the cursor on ``keep_id`` when that row is still on it. ``series``: the series
        column's text by photo id (:func:`amirtui.core.series_view.series_labels`)."""
        self.clear()
        self._review_rows.clear()
        self._busy_text.clear()
        self.series = {str(k): v for k, v in (series or {}).items()}
        for r in rows:
            self.append_row(r)
        if keep_id is not None and str(keep_id) in self.rows:
            self.move_cursor(row=self.get_row_index(str(keep_id)))

    def append_row(self, row: ReviewRow) -> None:
        """Add one row at the end of the page (also a row that arrived while the operator reviews)."""
        key = str(row.id)
        self._review_rows[key] = row
        self.add_row(*self._cells(row), key=key)

    def set_series(self, series: dict[int, str], ids: Iterable[int]) -> None:
        """New series labels for the rows ``ids`` (a regroup while the operator reviews); cells change in place."""
        for pid in ids:
            key = str(pid)
            label = series.get(pid, "")
            if self.series.get(key, "") == label:
                continue
            if label:
                self.series[key] = label
            else:
                self.series.pop(key, None)
            if key in self.rows and any(col == "series" for col, _, _ in self.columns_plan):
                self.update_cell(key, "series", label)

    @property
    def visible_ids(self) -> list[int]:
        """The photo ids of this page, in the table's order."""
        return [int(r.key.value) for r in self.ordered_rows if r.key.value is not None]

    def shows(self, row: ReviewRow) -> bool:
        """True when the table already shows exactly this row (nothing to repaint)."""
        key = str(row.id)
        return self._review_rows.get(key) == row and key not in self._busy_text

    def update_row(self, row: ReviewRow, busy: str = "") -> bool:
        """Refresh one row in place (``update_cell``); False when it is not on this page."""
        key = str(row.id)
        if key not in self.rows:
            return False
        self._review_rows[key] = row
        if busy:
            self._busy_text[key] = busy
        else:
            self._busy_text.pop(key, None)
        for (col, _, _), text in zip(self.columns_plan, self._cells(row, busy)):
            self.update_cell(key, col, text)
        return True

    @property
    def current_id(self) -> int | None:
        """The DB id of the highlighted row (None on an empty page)."""
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return int(key.value) if key.value is not None else None
