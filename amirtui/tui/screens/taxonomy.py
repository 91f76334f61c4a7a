"""TaxonomyScreen: list, add, rename and remove folders, locations and subject fixes (misspelling → fix).

Every change goes through :mod:`amirtui.core.taxonomy` (validated, logged) in a worker; a refused change is a
notification with the reason. A rename changes only future names — the notification says how many named rows keep
the old words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ...core import taxonomy
from ...core.errors import AmirError
from ..bindings import bind
from ..text import LiteralTable
from ..widgets.chrome import KeyHints, StatusHeader

if TYPE_CHECKING:
    from ..app import AmirApp

HINT = {"folder": ("folder key (in filenames)", "display name"),
        "location": ("location key (in filenames)", "display name"),
        "subject_fix": ("misspelling", "fix")}


class TaxonomyScreen(Screen):
    """One kind at a time: the table of entries and a two-field form (key, value)."""

    TITLE = "Taxonomy"
    DEFAULT_CSS = """
    #tax-kind { height: 1; padding: 0 1; }
    #tax-form { height: 3; }
    #tax-form Input { width: 1fr; }
    #tax-table { height: 1fr; }
    """
    BINDINGS = [
        bind("ctrl+o", "cycle_kind", "Kind", "taxonomy.kind", "Show folders / locations / subject autofix"),
        bind("ctrl+n", "add", "Add", "taxonomy.add", "Add the typed key and value"),
        bind("ctrl+r", "rename", "Rename", "taxonomy.rename",
             "Rename the highlighted entry to the typed key/value (future names only)"),
        bind("ctrl+y", "remove", "Remove", "taxonomy.remove", "Remove the highlighted entry"),
    ]

    @dataclass
    class Changed(Message):
        """A change was made (note) or refused (error)."""

        note: str
        error: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.kind = "folder"

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield Static("", id="tax-kind")
        with Horizontal(id="tax-form"):
            yield Input(id="tax-key")
            yield Input(id="tax-value")
        yield LiteralTable(id="tax-table", cursor_type="row")
        yield KeyHints()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("key", key="key", width=36)
        table.add_column("value", key="value")
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Entries of the current kind."""
        labels = " · ".join(f"[b]{taxonomy.LABELS[k]}[/b]" if k == self.kind else taxonomy.LABELS[k]
                            for k in taxonomy.KINDS)
        self.query_one("#tax-kind", Static).update(f"{labels}   (ctrl+o switches)")
        key_hint, value_hint = HINT[self.kind]
        self.query_one("#tax-key", Input).placeholder = key_hint
        self.query_one("#tax-value", Input).placeholder = value_hint
        table = self.query_one(DataTable)
        table.clear()
        for e in taxonomy.entries(self.kind):
            table.add_row(e.key, e.value, key=e.key)

    def action_cycle_kind(self) -> None:
        """Next kind."""
        kinds = taxonomy.KINDS
        self.kind = kinds[(kinds.index(self.kind) + 1) % len(kinds)]
        self.reload()

    def _typed(self) -> tuple[str, str]:
        return self.query_one("#tax-key", Input).value.strip(), self.query_one("#tax-value", Input).value.strip()

    def _highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_add(self) -> None:
        """Add the typed entry."""
        key, value = self._typed()
        self._change("add", self.kind, key, value, None)

    def action_rename(self) -> None:
        """Rename the highlighted entry: an empty field keeps that part."""
        old = self._highlighted()
        key, value = self._typed()
        if old is None:
            self.notify("no entry highlighted", severity="warning")
            return
        self._change("rename", self.kind, key, value, old)

    def action_remove(self) -> None:
        """Remove the highlighted entry."""
        old = self._highlighted()
        if old is not None:
            self._change("remove", self.kind, "", "", old)

    @work(thread=True, exclusive=True, exit_on_error=False, group="taxonomy", description="taxonomy change")
    def _change(self, op: str, kind: str, key: str, value: str, old: str | None) -> None:
        bus = self.amir.bus
        try:
            if op == "add":
                e = taxonomy.add(kind, key, value, bus=bus)
                note = f"added {kind} '{e.key}'"
            elif op == "rename":
                e, kept = taxonomy.rename(kind, old or "", new_key=key or None, new_value=value or None, bus=bus)
                note = f"renamed '{old}' → '{e.key}' ({e.value}): {kept}"
            else:
                taxonomy.remove(kind, old or "", bus=bus)
                note = f"removed {kind} '{old}'"
        except AmirError as exc:
            self.post_message(self.Changed("", f"{exc.detail}" + (f" — {exc.fix}" if exc.fix else "")))
            return
        self.post_message(self.Changed(note))

    @on(Changed)
    def show_change(self, message: Changed) -> None:
        """Reload and tell the operator what happened."""
        if message.error:
            self.notify(message.error, title="Not changed", severity="error", timeout=8)
            return
        for field_id in ("#tax-key", "#tax-value"):
            self.query_one(field_id, Input).value = ""
        self.reload()
        self.notify(message.note, timeout=6)
