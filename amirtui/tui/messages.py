"""Messages the TUI posts (past-tense events, small dataclasses). Worker threads post them with the thread-safe
``post_message``; handlers on the UI thread update widgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from ..core.events import Event
from ..core.review import PhotoDetail, ReviewRow


@dataclass
class PageLoaded(Message):
    """A page of review rows arrived from the DB (with the total count of the filter)."""

    rows: list[ReviewRow]
    total: int
    offset: int
    generation: int
    """Which load request produced it: stale pages (the filter changed meanwhile) are dropped."""
    series: dict[int, str] = field(default_factory=dict)
    """The series column's text by photo id ("2/5")."""


@dataclass
class LiveRowsLoaded(Message):
    """The live refresh read the rows that changed elsewhere (pipeline, Generate, publish) and the current page."""

    changed: list[ReviewRow]
    page: list[ReviewRow]
    total: int
    generation: int
    series: dict[int, str] = field(default_factory=dict)
    """The series column's text for the rows read (a regroup can change it while rows arrive)."""


@dataclass
class RowsChanged(Message):
    """Rows changed in the DB by an operator action: refresh those table lines (and the editor if shown)."""

    rows: list[ReviewRow]
    note: str = ""
    """A message for the operator (e.g. "undid approve of 3 rows"); empty for none."""
    severity: str = "information"
    reload: bool = False
    """Read the page again afterwards (a bulk decision changed rows that may be anywhere in the filter)."""


@dataclass
class DetailSaved(Message):
    """The editor's changes were saved (or reverted) and this is the row's fresh detail."""

    detail: PhotoDetail
    note: str = ""


@dataclass
class NameChecked(Message):
    """The live filename check finished: ``problem`` is empty when the name is usable."""

    photo_id: int
    name: str
    problem: str


@dataclass
class PreviewReady(Message):
    """A preview image (≤1024 px, decoded in a worker) is ready for the photo it was loaded for."""

    key: Any
    image: Any
    error: str = ""
    prepared: Any = None
    """Lines built at the widget's cell size (half-cell previews), ready to swap in."""
    size: tuple[int, int] = (0, 0)


@dataclass
class CoreEventReceived(Message):
    """An event from the core's EventBus, forwarded into the UI thread."""

    event: Event

    def can_replace(self, message: Message) -> bool:  # a burst of progress events coalesces into the newest
        return isinstance(message, CoreEventReceived) and type(message.event) is type(self.event) and getattr(
            message.event, "stage", None) == getattr(self.event, "stage", object())


@dataclass
class ActionFailed(Message):
    """An operator action failed: title, detail and the fix, for a notification."""

    title: str
    detail: str
    fix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class BulkCounted(Message):
    """The rows a bulk decision would change were counted: ask the operator to confirm that number."""

    decision: str
    count: int
    skipped_needs_work: int
    filter: Any


@dataclass
class PipelineFinished(Message):
    """The app's pipeline worker returned: the run's result (per-stage counts and times)."""

    result: Any


@dataclass
class PublishFinished(Message):
    """The app's publish worker returned: the :class:`PublishSummary`."""

    summary: Any
