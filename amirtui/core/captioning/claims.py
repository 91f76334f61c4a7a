"""The claims a caption makes that the photo itself can confirm or contradict, for the verifier pass.

Five kinds, found by a few grammar rules over closed word classes (articles, prepositions, conjunctions, number
words, colour words) — no model, no content-word lists, so the same text always gives the same claims:

``count``   a number word or digits before a noun phrase: "two swans", "3 fishing boats", "a pair of kites".
``colour``  a colour word (or "-ish" / hyphenated colour) and the noun it describes: "red boat", "grey sky"; a
            colour after a verb keeps the noun before it: "peaks glow pink".
``place``   a run of capitalised words that is not just the first word of a sentence: "Piazza Navona", "Isle of
            Skye", "Lindau". Places the operator gave (the set's Subject, Location, Folder) are not asked about.
``action``  a verb-like word between a noun and a preposition or article ("heron wades through the shallows"), or an
            "-ing" word after a noun ("gulls circling above its stern"), with the words that follow it.
``object``  the other noun phrases after an article or possessive: "the jetty", "its stern".

Claims already contained in a longer claim, and claims that only repeat the operator's Subject / Location, are
dropped; at most :data:`MAX_CLAIMS` are kept (counts, colours, actions and places first, then objects, each kind in
text order), so one verifier request stays small. The rules are deliberately simple: a claim found where none was
meant costs one line the model answers "supported"; a claim missed is a check not made — both are cheaper than an
opaque extractor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

#: Most claims sent in one verifier request (the request and the answer stay small and fast).
MAX_CLAIMS = 12
#: Words of an action claim after its verb.
ACTION_TAIL = 4

KINDS = ("count", "colour", "action", "place", "object")

_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+(?:['’-][^\W\d_]+)*|[.,;:!?()\"“”]", re.UNICODE)

_ARTICLES = frozenset("a an the".split())
_POSSESSIVES = frozenset("its his her their our my your whose".split())
_DEMONSTRATIVES = frozenset("this that these those some several many few each every another both all".split())
_DETERMINERS = _ARTICLES | _POSSESSIVES | _DEMONSTRATIVES
_PREPOSITIONS = frozenset(
    "about above across after against along alongside among amid around at atop before behind below beneath beside "
    "besides between beyond by down during for from in inside into near of off on onto out outside over past "
    "round through throughout to toward towards under underneath up upon via with within without".split())
_CONJUNCTIONS = frozenset("and or but nor as while when where which who whom than so yet because although though "
                          "until once if whether".split())
_PRONOUNS = frozenset("it they them he she him we us you i me one itself themselves there here".split())
_AUXILIARIES = frozenset("is are was were be been being has have had do does did will would can could may might must "
                         "shall should not no".split())
_FUNCTION = _DETERMINERS | _PREPOSITIONS | _CONJUNCTIONS | _PRONOUNS | _AUXILIARIES
_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())}
_GROUP_WORDS = frozenset("pair couple trio dozen dozens hundreds thousands".split())
_COLOURS = frozenset(
    "red orange yellow green blue purple violet pink brown black white grey gray golden gold silver silvery "
    "turquoise teal crimson scarlet amber beige cream ivory navy olive maroon tan rust copper bronze emerald indigo "
    "lilac magenta ochre russet tawny".split())
#: "-ing" words that are nouns, not actions (a closed grammatical exception list, not a content list).
_ING_NOUNS = frozenset("evening morning building ceiling spring string thing king ring wing sing sling swing "
                       "bring nothing something anything everything during ceiling lightning".split())
#: Nouns about the picture, not its content: they are no claim about the scene.
_META = frozenset("photo photograph image picture shot frame view scene composition foreground background "
                  "side left right centre center middle moment".split())
_PLACE_JOINERS = frozenset("of de del della di da la le les du des van von der den am an sur upon".split())
_PUNCT = frozenset(".,;:!?()\"“”")


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the text: its ``kind`` (see :data:`KINDS`) and its words as written."""

    kind: str
    text: str

    def as_dict(self) -> dict[str, str]:
        """JSON form (for the metadata_quality record and the QC report)."""
        return {"kind": self.kind, "text": self.text}


