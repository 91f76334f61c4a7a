"""Editing half of the review screen: the editor form (save, revert, Escape, live filename check) and Generate.

Kept apart from :mod:`.review` (table, decisions, bulk, undo, filters) so each file holds one idea; ReviewScreen
inherits this class. Saves run in thread workers and post messages back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.screen import Screen
from textual.widgets import Input

from ...core import review as rv
from ...core import review_edit as rve
from ...core.errors import AmirError
from ...core.naming_catalog import CatalogNameCache
from ..messages import ActionFailed, DetailSaved, NameChecked, RowsChanged
from ..widgets.editor import EditorPanel
from ..widgets.review_table import ReviewTable

if TYPE_CHECKING:
    from ..app import AmirApp


class ReviewEditing(Screen):
    """Base of :class:`~.review.ReviewScreen`: everything the editor panel and Generate do."""

    _busy: set[int]
    review_filter: rv.ReviewFilter

    @property
    def amir(self) -> AmirApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]


    @property
    def table(self) -> ReviewTable:
        """The queue table."""
        return self.query_one(ReviewTable)

    @property
    def editor(self) -> EditorPanel:
        """The editor panel."""
        return self.query_one(EditorPanel)

    def _current(self) -> int | None:
        return self.table.current_id


    # -- editing
    def action_edit(self) -> None:
        """Focus the next editor field."""
        if self.editor.detail is not None:
            self.editor.focus_field()

    def action_save(self) -> None:
        """Save the editor (same as Enter in a field)."""
        if self.editor.detail is not None:
            self._save(self.editor.detail.id, self.editor.values())

    @on(EditorPanel.SaveRequested)
    def save_requested(self, message: EditorPanel.SaveRequested) -> None:
        """Enter in the editor."""
        self._save(message.photo_id, message.values)

    def _catalog_secrets(self) -> object:
        from ...secrets import load_secrets

        settings = self.amir.settings
        try:
            return load_secrets(settings) if settings.publish.mysql.enabled else None
        except AmirError:
            return None  # the catalog read then says what is missing

    def _catalog_holds(self, name: str) -> bool:
        """Does the website (mirror, or MySQL when enabled) hold ``name``? A rename to such a name is refused;
        :class:`~amirtui.core.naming_catalog.CatalogUnreadable` (an AmirError) is shown like any other refusal."""
        from ...core.naming_catalog import catalog_holds

        return catalog_holds(self.amir.settings, name, self._catalog_secrets())

    def _catalog_cache(self) -> CatalogNameCache:
        """The website's names for the check while typing, read at most once a minute."""
        cache = getattr(self, "_name_cache", None)
        if cache is None:
            from ...core.naming_catalog import catalog_names

            cache = self._name_cache = CatalogNameCache(
                lambda: catalog_names(self.amir.settings, self._catalog_secrets()))
        return cache

    @work(thread=True, exclusive=True, exit_on_error=False, group="save", description="save edits")
    def _save(self, photo_id: int, values: dict[str, str]) -> None:
        try:
            detail = rve.save_edits(photo_id, caption=values["caption"], alt_text=values["alt_text"],
                                   keywords=values["keywords"], file_name=values["file_name"], title=values["title"],
                                   max_length=self.amir.settings.naming.max_length,
                                   language=self.amir.settings.ollama.language, bus=self.amir.bus,
                                   catalog_holds=self._catalog_holds)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        self.post_message(DetailSaved(detail, f"saved #{photo_id}"))
        self.post_message(RowsChanged([rv.get_row(photo_id)]))

    def action_revert(self) -> None:
        """Final text ← AI text."""
        pid = self._current()
        if pid is not None:
            self._revert(pid)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save", description="revert to AI text")
    def _revert(self, photo_id: int) -> None:
        try:
            detail = rve.revert_text(photo_id, language=self.amir.settings.ollama.language, bus=self.amir.bus)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
            return
        self.post_message(DetailSaved(detail, f"#{photo_id}: text reverted to the AI text"))
        self.post_message(RowsChanged([rv.get_row(photo_id)]))

    @on(DetailSaved)
    def saved(self, message: DetailSaved) -> None:
        """Show the saved values and go back to the table."""
        if self.editor.detail is not None and self.editor.detail.id == message.detail.id:
            self.editor.bind_detail(message.detail)
            self.table.focus()
        if message.note:
            self.notify(message.note, timeout=3)

    def action_cancel_edit(self) -> None:
        """Escape: discard unsaved edits (or the search text) and return to the table."""
        if self.focused is self.query_one("#search", Input):
            self.query_one("#search", Input).value = self.review_filter.text
        else:
            self.editor.revert()
        self.table.focus()

    @on(EditorPanel.NameEdited)
    def name_edited(self, message: EditorPanel.NameEdited) -> None:
        """Check the typed filename against reservations and the website's names while the operator types."""
        self._check_name(message.photo_id, message.name)

    @work(thread=True, exclusive=True, exit_on_error=False, group="namecheck", description="check filename")
    def _check_name(self, photo_id: int, name: str) -> None:
        problem = rve.check_name(name, photo_id, max_length=self.amir.settings.naming.max_length,
                                 catalog_holds=self._catalog_cache().holds)
        self.post_message(NameChecked(photo_id, name, problem))

    @on(NameChecked)
    def show_name_check(self, message: NameChecked) -> None:
        """Show the result next to the field if it is still the name being typed."""
        if self.editor.detail is not None and self.editor.detail.id == message.photo_id and \
                self.editor.values()["file_name"] == message.name:
            self.editor.set_name_status(message.problem)

    # -- generate
    def action_generate(self) -> None:
        """Caption the row again with the model (in a worker; the row shows it is busy)."""
        pid = self._current()
        if pid is None or pid in self._busy:
            return
        self._busy.add(pid)
        self.table.update_row(rv.get_row(pid), busy="⟳ generating")
        self._generate(pid)

    @work(thread=True, exit_on_error=False, group="generate", description="generate caption")
    def _generate(self, photo_id: int) -> None:
        try:
            from ...core.captioning.generate import (
                generate_row,  # lazy: optional, and heavy to import
            )
        except ImportError as exc:
            self.post_message(ActionFailed("Generate unavailable", f"captioning is not available in this install ({exc})",
                                           "check that amirtui.core.captioning is installed and Ollama is enabled"))
            self.post_message(RowsChanged([rv.get_row(photo_id)]))
            return
        note, severity = "", "information"
        try:
            result = generate_row(photo_id, self.amir.settings, self.amir.bus)
        except AmirError as exc:
            self.post_message(ActionFailed(exc.title, exc.detail, exc.fix))
        except Exception as exc:  # noqa: BLE001 - the model server can fail in many ways: tell the operator, keep the app
            self.post_message(ActionFailed("Generate failed", f"photo {photo_id}: {exc}", "see logs/latest_run.log"))
        else:
            if not getattr(result, "ok", True):
                note, severity = f"#{photo_id}: Generate failed — {result.error}", "error"
            elif getattr(result, "kept_manual", False):
                note = f"#{photo_id}: new AI text saved; your edited text was kept (revert with ctrl+r to use it)"
            else:
                note = f"#{photo_id}: new text generated → {getattr(result, 'state', '')}"
        self.post_message(RowsChanged([rv.get_row(photo_id)], note, severity))
