"""Screen chrome: the one-line status header (screen · run state · Ollama runtime) and the compact key hint line.

The stock Footer lays every shown binding side by side and cuts the last one mid-word at 80 columns; KeyHints fits
as many ``key action`` pairs as the width allows, the screen's own first, and always ends with ``? keys`` (the help
lists every key). Both read the App; the App publishes :attr:`AmirApp.status_signal` when the run state changes.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import ActiveBinding
from textual.widgets import Static

from ..text import literal

HELP_HINT = "? keys"
SEP = "  "


def grouped_bindings(screen) -> tuple[list[ActiveBinding], list[ActiveBinding], list[ActiveBinding]]:
    """The described bindings active on ``screen``, each action once: (the screen's own, the focused widgets',
    the App's) — what both the key-hint line and the help screen list."""
    own, widgets, app = [], [], []
    seen: set[str] = set()
    for ab in screen.active_bindings.values():
        b = ab.binding
        ident = b.id or b.action
        if ident in seen or not b.description:
            continue
        seen.add(ident)
        (own if ab.node is screen else app if ab.node is screen.app else widgets).append(ab)
    return own, widgets, app


def ordered_bindings(screen) -> list[ActiveBinding]:
    """The screen's own bindings first (in their order), then the focused widgets', then the App's."""
    own, widgets, app = grouped_bindings(screen)
    return own + widgets + app


def fit_hints(items: list[tuple[str, str, bool]], width: int) -> Text:
    """``key action`` pairs that fit in ``width`` cells, whole pairs only, then ``? keys``."""
    text = Text(no_wrap=True, overflow="crop")
    room = width - len(HELP_HINT) - 1
    for key, label, enabled in items:
        piece = f"{key} {label}"
        need = len(piece) + (len(SEP) if text.plain else 0)
        if text.cell_len + need > room:
            continue  # a shorter pair further on may still fit
        if text.plain:
            text.append(SEP)
        text.append(key, "bold" if enabled else "dim").append(f" {label}", "" if enabled else "dim")
    if text.plain:
        text.append(SEP)
    text.append("?", "bold").append(" keys")
    return text


class KeyHints(Static):
    """One line: the keys of this screen that fit the width, then ``? keys``."""

    DEFAULT_CSS = "KeyHints { height: 1; dock: bottom; background: $panel; padding: 0 1; }"

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _: self.refresh_hints())
        self.call_after_refresh(self.refresh_hints)

    def on_resize(self) -> None:
        self.refresh_hints()

    def refresh_hints(self) -> None:
        """Rebuild the line from the screen's active bindings (after ``ui.keymap``)."""
        items = [(self.app.get_key_display(ab.binding), ab.binding.description, ab.enabled)
                 for ab in ordered_bindings(self.screen) if ab.binding.show and ab.binding.action != "help"]
        self.update(fit_hints(items, max(self.size.width - 2, 20)))


class StatusHeader(Static):
    """One line at the top: ``amirtui · <screen> │ <run state> │ <Ollama runtime line>``."""

    DEFAULT_CSS = "StatusHeader { height: 1; dock: top; background: $primary-background; padding: 0 1; }"

    def on_mount(self) -> None:
        signal = getattr(self.app, "status_signal", None)
        if signal is not None:
            signal.subscribe(self, lambda _: self.refresh_status())
        self.refresh_status()

    def refresh_status(self) -> None:
        """Read the screen title, run state and runtime line from the App."""
        app = self.app
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("amirtui · ", "dim").append(self.screen.title or type(self.screen).__name__, "bold")
        status = getattr(app, "run_status", "")
        if status:
            text.append(" │ ", "dim").append(literal(status))
        runtime = getattr(app, "runtime_line", "")
        if runtime:
            text.append(" │ ", "dim").append(literal(runtime.removeprefix("Ollama runtime: "), "dim"))
        self.update(text)


__all__ = ["KeyHints", "StatusHeader", "fit_hints", "ordered_bindings"]