def _is_colour(word: str) -> bool:
    w = word.lower()
    if w in _COLOURS:
        return True
    if "-" in w:
        return all(_is_colour(part) for part in w.split("-") if part)
    return w.endswith("ish") and (w[:-3] in _COLOURS or w[:-4] in _COLOURS)  # reddish, greyish, bluish


def _is_number(word: str) -> bool:
    return word[:1].isdigit() or word.lower() in _NUMBERS and word.lower() not in ("zero", "one")


def _content(word: str) -> bool:
    """A word that can be part of a noun phrase or a verb (not a function word, not punctuation)."""
    return word not in _PUNCT and word.lower() not in _FUNCTION


class _Sentence:
    """The tokens of one sentence with the rules applied to them."""

    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.low = [w.lower() for w in tokens]

    def _np_end(self, start: int, stop: set[int]) -> int:
        """Index after the noun phrase starting at ``start`` (content words up to a function word, punctuation, an
        action verb or three words)."""
        j = start
        while j < len(self.t) and j - start < 3 and j not in stop and _content(self.t[j]):
            j += 1
        return j

    def _tail(self, i: int) -> int:
        """Index after what an action at ``i`` does: an optional preposition, article and up to three words."""
        j = i + 1
        if j < len(self.t) and self.low[j] in _PREPOSITIONS:
            j += 1
        if j < len(self.t) and self.low[j] in _DETERMINERS:
            j += 1
        k = j
        while k < len(self.t) and k - j < 3 and _content(self.t[k]):
            k += 1
        return k if k > j else i + 1

    def actions(self) -> dict[int, str]:
        """Verb index → action claim text ("heron wades through the shallows", "gulls circling above its stern").

        A verb is the last word of a clause's opening run of content words when a preposition (not "of"/"with",
        which mostly follow nouns) or an article comes next; or an "-ing" word right after a noun."""
        out: dict[int, str] = {}
        starts = [0] + [i + 1 for i, w in enumerate(self.low)
                        if w in _PUNCT or w in _CONJUNCTIONS or w in ("with", "while")]
        for s in starts:
            opener = s < len(self.t) and (self.low[s] in _DETERMINERS or self.low[s] == "one" or _is_number(self.t[s]))
            i = s + 1 if opener else s
            if i + 1 < len(self.t) and self.low[i] in _GROUP_WORDS and self.low[i + 1] == "of":
                i += 2  # "a pair of kites hangs over": the subject is the kites
            j = i
            while j < len(self.t) and _content(self.t[j]):
                j += 1
            run = list(range(i, j))
            nxt = self.low[j] if j < len(self.t) else ""
            if len(run) < 2 or not (nxt in _DETERMINERS or nxt in _PREPOSITIONS and nxt not in ("of", "with")):
                continue
            verb = run[-1]
            if _is_colour(self.t[verb]) and len(run) >= 3:
                verb = run[-2]  # "peaks glow pink above": the colour is what the verb makes them
            if _is_colour(self.t[verb]) or _is_number(self.t[verb]) or self.low[verb] in _META:
                continue
            out[verb] = " ".join(self.t[verb - 1:max(self._tail(verb), j) if verb < run[-1] else self._tail(verb)])
        for i in range(1, len(self.t)):
            low, prev = self.low[i], self.t[i - 1]
            if (low.endswith("ing") and len(low) >= 5 and low not in _ING_NOUNS and i not in out
                    and _content(prev) and not _is_colour(prev) and not self.t[i][:1].isupper()):
                out[i] = " ".join(self.t[i - 1:self._tail(i)])
        return out

    def claims(self) -> list[tuple[int, Claim]]:
        """(position, claim) pairs of this sentence."""
        found: list[tuple[int, Claim]] = []
        acts = self.actions()
        stop = set(acts)
        for i, text in acts.items():
            found.append((i, Claim("action", text)))
        for i, w in enumerate(self.t):
            low = self.low[i]
            if _is_number(w) or low in _GROUP_WORDS:
                start = i + 1
                if low in _GROUP_WORDS and self.low[start:start + 1] == ["of"]:
                    start += 1
                end = self._np_end(start, stop)
                if end > start:
                    found.append((i, Claim("count", " ".join(self.t[i:end]))))
            elif _is_colour(w):
                end = self._np_end(i + 1, stop)
                if end > i + 1:
                    found.append((i, Claim("colour", " ".join(self.t[i:end]))))
                elif i >= 2 and _content(self.t[i - 1]) and _content(self.t[i - 2]):
                    found.append((i, Claim("colour", " ".join(self.t[i - 2:i + 1]))))  # "peaks glow pink"
            elif low in _DETERMINERS or i == 0 and _content(w) and len(self.t) > 1:
                start = i + 1 if low in _DETERMINERS else i
                end = self._np_end(start, stop)
                words = [x for x in self.t[start:end] if x.lower() not in _META]
                if words and not any(_is_number(x) or _is_colour(x) for x in self.t[start:end]):
                    found.append((i, Claim("object", " ".join(self.t[start:end]))))
        found.extend(self._places())
        return found

    def _places(self) -> list[tuple[int, Claim]]:
        out: list[tuple[int, Claim]] = []
        i = 0
        while i < len(self.t):
            if not self.t[i][:1].isupper() or self.t[i] in _PUNCT:
                i += 1
                continue
            j = i + 1
            while j < len(self.t):
                if self.t[j][:1].isupper() and self.t[j] not in _PUNCT:
                    j += 1
                elif (self.low[j] in _PLACE_JOINERS and j + 1 < len(self.t) and self.t[j + 1][:1].isupper()):
                    j += 2
                else:
                    break
            words = self.t[i:j]
            if words and self.low[i] in _ARTICLES:
                words = words[1:]  # "The Cotswolds" → "Cotswolds"; "A" alone is no place
            single_first = i == 0 and j - i == 1
            if words and not single_first and not (len(words) == 1 and words[0].lower() in _FUNCTION):
                out.append((i, Claim("place", " ".join(words))))
            i = j
        return out


