"""Typed events the core emits, and the small thread-safe bus the TUI and the headless CLI subscribe to.

The pipeline never touches widgets: it emits events here. The TUI turns them into Textual messages
(``post_message`` is thread-safe), the headless CLI turns them into log lines and a progress line. Every event's text
is also written to ``logs/latest_run.log`` by :class:`RunLogSink`.

An event's :meth:`Event.text` is always one safe line: whatever a subclass's ``text`` builds from file names, EXIF,
model output or operator input passes through :func:`amirtui.core.redact.redact` and
:func:`amirtui.core.safe_text.escape_control` (wrapped in once per class by ``__init_subclass__``), so no listener
can print a secret or a raw terminal escape. The fields keep the raw values.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .fsnames import display_path, storable_text
from .redact import redact
from .safe_text import escape_control

log = logging.getLogger("amirtui.run")


@dataclass(frozen=True)
class Event:
    """Base of every event; ``at`` is a UNIX timestamp."""

    at: float = field(default_factory=time.time, kw_only=True)

    level: int = field(default=logging.INFO, kw_only=True)

    def text(self) -> str:
        """One human-readable line for logs (control characters escaped)."""
        return type(self).__name__

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("text")
        if own is not None and not getattr(own, "_escapes", False):
            def text(self, _own=own) -> str:
                return escape_control(redact(_own(self)))

            text.__doc__ = own.__doc__
            text._escapes = True  # type: ignore[attr-defined]
            cls.text = text  # type: ignore[method-assign]


@dataclass(frozen=True)
class LogLine(Event):
    """A free-form log line from a stage (already formatted, e.g. ``[RETRY] id=3 …``)."""

    message: str = ""
    source: str = ""

    def text(self) -> str:
        return f"{self.source}: {self.message}" if self.source else self.message


@dataclass(frozen=True)
class RunStarted(Event):
    """A run (import, pipeline, publish, recover) started."""

    run_id: int = 0
    kind: str = ""

    def text(self) -> str:
        return f"run {self.run_id} ({self.kind}) started"


@dataclass(frozen=True)
class RunFinished(Event):
    """A run ended with an outcome (ok, failed, cancelled) and a one-line summary."""

    run_id: int = 0
    kind: str = ""
    outcome: str = "ok"
    summary: str = ""

    def text(self) -> str:
        return f"run {self.run_id} ({self.kind}) finished: {self.outcome}" + (f" — {self.summary}" if self.summary else "")


@dataclass(frozen=True)
class StageProgressed(Event):
    """A pipeline stage finished one more row (or failed one): counts so far for the stage board."""

    stage: str = ""
    done: int = 0
    total: int = 0
    failed: int = 0
    retries: int = 0
    quarantined: int = 0
    rate: float = 0.0  # rows per second over the stage's active time
    in_flight: int = 0  # rows handed to the stage and not finished yet (e.g. caption requests waiting for the model)
    skipped: int = 0  # passed on without the stage's work (e.g. captioning with no Ollama): counted in ``done`` too

    @property
    def eta_seconds(self) -> float | None:
        """Seconds until the stage's known rows are through at the current rate (None before a rate is known)."""
        left = max(0, self.total - self.done - self.failed)
        if left == 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None

    def text(self) -> str:
        done = f"{self.done - self.skipped}/{self.total} done" + (f", {self.skipped} skipped" if self.skipped else "")
        eta = self.eta_seconds
        # always the same fields, like the run board: before the first row is done the rate is not known yet
        pace = f", {self.rate:.1f}/s, ETA {format_eta(eta if self.rate > 0 else None)}"
        return f"stage {self.stage}: {done}, {self.failed} failed{pace}"


def format_eta(seconds: float | None) -> str:
    """Time left as ``m:ss`` (``XhYY`` past an hour), ``—`` when unknown: the run board's form."""
    if seconds is None:
        return "—"
    secs = int(seconds)
    return f"{secs // 60}:{secs % 60:02d}" if secs < 3600 else f"{secs // 3600}h{secs % 3600 // 60:02d}"


@dataclass(frozen=True)
class RowChanged(Event):
    """A photo row changed state (or an operator edited it)."""

    photo_id: int = 0
    from_state: str = ""
    to_state: str = ""
    reason: str = ""

    def text(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"photo {self.photo_id}: {self.from_state} → {self.to_state}{why}"


@dataclass(frozen=True)
class FileRefused(Event):
    """A source file was refused at import, with the specific reason."""

    path: str = ""
    reason: str = ""
    set_id: int = 0

    def text(self) -> str:
        return f"refused {display_path(self.path)}: {self.reason}"


@dataclass(frozen=True)
class FileAccepted(Event):
    """A source file passed import checks and became a queue row."""

    path: str = ""
    photo_id: int = 0
    set_id: int = 0
    level: int = field(default=logging.DEBUG, kw_only=True)

    def text(self) -> str:
        return f"accepted {display_path(self.path)} as photo {self.photo_id}"


@dataclass(frozen=True)
class PublishStepDone(Event):
    """One publish step of one row finished (ok or failed)."""

    photo_id: int = 0
    file_name: str = ""
    step: str = ""
    ok: bool = True
    error: str = ""

    def text(self) -> str:
        state = "ok" if self.ok else f"FAILED: {self.error}"
        return f"publish id={self.photo_id} {self.file_name} {self.step} {state}"


Listener = Callable[[Event], None]


class EventBus:
    """Fan events out to subscribers. Thread-safe; a failing listener is logged and never stops the emitter."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it again."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: Event) -> None:
        """Deliver ``event`` to every listener (in the caller's thread) and to the run log."""
        log.log(event.level, redact(storable_text(event.text())))
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken UI listener must not stop the pipeline
                logging.getLogger("amirtui").exception("event listener failed")

    def info(self, message: str, source: str = "") -> None:
        """Shortcut: emit an INFO :class:`LogLine`."""
        self.emit(LogLine(message=message, source=source))

    def warning(self, message: str, source: str = "") -> None:
        """Shortcut: emit a WARNING :class:`LogLine`."""
        self.emit(LogLine(message=message, source=source, level=logging.WARNING))

    def error(self, message: str, source: str = "") -> None:
        """Shortcut: emit an ERROR :class:`LogLine`."""
        self.emit(LogLine(message=message, source=source, level=logging.ERROR))
