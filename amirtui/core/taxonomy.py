"""The controlled vocabulary: known folders and locations (key + display name) and the subject autofix list.

Every change is validated (a clear sentence when refused) and logged to ``amirtui.taxonomy``. A rename changes the
vocabulary only: names already reserved or published keep the old words, because a published filename is a public
URL — only sets imported afterwards use the new key.

Pure core (no Textual): the Taxonomy screen and the import form call these functions from workers.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from peewee import fn

from .db.models import Photo, PhotoSet, TaxonomyEntry, database
from .errors import AmirError
from .events import EventBus
from .naming import slug
from .states import State

log = logging.getLogger("amirtui.taxonomy")

KINDS: tuple[str, ...] = ("folder", "location", "subject_fix")
LABELS = {"folder": "Folder", "location": "Location", "subject_fix": "Subject autofix"}
MAX_KEY = 60
_BAD_CHARS = set('/\\:*?"<>|\0')


class TaxonomyRefused(AmirError):
    """A taxonomy change that was not made, with the reason and what to do."""

    title = "Taxonomy change refused"


@dataclass(frozen=True)
class Entry:
    """One vocabulary entry: ``key`` (what the operator types / the misspelling) and ``value`` (the display name /
    the fix)."""

    id: int
    kind: str
    key: str
    value: str

    @property
    def display(self) -> str:
        """What the operator sees: the display name, or the key when there is none."""
        return self.value or self.key


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise TaxonomyRefused(f"unknown taxonomy kind '{kind}'", fix=f"use one of: {', '.join(KINDS)}")


def _check_text(kind: str, label: str, text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TaxonomyRefused(f"{LABELS[kind]} {label} is empty", fix=f"type a {label}")
    if len(text) > MAX_KEY:
        raise TaxonomyRefused(f"{LABELS[kind]} {label} '{text[:20]}…' has {len(text)} characters; the limit is "
                              f"{MAX_KEY}", fix="shorten it (it becomes part of every filename)")
    bad = sorted({c for c in text if c in _BAD_CHARS or ord(c) < 32})
    if bad:
        raise TaxonomyRefused(f"{LABELS[kind]} {label} '{text}' contains {' '.join(repr(c) for c in bad)}",
                              fix="use letters, digits, spaces and hyphens")
    if not slug(text):
        raise TaxonomyRefused(f"{LABELS[kind]} {label} '{text}' has no letters or digits for a filename",
                              fix="use letters or digits")
    return text


def _entry(row: TaxonomyEntry) -> Entry:
    return Entry(row.id, row.kind, row.key, row.value or "")


def _find(kind: str, key: str) -> TaxonomyEntry | None:
    folded = key.strip().casefold()
    for row in TaxonomyEntry.select().where(TaxonomyEntry.kind == kind):
        if row.key.casefold() == folded:
            return row
    return None


def entries(kind: str) -> list[Entry]:
    """Every entry of ``kind``, sorted by key ignoring case."""
    _check_kind(kind)
    rows = TaxonomyEntry.select().where(TaxonomyEntry.kind == kind)
    return sorted((_entry(r) for r in rows), key=lambda e: e.key.casefold())


def suggestions(kind: str) -> list[str]:
    """Completion candidates for the import form's inputs: the keys of ``kind`` (what ingest matches on)."""
    return [e.key for e in entries(kind)]


def fold(text: str) -> str:
    """Case- and accent-insensitive form for comparing names ("Zürich" → "zurich", "São Paulo" → "sao paulo")."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", " ", plain)


def name_similarity(a: str, b: str) -> float:
    """Jaro-Winkler similarity (0–1). Chosen over edit-distance ratios because it is built for short names: one
    swapped or doubled letter in a five-letter word still scores ~0.9, where an edit ratio gives 0.8."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(0, max(len(a), len(b)) // 2 - 1)
    used_b = [False] * len(b)
    matches_a: list[str] = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used_b[j] and b[j] == ch:
                used_b[j] = True
                matches_a.append(ch)
                break
    if not matches_a:
        return 0.0
    matches_b = [b[j] for j in range(len(b)) if used_b[j]]
    m = len(matches_a)
    transpositions = sum(x != y for x, y in zip(matches_a, matches_b)) / 2
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4]):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def similar(kind: str, text: str, threshold: float = 0.88) -> list[tuple[str, float]]:
    """Known keys of ``kind`` close to ``text`` but not equal ignoring case: (key, similarity), best first.

    Similarity is Jaro-Winkler (:func:`name_similarity`) on :func:`fold`-ed text, so "Zurich" finds "Zürich" (1.0),
    "brids" finds "Birds" (0.94) and "Amsterdamm" finds "Amsterdam" (0.98), while "Paris" and "Parma" (0.81) stay
    apart; an exact case-insensitive match is the same entry, not a suggestion.
    """
    target = fold(text)
    if not target:
        return []
    out = []
    for key in suggestions(kind):
        if key.strip().casefold() == text.strip().casefold():
            return []  # it is a known entry
        ratio = name_similarity(target, fold(key))
        if ratio >= threshold:
            out.append((key, round(ratio, 3)))
    return sorted(out, key=lambda kv: (-kv[1], kv[0].casefold()))


