"""The gate's keyword rules: how many, duplicates after normalisation, and fragments that are not keywords."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from . import gate_lexicon
from .gate_text import normalise

# words that cannot start or end a keyword ("the harbour", "stands in the") unless the keyword is a proper name
# ("The Cotswolds", "Isle of Skye")
_EDGE = frozenset(
    [
        "a", "an", "the", "of", "and", "or", "but", "nor", "with", "without", "in", "on", "at", "to", "for", "from",
        "by", "into", "onto", "over", "under", "near", "its", "his", "her", "their", "this", "that", "these", "those",
        "is", "are", "was", "were", "be", "been", "being", "as", "while", "between", "against", "toward", "towards",
        "very", "quite", "so", "along", "across", "through", "up", "down", "off"
    ]
)
# function words that only occur inside a piece of a sentence, wherever they stand ("is seen", "with its")
_SENTENCE_WORDS = frozenset([
    "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "its", "their", "his", "her", "this",
    "that", "these", "those", "which", "who", "whose"
])
_NAME_GLUE = frozenset([
    "of", "the", "de", "la", "le", "les", "du", "des", "di", "da", "del", "della", "dei", "degli", "von", "van",
    "der", "den", "y", "and", "on", "upon", "am", "an", "im", "d'", "l'", "sur", "en"
])


def key(keyword: str) -> str:
    """The form two keywords are compared in: case-folded, accents kept, hyphens as spaces, each word singular."""
    text = unicodedata.normalize("NFKC", keyword).casefold().replace("-", " ").replace("_", " ")
    out = []
    for w in normalise(text).split():
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 4 and re.search(r"(?:ss|x|z|ch|sh)es$", w):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        out.append(w)
    return " ".join(out)


def is_name(keyword: str) -> bool:
    """A proper name: every word capitalised except the glue of names ("Isle of Skye", "Lac d'Annecy", "the Loop")."""
    ws = keyword.split()
    if len(ws) > 1 and ws[0] == "the":
        ws = ws[1:]  # "the Loop", "the Hague"
    if not ws or not ws[0][:1].isupper():
        return False
    for w in ws[1:]:
        low = w.casefold()
        if w[:1].isupper() or low in _NAME_GLUE or low.split("'")[0] + "'" in _NAME_GLUE:
            continue
        return False
    return True


def fragment(keyword: str, caption: str = "") -> str | None:
    """Why ``keyword`` is a piece of a sentence or no keyword at all (None when it is a fine keyword).

    A keyword of three or more words copied from the caption with a small word inside ("stands in shallow") is a
    fragment, unless it is a term the lexicon knows ("bird of prey") or a proper name.
    """
    ws = normalise(keyword).split()
    if not ws or not any(ch.isalpha() for ch in keyword):
        return "has no letters" if not any(ch.isdigit() for ch in keyword) else "is only a number"
    if is_name(keyword):
        return None
    if ws[0] in _EDGE or ws[-1] in _EDGE:
        return "starts or ends with a filler word"
    if any(w in _SENTENCE_WORDS for w in ws):
        return "is a piece of a sentence, not a keyword"
    if len(ws) >= 5:
        return "is a piece of a sentence, not a keyword"
    if (len(ws) >= 3 and any(w in _EDGE for w in ws[1:-1]) and f" {' '.join(ws)} " in f" {normalise(caption)} "
            and not gate_lexicon.synsets(" ".join(ws))):
        return "is a piece of the caption, not a keyword"
    return None


def check_keywords(kws: list[str], caption: str, min_keywords: int, max_keywords: int,
                   add: Callable[[str, str], None]) -> None:
    """Count, duplicates and fragments; reasons go to ``add(code, detail)``."""
    if len(kws) < min_keywords:
        add("keywords_too_few", f"{len(kws)} keywords (minimum {min_keywords})")
    if len(kws) > max_keywords:
        add("keywords_too_many", f"{len(kws)} keywords (maximum {max_keywords}, captioning.max_keywords)")
    seen: dict[str, str] = {}
    for k in kws:
        norm = key(k)
        if norm and norm in seen:
            add("keywords_duplicate", f"{seen[norm]!r} and {k!r}")
        seen.setdefault(norm, k)
    for k in kws:
        why = fragment(k, caption)
        if why:
            add("keywords_fragment", f"{k!r} {why}")
