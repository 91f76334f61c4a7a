"""The gate's claim rules that need no lexicon: time of day against the photo's clock, and impossible claims.

Time words and their plausible hours live in ``gate_time_words.txt``; impossible claims in ``gate_implausible.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from . import gate_lexicon
from .gate_text import read_lines

TOLERANCE_HOURS = 1
"""Hours allowed either side of a time word's window (sunrise times move with season and latitude)."""

# kinds that contradict each other when a file name says one and the text another
_MORNING = {"dawn", "morning"}
_EVENING = {"evening", "night"}
_SENTENCE = re.compile(r"[^.!?;]+[.!?;]?")


@dataclass(frozen=True)
class _TimeKind:
    name: str
    hours: frozenset[int]
    pattern: re.Pattern[str]


def _hours(spec: str) -> frozenset[int]:
    out: set[int] = set()
    for part in spec.split(","):
        a, b = (int(x) for x in part.strip().split("-"))
        h = a % 24
        while True:
            out.add(h)
            h = (h + 1) % 24
            if h == b % 24 or len(out) >= 24:
                break
    widened = set(out)
    for h in out:
        for d in range(1, TOLERANCE_HOURS + 1):
            widened.update({(h - d) % 24, (h + d) % 24})
    return frozenset(widened)


@lru_cache(maxsize=1)
def _time_kinds() -> tuple[_TimeKind, ...]:
    kinds = []
    for line in read_lines("gate_time_words.txt"):
        name, spec, phrases = (p.strip() for p in line.split("|"))
        alts = sorted((re.escape(p.strip()).replace(r"\ ", r"[\s-]+") for p in phrases.split(",")), key=len,
                      reverse=True)
        pattern = re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)
        kinds.append(_TimeKind(name, _hours(spec), pattern))
    return tuple(kinds)


# a time word after these names a schedule or a habit ("closes at sunset", "every morning"), not this photo's time
_SCHEDULE = re.compile(r"\b(?:opens?|opened|closes?|closed|starts?|begins?|ends?|until|till|every|each|daily|from|"
                       r"since|through|throughout)\s+(?:at\s+|from\s+|until\s+)?(?:the\s+|each\s+)?$",
                       re.IGNORECASE)
# a time word used before a noun of these kinds qualifies it ("the night train", "an evening gown"), it is no claim
_ATTRIBUTIVE = frozenset({"noun.artifact", "noun.act", "noun.food", "noun.group", "noun.person",
                          "noun.communication", "noun.event"})
_NATURAL = frozenset({"noun.phenomenon", "noun.object", "noun.time", "noun.state", "noun.substance"})  # "night sky"
_DETERMINER = re.compile(r"\b(?:the|a|an|this|that|our|their|his|her|its|my|your)\s+$", re.IGNORECASE)


def _not_a_claim(text: str, start: int, end: int) -> bool:
    """A time word that is part of a name ("Sunset Boulevard"), a compound noun ("night heron"), a schedule
    ("closes at sunset") or, after a determiner, an attribute of a made thing or a service ("the night train",
    "an evening gown"; but "the night sky" and "the evening light" are claims)."""
    word = text[start:end]
    if _SCHEDULE.search(text[max(0, start - 40):start]):
        return True
    after = re.match(r"[\s-]+([^\W\d_]+)", text[end:])
    if (after and " " not in word and _DETERMINER.search(text[max(0, start - 12):start]) and after.group(1).islower()
            and not gate_lexicon.is_inflected_verb(after.group(1))):
        kinds = {gate_lexicon.lexfile(s) for s in gate_lexicon.synsets(after.group(1))}
        if kinds & _ATTRIBUTIVE and not kinds & _NATURAL:
            return True
    sentence_start = not text[:start].strip() or text[:start].rstrip()[-1:] in ".!?:;"
    if after and after.group(1)[:1].isupper() and word[:1].isupper():
        return True  # "Sunset Boulevard", "Midnight Express"
    if word[:1].isupper() and not sentence_start:
        return True  # a capitalised time word inside a sentence is a name
    return bool(after and gate_lexicon.synsets(f"{word} {after.group(1)}"))


def time_kinds(text: str) -> dict[str, str]:
    """Time-of-day kinds ``text`` names → the words that named them."""
    found: dict[str, str] = {}
    for kind in _time_kinds():
        for m in kind.pattern.finditer(text):
            if not _not_a_claim(text, m.start(), m.end()):
                found.setdefault(kind.name, m.group(0))
                break
    return found


def exif_hour(exif_datetime: str) -> int | None:
    """The hour of a trustworthy EXIF time, or None (no time, or a camera clock never set: 2000-01-01, 00:00:00)."""
    m = re.match(r"^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):?(\d{2})?", exif_datetime or "")
    if not m:
        return None
    year, hour = int(m.group(1)), int(m.group(4))
    if year < 2001 or (m.group(4), m.group(5), m.group(6) or "00") == ("00", "00", "00") or not 0 <= hour < 24:
        return None  # factory-default clocks start at 2000-01-01 00:00 (or earlier)
    return hour


def check_time_of_day(caption: str, alt: str, exif_datetime: str, file_name: str, trusted: bool,
                      add: Callable[[str, str], None]) -> None:
    """A time word the photo's own time contradicts. Never refuses without a time, or with an untrusted clock."""
    said = {**time_kinds(alt), **time_kinds(caption)}
    if not said:
        return
    named = set(time_kinds(re.sub(r"[_\-.]+", " ", file_name)))
    for kind, word in sorted(said.items()):
        other = (_EVENING if kind in _MORNING else _MORNING if kind in _EVENING else set()) & named
        if other:
            add("time_of_day", f"text says {word!r} but the file name says {min(other)}")
    hour = exif_hour(exif_datetime) if trusted else None
    if hour is None:
        return
    kinds = {k.name: k for k in _time_kinds()}
    for kind, word in sorted(said.items()):
        if hour not in kinds[kind].hours:
            add("time_of_day", f"text says {word!r} but the photo was taken at {hour:02d}:xx (EXIF)")


@lru_cache(maxsize=1)
def _implausible_rules() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None, str], ...]:
    rules = []
    for line in read_lines("gate_implausible.txt"):
        name, first, second, why = (p.strip() for p in line.split(" | "))
        second_re = None if second == "-" else re.compile(second, re.IGNORECASE)
        rules.append((name, re.compile(first, re.IGNORECASE), second_re, why))
    return tuple(rules)


_NAME_AFTER = re.compile(r"\s+[A-Z]")


def check_implausible(caption: str, alt: str, add: Callable[[str, str], None]) -> None:
    """Claims no photo can show (more than one sun, a rainbow at midnight …), sentence by sentence."""
    for label, text in (("caption", caption), ("alt text", alt)):
        for sentence in _SENTENCE.findall(text):
            for name, first, second, why in _implausible_rules():
                m = first.search(sentence)
                if m and m.group(0)[:1].isupper() and _NAME_AFTER.match(sentence, m.end()):
                    continue  # "the Rainbow Bridge at night": a name, not a rainbow
                if m and (second is None or second.search(sentence)):
                    add("implausible", f"{label}: {why} ({m.group(0).strip()!r}; rule {name})")
                    return

