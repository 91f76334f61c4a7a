"""Text from files, EXIF, the model or the operator is data: shown literally, never as Rich/Textual markup, and with
control characters made visible.

``escape_controls`` is the core's one escaping rule (:func:`amirtui.core.safe_text.escape_control`: every C0, C1 and
DEL character, bidi override and undecodable byte becomes visible text). Everything else here builds on it:

- :func:`literal` — a :class:`rich.text.Text` holding a value verbatim (markup characters stay characters);
- :class:`LiteralTable` — a DataTable whose ``str`` cells are literal (the stock one parses them as markup);
- :class:`LiteralTree` — a DirectoryTree whose file names are literal.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable, DirectoryTree

from ..core.safe_text import escape_control as _escape_control  # the one escaping rule, shared with the logs


def escape_controls(value: Any, *, keep_newlines: bool = False) -> str:
    """``value`` as text with every control character (C0, C1, DEL, …) written visibly (``ESC`` → ``\\x1b``).

    ``keep_newlines`` keeps ``\\n`` for messages the app composes over several lines (a notification's "what to do"
    line); values themselves are escaped whole.
    """
    return _escape_control(value, keep="\n" if keep_newlines else "")


def literal(value: Any, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A Text showing ``value`` exactly (no markup), control characters escaped; None shows as an em dash."""
    if isinstance(value, Text):
        return value
    return Text("—" if value is None else escape_controls(value, keep_newlines=keep_newlines), style=style)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 row`` / ``3 rows`` (``many`` for irregular plurals)."""
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


#: Past tense of the review decisions (never ``verb + "d"``: that made "rejectd").
PAST = {"approve": "approved", "reject": "rejected"}


def _cell(value: Any) -> Any:
    return literal(value) if isinstance(value, str) else value


class LiteralTable(DataTable):
    """A DataTable whose string cells are data: never parsed as markup, control characters escaped.

    Styled cells are passed as :class:`Text` (built with :func:`literal`), which are kept as they are.
    """

    def add_row(self, *cells: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Add a row; every ``str`` cell becomes literal text."""
        return super().add_row(*(_cell(c) for c in cells), **kwargs)

    def update_cell(self, row_key: Any, column_key: Any, value: Any, *, update_width: bool = False) -> None:
        """Update a cell; a ``str`` value becomes literal text."""
        super().update_cell(row_key, column_key, _cell(value), update_width=update_width)


class LiteralTree(DirectoryTree):
    """A DirectoryTree that shows file names literally (a folder named ``x [@click=app.quit]`` is just a name)."""

    def process_label(self, label: Any) -> Text:
        """Labels are paths' names: literal text, control characters escaped."""
        return super().process_label(literal(label) if isinstance(label, str) else label)


__all__ = ["PAST", "LiteralTable", "LiteralTree", "escape_controls", "literal", "plural"]
