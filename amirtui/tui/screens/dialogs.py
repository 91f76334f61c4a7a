"""Small modal dialogs: yes/no confirmation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..bindings import bind
from ..text import literal


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True for yes. ``y``/Enter confirm, ``n``/Escape cancel."""

    BINDINGS = [
        bind("y", "answer(True)", "Yes", "confirm.yes", "Do it"),
        bind("n,escape", "answer(False)", "No", "confirm.no", "Cancel, change nothing"),
    ]

    def __init__(self, question: str, *, title: str = "Confirm", yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.title_text = title
        self.labels = (yes, no)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(literal(self.title_text, "bold"), id="dialog-title")
            yield Static(literal(self.question, keep_newlines=True), id="dialog-question")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.labels[0]} (y)", variant="primary", id="yes")
                yield Button(f"{self.labels[1]} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A click or Enter on a button answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        """Answer with a key."""
        self.dismiss(yes)
