"""``subject_mismatch``: text that names another thing of the Subject's kind, or never refers to the Subject.

Which nouns are kinds of what comes from WordNet (:mod:`.gate_lexicon`); the kinds that group "the same kind of
thing" (bird, aircraft, dish …) are listed in ``gate_kinds.txt``. No species, aircraft or dish names live in code.
Model designations and registrations (A320 vs 737, D-AIZB vs D-AIQT) are compared by their shape.

Rules, for a Subject WordNet knows and that falls under one of the kinds:
- the text names a member of that kind that is neither the Subject, nor a kind of it, nor a class above it (a gull
  for a tern set), and names nothing that is the Subject → mismatch. The Subject's bare head noun ("fox" for Red
  Fox) names it, unless the text also names another species under that head ("a fallow deer" for Red Deer);
- the text refers to neither the Subject nor any class above it (no "tern", no "seabird", no "bird") → mismatch.
For any Subject with a model code or a registration (Airbus A320, Boeing 747, D-AIZB), text that names only other
codes or another registration is a mismatch, with or without WordNet.
A word with a second, concrete meaning outside the kind ("crane": bird or machine; "kite": bird or toy; "jet": aircraft
or coal) is not taken as naming another member, but it does show the text is about something of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from . import gate_lexicon as lex
from .gate_text import normalise, read_lines

_CONCRETE = frozenset({"noun.animal", "noun.artifact", "noun.body", "noun.location", "noun.object", "noun.plant",
                       "noun.substance", "noun.food"})
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_CODE = re.compile(r"(?<![\w-])[A-Z]{1,3}-?\d{2,4}(?:-\d{1,3})?[A-Za-z]{0,3}(?![\w-])")  # A320, B737, F-16
_MAKER_CODE = re.compile(r"\b[A-Z][a-z]{2,}\s(\d{3})(?:-\d{1,3})?(?![\w-])")  # Boeing 737, Cessna 172
_REGISTRATION = re.compile(r"(?<![\w-])(?:[A-Z]{1,2}-[A-Z]{3,4}|N\d{1,5}[A-Z]{0,2})(?![\w-])")


@dataclass(frozen=True)
class _Subject:
    senses: tuple[int, ...]
    kind: int | None
    kind_name: str
    exact: bool
    """True when WordNet knows the whole Subject ("common tern"), False when only its head ("heron" of "Grey Heron")."""
    codes: frozenset[str]
    registrations: frozenset[str]
    head: str
    """The Subject's last word WordNet knows as a noun of its kind ("tern", "fox", "boat")."""


@lru_cache(maxsize=1)
def _kinds() -> tuple[tuple[int, str], ...]:
    out = []
    for line in read_lines("gate_kinds.txt"):
        lemma, lexname = (p.strip() for p in line.split("|"))
        off = lex.find(lemma, lexname)
        if off is not None:
            out.append((off, lemma))
    return tuple(out)


@lru_cache(maxsize=65536)
def _kind_of(offset: int) -> int | None:
    """Index (into :func:`_kinds`) of the first kind ``offset`` belongs to, or None."""
    above = lex.ancestors(offset) | {offset}
    for i, (kind, _) in enumerate(_kinds()):
        if kind in above:
            return i
    return None


def _code_key(code: str) -> str:
    return re.sub(r"[^0-9a-z]", "", code.casefold())


@lru_cache(maxsize=1024)
def resolve(subject: str) -> _Subject:
    """What the gate knows about a Subject: its WordNet senses and kind, its model codes and registrations."""
    # model codes only (A320, F-16, "Boeing 747"): a year or a route number in a Subject is not a model
    codes = frozenset(_code_key(c) for c in _CODE.findall(subject) + _MAKER_CODE.findall(subject))
    regs = frozenset(_REGISTRATION.findall(subject))
    ws = [w.casefold() for w in _TOKEN.findall(subject)]
    tries = [(" ".join(ws[i:]), i == 0) for i in range(len(ws))] + [(w, False) for w in reversed(ws)]
    if lex.available():
        for phrase, exact in tries:
            best: tuple[int, list[int]] | None = None
            for off in lex.synsets(phrase):
                k = None if lex.is_instance(off) else _kind_of(off)
                if k is not None and (best is None or k < best[0]):
                    best = (k, [off])
                elif k is not None and k == best[0]:
                    best[1].append(off)
            if best:
                kind, name = _kinds()[best[0]]
                return _Subject(tuple(best[1]), kind, name, exact and len(ws) > 0, codes, regs, phrase.split()[-1])
    return _Subject((), None, "", False, codes, regs, "")


