"""EditorPanel: the form bound to the highlighted review row (DataTable has no cell editing).

Enter in any field asks the screen to save (the save runs in a worker); Escape puts the saved values back. Caption
and alt text are multi-line, wrapping editors so the whole text is visible while editing (a caption holds no line
breaks: Enter saves there too). The focused field's label is highlighted. Above the form: the full file name
(wrapped) and the quality context — QR and band, metric scores, gate status and reasons, and the AI text when the
final text was edited by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static, TextArea

from ...core.quality.qr import offline_note
from ...core.review import PhotoDetail
from ...core.series_view import SeriesView
from ..text import literal

MULTILINE = frozenset({"caption", "alt_text"})
FIELDS: tuple[tuple[str, str], ...] = (
    ("file_name", "Filename"), ("caption", "Caption"), ("alt_text", "Alt text"), ("keywords", "Keywords"),
    ("title", "Title"),
)


def detail_values(d: PhotoDetail) -> dict[str, str]:
    """The editor's field texts for a detail (keywords as one comma list)."""
    return {"file_name": d.file_name or "", "caption": d.caption, "alt_text": d.alt_text,
            "keywords": ", ".join(d.keywords), "title": d.title}


def series_text(sv: SeriesView, current: int) -> Text:
    """The near-duplicate flag and the series line (empty Text when the row has neither)."""
    t = Text()
    if sv.near_name:
        t.append("⚠ looks like published ", "bold yellow").append(literal(sv.near_name, "bold")).append(
            f" ({sv.near_distance} of 64 bits)", "yellow").append(" · v compares", "dim")
    if sv.key:
        if t.plain:
            t.append("\n")
        # ids first (one short line: visible even at 80×24), then each frame's name tail (year and counter)
        t.append(f"series {sv.position}/{sv.count}", "bold").append(" ").append(literal(sv.key, "dim")).append(":")
        for sib in sv.siblings:
            t.append(" ").append(f"#{sib.id}", "bold reverse" if sib.id == current else "")
        t.append("\n")
        for i, sib in enumerate(sv.siblings):
            stem = sib.name.rsplit(".", 1)[0]
            tail = stem if len(stem) <= 9 else "…" + stem[-8:]
            t.append(" · " if i else "", "dim").append(f"{sib.position} ", "dim").append(literal(tail, "dim"))
    return t


def quality_text(d: PhotoDetail, series: SeriesView | None = None) -> Text:
    """The quality context block as literal Text (names, reasons and model text are data, never markup).

    Most important first — a narrow terminal shows the top lines: row and state, the whole file name, the gate's
    verdict, the near-duplicate flag and the series, then QR / band, scores, the set, the AI text and the last error.
    """
    qr = "—" if d.qr is None else f"{d.qr:.2f}"
    t = Text()
    t.append(f"#{d.id}", "bold").append(" ").append(literal(d.state, "bold")).append(" · ").append(
        literal(d.original_name))
    t.append("\n").append(literal(d.file_name or "(no file name yet)", "bold"))
    t.append("\ngate ")
    if d.gate_status == "needs_work":
        t.append("needs_work", "bold red").append(": ").append(literal("; ".join(d.gate_reasons) or "no reason recorded"))
    elif d.gate_status == "pass":
        t.append("pass", "green")
    else:
        t.append(literal(d.gate_status or "—"))
    if d.gate_override:
        t.append(" (override recorded)", "yellow")
    extra = series_text(series, d.id) if series is not None else Text()
    if extra.plain:
        t.append("\n").append(extra)
    t.append(f"\nQR {qr} · band ").append(literal(d.qc_band or "—")).append(offline_note(d.qr_metrics), "yellow")
    if d.scores:
        t.append(" · " + ", ".join(f"{k} {v:.2f}" if isinstance(v, (int, float)) else f"{k} {v}"
                                   for k, v in sorted(d.scores.items())))
    t.append("\n").append(literal(d.set_label, "dim"))
    if d.text_source == "manual":
        t.append("\nAI caption: ", "dim").append(literal(d.ai_caption or "—"))
    elif not d.ai_caption:
        t.append("\nno AI text yet", "yellow").append(" — press g to generate")
    if d.last_error:
        t.append("\nlast error: ", "red").append(literal(d.last_error[:200]))
    return t


class FieldArea(TextArea):
    """A wrapping multi-line field whose Enter saves the form (captions and alt texts hold no line breaks)."""

    @dataclass
    class Submitted(Message):
        """Enter was pressed in the area."""

        area: FieldArea

    async def _on_key(self, event) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self))
            return
        await super()._on_key(event)


