"""Transient publish faults and the bounded retry around one publish step.

A dropped link, a server restarting or MySQL gone for a few seconds is *transient*: the step is tried again within the
run, after a growing pause (``publish.retry_delay`` doubling up to ``publish.retry_max_delay``), on a freshly opened
connection, at most ``publish.retries`` more times. Only then does the row fail. Anything else — a refused login, an
unknown host key, a foreign file at the destination, a refused row — is not retried: waiting would not change it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .targets import PublishError, TransientError, UploadVerifyFailed

__all__ = ["TransientError", "RetryPolicy", "with_retry"]  # TransientError lives beside PublishError (no cycle)

log = logging.getLogger("amirtui.publish")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a step is retried after a transient fault."""

    retries: int = 3
    delay: float = 1.0
    max_delay: float = 10.0

    @classmethod
    def from_settings(cls, settings: Any) -> RetryPolicy:
        """From ``publish.retries`` / ``retry_delay`` / ``retry_max_delay`` (defaults when a setting is absent)."""
        p = settings.publish
        return cls(int(getattr(p, "retries", cls.retries)), float(getattr(p, "retry_delay", cls.delay)),
                   float(getattr(p, "retry_max_delay", cls.max_delay)))

    def pause(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based): delay · 2^(attempt-1), capped."""
        return min(self.max_delay, self.delay * (2 ** (attempt - 1)))


def with_retry(fn: Callable[[], T], policy: RetryPolicy, *, reset: Callable[[], None],
               cancel: threading.Event | None = None,
               on_retry: Callable[[int, float, PublishError], None] | None = None) -> T:
    """Run ``fn``; on :class:`TransientError` (or an upload cut short) call ``reset()`` (drop the connections),
    wait, and try again — at most ``policy.retries`` more times, and not after ``cancel`` is set. The last error is
    raised as is."""
    attempt = 0
    while True:
        try:
            return fn()
        except (TransientError, UploadVerifyFailed) as exc:  # a transfer cut short is worth another try too
            attempt += 1
            if attempt > policy.retries or (cancel is not None and cancel.is_set()):
                raise
            wait = policy.pause(attempt)
            try:
                reset()
            except Exception as inner:  # noqa: BLE001 - closing a dead connection may fail; the retry reconnects
                log.debug("reset before retry failed: %s", inner)
            if on_retry is not None:
                on_retry(attempt, wait, exc)
            if cancel is not None:
                if cancel.wait(wait):
                    raise
            else:
                threading.Event().wait(wait)


def reset_lane(lane: Any) -> None:
    """Drop a publish lane's connections after a transient fault: the retry opens fresh ones."""
    lane.target.close()
    if getattr(lane, "catalog", None) is not None:
        lane.catalog.close()


def announce(bus: Any, policy: RetryPolicy, photo_id: int, file_name: str | None, step: str
             ) -> Callable[[int, float, PublishError], None]:
    """An ``on_retry`` callback that logs each retry and shows it on the event bus (run board, headless log)."""
    from ..redact import redact

    def report(attempt: int, wait: float, exc: PublishError) -> None:
        msg = redact(f"{exc}")
        log.warning("id=%d file=%s step=%s transient fault (retry %d of %d in %.1f s): %s", photo_id, file_name, step,
                    attempt, policy.retries, wait, msg)
        bus.warning(f"{file_name}: {step} retry {attempt}/{policy.retries} in {wait:.1f} s after a connection "
                    f"problem: {msg}", source="publish")
    return report
