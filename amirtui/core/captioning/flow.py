"""Primary-then-fallback for one photo, run from a stage (or Generate) worker thread.

Each model request is one attempt. The caller's :class:`Attempts` counts it *before* the request is sent, so a
crash mid-request is still counted (the native-crash loops of the old system); a success takes the count back.
Log tags are exact: ``[RETRY]``, ``[RETRY-OK]``, ``[RETRY-FAIL]``, ``[QUARANTINE]``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..events import EventBus
from .client import CaptionError, OllamaPool
from .gate import GateResult
from .schema import CaptionReply


class Attempts(Protocol):
    """Failure accounting for one row (the stage keeps it in ``Photo.attempts``)."""

    def begin(self) -> bool:
        """Count an attempt before a request; False when the row has no attempts left (quarantine)."""

    def succeeded(self) -> None:
        """The request answered: take back the attempt counted by :meth:`begin`."""

    def failed(self, reason: str) -> None:
        """The request failed: keep the count and remember why."""

    def cancelled(self) -> None:
        """The request never got a fair chance (no host, operator cancel): take the attempt back."""

    def exhausted(self) -> bool:
        """True when no attempt is left."""


class Unlimited:
    """Accounting for Generate: an operator-triggered retry never quarantines."""

    def begin(self) -> bool:
        return True

    def succeeded(self) -> None:
        pass

    def failed(self, reason: str) -> None:
        pass

    def cancelled(self) -> None:
        pass

    def exhausted(self) -> bool:
        return False


@dataclass
class FlowResult:
    """What happened for one photo: the chosen reply (if any), its gate verdict, and every failure on the way."""

    reply: CaptionReply | None = None
    model: str | None = None
    gate: GateResult | None = None
    used_fallback: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)  # (model, reason)
    quarantined: bool = False
    no_host: str | None = None
    cancelled: bool = False

    @property
    def last_error(self) -> str:
        """The last failure as "model: reason" (empty when none)."""
        return f"{self.failures[-1][0]}: {self.failures[-1][1]}" if self.failures else ""


def caption_with_fallback(
    pool: OllamaPool,
    photo_id: int,
    messages: list[dict[str, Any]],
    *,
    judge: Callable[[CaptionReply], GateResult],
    bus: EventBus | None,
    attempts: Attempts | None = None,
    cancel: threading.Event | None = None,
    seed: int | None = None,
    source: str = "caption",
) -> FlowResult:
    """Ask the primary model, then the fallback if the primary errs, times out, breaks the schema or is gated."""
    cfg = pool.cfg
    models = [cfg.primary_model] + ([cfg.fallback_model] if cfg.fallback_model else [])
    acct = attempts or Unlimited()
    out = FlowResult()
    gated: list[tuple[CaptionReply, str, GateResult]] = []

    def log(message: str, warning: bool = False) -> None:
        if bus is not None:
            (bus.warning if warning else bus.info)(message, source=source)

    for index, model in enumerate(models):
        if not acct.begin():
            out.quarantined = True
            break
        try:
            reply = pool.call(pool.chat_once(model, messages, photo_id=photo_id, seed=seed), cancel)
        except CaptionError as exc:
            if exc.kind in ("no_host", "cancelled"):
                acct.cancelled()
                out.no_host = exc.detail if exc.kind == "no_host" else None
                out.cancelled = exc.kind == "cancelled"
                break
            acct.failed(f"{model}: {exc.detail}")
            reason = exc.detail
            out.failures.append((model, reason))
        else:
            acct.succeeded()
            verdict = judge(reply)
            if verdict.passed:
                out.reply, out.model, out.gate, out.used_fallback = reply, model, verdict, index > 0
                if index > 0:
                    log(f"[RETRY-OK] id={photo_id} fallback '{model}' succeeded")
                return out
            reason = "gate: " + ", ".join(dict.fromkeys(verdict.codes))
            gated.append((reply, model, verdict))
        if index == 0 and len(models) > 1:
            if acct.exhausted():  # the primary used the last attempt: quarantine instead of another request
                out.quarantined = True
                break
            log(f"[RETRY] id={photo_id} primary '{model}' failed ({reason}); trying fallback '{models[1]}'",
                warning=True)
        elif index == 1:
            log(f"[RETRY-FAIL] id={photo_id} fallback '{model}' failed ({reason})", warning=True)
    if gated:
        # both answered but the gate blocked them: keep the text with the fewest problems for the reviewer
        reply, model, verdict = min(gated, key=lambda g: len(g[2].reasons))
        out.reply, out.model, out.gate, out.used_fallback = reply, model, verdict, model != models[0]
    return out