class EditorPanel(VerticalScroll):
    """Form for one row: filename, caption, alt text, keywords and title (the set's unless changed), plus the
    quality context."""

    can_focus = False  # the fields are the focus stops; the scroll area itself would be an invisible one

    @dataclass
    class SaveRequested(Message):
        """The operator pressed Enter in a field: save these values for ``photo_id``."""

        photo_id: int
        values: dict[str, str]

    @dataclass
    class NameEdited(Message):
        """The filename field changed: check it live."""

        photo_id: int
        name: str

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail: PhotoDetail | None = None
        self.series: SeriesView | None = None
        """The series and near-duplicate facts of the row shown (kept across a re-bind of the same row)."""
        self.series_for: int | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="quality")
        for key, label in FIELDS:
            with Vertical(classes="field", id=f"field-{key}"):
                yield Label(label, classes="field-label")
                if key in MULTILINE:
                    yield FieldArea(id=f"edit-{key}", soft_wrap=True, compact=True, show_cursor=True,
                                    highlight_cursor_line=False)
                else:
                    yield Input(id=f"edit-{key}", compact=True)
                if key == "file_name":
                    yield Static("", id="name-status")

    def on_descendant_focus(self, event) -> None:
        """Mark the field holding the focus (its label turns into a highlighted bar; see styles.tcss)."""
        for field in self.query(".field"):
            field.set_class(event.widget in field.children, "-focused")

    def on_descendant_blur(self, event) -> None:
        """Focus left a field: no label stays highlighted."""
        for field in self.query(".field"):
            field.set_class(False, "-focused")

    def _field(self, key: str) -> Input | FieldArea:
        return self.query_one(f"#edit-{key}")  # type: ignore[return-value]

    def bind_detail(self, detail: PhotoDetail | None, series: SeriesView | None = None) -> None:
        """Show ``detail`` (None clears the panel) with its ``series`` facts, discarding unsaved edits."""
        self.detail = detail
        if series is not None or detail is None or self.series_for != detail.id:
            # a re-bind of the same row without facts (after a save) keeps the ones it has
            self.series, self.series_for = series, detail.id if detail else None
        # fixed heights (styles.tcss) and layout=False: following the cursor repaints the panel, it never re-lays out
        # the screen (a layout pass re-rendered the whole table on every key press of a held j)
        self.query_one("#quality", Static).update(quality_text(detail, self.series) if detail
                                                  else literal("no row selected"), layout=False)
        values = detail_values(detail) if detail else {k: "" for k, _ in FIELDS}
        for key, _ in FIELDS:
            field = self._field(key)
            if isinstance(field, FieldArea):
                field.load_text(values[key])
            else:
                with field.prevent(Input.Changed):  # filling the form is not an edit
                    field.value = values[key]
        self.set_name_status("")

    def values(self) -> dict[str, str]:
        """The current field texts."""
        out = {}
        for key, _ in FIELDS:
            field = self._field(key)
            out[key] = field.text if isinstance(field, FieldArea) else field.value
        return out

    @property
    def dirty(self) -> bool:
        """True when a field differs from the saved detail."""
        return self.detail is not None and self.values() != detail_values(self.detail)

    def revert(self) -> None:
        """Escape: put the saved values back."""
        self.bind_detail(self.detail)

    def set_name_status(self, problem: str | None) -> None:
        """Show the live filename check: '' ok, None nothing to say, else the problem."""
        status = self.query_one("#name-status", Static)
        status.set_class(bool(problem), "-problem")
        status.update(literal("" if not problem else f"✗ {problem}"), layout=False)

    def focus_field(self, key: str | None = None) -> None:
        """Focus a field (the next one after the focused field when ``key`` is None)."""
        keys = [k for k, _ in FIELDS]
        if key is None:
            focused = self.screen.focused
            cur = focused.id.removeprefix("edit-") if focused is not None and focused.id and focused.id.startswith(
                "edit-") else None
            key = keys[(keys.index(cur) + 1) % len(keys)] if cur in keys else keys[1]
        field = self._field(key)
        field.focus()
        if isinstance(field, FieldArea):  # continue the text where it ends, as an Input does
            field.move_cursor(field.document.end)
        field.scroll_visible()

    def _save(self) -> None:
        if self.detail is not None:
            self.post_message(self.SaveRequested(self.detail.id, self.values()))

    @on(Input.Submitted)
    def request_save(self, event: Input.Submitted) -> None:
        """Enter in any field saves the whole form."""
        event.stop()
        self._save()

    @on(FieldArea.Submitted)
    def request_save_from_area(self, event: FieldArea.Submitted) -> None:
        """Enter in the caption or alt text saves the whole form."""
        event.stop()
        self._save()

    @on(Input.Changed, "#edit-file_name")
    def request_name_check(self, event: Input.Changed) -> None:
        """Each change of the filename is checked against the reservations (debounced by the screen's worker)."""
        event.stop()
        if self.detail is not None:
            self.post_message(self.NameEdited(self.detail.id, event.value))
