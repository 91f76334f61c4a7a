"""The ``metadata_quality`` record: every caption attempt, its verdicts and, later, the human outcome.

Written by the caption stage and Generate (:func:`write_attempts`, :func:`write_outcome`); the review actions call
:func:`record_human` after approve / reject / edit / undo; ``amirtui export quality`` reads :func:`export_rows`;
the prefill QC report is built from one stage session's records (:func:`session_rows`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import peewee as pw

from ..db.models import MetadataQuality, Photo, database, utcnow
from ..states import State

if TYPE_CHECKING:  # pragma: no cover - the review hook imports this module: keep it free of the HTTP client
    from .flow import FlowResult

log = logging.getLogger(__name__)

#: Row states that mean the reviewer approved the row (it went on to publish, or is about to).
_APPROVED = frozenset({State.APPROVED.value, State.PUBLISHING.value, State.PUBLISHED.value,
                       State.PUBLISH_FAILED.value})
_REJECTED = frozenset({State.REJECTED.value})


def _next_attempt(photo_id: int) -> int:
    return (MetadataQuality.select(pw.fn.MAX(MetadataQuality.attempt))
            .where(MetadataQuality.photo == photo_id).scalar() or 0) + 1


def write_attempts(photo_id: int, result: "FlowResult", *, session: str, run_id: int | None, source: str,
                   prompt_version: str, outcome_state: str | None, reasons: Sequence[Sequence[str]] = (),
                   final_gate: Any = None) -> None:
    """One record per attempt of ``result``; the chosen one gets the stored gate verdict (``final_gate``, judged
    again under the stage's lock), the row's state and every reason it got."""
    if not result.attempts:
        return
    with database.atomic("IMMEDIATE"):
        n = _next_attempt(photo_id)
        for i, rec in enumerate(result.attempts):
            last = rec.chosen or (i == len(result.attempts) - 1 and not any(a.chosen for a in result.attempts))
            gate = final_gate if rec.chosen and final_gate is not None else rec.gate
            reply = rec.reply
            MetadataQuality.create(
                photo=photo_id, attempt=n + i, session=session, run_id=run_id, source=source, model=rec.model,
                role=rec.role, prompt_version=prompt_version, raw_sha256=rec.raw_sha256 or None, error=rec.error,
                caption=reply.caption if reply else None, alt_text=reply.alt_text if reply else None,
                keywords=list(reply.keywords) if reply else None,
                gate_status=gate.status if gate else None, gate_reasons=gate.as_json() if gate else [],
                verify_status=rec.verification.status if rec.verification else None,
                verification=rec.verification.as_json() if rec.verification else None,
                seconds=round(rec.seconds, 3), chosen=rec.chosen,
                outcome_state=outcome_state if last else None,
                reasons=[list(r) for r in reasons] if last else [])


def write_outcome(photo_id: int, *, session: str, run_id: int | None, source: str, state: str,
                  reasons: Sequence[Sequence[str]]) -> None:
    """A record for an outcome reached without a model answer this time (no host, captioning off, quarantined)."""
    with database.atomic("IMMEDIATE"):
        MetadataQuality.create(photo=photo_id, attempt=_next_attempt(photo_id), session=session, run_id=run_id,
                               source=source, role="none", outcome_state=state, reasons=[list(r) for r in reasons],
                               error="; ".join(str(r[1]) for r in reasons)[:2000] or None)


def _decision(state: str) -> str | None:
    return "approved" if state in _APPROVED else "rejected" if state in _REJECTED else None


def record_human(photo_id: int) -> None:
    """Copy the row's human outcome onto its records: decision (from its state; NULL again after an undo), final
    text and, per attempt, whether the final text differs from that attempt's text. Never raises (a review action
    must not fail over its record)."""
    try:
        recs = list(MetadataQuality.select().where(MetadataQuality.photo == photo_id))
        if not recs:  # a row with no caption attempt (manual text, captioning off): nothing to record
            return
        p = (Photo.select(Photo.state, Photo.caption, Photo.alt_text, Photo.keywords)  # not the 60-column row: this
             .where(Photo.id == photo_id).first())  # runs on every approve, and review waits for it
        if p is None:
            return
        decision = _decision(p.state)
        now = utcnow()
        final = (p.caption or "", p.alt_text or "", list(p.keywords or []))
        with database.atomic("IMMEDIATE"):
            for rec in recs:
                edited = None if rec.caption is None else (rec.caption, rec.alt_text or "",
                                                           list(rec.keywords or [])) != final
                changes = dict(human_decision=decision, human_at=now if decision else None, final_caption=final[0],
                               final_alt_text=final[1], final_keywords=final[2], human_edited=edited)
                if any(getattr(rec, k) != v for k, v in changes.items() if k != "human_at"):
                    (MetadataQuality.update(updated_at=now, **changes)
                     .where(MetadataQuality.id == rec.id).execute())
    except Exception:  # the record is evidence, not a gate: the operator's action has already happened
        log.exception("could not record the human outcome of photo %s", photo_id)


def verifier_reasons(photo: Photo) -> list[list[str]]:
    """The verifier's reasons (``unsupported_claim`` / ``not_verified``) that still apply to the row: those of its
    chosen record while its final text is still that text (an edit makes them moot; a revert brings them back)."""
    rec = (MetadataQuality.select().where((MetadataQuality.photo == photo.id) & MetadataQuality.chosen)
           .order_by(MetadataQuality.attempt.desc()).first())
    if rec is None or rec.caption is None:
        return []
    if (rec.caption, rec.alt_text or "", list(rec.keywords or [])) != (
            photo.caption or "", photo.alt_text or "", list(photo.keywords or [])):
        return []
    from .verify import NOT_VERIFIED, UNSUPPORTED

    return [list(r) for r in rec.reasons or [] if r and r[0] in (UNSUPPORTED, NOT_VERIFIED)]


def session_rows(session: str) -> list[MetadataQuality]:
    """The records of one stage session, in the order they were written."""
    return list(MetadataQuality.select().where(MetadataQuality.session == session).order_by(MetadataQuality.id))


def export_row(rec: MetadataQuality, file_name: str | None) -> dict[str, Any]:
    """One JSON line of ``amirtui export quality``: the attempt and its row's human outcome."""
    return {
        "photo_id": rec.photo.id, "file_name": file_name, "attempt": rec.attempt, "run_id": rec.run_id,
        "source": rec.source, "model": rec.model, "role": rec.role, "prompt_version": rec.prompt_version,
        "raw_sha256": rec.raw_sha256, "error": rec.error, "seconds": rec.seconds,
        "ai": None if rec.caption is None else {"caption": rec.caption, "alt_text": rec.alt_text,
                                                 "keywords": rec.keywords},
        "gate": {"status": rec.gate_status, "reasons": rec.gate_reasons},
        "verifier": rec.verification, "chosen": rec.chosen, "outcome_state": rec.outcome_state,
        "reasons": rec.reasons,
        "human": {"decision": rec.human_decision, "at": rec.human_at.isoformat() if rec.human_at else None,
                  "edited": rec.human_edited,
                  "final": None if rec.final_caption is None else {
                      "caption": rec.final_caption, "alt_text": rec.final_alt_text,
                      "keywords": rec.final_keywords}},
        "created_at": rec.created_at.isoformat(),
    }


def export_rows(since: dt.datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every attempt (oldest first; ``since``: created at or after it), with its row's human outcome."""
    q = (MetadataQuality.select(MetadataQuality, Photo.id, Photo.file_name).join(Photo)
         .order_by(MetadataQuality.created_at, MetadataQuality.id))
    if since is not None:
        q = q.where(MetadataQuality.created_at >= since)
    for rec in q.iterator():
        yield export_row(rec, rec.photo.file_name)


__all__ = ["export_row", "export_rows", "record_human", "session_rows", "verifier_reasons", "write_attempts",
           "write_outcome"]