def add(kind: str, key: str, value: str = "", *, bus: EventBus | None = None) -> Entry:
    """Add a folder / location (``value`` = display name, default the key) or a subject fix (``key`` misspelling →
    ``value`` fix). Refused with :class:`TaxonomyRefused` when invalid or already present (ignoring case)."""
    _check_kind(kind)
    key = _check_text(kind, "key" if kind != "subject_fix" else "misspelling", key)
    if kind == "subject_fix":
        value = _check_text(kind, "fix", value)
        if value == key:  # a case-only fix ("blue tit" → "Blue Tit") is a real fix
            raise TaxonomyRefused(f"the fix for '{key}' is the same word", fix="type the correct spelling as the fix")
    else:
        value = (value or "").strip() or key
        _check_text(kind, "display name", value)
    with database.atomic("IMMEDIATE"):
        existing = _find(kind, key)
        if existing is not None:
            raise TaxonomyRefused(f"{LABELS[kind]} '{existing.key}' already exists",
                                  fix="rename it instead, or choose another key")
        row = TaxonomyEntry.create(kind=kind, key=key, value=value)
    _log(bus, f"taxonomy: added {kind} '{key}'" + (f" → '{value}'" if value != key else ""))
    return _entry(row)


def rename(kind: str, key: str, *, new_key: str | None = None, new_value: str | None = None,
           bus: EventBus | None = None) -> tuple[Entry, str]:
    """Rename an entry's key and/or display name (for a subject fix: the misspelling and/or the fix).

    Only future imports use the new words: rows already named — reserved, published — keep their filenames. Returns
    the updated entry and a note for the operator saying how many named rows keep the old words.
    """
    _check_kind(kind)
    with database.atomic("IMMEDIATE"):
        row = _find(kind, key)
        if row is None:
            raise TaxonomyRefused(f"{LABELS[kind]} '{key}' does not exist", fix="add it first")
        old_key, old_value = row.key, row.value or ""
        nk = _check_text(kind, "key", new_key) if new_key is not None else old_key
        nv = (new_value or "").strip() if new_value is not None else old_value
        if kind == "subject_fix":
            nv = _check_text(kind, "fix", nv)
            if nv == nk:
                raise TaxonomyRefused(f"the fix for '{nk}' is the same word", fix="type the correct spelling")
        else:
            nv = _check_text(kind, "display name", nv or nk)
        if nk.casefold() != old_key.casefold():
            clash = _find(kind, nk)
            if clash is not None:
                raise TaxonomyRefused(f"{LABELS[kind]} '{clash.key}' already exists",
                                      fix="choose another key (keys are unique ignoring case)")
        if (nk, nv) == (old_key, old_value):
            return _entry(row), "nothing changed"
        TaxonomyEntry.update(key=nk, value=nv).where(TaxonomyEntry.id == row.id).execute()
        row = TaxonomyEntry.get_by_id(row.id)
    note = _kept_note(kind, old_key)
    _log(bus, f"taxonomy: renamed {kind} '{old_key}' ({old_value}) → '{nk}' ({nv}); {note}")
    return _entry(row), note


def remove(kind: str, key: str, *, bus: EventBus | None = None) -> None:
    """Remove an entry (existing sets and names are untouched; a later import with this key asks to confirm it)."""
    _check_kind(kind)
    with database.atomic("IMMEDIATE"):
        row = _find(kind, key)
        if row is None:
            raise TaxonomyRefused(f"{LABELS[kind]} '{key}' does not exist")
        TaxonomyEntry.delete().where(TaxonomyEntry.id == row.id).execute()
    _log(bus, f"taxonomy: removed {kind} '{row.key}'")


def _kept_note(kind: str, old_key: str) -> str:
    """How many named rows keep ``old_key`` in their names (published ones counted apart)."""
    if kind == "subject_fix":
        return "future imports use the new fix; existing sets keep their subject"
    column = PhotoSet.folder if kind == "folder" else PhotoSet.location
    sets = PhotoSet.select(PhotoSet.id).where(fn.LOWER(column) == old_key.lower())
    named = Photo.select().where(Photo.set.in_(sets) & Photo.file_name.is_null(False))
    published = named.where(Photo.state == State.PUBLISHED.value).count()
    return (f"{named.count()} named row(s) keep the old {kind} in their filenames ({published} published); "
            "only future imports use the new name")


def autofix_subject(subject: str) -> str:
    """The subject with the autofix list applied: a whole-subject match first, else word by word (ignoring case).

    Ingest calls this on the operator's Subject before naming; unchanged when nothing matches.
    """
    text = (subject or "").strip()
    if not text:
        return subject
    fixes = {e.key.casefold(): e.value for e in entries("subject_fix")}
    if not fixes:
        return subject
    whole = fixes.get(text.casefold())
    if whole is not None:
        return whole
    pattern = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(fixes, key=len, reverse=True)) + r")\b",
                         re.IGNORECASE)
    return pattern.sub(lambda m: fixes[m.group(0).casefold()], text)


def _log(bus: EventBus | None, message: str) -> None:
    log.info(message)
    if bus is not None:
        bus.info(message, source="taxonomy")


__all__ = ["Entry", "KINDS", "TaxonomyRefused", "add", "autofix_subject", "entries", "remove", "rename",
           "suggestions"]
