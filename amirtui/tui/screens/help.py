"""HelpScreen (F1 or ?): every binding of the screen underneath, with its key (after ui.keymap), id and tooltip."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..bindings import bind


def bindings_table(title: str, active: dict[str, ActiveBinding], key_display) -> Table:
    """A Rich table of bindings: key, what it does, id, tooltip (disabled ones dimmed)."""
    table = Table(title=title, expand=True, show_edge=False, pad_edge=False)
    table.add_column("key", no_wrap=True, style="bold")
    table.add_column("action")
    table.add_column("id", style="dim")
    table.add_column("what it does", ratio=1)
    seen: set[str] = set()
    for ab in active.values():
        b = ab.binding
        ident = b.id or b.action
        if ident in seen or not b.description:
            continue
        seen.add(ident)
        table.add_row(key_display(b), b.description, b.id or "", ab.tooltip or b.tooltip,
                      style="" if ab.enabled else "dim")
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the bindings that were active on the screen it was opened from."""

    BINDINGS = [bind("escape,q,f1,question_mark", "close", "Close", "help.close", "Close the help")]

    def __init__(self, title: str, active: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self.help_title = title
        self.active = active

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            self.table = bindings_table(self.help_title, self.active, self.app.get_key_display)
            yield Static(self.table, id="help-table")
            yield Static("Esc closes · ctrl+p opens the command palette · keys can be remapped in config.yaml "
                         "(ui.keymap: {id: keys})", id="help-foot")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
