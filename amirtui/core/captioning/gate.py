"""The ONE metadata quality gate: caption, alt text and keywords in, ``pass`` or ``needs_work`` with reasons out.

Pure: no DB, no network; the only I/O is reading its data files (``gate_*.txt`` beside this file) and the WordNet
noun index (lazily, once) for the subject rule. The pipeline, the review editor and Generate all call :func:`check`,
so there is exactly one definition of "good enough". Text that fails is never repaired here; the reasons are shown to
the reviewer. The rules live in :mod:`.gate_text` (form), :mod:`.gate_keywords`, :mod:`.gate_claims` (time of day,
impossible claims) and :mod:`.gate_subject` (the set's Subject); this module runs them in a stable order.

Reason codes (stable, shown in review and in the QC report; README "Metadata gate: reason codes" says what each
means): ``empty``, ``too_short``, ``caption_equals_alt``, ``control_chars``, ``filler_phrase``, ``leak``,
``uncertain``, ``non_latin``, ``repeated_word``, ``truncated``, ``keywords_too_few``, ``keywords_too_many``,
``keywords_duplicate``, ``keywords_fragment``, ``time_of_day``, ``implausible``, ``subject_mismatch``,
``duplicate_in_set``, ``duplicate_published``, ``near_duplicate``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from . import gate_text as gt
from .gate_claims import check_implausible, check_time_of_day
from .gate_keywords import check_keywords
from .gate_subject import check_subject
from .gate_text import normalise

MIN_CAPTION_WORDS = 6
MIN_ALT_WORDS = 5
MAX_KEYWORDS = 12
"""Default of ``captioning.max_keywords``."""
NEAR_DUPLICATE_RATIO = 0.82  # difflib ratio on normalised text; 0.82 catches "one word swapped" rewrites
CAPTION_ALT_RATIO = 0.88
LATIN_LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "nl", "pt", "da", "sv", "no", "fi", "pl", "cs", "ro"})

REASON_CODES = (
    "empty", "too_short", "caption_equals_alt", "control_chars", "filler_phrase", "leak", "uncertain", "non_latin",
    "repeated_word", "truncated", "keywords_too_few", "keywords_too_many", "keywords_duplicate", "keywords_fragment",
    "time_of_day", "implausible", "subject_mismatch", "duplicate_in_set", "duplicate_published", "near_duplicate",
)
"""Every code :func:`check` can emit."""


@dataclass(frozen=True)
class GateContext:
    """What the gate needs to know about the row beyond its text."""

    subject: str = ""
    """The set's Subject ("Common Tern", "Airbus A320"): text about another thing of its kind is refused."""
    location: str = ""
    folder: str = ""
    file_name: str = ""
    """Final catalog name and/or the original name (both may be given, separated by a space)."""
    camera: str = ""
    """Camera token / make / model, space separated (e.g. "Canon EOS 5D Mark IV")."""
    exif_datetime: str = ""
    """EXIF DateTimeOriginal "YYYY:MM:DD HH:MM:SS" (camera local time); "" when the photo has no time."""
    time_trusted: bool = True
    """False when the camera clock is known to be off (another time zone): time words are then never refused."""
    language: str = "en"
    set_captions: Sequence[str] = ()
    """Captions of the OTHER rows of the same set (pending and done)."""
    set_alts: Sequence[str] = ()
    published_captions: Iterable[str] = ()
    """Normalised (see :func:`normalise`) or raw captions already on the website."""
    published_alts: Iterable[str] = ()
    min_keywords: int = 5
    max_keywords: int = MAX_KEYWORDS
    """``captioning.max_keywords``."""