@lru_cache(maxsize=65536)
def _nouns_of(phrase: str) -> tuple[int, ...]:
    return tuple(o for o in lex.synsets(phrase) if not lex.is_instance(o))


def _phrases(text: str) -> list[str]:
    """Nouns WordNet knows in ``text``, longest match first ("herring gull" before "herring")."""
    tokens = [t.casefold() for t in _TOKEN.findall(text)]
    out, i = [], 0
    while i < len(tokens):
        for n in (3, 2, 1):
            phrase = " ".join(tokens[i:i + n])
            if len(tokens) - i >= n and _nouns_of(phrase):
                out.append(phrase)
                i += n
                break
        else:
            i += 1
    return out


def _relation(phrase: str, subj: _Subject) -> str | None:
    """"specific" (the Subject or a kind of it), "head" (the Subject's bare head noun: "fox" for Red Fox), "generic"
    (a class above it), "other" (another member of its kind), or None."""
    senses = _nouns_of(phrase)
    last = phrase.split()[-1]
    if subj.head and (last == subj.head or set(_nouns_of(last)) & set(_nouns_of(subj.head))):
        # the Subject's own head noun ("fox" for Red Fox) or a variant of a made thing ("small boat" for Fishing
        # Boat) refers to it; a compound naming another living species ("fallow deer" for Red Deer) does not
        if " " not in phrase:
            return "head"
        if not any(lex.lexfile(s) in ("noun.animal", "noun.plant") for s in senses):
            return "specific"
    for s in senses:
        if s in subj.senses:
            return "specific"
        if any(t in lex.ancestors(s) for t in subj.senses):
            return "specific" if subj.exact else "other"
        if any(s in lex.ancestors(t) for t in subj.senses):
            return "generic"
    assert subj.kind is not None
    inside = [s for s in senses if subj.kind in lex.ancestors(s)]
    if not inside:
        return None
    home = lex.lexfile(inside[0])
    rivals = [s for s in senses if s not in inside and lex.lexfile(s) in _CONCRETE and lex.lexfile(s) != home
              and not (home == "noun.animal" and lex.lexfile(s) == "noun.food")]
    # an ambiguous word ("jet": aircraft or coal) is not a rival, but it still shows the text is about this kind
    return "generic" if rivals else "other"


def check_subject(caption: str, alt: str, subject: str, add: Callable[[str, str], None]) -> None:
    """Add ``subject_mismatch`` when the text is about something else than the set's Subject."""
    subject = (subject or "").strip()
    if not subject:
        return
    subj = resolve(subject)
    text = f"{caption}\n{alt}"
    said_codes = {_code_key(c) for c in _CODE.findall(text) + _MAKER_CODE.findall(text)}
    if subj.registrations:
        regs = set(_REGISTRATION.findall(text)) - subj.registrations
        if regs:
            add("subject_mismatch", f"text names registration {min(regs)!r}; the Subject is {subject!r}")
            return
    if subj.codes and said_codes and not (said_codes & subj.codes):
        add("subject_mismatch", f"text names {min(said_codes).upper()!r}; the Subject is {subject!r}")
        return
    if subj.kind is None:
        return
    if f" {normalise(subject)} " in f" {normalise(text)} " or (subj.codes and said_codes & subj.codes):
        return
    found: dict[str, list[str]] = {}
    for phrase in _phrases(text):
        rel = _relation(phrase, subj)
        if rel:
            found.setdefault(rel, []).append(phrase)
    if "specific" in found:
        return
    others = found.get("other", [])
    if others and "head" in found:
        # the bare head ("deer") refers to the Subject unless the text names another species under that same head
        # ("a fallow deer … a spotted deer"); a fox that chases a vole is still the fox
        heads = {h for h in _nouns_of(subj.head) if any(h in lex.ancestors(t) for t in subj.senses)}
        others = [o for o in others if any(heads & lex.ancestors(s) for s in _nouns_of(o))]
    if others:
        add("subject_mismatch", f"text names {others[0]!r}, another {subj.kind_name}; the Subject is {subject!r}")
    elif not found.keys() & {"head", "generic"}:
        add("subject_mismatch", f"text never refers to the Subject {subject!r} ({subj.kind_name})")
