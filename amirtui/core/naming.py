"""Final filenames: the old system's rules, so counters continue after the ~45,000 names already on the website.

Default template ``<Subject>_<Location>_<Folder>_Photography_<Camera>_<Year>_<NNN>.JPG``. For ASCII input the result
is exactly what the old system produced; the one deliberate difference is that non-ASCII letters are transliterated
(``naming.transliterate``, on by default).

How the old "append ``_Photography`` to the Folder unless it already ends with photography" rule meets the template:
the ``_Photography`` literal written right after ``<Folder>`` in the template *is* that appended suffix. When the
Folder's slug already ends with "photography" (any case) the literal is left out, so the name never says
Photography twice: Folder ``Aviation`` → ``Aviation_Photography``, Folder ``street photography`` →
``Street_Photography``, Folder ``Macrophotography`` → ``Macrophotography``. A template without that literal gets no
suffix at all (the operator chose so).

Counters: the number continues after the highest counter among existing names that equal the new name up to the
counter, compared case-insensitively as a whole (Subject, Location, Folder, Camera and Year). The old system compared
Folder ignoring case; comparing the other parts ignoring case too can only skip numbers the old system would have
reused for a name that differs from an existing one only in case, which must not happen anyway because names are
unique case-insensitively. The existing Folder casing is reused so one category keeps one spelling.

Pure functions, no I/O: the DB-side ingest builds a :class:`NameIndex` once from the queue, the reservations and the
catalog, and asks it for names in set order.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from unidecode import unidecode

from .errors import AmirError

if TYPE_CHECKING:  # settings are passed in; the core does not load them
    from ..config import NamingConfig

__all__ = [
    "NameParts",
    "NameIndex",
    "NameTooLong",
    "TemplateError",
    "EmptyNamePart",
    "slug",
    "title_parts",
    "folder_token",
    "camera_token",
    "year_token",
    "render_name",
    "preview_name",
    "validate_set_fields",
]


class NameTooLong(AmirError):
    """A generated filename exceeds ``naming.max_length``."""

    title = "Filename too long"


class EmptyNamePart(AmirError):
    """A Subject, Location or Folder the template needs has nothing usable in a filename."""

    title = "Missing name part"


class TemplateError(AmirError):
    """``naming.template`` cannot be used (no counter, unknown token, tokens after the counter)."""

    title = "Bad filename template"


# ------------------------------------------------------------------------------------------------ slug

# A run of letters/digits joined by hyphens ("PH-BXA", "A320-214", "Saint-Tropez"): candidates for keeping hyphens.
_HYPHEN_RUN = re.compile(r"[^\W_]+(?:-[^\W_]+)+")
_SPACES = re.compile(r"\s+")
_UNDERSCORES = re.compile(r"_+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _code_like(part: str) -> bool:
    """True for a registration/model-number piece: it holds a digit, or all its letters are capitals.

    "PH", "BXA", "9H", "A320", "214", "737", "DMC", "FZ30" are code-like; "Saint", "Tropez", "Coca" are not. A hyphen is
    kept only between two code-like pieces, so "Saint-Tropez" becomes ``Saint_Tropez`` but "DMC-FZ30" stays.
    """
    return any(c.isdigit() for c in part) or part.isupper()


def _keep_code_hyphens(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        pieces = m.group(0).split("-")
        out = pieces[0]
        for left, right in zip(pieces, pieces[1:]):
            out += ("\x00" if _code_like(left) and _code_like(right) else " ") + right
        return out

    return _HYPHEN_RUN.sub(fix, text)


def slug(text: str, *, transliterate: bool = True) -> str:
    """The old system's slug: ``&``→``and``; keep letters, digits, ``_`` and hyphens inside code-like tokens
    (``PH-BXA``, ``9H-ABC``, ``A320-214``, ``737-800``, ``DMC-FZ30``); everything else becomes a space; spaces become
    one ``_``; repeated ``_`` collapse; leading/trailing ``_`` are trimmed.

    With ``transliterate`` (the default) non-ASCII letters are first turned into ASCII (``Zürich`` → ``Zurich``) and
    the result is pure ``[A-Za-z0-9_-]``. Without it, Unicode letters and digits are kept (NFC-normalised). The result
    never holds a path separator, a control character or ``..``; it may be empty.
    """
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", text)  # also removes any \x00 so it can serve as the kept-hyphen marker below
    if transliterate:
        text = unidecode(text)
    text = text.replace("&", "and")
    text = _keep_code_hyphens(text)
    flags = re.ASCII if transliterate else 0
    text = re.sub(r"[^\w\x00]", " ", text, flags=flags)
    text = _SPACES.sub("_", text.strip())
    text = _UNDERSCORES.sub("_", text).strip("_")
    return text.replace("\x00", "-")


def title_parts(token: str) -> str:
    """Upper-case the first letter of each ``_``-separated part that starts lower-case (``new_york`` → ``New_York``);
    everything else, including all-caps parts, stays as it is."""
    return "_".join(p[:1].upper() + p[1:] if p[:1].islower() else p for p in token.split("_"))


def folder_token(folder: str, *, transliterate: bool = True) -> str:
    """The Folder as it appears in names, without the ``_Photography`` suffix (the template adds that)."""
    return title_parts(slug(folder, transliterate=transliterate))


def _ends_with_photography(folder_tok: str) -> bool:
    return folder_tok.casefold().endswith("photography")


# ------------------------------------------------------------------------------------------------ camera, year


def _clean_exif_text(value: object) -> str:
    """EXIF strings arrive padded with NULs and spaces, sometimes as bytes: normalise whitespace and underscores."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", " ").replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def _collapse_repeats(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        if not out or out[-1].casefold() != w.casefold():
            out.append(w)
    return out


def camera_token(make: object, model: object, default: str = "Camera", *, transliterate: bool = True) -> str:
    """Canonical camera token from EXIF Make and Model.

    The make is left out when the model already starts with the whole make (``Canon`` + ``Canon EOS 40D`` →
    ``Canon_EOS_40D``) but kept when only a word matches (``NIKON CORPORATION`` + ``NIKON D70`` →
    ``NIKON_CORPORATION_NIKON_D70``); a repeated make word is collapsed (``Canon Canon``). Matching ignores case.
    Empty (or nothing usable after cleaning) → the slug of ``default``.
    """
    make_s = " ".join(_collapse_repeats(_clean_exif_text(make).split()))
    model_s = _clean_exif_text(model)
    if make_s and model_s:
        if model_s.casefold() == make_s.casefold() or model_s.casefold().startswith(make_s.casefold() + " "):
            text = model_s
        else:
            # collapse again across the junction: make "Canon Canon" + model "Canon" style doubles
            text = " ".join(_collapse_repeats((make_s + " " + model_s).split()))
    else:
        text = make_s or model_s
    token = slug(text, transliterate=transliterate)
    return token or slug(default, transliterate=transliterate) or "Camera"


def year_token(dto: object, dt: object = None, today: _dt.date | None = None) -> str:
    """First four characters of DateTimeOriginal (else DateTime) when they are digits, else the current year.

    A year of ``0000`` (cameras with an unset clock write ``0000:00:00 00:00:00``) counts as missing: it is not a
    year a catalog folder should be named after. This is the only place we differ from the old rule.
    """
    for value in (dto, dt):
        text = _clean_exif_text(value)[:4]
        if len(text) == 4 and text.isascii() and text.isdigit() and text != "0000":
            return text
    return str((today or _dt.date.today()).year)


# ------------------------------------------------------------------------------------------------ template


@dataclass(frozen=True)
class NameParts:
    """What one photo's name is made of: the set's Subject/Location/Folder (as typed) and the photo's camera token
    (from :func:`camera_token`) and year (from :func:`year_token`)."""

    subject: str
    location: str
    folder: str
    camera: str
    year: str


_TOKEN = re.compile(r"<(Subject|Location|Folder|Camera|Year|N+)>")
_SUFFIX_LITERAL = "_photography"


@dataclass(frozen=True)
class _Rendered:
    head: str  # everything before the counter
    tail: str  # everything after the counter (literal, e.g. ".JPG")
    folder_span: tuple[int, int]  # where the Folder sits in ``head`` (to reuse an existing casing)
    width: int


def _split_template(template: str) -> tuple[str, str, int]:
    counters = re.findall(r"<(N+)>", template)
    if len(counters) != 1:
        raise TemplateError(
            f"naming.template {template!r} must contain exactly one counter token like <NNN>",
            fix="use e.g. <Subject>_<Location>_<Folder>_Photography_<Camera>_<Year>_<NNN>.JPG",
        )
    head, tail = template.split(f"<{counters[0]}>")
    if _TOKEN.search(tail) or re.search(r"\d", tail):
        raise TemplateError(
            f"naming.template {template!r} has tokens or digits after the counter",
            fix="put the counter last, just before the extension",
        )
    if head and head[-1].isdigit():
        raise TemplateError(f"naming.template {template!r} has a digit right before the counter")
    unknown = set(re.findall(r"<([^>]*)>", head)) - {"Subject", "Location", "Folder", "Camera", "Year"}
    if unknown:
        raise TemplateError(f"naming.template {template!r} has unknown token(s) {sorted(unknown)}",
                            fix="allowed: <Subject> <Location> <Folder> <Camera> <Year> <NNN>")
    return head, tail, len(counters[0])


def _render(parts: NameParts, cfg: NamingConfig) -> _Rendered:
    head_t, tail, template_width = _split_template(cfg.template)
    tr = cfg.transliterate
    folder = folder_token(parts.folder, transliterate=tr)
    values = {
        "Subject": slug(parts.subject, transliterate=tr),
        "Location": title_parts(slug(parts.location, transliterate=tr)),
        "Folder": folder,
        "Camera": slug(parts.camera, transliterate=tr) or slug(cfg.default_camera, transliterate=tr) or "Camera",
        "Year": slug(parts.year, transliterate=tr),
    }
    for label in ("Subject", "Location", "Folder"):
        if f"<{label}>" in head_t and not values[label]:
            raise EmptyNamePart(f"the set's {label} is empty or has no letters or digits",
                                fix=f"give the set a {label.lower()} (validate_set_fields reports this before import)")
    # the template as alternating literals and tokens: split() with one group keeps the token names at odd indexes
    pieces = _TOKEN.split(head_t)
    out = ""
    span = (0, 0)
    drop_suffix = False
    for i, piece in enumerate(pieces):
        if i % 2 == 0:  # literal text
            if drop_suffix and piece.casefold().startswith(_SUFFIX_LITERAL):
                piece = piece[len(_SUFFIX_LITERAL):]  # the Folder already says photography: do not repeat it
            out += piece
            drop_suffix = False
        else:
            start = len(out)
            out += values[piece]
            if piece == "Folder":
                span = (start, len(out))
                drop_suffix = _ends_with_photography(folder)
    # naming.counter_width decides the width (the number of N's only matters when it is unset)
    return _Rendered(head=out, tail=tail, folder_span=span, width=cfg.counter_width or template_width)


def render_name(parts: NameParts, counter: int, cfg: NamingConfig) -> str:
    """The name for ``parts`` with a given counter (no index, no length check)."""
    r = _render(parts, cfg)
    return f"{r.head}{counter:0{r.width}d}{r.tail}"


def _check_length(name: str, cfg: NamingConfig) -> None:
    if len(name) > cfg.max_length or len(name.encode("utf-8")) > 255:
        raise NameTooLong(
            f"the filename {name!r} is {len(name)} characters, over the limit of {cfg.max_length}",
            fix="shorten the Subject, Location or Folder of this set (or raise naming.max_length)",
        )


# ------------------------------------------------------------------------------------------------ index


class NameIndex:
    """Every name already taken (queue, reservations, catalog), for continuing counters and case-insensitive
    uniqueness. Build it once per import from an iterable of names; ~45,000 names build in tens of milliseconds.

    Not thread-safe: the ingest stage that reserves names uses one index under its own lock/transaction.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names: list[tuple[str, str]] = []  # (name, casefolded name)
        self._taken: set[str] = set()
        # per template tail (".jpg" casefolded): head.casefold() → (highest counter, that name's head as written)
        self._by_tail: dict[str, dict[str, tuple[int, str]]] = {}
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self._taken)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._taken

    def add(self, name: str) -> None:
        """Mark ``name`` as taken (call after reserving it)."""
        key = name.casefold()
        if key in self._taken:
            return
        self._taken.add(key)
        self._names.append((name, key))
        for tail_key, heads in self._by_tail.items():
            self._index_one(name, key, tail_key, heads)

    @staticmethod
    def _index_one(name: str, key: str, tail_key: str, heads: dict[str, tuple[int, str]]) -> None:
        if not key.endswith(tail_key):
            return
        stem = key[: len(key) - len(tail_key)]
        head_key = stem.rstrip("0123456789")
        if len(head_key) == len(stem):
            return  # no counter before the tail: not a name of this template
        counter = int(stem[len(head_key):])
        best = heads.get(head_key)
        if best is None or counter > best[0]:
            # the head as written (for reusing the Folder casing); casefold can change the length of non-ASCII text
            head = name[: len(head_key)] if len(name) == len(key) else name
            heads[head_key] = (counter, head)

    def _heads(self, tail: str) -> dict[str, tuple[int, str]]:
        tail_key = tail.casefold()
        heads = self._by_tail.get(tail_key)
        if heads is None:
            heads = {}
            for name, key in self._names:
                self._index_one(name, key, tail_key, heads)
            self._by_tail[tail_key] = heads
        return heads

    def next_name(self, parts: NameParts, cfg: NamingConfig) -> str:
        """The next free name for ``parts`` (does not add it). Raises :class:`NameTooLong` over ``max_length``."""
        r = _render(parts, cfg)
        head = r.head
        best = self._heads(r.tail).get(head.casefold())
        counter = 1
        if best is not None:
            counter = best[0] + 1
            existing = best[1]
            a, b = r.folder_span
            if len(existing) == len(head) and b > a:
                head = head[:a] + existing[a:b] + head[b:]  # one category keeps one spelling
        name = f"{head}{counter:0{r.width}d}{r.tail}"
        while name.casefold() in self._taken:  # a name reserved out of sequence: step over it
            counter += 1
            name = f"{head}{counter:0{r.width}d}{r.tail}"
        _check_length(name, cfg)
        return name

    def reserve(self, parts: NameParts, cfg: NamingConfig) -> str:
        """:meth:`next_name` then :meth:`add` it."""
        name = self.next_name(parts, cfg)
        self.add(name)
        return name


# ------------------------------------------------------------------------------------------------ TUI helpers


def preview_name(
    subject: str,
    location: str,
    folder: str,
    cfg: NamingConfig,
    *,
    camera: str | None = None,
    year: str | None = None,
    index: NameIndex | None = None,
) -> str:
    """The name the first photo of a set would get, for the set form (never raises on length: see
    :func:`validate_set_fields`). Camera defaults to ``naming.default_camera``, year to the current year."""
    parts = NameParts(subject, location, folder, camera or cfg.default_camera, year or str(_dt.date.today().year))
    if index is None:
        return render_name(parts, 1, cfg)
    try:
        return index.next_name(parts, cfg)
    except NameTooLong:
        return render_name(parts, 1, cfg)


def validate_set_fields(
    subject: str,
    location: str,
    folder: str,
    cfg: NamingConfig,
    *,
    cameras: Iterable[str] = (),
    year: str = "2000",
) -> list[str]:
    """Problems with a set's Subject/Location/Folder, each a sentence for the operator; empty when fine.

    The length check uses the longest of ``cameras`` (tokens from the set's EXIF, when known) and the default
    camera, with a counter of ``counter_width`` digits.
    """
    problems: list[str] = []
    try:
        _split_template(cfg.template)
    except TemplateError as exc:
        return [str(exc)]
    tr = cfg.transliterate
    for label, value in (("Subject", subject), ("Location", location), ("Folder", folder)):
        if not (value or "").strip():
            problems.append(f"{label} is empty: type a {label.lower()} for this set")
        elif not slug(value, transliterate=tr):
            problems.append(f"{label} {value!r} has no letters or digits that can go into a filename")
    if problems:
        return problems
    camera_list = [c for c in cameras if c] or [cfg.default_camera]
    longest = max(camera_list, key=lambda c: len(slug(c, transliterate=tr)))
    name = render_name(NameParts(subject, location, folder, longest, year), 1, cfg)
    if len(name) > cfg.max_length:
        problems.append(
            f"the filenames would be {len(name)} characters (e.g. {name!r}), over the limit of {cfg.max_length}: "
            f"shorten the Subject, Location or Folder by {len(name) - cfg.max_length} characters"
        )
    return problems