@dataclass(frozen=True)
class GateResult:
    """``status`` is "pass" or "needs_work"; ``reasons`` lists ``(code, detail)`` pairs in a stable order."""

    status: str
    reasons: list[tuple[str, str]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when the text passed."""
        return self.status == "pass"

    @property
    def codes(self) -> list[str]:
        """The reason codes only."""
        return [c for c, _ in self.reasons]

    def as_json(self) -> list[list[str]]:
        """Reasons as JSON-friendly lists (for ``Photo.gate_reasons``)."""
        return [[c, d] for c, d in self.reasons]

    def summary(self) -> str:
        """One short line: "pass" or "needs_work: code (detail); …"."""
        if self.passed:
            return "pass"
        return "needs_work: " + "; ".join(f"{c} ({d})" for c, d in self.reasons)


def similarity(a: str, b: str) -> float:
    """0–1 similarity of two texts (difflib ratio on normalised words)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    return difflib.SequenceMatcher(None, na.split(), nb.split()).ratio()


# ---------------------------------------------------------------- the gate


def check(caption: str | None, alt_text: str | None, keywords: Sequence[str] | None, *, context: GateContext) -> GateResult:
    """Judge one row's text. Returns ``GateResult("pass")`` or ``GateResult("needs_work", reasons)``."""
    reasons: list[tuple[str, str]] = []

    def add(code: str, detail: str) -> None:
        if (code, detail) not in reasons:
            reasons.append((code, detail))

    raw = [("caption", caption or ""), ("alt text", alt_text or "")]
    raw_kws = [k for k in (keywords or []) if k and k.strip()]
    # control characters first, then every other rule judges the text without them (one defect, one reason)
    for label, text in raw:
        bad = gt.control_chars(text)
        if bad:
            add("control_chars", f"{label}: {bad}")
    for k in raw_kws:
        bad = gt.control_chars(k, keyword=True)
        if bad:
            add("control_chars", f"keyword {gt.strip_controls(k)!r}: {bad}")
    caption, alt = (gt.strip_controls(t) for _, t in raw)
    kws = [c for c in (gt.strip_controls(k) for k in raw_kws) if c]

    for label, text, minimum in (("caption", caption, MIN_CAPTION_WORDS), ("alt text", alt, MIN_ALT_WORDS)):
        if not text:
            add("empty", f"{label} is empty")
        elif len(gt.words(text)) < minimum:
            add("too_short", f"{label} has {len(gt.words(text))} words (minimum {minimum})")

    if caption and alt and (normalise(caption) == normalise(alt) or similarity(caption, alt) >= CAPTION_ALT_RATIO):
        add("caption_equals_alt",
            f"caption and alt text are {similarity(caption, alt):.0%} alike; alt text must differ")

    names = " | ".join([context.subject, context.location, *kws])
    latin = context.language.split("-")[0].lower() in LATIN_LANGUAGES
    for label, text in (("caption", caption), ("alt text", alt), ("keywords", ", ".join(kws))):
        if not text:
            continue
        prose = label != "keywords"
        found = gt.filler(text) if prose else None
        if found:
            add("filler_phrase", f"{label}: {found}")
        for leak in gt.leaks(text, file_name=context.file_name, camera=context.camera, folder=context.folder):
            add("leak", f"{label}: {leak}")
        found = gt.uncertain(text) if prose else None
        if found:
            add("uncertain", f"{label}: {found}")
        found = gt.non_latin(text) if latin else None
        if found:
            add("non_latin", f"{label}: {found} in {context.language!r} text")
        if prose:
            found = gt.repeated(text, names)
            if found:
                add("repeated_word", f"{label}: {found}")
            found = gt.truncated(text)
            if found:
                add("truncated", f"{label} {found}")

    check_keywords(kws, caption, context.min_keywords, context.max_keywords, add)
    check_time_of_day(caption, alt, context.exif_datetime, context.file_name, context.time_trusted, add)
    check_implausible(caption, alt, add)
    check_subject(caption, alt, context.subject, add)
    _check_duplicates(caption, alt, context, add)
    return GateResult("needs_work" if reasons else "pass", reasons)


def _check_duplicates(caption: str, alt: str, ctx: GateContext, add) -> None:
    published_caps = {normalise(c) for c in ctx.published_captions}
    published_alts = {normalise(c) for c in ctx.published_alts}
    for label, text, siblings, published in (
        ("caption", caption, ctx.set_captions, published_caps),
        ("alt text", alt, ctx.set_alts, published_alts),
    ):
        norm = normalise(text)
        if not norm:
            continue
        sibling_norms = [normalise(s) for s in siblings if s]
        if norm in sibling_norms:
            add("duplicate_in_set", f"{label} is identical to another photo of this set")
        else:
            best = max((similarity(text, s) for s in siblings if s), default=0.0)
            if best >= NEAR_DUPLICATE_RATIO:
                add("near_duplicate", f"{label} is {best:.0%} like another photo of this set")
        if norm in published:
            add("duplicate_published", f"{label} is identical to an already published photo")
