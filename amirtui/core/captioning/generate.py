"""Generate (row retry) for the review screen: regenerate one row's AI text, nudged to differ from its set.

AI text and final text are separate fields: the operator's manual edits are kept unless ``replace_manual``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from ..db import repo
from ..db.models import Photo, utcnow
from ..events import EventBus
from ..states import State
from .client import OllamaPool
from .context import gate_context, prompt_context, published_text
from .flow import caption_with_fallback
from .gate import GateResult, check
from .prompts import PROMPT_VERSION, build_messages
from .record import write_attempts
from .verify import Verifier, with_claims

#: States a reviewer may regenerate from (the review queue and scored rows that missed the stage).
GENERATABLE = frozenset({State.PREFILLED, State.NEEDS_WORK, State.QUARANTINED, State.APPROVED, State.SCORED})


@dataclass
class GenerateResult:
    """What Generate did: ``ok`` with the new state and gate verdict, or ``error`` saying why not."""

    photo_id: int
    ok: bool
    state: str
    gate: GateResult | None = None
    model: str | None = None
    kept_manual: bool = False
    error: str = ""


def generate_row(photo_id: int, settings, bus: EventBus | None, *, replace_manual: bool = False,
                 pool: OllamaPool | None = None) -> GenerateResult:
    """Regenerate one row's caption / alt text / keywords (a different seed and a nudge away from its siblings).

    Blocking (call it from a worker thread). ``pool`` lets a caller reuse a started pool; else one is made.
    """
    cfg = settings.ollama
    photo = Photo.get_by_id(photo_id)
    if State(photo.state) not in GENERATABLE:
        return GenerateResult(photo_id, False, photo.state, error=f"a '{photo.state}' row cannot be regenerated")
    if not cfg.enabled:
        return GenerateResult(photo_id, False, photo.state, error="captioning is disabled (ollama.enabled: false)")
    from ..model_image_stage import ensure_model_image

    try:  # cleaned after a reject that was undone, or lost: made again from the staged copy
        image = ensure_model_image(photo, settings)
    except (OSError, ValueError) as exc:
        return GenerateResult(photo_id, False, photo.state, error=f"no model image: {exc}")
    published = published_text()
    kmax = settings.captioning.max_keywords
    messages = build_messages(prompt_context(photo, cfg.language, nudge=True), image.read_bytes())

    def judge(reply) -> GateResult:
        return check(reply.caption, reply.alt_text, reply.keywords,
                     context=gate_context(photo, cfg.language, published, max_keywords=kmax))

    own = pool is None
    pool = pool or OllamaPool(cfg, bus, source="generate").start()
    image_bytes = messages[-1].get("images", [None])[0]
    pset = photo.set
    verifier = Verifier(pool, cfg.verifier_model, bus, source="generate") if cfg.verify else None

    def verify(reply):
        assert verifier is not None
        return verifier.check(photo_id, image_bytes, pset.subject, reply.caption, reply.alt_text,
                              known=(pset.subject, pset.location, pset.folder))

    try:
        # a fresh seed: same image + same seed + low temperature would give the same text back
        result = caption_with_fallback(pool, photo_id, messages, judge=judge, bus=bus, seed=random.randrange(1, 2**31),
                                       source="generate", verify=verify if verifier else None)
    finally:
        if own:
            pool.close()
    session = uuid.uuid4().hex

    def record(state: str | None, reasons=(), gate=None) -> None:
        write_attempts(photo_id, result, session=session, run_id=None, source="generate",
                       prompt_version=PROMPT_VERSION, outcome_state=state, reasons=reasons, final_gate=gate)

    if result.reply is None:
        record(photo.state)
        why = result.stopped or result.no_host or result.last_error or "no answer"
        return GenerateResult(photo_id, False, photo.state, error=f"no new text: {why}")

    reply = result.reply
    photo = Photo.get_by_id(photo_id)
    ai = dict(ai_caption=reply.caption, ai_alt_text=reply.alt_text, ai_keywords=list(reply.keywords),
              ai_model=result.model, ai_prompt_version=PROMPT_VERSION, ai_at=utcnow())
    if photo.text_source == "manual" and not replace_manual:
        repo.update_fields(photo_id, **ai)
        record(photo.state)
        return GenerateResult(photo_id, True, photo.state, gate=None, model=result.model, kept_manual=True)
    verdict = check(reply.caption, reply.alt_text, reply.keywords, context=gate_context(photo, cfg.language, published,
                                                                                     max_keywords=kmax))
    blocked, reasons = with_claims(verdict.as_json(), verdict.passed, result.verification)
    to = State.NEEDS_WORK if blocked else State.PREFILLED
    summary = "; ".join(f"{c} ({d})" for c, d in reasons) or "pass"
    repo.transition(photo_id, to, reason=f"generate: {summary}"[:500], actor="operator", bus=bus,
                    caption=reply.caption, alt_text=reply.alt_text, keywords=list(reply.keywords), text_source="ai",
                    gate_status="needs_work" if blocked else "pass", gate_reasons=reasons, attempts=0, **ai)
    record(to.value, reasons, verdict)
    return GenerateResult(photo_id, True, to.value, gate=verdict, model=result.model)
