"""LogPane: the live run log — bounded (ui.log_lines), filterable by level, the same lines as logs/latest_run.log."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import RichLog

from ...core.redact import redact
from ..text import escape_controls

LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
_STYLE = {logging.WARNING: "yellow", logging.ERROR: "bold red", logging.CRITICAL: "bold red", logging.DEBUG: "dim"}


class LogPane(RichLog):
    """Keeps the last ``max_lines`` (level, text) pairs; ``min_level`` hides quieter lines (re-rendered on change)."""

    DEFAULT_CSS = "LogPane { height: 1fr; }"

    def __init__(self, max_lines: int = 5000, **kwargs) -> None:
        super().__init__(max_lines=max_lines, wrap=False, markup=False, highlight=False, **kwargs)
        self.lines_kept: deque[tuple[int, str]] = deque(maxlen=max_lines)
        self.min_level = logging.INFO

    def add(self, level: int, text: str) -> None:
        """Append one line (secrets redacted), shown if it passes the level filter."""
        text = escape_controls(redact(text))  # a file name's ESC ] 2 ; … BEL must not retitle the terminal
        self.lines_kept.append((level, text))
        if level >= self.min_level:
            self.write(Text(f"{logging.getLevelName(level)[:4]:4} {text}", style=_STYLE.get(level, "")))

    def extend(self, items: Iterable[tuple[int, str]]) -> None:
        """Append many lines."""
        for level, text in items:
            self.add(level, text)

    def cycle_level(self) -> str:
        """Next minimum level (DEBUG → INFO → WARNING → ERROR → DEBUG); returns its name."""
        self.min_level = LEVELS[(LEVELS.index(self.min_level) + 1) % len(LEVELS)]
        kept = list(self.lines_kept)
        self.clear()
        self.lines_kept.clear()
        self.extend(kept)
        return logging.getLevelName(self.min_level)

    @property
    def visible_texts(self) -> list[str]:
        """Texts of the lines currently passing the filter (for tests and copy)."""
        return [t for lvl, t in self.lines_kept if lvl >= self.min_level]
