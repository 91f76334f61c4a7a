"""The text rules of the old name generator: slug, capitalised parts, Folder token, year.

Written from a reading of the old generator's newest rules (``utils/file_namer.py`` of the website's previous
pipeline), so names continue the ~45,000 already on the website. The one deliberate difference here is
transliteration (``naming.transliterate``, on by default): non-ASCII letters become ASCII *before* the old rules run.

Hyphens. The old generator keeps a hyphen only inside tokens that look like aircraft registrations or type/model
numbers (see :data:`HYPHEN_TOKEN`), everything else that is not a letter, digit or ``_`` becomes a separator:
``PH-BXA``, ``9H-ABC``, ``A320-214``, ``737-800``, ``ATR 72-600`` → ``ATR_72-600``, ``Fokker-100``, ``DMC-FZ30`` keep
their hyphen; ``Saint-Tropez``, ``ILCE-7RM3`` (a four-letter prefix), ``A6-EDA`` (letter + digit prefix) and
``737-8`` (one character after the hyphen) lose it. Because the pattern looks only at the shape, a short word pair like
``New-York`` or ``x-ray`` keeps its hyphen too — exactly as on the website.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from unidecode import unidecode

__all__ = ["HYPHEN_TOKEN", "slug", "title_parts", "folder_token", "ends_with_photography", "year_value",
           "year_token", "transliterated"]

# The shapes whose hyphens survive, tried left to right at each position (the first that fits wins), each standing
# alone (no letter or digit right before or after it). Case is ignored, as in the old generator.
HYPHEN_TOKEN = re.compile(
    r"""
    (?<![A-Z0-9])
    (?:
        ATR [-\s]+ (?:72|42) - [0-9A-Z]{2,5}       # ATR 72-600, ATR-42-500
      | Fokker [-\s]+ [0-9]{2,3}                   # Fokker 70, Fokker-100
      | [A-Z]{1,3} - [A-Z0-9]{2,5}                 # PH-BXA, EOS-1D, MiG-29, DMC-FZ30
      | [0-9][A-Z] - [A-Z0-9]{2,5}                 # 9H-ABC, 4X-EKA
      | [A-Z]?\d{3,4}[A-Z]? - [0-9A-Z]{2,5}        # A320-214, B737-800, A350-1000
      | 7\d{2}[A-Z]? - [0-9A-Z]{2,5}               # 737-8K2, 777-300ER
    )
    (?![A-Z0-9])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_KEEP = "\x00"  # stands in for a kept hyphen while punctuation is cleared (real NULs are removed first)
# Controls are separators in the old rules; the whitespace ones also join "ATR 72-600", the others do not. Both are
# replaced before transliteration (which would drop some of them and glue their neighbours together).
_SPACE_CONTROL = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f\x85]")
_OTHER_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def transliterated(text: str) -> str:
    """NFC text with non-ASCII letters spelled in ASCII (``Zürich`` → ``Zurich``, ``Straße`` → ``Strasse``)."""
    return unidecode(unicodedata.normalize("NFC", text))


def slug(text: object, *, transliterate: bool = True) -> str:
    """One name part by the old rules: keep letters, digits and ``_`` in their case; ``&`` → ``and``; hyphens only
    inside :data:`HYPHEN_TOKEN` shapes; every other character is a separator; separators become one ``_``; no ``_``
    at either end. ``None`` → ``""``.

    With ``transliterate`` the result is pure ``[A-Za-z0-9_-]``; without it Unicode letters and digits stay (NFC).
    Either way it is inside the filename alphabet of :mod:`amirtui.core.filenames` and may be empty.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text))
    s = _OTHER_CONTROL.sub("#", _SPACE_CONTROL.sub(" ", s))  # also frees \x00 for _KEEP
    if transliterate:
        s = unidecode(s)
    s = HYPHEN_TOKEN.sub(lambda m: m.group(0).replace("-", _KEEP), s.strip())
    s = s.replace("&", "and")
    s = "".join(c if (c.isalnum() or c in "_" + _KEEP) else " " for c in s)
    s = "_".join(s.split())
    s = re.sub(r"_+", "_", s).strip("_")
    return s.replace(_KEEP, "-")


def title_parts(token: str) -> str:
    """Upper-case the first letter of each ``_``-separated part that starts lower-case (``new_york`` → ``New_York``);
    everything else, all-caps parts included, stays as it is. Empty parts are dropped."""
    return "_".join(p[:1].upper() + p[1:] if p[:1].islower() else p for p in token.split("_") if p)


def folder_token(folder: str, *, transliterate: bool = True) -> str:
    """The Folder as it appears in names, without the ``_Photography`` suffix (the template adds that)."""
    return title_parts(slug(folder, transliterate=transliterate))


def ends_with_photography(folder_tok: str) -> bool:
    """The old rule appends ``_Photography`` unless the Folder already ends with "photography" (any case)."""
    return folder_tok.lower().endswith("photography")


def year_value(year: object, today: _dt.date | None = None, *, transliterate: bool = True) -> str:
    """The Year part of a name: the value itself when every character of it is a digit (``"2019"``, ``"24"``), else
    the current year (``"2019 "``, ``"2019.0"``, ``"20x9"``, ``""``, ``None``)."""
    text = "" if year is None else str(year)
    if text.isdigit():
        return unidecode(text) if transliterate else text
    return str((today or _dt.date.today()).year)


def year_token(dto: object, dt: object = None, today: _dt.date | None = None) -> str:
    """Year from the EXIF dates: the first four characters of DateTimeOriginal (else DateTime) when they are digits,
    else the current year. ``0000`` (an unset camera clock) counts as no date; the EXIF reader already stores
    impossible dates as empty."""
    for value in (dto, dt):
        text = str(value or "").strip("\x00 ")[:4]
        if len(text) == 4 and text.isascii() and text.isdigit() and text != "0000":
            return text
    return str((today or _dt.date.today()).year)
