"""Primary-then-fallback for one photo, run from a stage (or Generate) worker thread.

Each model request is one attempt. The caller's :class:`Attempts` counts it *before* the request is sent, so a
crash mid-request is still counted (the native-crash loops of the old system); a success takes the count back.
Log tags are exact: ``[RETRY]``, ``[RETRY-OK]``, ``[RETRY-FAIL]``, ``[QUARANTINE]``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from ..events import EventBus
from .client import CaptionError, OllamaPool
from .gate import GateResult
from .schema import CaptionReply
from .verify import Verification, failed_claims_note


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
class AttemptRecord:
    """One caption request of one row: what was asked, what came back and how it was judged (for the
    ``metadata_quality`` record)."""

    model: str
    role: str  # primary | fallback
    reply: CaptionReply | None = None
    raw_sha256: str = ""
    error: str | None = None
    gate: GateResult | None = None
    verification: Verification | None = None
    seconds: float = 0.0
    chosen: bool = False
    config_error: bool = False
    """The model is not installed: a configuration problem, not the row's failure."""


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
    stopped: str | None = None
    """The primary model is not installed: captioning stops for the run (the row is not charged)."""
    verification: Verification | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)

    @property
    def last_error(self) -> str:
        """The last failure as "model: reason" (empty when none)."""
        return f"{self.failures[-1][0]}: {self.failures[-1][1]}" if self.failures else ""


def _rank(rec: AttemptRecord) -> tuple[int, int]:
    """Smaller is better: text that passed the gate (only its claims failed) first, then the fewest problems."""
    gate_failed = rec.gate is None or not rec.gate.passed
    problems = len(rec.gate.reasons if rec.gate else ()) + len(rec.verification.unsupported if rec.verification else ())
    return int(gate_failed), problems


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
    verify: Callable[[CaptionReply], Verification] | None = None,
) -> FlowResult:
    """Ask the primary model, then the fallback if the primary errs, times out, breaks the schema, is gated, or its
    claims are not supported by the photo (``verify``; the fallback is then told which claims failed).

    A model that is not installed (Ollama's 404) is a configuration error: reported once per run, never charged to
    the row; a missing fallback is left out for the rest of the run, a missing primary stops the row (``stopped``).
    """
    cfg = pool.cfg
    acct = attempts or Unlimited()
    out = FlowResult()
    candidates: list[AttemptRecord] = []
    note: dict[str, Any] | None = None

    def log(message: str, warning: bool = False) -> None:
        if bus is not None:
            (bus.warning if warning else bus.info)(message, source=source)

    def fallback_usable() -> bool:
        return bool(cfg.fallback_model) and pool.missing(cfg.fallback_model) is None

    models = [(cfg.primary_model, "primary")] + ([(cfg.fallback_model, "fallback")] if fallback_usable() else [])
    for index, (model, role) in enumerate(models):
        if index == 1 and not fallback_usable():
            break  # found missing by another row meanwhile
        if not acct.begin():
            out.quarantined = True
            break
        rec = AttemptRecord(model, role)
        out.attempts.append(rec)
        t0 = time.perf_counter()
        try:
            ask = messages if note is None else [*messages, note]
            reply = pool.call(pool.chat_once(model, ask, photo_id=photo_id, seed=seed), cancel)
        except CaptionError as exc:
            rec.seconds, rec.error, rec.raw_sha256 = time.perf_counter() - t0, f"{exc.kind}: {exc.detail}", exc.raw_sha256
            if exc.kind in ("no_host", "cancelled"):
                acct.cancelled()
                out.no_host = exc.detail if exc.kind == "no_host" else None
                out.cancelled = exc.kind == "cancelled"
                break
            if exc.kind == "not_found":
                acct.cancelled()  # the configuration is wrong, not this row
                rec.config_error = True
                first = pool.mark_missing(model, exc.detail)
                if role == "primary":
                    out.stopped = exc.detail
                    if first:
                        log(f"[CONFIG] primary {exc.detail}; captioning stops for this run, rows stay 'scored' "
                            "(not charged) for the next run")
                    break
                if first:
                    log(f"[CONFIG] fallback {exc.detail}; the fallback is off for the rest of this run", warning=True)
                break
            acct.failed(f"{model}: {exc.detail}")
            reason = exc.detail
            out.failures.append((model, reason))
        else:
            rec.seconds, rec.reply, rec.raw_sha256 = time.perf_counter() - t0, reply, reply.raw_sha256
            acct.succeeded()
            rec.gate = verdict = judge(reply)
            if verdict.passed:
                rec.verification = verify(reply) if verify is not None else None
                if rec.verification is None or not rec.verification.unsupported:
                    rec.chosen = True
                    out.reply, out.model, out.gate, out.used_fallback = reply, model, verdict, index > 0
                    out.verification = rec.verification
                    if index > 0:
                        log(f"[RETRY-OK] id={photo_id} fallback '{model}' succeeded")
                    return out
                unsupported = rec.verification.unsupported
                reason = "claims not supported: " + "; ".join(v.claim.text for v in unsupported)
                note = failed_claims_note(unsupported)
            else:
                reason = "gate: " + ", ".join(dict.fromkeys(verdict.codes))
            candidates.append(rec)
        if index == 0 and len(models) > 1:
            if acct.exhausted():  # the primary used the last attempt: quarantine instead of another request
                out.quarantined = True
                break
            if fallback_usable():
                log(f"[RETRY] id={photo_id} primary '{model}' failed ({reason}); trying fallback '{models[1][0]}'",
                    warning=True)
        elif index == 1:
            log(f"[RETRY-FAIL] id={photo_id} fallback '{model}' failed ({reason})", warning=True)
    if candidates and out.stopped is None:
        # both answered but neither text is clean: keep the one with the fewest problems for the reviewer
        best = min(candidates, key=_rank)
        best.chosen = True
        assert best.reply is not None and best.gate is not None
        out.reply, out.model, out.gate, out.used_fallback = best.reply, best.model, best.gate, best.role == "fallback"
        out.verification = best.verification
    return out
