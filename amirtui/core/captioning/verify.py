"""The verifier pass: after a caption passed the gate, one structured request asks the model whether the photo
supports each claim of the text (``supported`` / ``not_supported`` / ``cannot_tell``).

It goes through the same :class:`~.client.OllamaPool` as captioning (hosts, parallel limits, timeouts, watchdog).
A verifier failure never blocks a row: the row gets a ``not_verified`` note instead. After
:data:`OUTAGE_STRIKES` failures in a row the verifier is switched off for the rest of the run (one warning), so an
outage costs a few timeouts, not one per row.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..events import EventBus
from .claims import Claim, extract_claims
from .client import CaptionError, OllamaPool
from .schema import ReplyInvalid, parse_object

VERIFY_PROMPT_VERSION = "verify-v1"
VERDICTS = ("supported", "not_supported", "cannot_tell")
#: Verifier failures in a row after which it is off for the rest of the run.
OUTAGE_STRIKES = 3
#: Reason codes this pass adds (the gate owns the others).
UNSUPPORTED = "unsupported_claim"
NOT_VERIFIED = "not_verified"

SYSTEM_PROMPT = (
    "You check statements about a photo against the photo itself. For each numbered claim answer "
    '"supported" when the photo clearly shows it, "not_supported" when the photo shows something else or the thing '
    'is not there, and "cannot_tell" when the photo cannot show it either way (a place name, something too small to '
    "judge). Judge only what is visible. Answer JSON only: "
    '{"verdicts": [{"id": 1, "verdict": "supported", "note": "a few words on what you see"}]} with one entry per claim.'
)


@dataclass(frozen=True)
class ClaimVerdict:
    """The model's verdict on one claim."""

    claim: Claim
    verdict: str
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON form (metadata_quality record, QC report)."""
        return {"kind": self.claim.kind, "claim": self.claim.text, "verdict": self.verdict, "note": self.note}


@dataclass
class Verification:
    """The verifier's outcome for one text: verdicts, or why there are none (``error``) or none were needed."""

    model: str
    claims: list[Claim] = field(default_factory=list)
    verdicts: list[ClaimVerdict] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def unsupported(self) -> list[ClaimVerdict]:
        """Claims the photo does not support."""
        return [v for v in self.verdicts if v.verdict == "not_supported"]

    @property
    def status(self) -> str:
        """``supported`` (nothing refuted, also when there was no claim), ``unsupported`` or ``not_verified``."""
        if self.error is not None:
            return NOT_VERIFIED
        return "unsupported" if self.unsupported else "supported"

    def reason(self) -> tuple[str, str] | None:
        """The row's reason from this pass: ``unsupported_claim`` with the claims, ``not_verified`` with why."""
        if self.error is not None:
            return NOT_VERIFIED, f"claims not checked against the photo: {self.error}"
        if self.unsupported:
            listed = "; ".join(f"{v.claim.text!r}" + (f" ({v.note})" if v.note else "") for v in self.unsupported)
            return UNSUPPORTED, f"not supported by the photo: {listed}"
        return None

    def as_json(self) -> dict[str, Any]:
        """JSON form for the record."""
        return {"model": self.model, "status": self.status, "error": self.error, "seconds": round(self.seconds, 3),
                "verdicts": [v.as_dict() for v in self.verdicts],
                "claims": [c.as_dict() for c in self.claims]}


def verify_schema(n: int) -> dict[str, Any]:
    """The ``format=`` schema: exactly ``n`` verdicts, each an id and one of :data:`VERDICTS`."""
    return {
        "type": "object",
        "properties": {"verdicts": {
            "type": "array", "minItems": n, "maxItems": n,
            "items": {"type": "object", "properties": {
                "id": {"type": "integer", "minimum": 1, "maximum": n},
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "note": {"type": "string"}},
                "required": ["id", "verdict"]}}},
        "required": ["verdicts"],
    }


def build_messages(subject: str, claims: Sequence[Claim], image: bytes | str | None) -> list[dict[str, Any]]:
    """System + user message (the model image attached) for one verifier request."""
    lines = [f"Subject of this photo set, as the photographer named it: {subject or '(not given)'}.",
             "Claims made about this photo:"]
    lines += [f"{i}. ({c.kind}) {c.text}" for i, c in enumerate(claims, 1)]
    user: dict[str, Any] = {"role": "user", "content": "\n".join(lines)}
    if image is not None:
        user["images"] = [image]
    return [{"role": "system", "content": SYSTEM_PROMPT}, user]


