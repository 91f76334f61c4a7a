"""Subject suggestion on the Import screen: the vision model looks at a few photos of the highlighted set (or
folder) and its answer is shown under the filename preview — never applied by itself: ctrl+b puts it into the
Subject field, where the operator can still edit it. The request runs in a thread worker
(:func:`amirtui.core.captioning.subject.suggest`, which turns every server problem into a note).

ImportScreen inherits this class; it provides ``values()``, ``sets`` and ``_highlighted_dir()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ...core.fsnames import display_name
from ..bindings import bind
from ..text import literal

if TYPE_CHECKING:
    from ..app import AmirApp

SUGGEST_ACTIONS = frozenset({"suggest_subject", "accept_subject"})


class SubjectSuggesting(Screen):
    """Base of :class:`~.import_sets.ImportScreen`: ask for, show and accept a subject suggestion."""

    BINDINGS = [
        bind("ctrl+l", "suggest_subject", "Suggest subject", "import.suggest",
             "Ask the vision model for the Subject of the highlighted set (or folder): shown, never applied by itself",
             show=False),  # the form's first line says it; the hint line keeps Start
        bind("ctrl+b", "accept_subject", "Use suggestion", "import.accept_suggestion",
             "Put the suggested subject into the Subject field", show=False),
    ]

    @dataclass
    class SubjectSuggested(Message):
        """The vision model answered (``subject``) or there is no suggestion (``note`` says why)."""

        subject: str | None
        note: str
        source: str

    sets: list[Any]
    suggestion: str | None = None
    """The last subject the model suggested (ctrl+b puts it in the Subject field)."""

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def values(self) -> dict[str, str]:  # pragma: no cover - ImportScreen defines it
        raise NotImplementedError

    def _highlighted_dir(self) -> Path | None:  # pragma: no cover - ImportScreen defines it
        raise NotImplementedError

    def suggest_check(self, action: str) -> bool | None:
        """Using a suggestion needs one. Asking always works: with Ollama off or away the answer is a note saying so."""
        if action == "accept_subject":
            return True if self.suggestion else None
        return True

    def action_suggest_subject(self) -> None:
        """Ask the model for a subject from the highlighted set's accepted photos (the sets list focused) or the
        highlighted folder's photos; the answer is shown with ctrl+b to use it — never applied by itself."""
        table = self.query_one("#import-sets", DataTable)
        folder = self.values()["folder"]
        if self.sets and table.row_count and (table.has_focus or self._highlighted_dir() is None):
            ps = self.sets[table.cursor_row]
            if not ps.accepted_paths:
                self._show_suggestion(None, f"no accepted photo in {ps.label} to look at"
                                      + (f" ({ps.problems[0]})" if ps.problems else ""))
                return
            paths, source, folder = list(ps.accepted_paths), ps.label, ps.spec.folder
        else:
            src = self._highlighted_dir()
            if src is None:
                self.notify("highlight a folder in the tree (or a set in the list) first", severity="warning")
                return
            paths, source = [src], display_name(src.name)
        self._show_suggestion(None, f"asking {self.amir.settings.ollama.primary_model} about {source}…")
        self._suggest(paths, folder, source)

    @work(thread=True, exclusive=True, exit_on_error=False, group="import-suggest", description="suggest subject")
    def _suggest(self, paths: list[Path], folder: str, source: str) -> None:
        from ...core.captioning.subject import suggest
        from ...core.filetypes import inspect_file, iter_candidates

        if len(paths) == 1 and paths[0].is_dir():  # a folder: its images, as the import would accept them
            root = paths[0]
            max_px = self.amir.settings.ingest.max_image_pixels
            paths = [p for p in iter_candidates([root], refused=[])
                     if inspect_file(p, set_root=root, max_pixels=max_px).ok]
        if not paths:
            self.post_message(self.SubjectSuggested(None, f"no photo in {source} to look at", source))
            return
        got = suggest(paths, self.amir.settings, folder=folder)
        self.post_message(self.SubjectSuggested(got.subject, got.note, source))

    @on(SubjectSuggested)
    def show_subject_suggestion(self, message: SubjectSuggested) -> None:
        """Show the suggestion (or why there is none) under the filename preview."""
        self._show_suggestion(message.subject, message.note)

    def _show_suggestion(self, subject: str | None, note: str) -> None:
        self.suggestion = subject
        line = self.query_one("#subject-suggestion", Static)
        text = Text()
        if subject:
            text.append("suggested subject: ").append(literal(subject, "bold")).append("  ctrl+b uses it", "dim")
            text.append("\n").append(literal(note, "dim"))
        else:
            text.append(literal(note, "yellow"))
        line.update(text)
        line.set_class(True, "-shown")
        self.refresh_bindings()

    def action_accept_subject(self) -> None:
        """Put the suggested subject into the Subject field (the operator can still edit it)."""
        if not self.suggestion:
            self.notify("no subject suggestion to use: ctrl+l asks the model", severity="warning")
            return
        field = self.query_one("#subject", Input)
        field.value = self.suggestion
        field.focus()
        self.call_after_refresh(field.action_end)  # a focused Input selects all: the cursor goes to the end instead
        self.notify(f"Subject set to the suggestion: {self.suggestion}", timeout=3, markup=False)
