"""The ONE metadata quality gate: caption, alt text and keywords in, ``pass`` or ``needs_work`` with reasons out.

Pure: no DB, no network; the only I/O is reading its phrase lists (``gate_*.txt`` beside this file) once. The
pipeline, the review editor and Generate all call :func:`check`, so there is exactly one definition of "good enough".
Text that fails is never repaired here; the reasons are shown to the reviewer.

Reason codes (stable, shown in review and in the QC report):
``empty``, ``too_short``, ``caption_equals_alt``, ``filler_phrase``, ``leak``, ``uncertain``, ``non_latin``,
``repeated_word``, ``truncated``, ``keywords_too_few``, ``keywords_duplicate``, ``keywords_fragment``,
``time_of_day``, ``duplicate_in_set``, ``duplicate_published``, ``near_duplicate``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

_HERE = Path(__file__).resolve().parent

MIN_CAPTION_WORDS = 6
MIN_ALT_WORDS = 5
NEAR_DUPLICATE_RATIO = 0.82  # difflib ratio on normalised text; 0.82 catches "one word swapped" rewrites
CAPTION_ALT_RATIO = 0.88
LATIN_LANGUAGES = frozenset({"en", "de", "fr", "es", "it", "nl", "pt", "da", "sv", "no", "fi", "pl", "cs", "ro"})

_STOPWORDS = frozenset(
    "a an the of and or with in on at to for from by into onto over under near its his her their this that is are".split()
)
_REPEAT_OK = frozenset({"had had", "that that"})
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_CAMERA_FILE = re.compile(r"\b(?:img|dsc|dscf|dscn|dcim|pxl|mvimg|_mg)[-_ ]?\d{3,}\b", re.IGNORECASE)
_LABEL = re.compile(r"\b(?:subject|location|folder|category|file ?name)\s*:", re.IGNORECASE)
_DANGLING = frozenset(_STOPWORDS | {"but", "so", "as", "while", "between", "against", "toward", "towards", "very"})

# Time-of-day vocabulary. An EXIF hour outside the word's plausible hours (local camera time) is a contradiction.
_TIME_WORDS: dict[str, tuple[str, ...]] = {
    "morning": ("sunrise", "dawn", "daybreak", "first light", "morning"),
    "evening": ("sunset", "dusk", "evening", "nightfall"),
    "night": ("night", "nighttime", "midnight", "starry sky", "night sky"),
    "midday": ("midday", "noon"),
}
_PLAUSIBLE_HOURS: dict[str, range] = {
    "morning": range(3, 13),
    "evening": range(15, 24),
    "midday": range(10, 16),
}
_DAYLIGHT = range(9, 17)  # "night" is implausible only in broad daylight
_OPPOSITE = {"morning": {"evening", "night"}, "evening": {"morning", "midday"}, "night": {"midday"}, "midday": {"night"}}


@dataclass(frozen=True)
class GateContext:
    """What the gate needs to know about the row beyond its text."""

    subject: str = ""
    location: str = ""
    folder: str = ""
    file_name: str = ""
    """Final catalog name and/or the original name (both may be given, separated by a space)."""
    camera: str = ""
    """Camera token / make / model, space separated (e.g. "Canon EOS 5D Mark IV")."""
    exif_datetime: str = ""
    """EXIF DateTimeOriginal "YYYY:MM:DD HH:MM:SS" (camera local time)."""
    language: str = "en"
    set_captions: Sequence[str] = ()
    """Captions of the OTHER rows of the same set (pending and done)."""
    set_alts: Sequence[str] = ()
    published_captions: Iterable[str] = ()
    """Normalised (see :func:`normalise`) or raw captions already on the website."""
    published_alts: Iterable[str] = ()
    min_keywords: int = 5


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


# ---------------------------------------------------------------- data files


def _read_list(name: str) -> list[str]:
    lines = (_HERE / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({re.escape(p).replace(r"\ ", r"\s+") for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])", re.IGNORECASE)


@lru_cache(maxsize=1)
def _data() -> dict[str, object]:
    """Load the phrase lists once per process."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in _read_list("gate_leak_words.txt"):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    return {
        "filler": _phrase_regex(_read_list("gate_phrases.txt")),
        "uncertain": _phrase_regex(_read_list("gate_uncertain.txt")),
        "extension": _phrase_regex(sections.get("extension", [])),
        "camera": _phrase_regex(sections.get("camera", [])),
        "category": _phrase_regex(sections.get("category", [])),
    }


