"""CaptionStage: scored → prefilled | needs_work | quarantined, one caption request per photo plus the verifier pass.

The runner calls :meth:`CaptionStage.process` from ``concurrency`` threads (= the sum of the hosts' parallel
limits); HTTP runs on the pool's single event loop. Gate check + write happen under one lock so two rows of the
same set captioned at the same moment still see each other's text (duplicate protection). Every attempt is kept in
``metadata_quality`` (:mod:`.record`); the QC report is built from those records.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from ..db import repo
from ..db.models import Photo, database, utcnow
from ..events import RowChanged, StageProgressed
from ..stage import Stage, StageContext
from ..states import State
from . import gate_lexicon
from .client import OllamaPool
from .context import gate_context, prompt_context, published_text
from .flow import FlowResult, caption_with_fallback
from .gate import GateResult, check
from .prompts import PROMPT_VERSION, build_messages
from .qc_report import QcReport
from .record import session_rows, write_attempts, write_outcome
from .status import installed
from .verify import Verification, Verifier, with_claims

NO_AI_TEXT = "no_ai_text"
#: The verifier's line on the stage board (StageProgressed with this stage name).
VERIFY_BOARD = "verify"


class CaptioningUnavailable(RuntimeError):
    """The stage cannot start (the primary model is installed on no reachable host): rows stay ``scored``."""


class DbAttempts:
    """``Photo.attempts`` as the failure count of captioning (persists across runs and crashes)."""

    def __init__(self, photo_id: int, max_attempts: int) -> None:
        self.photo_id = photo_id
        self.max_attempts = max_attempts

    def exhausted(self) -> bool:
        return (Photo.select(Photo.attempts).where(Photo.id == self.photo_id).scalar() or 0) >= self.max_attempts

    def begin(self) -> bool:
        # check and count in one statement: no window for another writer, one transaction instead of two
        with database.atomic("IMMEDIATE"):
            counted = Photo.update(attempts=Photo.attempts + 1, error_stage="caption").where(
                (Photo.id == self.photo_id) & (Photo.attempts < self.max_attempts)).execute()
        return counted == 1

    def succeeded(self) -> None:
        repo.update_fields(self.photo_id, attempts=Photo.attempts - 1)

    def cancelled(self) -> None:
        self.succeeded()

    def failed(self, reason: str) -> None:
        repo.update_fields(self.photo_id, last_error=reason[:2000], error_stage="caption")


class CaptionStage(Stage):
    """Caption, alt text and keywords from Ollama, judged by the one gate."""

    name = "caption"
    input_state = State.SCORED
    concurrency = 2

    def __init__(self, settings=None) -> None:
        if settings is not None:
            self.concurrency = self._threads(settings.ollama)
        self.pool: OllamaPool | None = None
        self.skip_reason: str | None = None
        self.runtime: str | None = None
        self.report: QcReport | None = None
        self.verifier: Verifier | None = None
        self.session = ""
        self._published: tuple[set[str], set[str]] = (set(), set())
        self._write_lock = threading.Lock()
        self._run_id: int | None = None

    @staticmethod
    def _threads(cfg) -> int:
        """Twice the hosts' parallel slots: while one thread waits on the model, another prepares its image and a
        third writes its result, so a host slot never idles on our own bookkeeping (the per-host semaphores still
        cap what each server sees)."""
        return 2 * max(1, sum(h.parallel for h in cfg.hosts))

    # ---------------------------------------------------------------- run lifecycle

    def setup(self, ctx: StageContext) -> None:
        """Start the client pool, check the hosts, warm the primary model up and print the runtime line."""
        cfg = ctx.settings.ollama
        self.concurrency = self._threads(cfg)
        self.report = QcReport(run_id=ctx.run_id, models=[m for m in (cfg.primary_model, cfg.fallback_model) if m])
        self.session = uuid.uuid4().hex
        self._run_id = ctx.run_id
        self._published = published_text()
        if not cfg.enabled:
            self.skip_reason = "captioning is disabled (ollama.enabled: false)"
            ctx.bus.warning(f"{self.skip_reason}: rows go to review as needs_work for manual text", source=self.name)
            return
        # The gate's WordNet (~1 s, ~70 MB) loads here, beside the model warm-up, not on the first row's answer.
        threading.Thread(target=gate_lexicon.available, name="gate-lexicon", daemon=True).start()
        self.pool = OllamaPool(cfg, ctx.bus, source=self.name).start()
        listing = self.pool.call(self.pool.probe())
        alive = {url: names for url, names in listing.items() if isinstance(names, list)}
        if not alive:
            why = "; ".join(f"{url}: {err}" for url, err in listing.items())
            self.skip_reason = f"no Ollama host reachable ({why})"
            ctx.bus.error(f"{self.skip_reason} — start Ollama (ollama serve) or fix ollama.hosts in config.yaml; "
                          "rows go to review as needs_work for manual text", source=self.name)
            return
        for url, names in alive.items():
            for model in dict.fromkeys(filter(None, (cfg.primary_model, cfg.fallback_model, self._verify_model(cfg)))):
                if not installed(model, names):
                    ctx.bus.warning(f"model '{model}' is not installed on {url}: run `ollama pull {model}`",
                                    source=self.name)
        hosts = ", ".join(alive)

        def nowhere(model: str) -> bool:
            return not any(installed(model, names) for names in alive.values())

        if nowhere(cfg.primary_model):  # a configuration error: stop once, never charge or quarantine rows
            self.pool.close()
            self.pool = None
            raise CaptioningUnavailable(
                f"primary model '{cfg.primary_model}' is not installed on {hosts}: run `ollama pull "
                f"{cfg.primary_model}` (or set ollama.primary_model); rows stay 'scored' for the next run")
        if cfg.fallback_model and nowhere(cfg.fallback_model):
            self.pool.mark_missing(cfg.fallback_model, f"model '{cfg.fallback_model}' is not installed on {hosts}")
            ctx.bus.warning(f"[CONFIG] fallback model '{cfg.fallback_model}' is not installed on {hosts}: the "
                            f"fallback is off for this run (run `ollama pull {cfg.fallback_model}`)", source=self.name)
        if cfg.verify:
            self.verifier = Verifier(self.pool, cfg.verifier_model, ctx.bus, source=self.name)
            if nowhere(cfg.verifier_model):
                self.verifier.disable(f"model '{cfg.verifier_model}' is not installed on {hosts} (run `ollama pull "
                                      f"{cfg.verifier_model}` or set ollama.verify_model)")
        self.runtime = self.pool.call(self.pool.warm_up_and_runtime(cfg.primary_model))
        ctx.bus.info(self.runtime, source=self.name)

    @staticmethod
    def _verify_model(cfg) -> str | None:
        return cfg.verifier_model if cfg.verify else None

    def teardown(self, ctx: StageContext) -> None:
        """Write the prefill QC report (from this session's records), report the verifier's time, stop the pool."""
        try:
            if self.report is not None and self.session:
                self.report.add_records(session_rows(self.session))
                if self.report.rows:
                    self.report.write(ctx.settings.data_dir)
            v = self.verifier
            if v is not None and (v.done or v.failed):
                ctx.bus.info(f"verifier: {v.done} row(s) checked, {v.mean_seconds():.2f} s per request, "
                             f"{v.failed} not verified", source=self.name)
        finally:
            if self.pool is not None:
                self.pool.close()
                self.pool = None

    # ---------------------------------------------------------------- one row

    def process(self, photo_id: int, ctx: StageContext) -> None:
        """Caption one scored photo and move it on (or leave it for the next run, or quarantine it)."""
        cfg = ctx.settings.ollama
        photo = Photo.get_by_id(photo_id)
        if photo.state != State.SCORED.value:
            return
        if self.skip_reason:
            self._finish_no_text(photo, f"no AI text: {self.skip_reason}", ctx)
            return
        assert self.pool is not None
        if self.pool.missing(cfg.primary_model):
            return  # the primary vanished mid-run (reported once): the row stays scored, not charged
        if photo.attempts >= cfg.max_attempts:
            self._quarantine(photo, ctx)
            return
        image = Path(photo.model_image_path or "")
        if not photo.model_image_path or not image.is_file():
            repo.transition(photo_id, State.QUEUED, reason=f"model image missing ({image}); it will be made again",
                            run_id=ctx.run_id, bus=ctx.bus, expect=[State.SCORED], model_image_path=None)
            return
        image_bytes = image.read_bytes()
        messages = build_messages(prompt_context(photo, cfg.language), image_bytes)

        def judge(reply) -> GateResult:
            return check(reply.caption, reply.alt_text, reply.keywords,
                         context=gate_context(photo, cfg.language, self._published,
                                              max_keywords=ctx.settings.captioning.max_keywords))

        verify = None
        if self.verifier is not None:
            pset = photo.set
            verifier = self.verifier

            def verify(reply) -> Verification:
                out = verifier.check(photo_id, image_bytes, pset.subject, reply.caption, reply.alt_text,
                                     known=(pset.subject, pset.location, pset.folder), cancel=ctx.cancel)
                self._verify_progress(ctx)
                return out

        result = caption_with_fallback(self.pool, photo_id, messages, judge=judge, bus=ctx.bus,
                                       attempts=DbAttempts(photo_id, cfg.max_attempts), cancel=ctx.cancel,
                                       source=self.name, verify=verify)
        self._store(photo, result, ctx)

    def _verify_progress(self, ctx: StageContext) -> None:
        """The verifier's line on the run board: rows checked, not verified, and checks per second."""
        import time

        v = self.verifier
        if v is None:
            return
        elapsed = time.perf_counter() - (v.started or time.perf_counter())
        ctx.bus.emit(StageProgressed(stage=VERIFY_BOARD, done=v.done, total=v.done + v.failed, failed=v.failed,
                                     rate=v.done / elapsed if elapsed > 0 else 0.0))

    def _store(self, photo: Photo, result: FlowResult, ctx: StageContext) -> None:
        cfg = ctx.settings.ollama
        photo_id = photo.id
        if result.stopped:
            self._record(photo_id, result, State.SCORED.value, [])
            return  # the primary is not installed (reported once): the row waits for the next run, not charged
        if result.reply is not None:
            with self._write_lock:
                self._store_text(photo, result, ctx)
        elif result.no_host:
            self._finish_no_text(photo, f"no AI text: {result.no_host}", ctx)
        elif result.cancelled:
            self._record(photo_id, result, State.SCORED.value, [])
            return  # the operator stopped the run: the row stays scored for the next one
        elif result.quarantined or DbAttempts(photo_id, cfg.max_attempts).exhausted():
            self._record(photo_id, result, None, [])
            self._quarantine(photo, ctx)
        else:
            photo = Photo.get_by_id(photo_id)
            ctx.bus.warning(f"[CAPTION-FAIL] id={photo_id} no usable text ({result.last_error}); attempt "
                            f"{photo.attempts} of {cfg.max_attempts}, left for the next run", source=self.name)
            self._record(photo_id, result, State.SCORED.value, [])

    def _record(self, photo_id: int, result: FlowResult, state: str | None, reasons, gate=None) -> None:
        write_attempts(photo_id, result, session=self.session, run_id=self._run_id, source=self.name,
                       prompt_version=PROMPT_VERSION, outcome_state=state, reasons=reasons, final_gate=gate)

    def _store_text(self, photo: Photo, result: FlowResult, ctx: StageContext) -> None:
        cfg = ctx.settings.ollama
        reply = result.reply
        assert reply is not None
        manual = photo.text_source == "manual"
        caption, alt, keywords = (photo.caption, photo.alt_text, photo.keywords) if manual else (
            reply.caption, reply.alt_text, list(reply.keywords))
        # judged again here, under the lock: siblings written since the flow's check must count as duplicates
        verdict = check(caption, alt, keywords, context=gate_context(
            photo, cfg.language, self._published, max_keywords=ctx.settings.captioning.max_keywords))
        # the verifier judged the AI text; manual text is the operator's own
        blocked, reasons = with_claims(verdict.as_json(), verdict.passed, None if manual else result.verification)
        to = State.NEEDS_WORK if blocked else State.PREFILLED
        fields = dict(ai_caption=reply.caption, ai_alt_text=reply.alt_text, ai_keywords=list(reply.keywords),
                      ai_model=result.model, ai_prompt_version=PROMPT_VERSION, ai_at=utcnow(),
                      gate_status="needs_work" if blocked else "pass", gate_reasons=reasons, attempts=0)
        if not manual:
            fields.update(caption=caption, alt_text=alt, keywords=keywords, text_source="ai")
        reason = ("gate passed" if not reasons else ("needs_work: " if blocked else "gate passed; ")
                  + "; ".join(f"{c} ({d})" for c, d in reasons))
        with database.atomic("IMMEDIATE"):  # the row's new state and its record: both or neither (kill -9)
            repo.transition(photo.id, to, reason=reason[:500], run_id=ctx.run_id, expect=[State.SCORED], **fields)
            self._record(photo.id, result, to.value, reasons, gate=verdict)
        self._changed(photo.id, to, reason, ctx)

    def _finish_no_text(self, photo: Photo, reason: str, ctx: StageContext) -> None:
        reasons = [[NO_AI_TEXT, reason]]
        with database.atomic("IMMEDIATE"):
            repo.transition(photo.id, State.NEEDS_WORK, reason=reason, run_id=ctx.run_id, expect=[State.SCORED],
                            gate_status="needs_work", gate_reasons=reasons)
            write_outcome(photo.id, session=self.session, run_id=self._run_id, source=self.name,
                          state=State.NEEDS_WORK.value, reasons=reasons)
        self._changed(photo.id, State.NEEDS_WORK, reason, ctx)

    def _quarantine(self, photo: Photo, ctx: StageContext) -> None:
        photo = Photo.get_by_id(photo.id)
        reason = f"captioning failed {photo.attempts} times (last: {photo.last_error or 'unknown'})"
        ctx.bus.warning(f"[QUARANTINE] id={photo.id} {reason}", source=self.name)
        with database.atomic("IMMEDIATE"):
            repo.transition(photo.id, State.QUARANTINED, reason=reason[:500], run_id=ctx.run_id,
                            expect=[State.SCORED], gate_status="needs_work", gate_reasons=[["quarantined", reason]])
            write_outcome(photo.id, session=self.session, run_id=self._run_id, source=self.name,
                          state=State.QUARANTINED.value, reasons=[["quarantined", reason]])
        self._changed(photo.id, State.QUARANTINED, reason, ctx)

    @staticmethod
    def _changed(photo_id: int, to: State, reason: str, ctx: StageContext) -> None:
        """RowChanged after the commit (listeners that read the row see its new state)."""
        ctx.bus.emit(RowChanged(photo_id=photo_id, from_state=State.SCORED.value, to_state=to.value,
                                reason=reason[:500]))
