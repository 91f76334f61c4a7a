"""EditorPanel: the form bound to the highlighted review row (DataTable has no cell editing).

Enter in any field asks the screen to save (the save runs in a worker); Escape puts the saved values back. The panel
also shows the quality context: QR and band, metric scores, gate status and reasons, and the AI text when the final
text was edited by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static

from ...core.review import PhotoDetail
from ..text import literal

FIELDS: tuple[tuple[str, str], ...] = (
    ("file_name", "Filename"), ("caption", "Caption"), ("alt_text", "Alt text"), ("keywords", "Keywords"),
)


def detail_values(d: PhotoDetail) -> dict[str, str]:
    """The editor's field texts for a detail (keywords as one comma list)."""
    return {"file_name": d.file_name or "", "caption": d.caption, "alt_text": d.alt_text,
            "keywords": ", ".join(d.keywords)}


def quality_text(d: PhotoDetail) -> Text:
    """The quality context block as literal Text (names, reasons and model text are data, never markup)."""
    qr = "—" if d.qr is None else f"{d.qr:.2f}"
    t = Text()
    t.append(f"#{d.id}", "bold").append(" ").append(literal(d.state)).append(" · ").append(literal(d.set_label))
    t.append(" · ").append(literal(d.original_name)).append(f"\nQR {qr} · band ").append(literal(d.qc_band or "—"))
    if d.scores:
        t.append("\nscores: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, (int, float)) else f"{k} {v}"
                                          for k, v in sorted(d.scores.items())))
    t.append("\ngate ")
    if d.gate_status == "needs_work":
        t.append("needs_work", "bold red").append(": ").append(literal("; ".join(d.gate_reasons) or "no reason recorded"))
    elif d.gate_status == "pass":
        t.append("pass", "green")
    else:
        t.append(literal(d.gate_status or "—"))
    if d.gate_override:
        t.append(" (override recorded)", "yellow")
    if d.text_source == "manual":
        t.append("\nAI caption: ", "dim").append(literal(d.ai_caption or "—"))
    elif not d.ai_caption:
        t.append("\nno AI text yet", "yellow").append(" — press g to generate")
    if d.last_error:
        t.append("\nlast error: ", "red").append(literal(d.last_error[:200]))
    return t


class EditorPanel(VerticalScroll):
    """Form for one row: filename, caption, alt text, keywords, plus the quality context."""

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

    def compose(self) -> ComposeResult:
        yield Static("", id="quality")
        for key, label in FIELDS:
            yield Label(label, classes="field-label")
            yield Input(id=f"edit-{key}", compact=True)
            if key == "file_name":
                yield Static("", id="name-status")

    def bind_detail(self, detail: PhotoDetail | None) -> None:
        """Show ``detail`` (None clears the panel), discarding unsaved edits."""
        self.detail = detail
        self.query_one("#quality", Static).update(quality_text(detail) if detail else "no row selected")
        values = detail_values(detail) if detail else {k: "" for k, _ in FIELDS}
        for key, _ in FIELDS:
            inp = self.query_one(f"#edit-{key}", Input)
            with inp.prevent(Input.Changed):  # filling the form is not an edit
                inp.value = values[key]
        self.set_name_status("")

    def values(self) -> dict[str, str]:
        """The current field texts."""
        return {key: self.query_one(f"#edit-{key}", Input).value for key, _ in FIELDS}

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
        status.update(literal("" if not problem else f"✗ {problem}"))

    def focus_field(self, key: str | None = None) -> None:
        """Focus a field (the next one after the focused field when ``key`` is None)."""
        keys = [k for k, _ in FIELDS]
        if key is None:
            focused = self.screen.focused
            cur = focused.id.removeprefix("edit-") if focused is not None and focused.id and focused.id.startswith(
                "edit-") else None
            key = keys[(keys.index(cur) + 1) % len(keys)] if cur in keys else keys[1]
        self.query_one(f"#edit-{key}", Input).focus()

    @on(Input.Submitted)
    def request_save(self, event: Input.Submitted) -> None:
        """Enter in any field saves the whole form."""
        event.stop()
        if self.detail is not None:
            self.post_message(self.SaveRequested(self.detail.id, self.values()))

    @on(Input.Changed, "#edit-file_name")
    def request_name_check(self, event: Input.Changed) -> None:
        """Each change of the filename is checked against the reservations (debounced by the screen's worker)."""
        event.stop()
        if self.detail is not None:
            self.post_message(self.NameEdited(self.detail.id, event.value))