# ---------------------------------------------------------------- helpers


def normalise(text: str | None) -> str:
    """Case-folded words joined by single spaces (punctuation dropped): the form duplicates are compared in."""
    return " ".join(w.casefold() for w in _WORD.findall(text or ""))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def similarity(a: str, b: str) -> float:
    """0–1 similarity of two texts (difflib ratio on normalised words)."""
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return 0.0
    return difflib.SequenceMatcher(None, na.split(), nb.split()).ratio()


def _hour(exif_datetime: str) -> int | None:
    m = re.match(r"^\d{4}[:-]\d{2}[:-]\d{2}[ T](\d{2}):\d{2}", exif_datetime or "")
    if not m:
        return None
    hour = int(m.group(1))
    return hour if 0 <= hour < 24 else None


def _time_kinds(text: str) -> set[str]:
    low = " " + normalise(text.replace("_", " ")) + " "
    return {kind for kind, words in _TIME_WORDS.items() if any(f" {w} " in low for w in words)}


def _leaks(text: str, ctx: GateContext) -> list[str]:
    """Tokens in ``text`` that came from a file name, camera or the catalog's categories."""
    data = _data()
    found: list[str] = []
    if "_" in text:
        found.append("underscore")
    for key in ("extension", "camera", "category"):
        m = data[key].search(text)  # type: ignore[union-attr]
        if m:
            found.append(repr(m.group(0)))
    m = _CAMERA_FILE.search(text)
    if m:
        found.append(repr(m.group(0)))
    m = _LABEL.search(text)
    if m:
        found.append(f"label {m.group(0)!r}")
    low = normalise(text)
    for stem in re.split(r"\s+", ctx.file_name or ""):
        stem = Path(stem).stem
        if len(stem) >= 6 and re.search(r"[\d_]", stem) and normalise(stem) and normalise(stem) in low:
            found.append(f"file name {stem!r}")
    cam = normalise(ctx.camera)
    if cam and len(cam) >= 4 and f" {cam} " in f" {low} ":
        found.append(f"camera {ctx.camera!r}")
    folder = normalise(ctx.folder)
    if folder and re.search(rf"\b{re.escape(folder)}\s+(?:category|folder|collection)\b", low):
        found.append(f"folder {ctx.folder!r}")
    return found


def _truncated(text: str) -> str | None:
    stripped = text.rstrip()
    if stripped.endswith(("...", "…")):
        return "ends with an ellipsis"
    bare = stripped.rstrip("\"'”’)]")
    if not bare.endswith((".", "!", "?")):
        return "does not end with a full stop"
    words = _words(bare)
    if words and words[-1].casefold() in _DANGLING:
        return f"ends on {words[-1]!r}"
    return None


def _non_latin(text: str) -> str | None:
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return f"{ch!r} ({unicodedata.name(ch, 'unknown').split(' ')[0].title()})"
    return None


_ADJACENT = re.compile(r"(?<![\w])([^\W\d_]+)\s+\1(?![\w])", re.IGNORECASE | re.UNICODE)


def _repeated(text: str) -> str | None:
    # only whitespace between the two words: "reeds; reeds sway" is a stylistic choice, "the the" is a glitch
    for m in _ADJACENT.finditer(text):
        pair = f"{m.group(1).casefold()} {m.group(1).casefold()}"
        if pair not in _REPEAT_OK:
            return f"'{m.group(0)}'"
    return None


# ---------------------------------------------------------------- the gate