def _sentences(text: str) -> list[list[str]]:
    out, cur = [], []
    for tok in _TOKEN.findall(text or ""):
        if tok in ".!?":
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        out.append(cur)
    return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def extract_claims(caption: str | None, alt_text: str | None = None, *, known: Iterable[str] = (),
                   limit: int = MAX_CLAIMS) -> list[Claim]:
    """The claims of a caption and its alt text (deduplicated, most specific first, at most ``limit``).

    ``known``: what the operator told us (Subject, Location, Folder); a claim that only repeats it is not asked about.
    """
    known_norm = {_norm(k) for k in known if k and _norm(k)}
    known_words = {w for k in known_norm for w in k.split()}
    found: list[tuple[int, int, Claim]] = []
    offset = 0
    for text in (caption, alt_text):
        for sentence in _sentences(text or ""):
            for pos, claim in _Sentence(sentence).claims():
                found.append((KINDS.index(claim.kind), offset + pos, claim))
            offset += len(sentence) + 1
        offset += 1000  # alt text claims after the caption's of the same kind
    found.sort(key=lambda f: (f[0], f[1]))
    kept: list[Claim] = []
    seen: list[tuple[str, str]] = []
    for _, _, claim in found:
        n = _norm(claim.text)
        if not n or n in known_norm or set(n.split()) <= known_words:
            continue  # the operator's own Subject / Location / Folder: not the model's claim
        inside = [k for k, s in seen if n == s or f" {n} " in f" {s} "]
        if n in [s for _, s in seen] or claim.kind in ("object", "action") and any(
                k in ("count", "colour", "action") or claim.kind == "object" for k in inside):
            continue  # the same claim again (e.g. from the alt text), or a phrase inside a more specific claim
        seen.append((claim.kind, n))
        kept.append(claim)
    return kept[:limit]


__all__ = ["Claim", "KINDS", "MAX_CLAIMS", "extract_claims"]
