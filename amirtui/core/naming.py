"""Final filenames: the old generator's rules, so counters continue after the ~45,000 names already on the website.

Default template ``<Subject>_<Location>_<Folder>_Photography_<Camera>_<Year>_<NNN>.JPG``. The parts follow the old
rules (:mod:`.naming_slug` for the text, :mod:`.camera` for the camera): Subject as slugged, Location and Folder with
capitalised parts, the Year only when it is all digits (else the current year).

How the old "append ``_Photography`` to the Folder unless it already ends with photography" rule meets the template:
the ``_Photography`` literal written right after ``<Folder>`` in the template *is* that appended suffix. When the
Folder's slug already ends with "photography" (any case) the literal is left out, so the name never says
Photography twice: Folder ``Aviation`` → ``Aviation_Photography``, Folder ``street photography`` →
``Street_Photography``, Folder ``Macrophotography`` → ``Macrophotography``.

Counters, as the old generator counted: among existing names equal to the new one up to the counter (ignoring case),
only those whose counter is exactly ``counter_width`` digits (three by default) and above zero count; the new counter
is the highest of them plus one, stepping over any name already taken. The series' Folder spelling — including the
``_Photography`` part — is taken from the name with that highest counter. Deliberate differences (docs/decisions.md):
after 999 the counter goes on with 1000 (the old generator gave up); with transliteration on, an existing name is
compared by its transliteration, so ``Zurich_…`` continues a ``Zürich_…`` series; a name that would exceed
``naming.max_length`` has its camera token shortened (and says so) instead of failing when that is enough.

Pure functions, no I/O: the DB-side ingest builds a :class:`NameIndex` once from the queue, the reservations and the
catalog, and asks it for names in set order.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .camera import camera_token, canonical_camera
from .errors import AmirError
from .naming_slug import ends_with_photography, folder_token, slug, title_parts, transliterated, year_token, year_value

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
    "canonical_camera",
    "year_token",
    "year_value",
    "render_name",
    "preview_name",
    "validate_set_fields",
]

#: A camera token is never shortened below this many characters to make a name fit (the name fails instead).
MIN_CAMERA_CHARS = 3


class NameTooLong(AmirError):
    """A generated filename exceeds ``naming.max_length``."""

    title = "Filename too long"


class EmptyNamePart(AmirError):
    """A Subject, Location or Folder the template needs has nothing usable in a filename."""

    title = "Missing name part"


class TemplateError(AmirError):
    """``naming.template`` cannot be used (no counter, unknown token, tokens after the counter)."""

    title = "Bad filename template"


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


def name_camera(parts: NameParts, cfg: NamingConfig) -> str:
    """The camera token ``parts`` gets in a name (canonicalised, ``naming.camera_aliases`` applied)."""
    return canonical_camera(parts.camera, cfg.default_camera, aliases=getattr(cfg, "camera_aliases", None),
                            transliterate=cfg.transliterate)


def _render(parts: NameParts, cfg: NamingConfig, camera: str | None = None) -> _Rendered:
    head_t, tail, template_width = _split_template(cfg.template)
    tr = cfg.transliterate
    folder = folder_token(parts.folder, transliterate=tr)
    values = {
        "Subject": slug(parts.subject, transliterate=tr),
        "Location": title_parts(slug(parts.location, transliterate=tr)),
        "Folder": folder,
        "Camera": camera if camera is not None else name_camera(parts, cfg),
        "Year": year_value(parts.year, transliterate=tr),
    }
    for label in ("Subject", "Location", "Folder"):
        if f"<{label}>" in head_t and not values[label]:
            raise EmptyNamePart(f"the set's {label} is empty or has no letters or digits",
                                fix=f"give the set a {label.lower()} (validate_set_fields reports this before import)")
    # the template as alternating literals and tokens: split() with one group keeps the token names at odd indexes
    pieces = _TOKEN.split(head_t)
    out = ""
    span = (0, 0)
    after_folder = False
    for i, piece in enumerate(pieces):
        if i % 2 == 0:  # literal text
            if after_folder and piece.casefold().startswith(_SUFFIX_LITERAL):
                if ends_with_photography(folder):
                    piece = piece[len(_SUFFIX_LITERAL):]  # the Folder already says photography: do not repeat it
                else:  # the appended "_Photography" belongs to the series' Folder spelling
                    span = (span[0], span[1] + len(_SUFFIX_LITERAL))
            out += piece
            after_folder = False
        else:
            start = len(out)
            out += values[piece]
            if piece == "Folder":
                span = (start, len(out))
                after_folder = True
    # naming.counter_width decides the width (the number of N's only matters when it is unset)
    return _Rendered(head=out, tail=tail, folder_span=span, width=cfg.counter_width or template_width)


def render_name(parts: NameParts, counter: int, cfg: NamingConfig) -> str:
    """The name for ``parts`` with a given counter (no index, no length check)."""
    r = _render(parts, cfg)
    return f"{r.head}{counter:0{r.width}d}{r.tail}"


def _overflow(name: str, cfg: NamingConfig) -> int:
    """How many characters ``name`` is over ``max_length`` (or over 255 bytes); 0 when it fits."""
    return max(len(name) - cfg.max_length, len(name.encode("utf-8")) - 255, 0)


def _too_long(name: str, cfg: NamingConfig) -> NameTooLong:
    return NameTooLong(
        f"the filename {name!r} is {len(name)} characters, over the limit of {cfg.max_length}",
        fix="shorten the Subject, Location or Folder of this set (or raise naming.max_length)",
    )


# ------------------------------------------------------------------------------------------------ index


class NameIndex:
    """Every name already taken (queue, reservations, catalog), for continuing counters and case-insensitive
    uniqueness. Build it once per import from an iterable of names; 50,000 names build in well under a second.

    With ``transliterate`` (match ``naming.transliterate``) an existing name also counts under its transliteration,
    so a new ``Zurich_…`` name continues a ``Zürich_…`` series and never equals one after transliteration.

    Not thread-safe: the ingest stage that reserves names uses one index under its own lock/transaction.
    """

    def __init__(self, names: Iterable[str] = (), *, transliterate: bool = True) -> None:
        self._transliterate = transliterate
        self._names: list[tuple[str, str]] = []  # (name as compared: transliterated when on, its casefold)
        self._taken: set[str] = set()
        # per (template tail casefolded, counter width): head casefolded → (highest counter, that head as written)
        self._by_tail: dict[tuple[str, int], dict[str, tuple[int, str]]] = {}
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._keys(name) & self._taken)

    def _compared(self, name: str) -> str:
        name = name.strip()
        return transliterated(name) if self._transliterate and not name.isascii() else name

    def _keys(self, name: str) -> set[str]:
        return {name.strip().casefold(), self._compared(name).casefold()}

    def add(self, name: str) -> None:
        """Mark ``name`` as taken (call after reserving it)."""
        keys = self._keys(name)
        if keys <= self._taken:
            return
        self._taken |= keys
        compared = self._compared(name)
        key = compared.casefold()
        self._names.append((compared, key))
        for (tail_key, width), heads in self._by_tail.items():
            self._index_one(compared, key, tail_key, width, heads)

    @staticmethod
    def _index_one(name: str, key: str, tail_key: str, width: int, heads: dict[str, tuple[int, str]]) -> None:
        if not key.endswith(tail_key):
            return
        stem = key[: len(key) - len(tail_key)]
        digits = stem[len(stem) - width:]
        # exactly `width` digits after the head: "_05" and "_0005" are not counters of a 3-digit series, and a
        # 4-digit "…_1000" indexes under a head ending in "1", which no real head does
        if len(digits) != width or not (digits.isascii() and digits.isdigit()):
            return
        counter = int(digits)
        if counter == 0:
            return  # the old generator started over at 1 and took no spelling from a 000 name
        head_key = stem[: len(stem) - width]
        best = heads.get(head_key)
        if best is None or counter > best[0]:
            # the head as written (for reusing the Folder casing); casefold can change the length of non-ASCII text
            head = name[: len(head_key)] if len(name) == len(key) else name
            heads[head_key] = (counter, head)

    def _heads(self, tail: str, width: int) -> dict[str, tuple[int, str]]:
        slot = (tail.casefold(), width)
        heads = self._by_tail.get(slot)
        if heads is None:
            heads = {}
            for name, key in self._names:
                self._index_one(name, key, slot[0], width, heads)
            self._by_tail[slot] = heads
        return heads

    def _next(self, parts: NameParts, cfg: NamingConfig, camera: str) -> str:
        r = _render(parts, cfg, camera)
        head = r.head
        best = self._heads(r.tail, r.width).get(head.casefold())
        counter = 1
        if best is not None:
            counter = best[0] + 1
            existing = best[1]
            a, b = r.folder_span
            if len(existing) == len(head) and b > a:
                head = head[:a] + existing[a:b] + head[b:]  # one category keeps one spelling
        name = f"{head}{counter:0{r.width}d}{r.tail}"
        while self._keys(name) & self._taken:  # a name taken out of sequence (or past 999): step over it
            counter += 1
            name = f"{head}{counter:0{r.width}d}{r.tail}"
        return name

    def next_name(self, parts: NameParts, cfg: NamingConfig, notes: list[str] | None = None) -> str:
        """The next free name for ``parts`` (does not add it).

        Over ``naming.max_length`` the camera token is cut (deterministically: the same inputs give the same cut) to
        make the name fit, and a sentence saying so is appended to ``notes``; when even a
        :data:`MIN_CAMERA_CHARS`-character camera does not fit, :class:`NameTooLong` is raised.
        """
        camera = name_camera(parts, cfg)
        name = self._next(parts, cfg, camera)
        excess = _overflow(name, cfg)
        short = camera
        while excess:
            short = short[: len(short) - excess].rstrip("_-")
            if len(short) < MIN_CAMERA_CHARS:
                raise _too_long(name, cfg)
            name = self._next(parts, cfg, short)
            excess = _overflow(name, cfg)
        if short != camera and notes is not None:
            notes.append(f"camera token {camera!r} shortened to {short!r} to fit naming.max_length "
                         f"({cfg.max_length}); add it to naming.camera_aliases to choose the short form")
        return name

    def reserve(self, parts: NameParts, cfg: NamingConfig, notes: list[str] | None = None) -> str:
        """:meth:`next_name` then :meth:`add` it."""
        name = self.next_name(parts, cfg, notes)
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