def parse_verdicts(claims: Sequence[Claim]):
    """A parser for :meth:`OllamaPool.chat_once`: the answer → one :class:`ClaimVerdict` per claim, or
    :class:`ReplyInvalid` (an id missing, unknown or twice, a verdict outside :data:`VERDICTS`)."""

    def parse(content: str, thinking: str = "") -> list[ClaimVerdict]:
        data = parse_object(content, thinking)
        items = data.get("verdicts")
        if not isinstance(items, list):
            raise ReplyInvalid("schema", "verifier answer has no 'verdicts' list")
        found: dict[int, ClaimVerdict] = {}
        for item in items:
            if not isinstance(item, dict):
                raise ReplyInvalid("schema", f"verdict entry is not an object: {item!r:.60}")
            ident, verdict = item.get("id"), str(item.get("verdict", "")).strip().lower().replace(" ", "_")
            if not isinstance(ident, int) or not 1 <= ident <= len(claims) or ident in found:
                raise ReplyInvalid("schema", f"verdict for an unknown or repeated claim id {ident!r}")
            if verdict not in VERDICTS:
                raise ReplyInvalid("schema", f"verdict {item.get('verdict')!r} for claim {ident} is not one of "
                                             + ", ".join(VERDICTS))
            found[ident] = ClaimVerdict(claims[ident - 1], verdict, str(item.get("note") or "")[:200])
        missing = [i for i in range(1, len(claims) + 1) if i not in found]
        if missing:
            raise ReplyInvalid("schema", f"no verdict for claim(s) {', '.join(map(str, missing))}")
        return [found[i] for i in range(1, len(claims) + 1)]

    return parse


class Verifier:
    """The verifier for one run (or one Generate call): its model, its outage switch and its timings."""

    def __init__(self, pool: OllamaPool, model: str, bus: EventBus | None = None, *, source: str = "caption") -> None:
        self.pool, self.model, self.bus, self.source = pool, model, bus, source
        self.disabled: str | None = None
        self.strikes = 0
        self.seconds: list[float] = []
        self.done = 0
        self.failed = 0
        self.started: float | None = None
        self._lock = threading.Lock()

    def disable(self, reason: str) -> None:
        """Switch the verifier off for the rest of the run (logged once)."""
        with self._lock:
            if self.disabled is not None:
                return
            self.disabled = reason
        if self.bus is not None:
            self.bus.warning(f"[VERIFY-OFF] claim verifier off for the rest of this run: {reason}; rows get a "
                             "not_verified note", source=self.source)

    def check(self, photo_id: int | None, image: bytes | str | None, subject: str, caption: str, alt_text: str,
              *, known: Sequence[str] = (), cancel: threading.Event | None = None) -> Verification:
        """Verify one text's claims; never raises for the model's or the server's failure."""
        out = Verification(self.model, extract_claims(caption, alt_text, known=known))
        if self.disabled is not None:
            out.error = f"verifier off ({self.disabled})"
            return self._count(out)
        if not out.claims:
            return out  # nothing checkable: nothing to ask
        t0 = time.perf_counter()
        with self._lock:
            self.started = self.started or t0
        try:
            out.verdicts = self.pool.call(self.pool.chat_once(
                self.model, build_messages(subject, out.claims, image), photo_id=photo_id,
                schema=verify_schema(len(out.claims)), parse=parse_verdicts(out.claims),
                num_predict=64 + 48 * len(out.claims), count_strikes=False), cancel)
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong here, the row goes on with a note
            if not isinstance(exc, CaptionError):
                exc = CaptionError("internal", f"{type(exc).__name__}: {exc}")
            out.error = f"{exc.kind}: {exc.detail}"
            if exc.kind == "not_found":
                self.disable(f"model '{self.model}' is not installed (run: ollama pull {self.model})")
            elif exc.kind != "cancelled":
                with self._lock:
                    self.strikes += 1
                    strikes = self.strikes
                if strikes >= OUTAGE_STRIKES:
                    self.disable(f"{strikes} verifier requests in a row failed (last: {exc.detail})")
        else:
            with self._lock:
                self.strikes = 0
        out.seconds = time.perf_counter() - t0
        return self._count(out)

    def _count(self, out: Verification) -> Verification:
        with self._lock:
            if out.error is None:
                self.done += 1
                self.seconds.append(out.seconds)
            else:
                self.failed += 1
        return out

    def mean_seconds(self) -> float:
        """Mean time of an answered verifier request (0 when none)."""
        with self._lock:
            return sum(self.seconds) / len(self.seconds) if self.seconds else 0.0


def with_claims(gate_reasons: list[list[str]], gate_passed: bool,
                verification: Verification | None) -> tuple[bool, list[list[str]]]:
    """The row's verdict once the verifier is heard: (blocked, reasons). ``unsupported_claim`` blocks like a gate
    reason; ``not_verified`` is a note that never blocks."""
    reasons = [list(r) for r in gate_reasons]
    claim = verification.reason() if verification is not None else None
    if claim is not None:
        reasons.append(list(claim))
    return (not gate_passed or (claim is not None and claim[0] == UNSUPPORTED)), reasons


def failed_claims_note(unsupported: Sequence[ClaimVerdict]) -> dict[str, Any]:
    """The user message that asks the fallback model again with the refuted claims named (no templated repair)."""
    listed = "; ".join(f'"{v.claim.text}"' for v in unsupported)
    return {"role": "user", "content": (
        f"An earlier description of this photo made claims the photo does not support: {listed}. Look at the photo "
        "again and describe only what is visible; do not repeat those claims.")}


__all__ = ["ClaimVerdict", "NOT_VERIFIED", "UNSUPPORTED", "Verification", "Verifier", "VERIFY_PROMPT_VERSION",
           "build_messages", "failed_claims_note", "parse_verdicts", "verify_schema", "with_claims"]
