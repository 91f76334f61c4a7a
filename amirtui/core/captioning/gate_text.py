"""The gate's rules on the form of one text: control characters, filler, leaks, hedges, script, repeats, truncation.

Each rule is a function ``text (+ context) → detail or None``; :mod:`.gate` runs them on the caption, the alt text and
(where it makes sense) the keywords. The phrase lists are data files beside this module (``gate_*.txt``), read once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from . import gate_lexicon

_HERE = Path(__file__).resolve().parent
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)

# C0/C1 controls, DEL, and the bidirectional overrides that can reorder what a reader sees. Tab and newline are
# whitespace in a caption (never in a keyword).
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEYWORD = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")

_CAMERA_FILE = re.compile(r"\b(?:img|dsc|dscf|dscn|dcim|pxl|mvimg|_mg)[-_ ]?\d{3,}\b", re.IGNORECASE)
_LABEL = re.compile(r"\b(?:subject|location|folder|category|file ?name)\s*:", re.IGNORECASE)
_ARTICLES = ("a", "an", "the", "this", "its", "their")
# a text that stops on one of these has lost its end ("… near the", "… reeds and"); a preposition or a pronoun is a
# normal English ending ("… as the ferry pulls out.", "… the friend she came with.")
_DANGLING = frozenset(["a", "an", "the", "and", "or", "but", "nor", "its", "their", "my", "your", "our", "whose"])
_REPEAT_OK = frozenset({"had had", "that that"})
_ADJACENT = re.compile(r"(?<![\w'’-])([^\W\d_]+)\s+\1(?![\w'’-])", re.IGNORECASE | re.UNICODE)
_QUOTED = re.compile(r"(?<!\w)([\"“‘'])(.+?)([\"”’'])(?!\w)")


# ---------------------------------------------------------------- data files


def read_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a data file beside this module (case kept)."""
    lines = (_HERE / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def sections(name: str) -> dict[str, list[str]]:
    """A data file split at ``[section]`` lines."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in read_lines(name):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            out.setdefault(current, [])
        else:
            out[current].append(line)
    return out


def _inflect(word: str) -> str:
    """A regex for ``word`` and its regular inflections (showcase → showcases, showcased, showcasing)."""
    w = re.escape(word.lower())
    if word.lower() in _ARTICLES:
        return "(?:" + "|".join(_ARTICLES) + ")"
    if len(word) < 4 or not word.isalpha():
        return w
    if word.endswith("e"):
        return w[:-1] + "(?:e|es|ed|ing)"
    if word.endswith("y"):
        return w[:-1] + "(?:y|ies|ied|ying)"
    return w + "(?:s|es|ed|ing)?"


def phrase_regex(lines: Iterable[str], *, inflect: bool = True) -> re.Pattern[str] | None:
    """One pattern for a list of phrases (inflected, articles interchangeable) and ``re:`` lines."""
    alts = []
    for line in lines:
        if line.startswith("re:"):
            alts.append("(?:" + line[3:].strip() + ")")
        else:
            words = line.lower().split()
            body = r"\s+".join(_inflect(w) if inflect else re.escape(w) for w in words)
            alts.append(r"(?<![\w])" + body + r"(?![\w])")
    if not alts:
        return None
    return re.compile("|".join(sorted(alts, key=len, reverse=True)), re.IGNORECASE | re.MULTILINE)


@lru_cache(maxsize=1)
def data() -> dict[str, object]:
    """Every phrase list compiled once per process."""
    filler = {fam: phrase_regex(lines) for fam, lines in sections("gate_phrases.txt").items() if lines}
    leak = sections("gate_leak_words.txt")
    # one alternation per case mode: a single search per text instead of one per pattern
    lines = leak.get("tech", [])
    tech = [re.compile("|".join(f"(?:{ln})" for ln in lines if not ln.startswith("cs:")), re.IGNORECASE),
            re.compile("|".join(f"(?:{ln[3:].strip()})" for ln in lines if ln.startswith("cs:")) or r"(?!x)x")]
    return {
        "filler": filler,
        "uncertain": phrase_regex(read_lines("gate_uncertain.txt"), inflect=False),
        "extension": phrase_regex(leak.get("extension", []), inflect=False),
        "camera": phrase_regex(leak.get("camera", []), inflect=False),
        "category": phrase_regex(leak.get("category", []), inflect=False),
        "tech": tech,
    }


# ---------------------------------------------------------------- rules


def words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits; inner apostrophes and hyphens kept)."""
    return WORD.findall(text)


def normalise(text: str | None) -> str:
    """Case-folded words joined by single spaces (punctuation dropped): the form duplicates are compared in."""
    return " ".join(w.casefold() for w in WORD.findall(text or ""))


def control_chars(text: str, *, keyword: bool = False) -> str | None:
    """The first control character or terminal escape in ``text``, described (U+001B …), or None."""
    m = (_CONTROL_KEYWORD if keyword else _CONTROL_TEXT).search(text)
    if not m:
        return None
    ch = m.group(0)
    name = unicodedata.name(ch, "") or {"\x1b": "ESCAPE", "\x00": "NULL", "\x07": "BELL"}.get(ch, "control")
    what = "a terminal escape sequence" if _ANSI.match(text, m.start()) else name.lower()
    return f"U+{ord(ch):04X} ({what}) at position {m.start()}"


def strip_controls(text: str) -> str:
    """``text`` without escape sequences and control characters (so the other rules judge the words)."""
    return _CONTROL_KEYWORD.sub("", _ANSI.sub("", text)).strip()


def filler(text: str) -> str | None:
    """The first template / marketing phrase (opener, praise, mood or composition talk), quoted."""
    hits = []
    for pattern in data()["filler"].values():  # type: ignore[union-attr]
        m = pattern.search(text) if pattern else None
        if m:
            hits.append((m.start(), repr(m.group(0).strip())))
    return min(hits)[1] if hits else None


def uncertain(text: str) -> str | None:
    """The first hedge ("possibly", "what looks like" …)."""
    m = data()["uncertain"].search(text)  # type: ignore[union-attr]
    return repr(m.group(0).strip(" ,")) if m else None


def leaks(text: str, *, file_name: str = "", camera: str = "", folder: str = "") -> list[str]:
    """Tokens in ``text`` from a file name, a camera, exposure data, a sequence number or the catalog's categories."""
    d = data()
    found: list[str] = []
    if "_" in text:
        found.append("underscore")
    for key in ("extension", "camera", "category"):
        m = d[key].search(text) if d[key] else None  # type: ignore[union-attr]
        if m:
            found.append(repr(m.group(0)))
    hits = [m for m in (p.search(text) for p in d["tech"]) if m]  # type: ignore[union-attr]
    if hits:
        found.append(f"technical {min(hits, key=lambda m: m.start()).group(0).strip()!r}")
    m = _CAMERA_FILE.search(text)
    if m:
        found.append(repr(m.group(0)))
    m = _LABEL.search(text)
    if m:
        found.append(f"label {m.group(0)!r}")
    low = f" {normalise(text)} "
    for label, needle, pattern in _context_needles(file_name, camera, folder):
        if (pattern.search(low) if pattern else needle in low):
            found.append(label)
    return found


@lru_cache(maxsize=256)
def _context_needles(file_name: str, camera: str, folder: str) -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    """What of the row's own names must not appear in its text (normalised once per row context)."""
    out = []
    for stem in re.split(r"\s+", file_name or ""):
        stem = Path(stem).stem
        if len(stem) >= 6 and re.search(r"[\d_]", stem) and normalise(stem):
            out.append((f"file name {stem!r}", f" {normalise(stem)} ", None))
    cam = normalise(camera)
    if cam and len(cam) >= 4:
        out.append((f"camera {camera!r}", f" {cam} ", None))
    fold = normalise(folder)
    if fold:
        out.append((f"folder {folder!r}", "", re.compile(rf"\b{re.escape(fold)}\s+(?:category|folder|collection)\b")))
    return tuple(out)


def non_latin(text: str) -> str | None:
    """The first letter that is not Latin script, described."""
    if text.isascii():
        return None
    for ch in text:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return f"{ch!r} ({unicodedata.name(ch, 'unknown').split(' ')[0].title()})"
    return None


def repeated(text: str, names: str = "") -> str | None:
    """A word written twice in a row by mistake ("the the").

    Not a mistake: a repetition inside quotes ("a 'no no' sign"), a reduplicated name the lexicon knows ("Walla
    Walla") or that the set itself uses (``names``: subject, location, keywords — "Bora Bora"), "had had".
    """
    quoted = [m.span(2) for m in _QUOTED.finditer(text)]
    known = f" {normalise(names)} "
    for m in _ADJACENT.finditer(text):
        pair = f"{m.group(1).casefold()} {m.group(1).casefold()}"
        if pair in _REPEAT_OK or any(a <= m.start() and m.end() <= b for a, b in quoted):
            continue
        first, second = m.group(0).split()[0], m.group(0).split()[-1]
        if first[:1].isupper() and second[:1].isupper() and (f" {pair} " in known or gate_lexicon.synsets(pair)):
            continue
        return f"'{m.group(0)}'"
    return None


def truncated(text: str) -> str | None:
    """Why ``text`` looks cut off: an ellipsis, no final punctuation, or a last word that cannot end a sentence."""
    stripped = text.rstrip()
    if stripped.endswith(("...", "…")):
        return "ends with an ellipsis"
    bare = stripped.rstrip("\"'”’)]»")
    if not bare.endswith((".", "!", "?")):
        return "does not end with a full stop"
    ws = words(bare)
    if ws and ws[-1].casefold() in _DANGLING:
        return f"ends on {ws[-1]!r}"
    return None