def check(caption: str | None, alt_text: str | None, keywords: Sequence[str] | None, *, context: GateContext) -> GateResult:
    """Judge one row's text. Returns ``GateResult("pass")`` or ``GateResult("needs_work", reasons)``."""
    caption = (caption or "").strip()
    alt = (alt_text or "").strip()
    kws = [k.strip() for k in (keywords or []) if k and k.strip()]
    reasons: list[tuple[str, str]] = []

    def add(code: str, detail: str) -> None:
        if (code, detail) not in reasons:
            reasons.append((code, detail))

    fields = [("caption", caption, MIN_CAPTION_WORDS), ("alt text", alt, MIN_ALT_WORDS)]
    for label, text, minimum in fields:
        if not text:
            add("empty", f"{label} is empty")
        elif len(_words(text)) < minimum:
            add("too_short", f"{label} has {len(_words(text))} words (minimum {minimum})")

    if caption and alt and (normalise(caption) == normalise(alt) or similarity(caption, alt) >= CAPTION_ALT_RATIO):
        add("caption_equals_alt", f"caption and alt text are {similarity(caption, alt):.0%} alike; alt text must differ")

    data = _data()
    for label, text in (("caption", caption), ("alt text", alt), ("keywords", ", ".join(kws))):
        if not text:
            continue
        m = data["filler"].search(text)  # type: ignore[union-attr]
        if m and label != "keywords":
            add("filler_phrase", f"{label}: {m.group(0)!r}")
        for leak in _leaks(text, context):
            add("leak", f"{label}: {leak}")
        m = data["uncertain"].search(text)  # type: ignore[union-attr]
        if m and label != "keywords":
            add("uncertain", f"{label}: {m.group(0)!r}")
        if context.language.split("-")[0].lower() in LATIN_LANGUAGES:
            bad = _non_latin(text)
            if bad:
                add("non_latin", f"{label}: {bad} in {context.language!r} text")
        if label != "keywords":
            rep = _repeated(text)
            if rep:
                add("repeated_word", f"{label}: {rep}")
            why = _truncated(text)
            if why:
                add("truncated", f"{label} {why}")

    _check_keywords(kws, caption, context, add)
    _check_time_of_day(caption, alt, context, add)
    _check_duplicates(caption, alt, context, add)
    return GateResult("needs_work" if reasons else "pass", reasons)


def _check_keywords(kws: list[str], caption: str, ctx: GateContext, add) -> None:
    if len(kws) < ctx.min_keywords:
        add("keywords_too_few", f"{len(kws)} keywords (minimum {ctx.min_keywords})")
    seen: dict[str, str] = {}
    for k in kws:
        key = normalise(k).removesuffix("s")
        if key in seen:
            add("keywords_duplicate", f"{seen[key]!r} and {k!r}")
        seen.setdefault(key, k)
    cap = f" {normalise(caption)} "
    for k in kws:
        words = normalise(k).split()
        if not words:
            add("keywords_fragment", f"{k!r} has no letters")
        elif words[0] in _STOPWORDS or words[-1] in _STOPWORDS:
            add("keywords_fragment", f"{k!r} starts or ends with a filler word")
        elif len(words) >= 4 or (len(words) >= 3 and f" {' '.join(words)} " in cap):
            add("keywords_fragment", f"{k!r} is a piece of a sentence, not a keyword")


def _check_time_of_day(caption: str, alt: str, ctx: GateContext, add) -> None:
    said = _time_kinds(caption) | _time_kinds(alt)
    if not said:
        return
    named = _time_kinds(ctx.file_name)
    for kind in sorted(said):
        clash = named & _OPPOSITE[kind]
        if clash:
            add("time_of_day", f"text says {kind} but the file name says {sorted(clash)[0]}")
    hour = _hour(ctx.exif_datetime)
    if hour is None:
        return
    for kind in sorted(said):
        implausible = hour in _DAYLIGHT if kind == "night" else hour not in _PLAUSIBLE_HOURS[kind]
        if implausible:
            add("time_of_day", f"text says {kind} but the photo was taken at {hour:02d}:xx (EXIF)")


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
