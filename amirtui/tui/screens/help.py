"""HelpScreen (F1 or ?): every key of the screen underneath — the keys that work everywhere first (in F-key order),
then the screen's own, then the focused widget's generic ones — with what each does and its id for ``ui.keymap``.

Rows are one line each at 80 columns (key · action · what it does); the id follows the description, dimmed.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..bindings import bind
from ..widgets.chrome import grouped_bindings


def _fkey_rank(ab: ActiveBinding) -> tuple[int, str]:
    """F-keys in number order first, then the rest in their given order (stable sort)."""
    m = re.match(r"f(\d+)$", ab.binding.key.split(",")[0])
    return (int(m.group(1)), "") if m else (99, "")


def help_sections(screen: Screen) -> list[tuple[str, list[ActiveBinding]]]:
    """(heading, bindings) for the help: everywhere (F-key order), this screen, the focused widget."""
    own, widget, app_keys = grouped_bindings(screen)
    app_keys.sort(key=_fkey_rank)
    title = screen.title or type(screen).__name__
    sections = [("Everywhere", app_keys), (title, own)]
    if widget:
        sections.append(("In the focused list or field", widget))
    return [(h, items) for h, items in sections if items]


def bindings_table(title: str, screen: Screen, key_display) -> Group:
    """One Rich table per section (everywhere, this screen, the focused widget): key, action, what it does with the
    id dimmed after it; disabled rows dim. Key and action columns are as wide as their longest entry, so the
    description keeps the rest of the line even at 80 columns."""
    sections = help_sections(screen)
    every = [ab for _, items in sections for ab in items]
    key_w = max((len(key_display(ab.binding)) for ab in every), default=4)
    act_w = max((len(ab.binding.description) for ab in every), default=6)
    parts: list[Any] = [Text(title, style="bold", justify="center")]
    for heading, items in sections:
        table = Table(title=heading, title_justify="left", title_style="bold underline", expand=True,
                      show_edge=False, pad_edge=False, show_header=False, box=None)
        table.add_column("key", no_wrap=True, style="bold", width=key_w)
        table.add_column("action", no_wrap=True, width=act_w)
        table.add_column("what it does", ratio=1)
        for ab in items:
            b = ab.binding
            what = Text(ab.tooltip or b.tooltip or "")
            if b.id:
                what.append(f"  {b.id}", "dim")
            table.add_row(key_display(b), b.description, what, style="" if ab.enabled else "dim")
        parts.append(table)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen it was opened from."""

    BINDINGS = [
        bind("escape,q", "close", "Close", "help.close", "Close the help"),
        # a modal screen does not see the App's keys: F1 / ? reach the App's own help action from here (a toggle)
        bind("f1,question_mark", "app.help", "Close", "help.toggle", "F1 / ? again closes the help", show=False),
    ]

    def __init__(self, title: str, screen: Screen) -> None:
        super().__init__()
        self.help_title = title
        self.under = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            self.table = bindings_table(self.help_title, self.under, self.app.get_key_display)
            yield Static(self.table, id="help-table")
            yield Static("Esc closes · ctrl+p: command palette (every screen and action) · remap keys in config.yaml "
                         "(ui.keymap: {id: keys})", id="help-foot")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
