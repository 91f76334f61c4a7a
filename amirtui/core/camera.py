"""The camera part of a filename: from EXIF Make/Model, or from a camera string given directly.

Both follow the old generator (its ``get_camera_model`` for EXIF and the defensive rules its name generator applies to
any camera string), so a camera keeps the token it already has on the website:

- Make's repeated words collapse (``Canon Canon`` → ``Canon``); the Make is left out when the Model starts with it
  (a plain string prefix, ignoring case: ``Canon`` + ``Canon EOS 40D`` → ``Canon_EOS_40D``), otherwise both are kept
  (``NIKON CORPORATION`` + ``NIKON D70`` → ``NIKON_CORPORATION_NIKON_D70``).
- Any spelling of the Canon EOS R5 Mark II (``R5m2``, ``R5 Mark II``, ``R5 Mark 2``) → :data:`R5_MARK_II`.
- A token starting ``Canon_Canon_`` loses one ``Canon_``.
- Nothing usable → the configured default camera (``naming.default_camera``; the old generator's default was
  ``Canon_EOS_R5_Mark_II``).
- Hyphens follow the slug rules (:data:`amirtui.core.naming_slug.HYPHEN_TOKEN`): ``DMC-FZ30`` keeps its hyphen,
  ``ILCE-7RM3`` does not.

EXIF text: a NUL inside Make/Model separates words (the old generator saw ``ION230\\x00F`` as ``ION230 F``), and the
EXIF reader stores the same text, so the token made from the stored Make/Model equals the one made from the raw tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .naming_slug import slug

__all__ = ["R5_MARK_II", "exif_text", "camera_token", "canonical_camera", "alias_problems"]

#: The token every spelling of the Canon EOS R5 Mark II becomes (the website's most common camera).
R5_MARK_II = "Canon_EOS_R5_Mark_II"
_R5_SPELLINGS = ("r5m2", "r5markii", "r5mark2")


def exif_text(value: object) -> str | None:
    """EXIF ASCII as text: bytes decoded leniently, every NUL a separator, whitespace collapsed; empty → None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = " ".join(str(value).replace("\x00", " ").split())
    return text or None


def _collapse_repeats(words: list[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        if not out or out[-1].lower() != w.lower():
            out.append(w)
    return out


def _is_r5_mark_ii(text: str) -> bool:
    return any(s in text for s in _R5_SPELLINGS)


def _default(default: str, transliterate: bool) -> str:
    return slug(default, transliterate=transliterate) or "Camera"


def camera_token(make: object, model: object, default: str = "Camera", *, transliterate: bool = True) -> str:
    """The camera token from EXIF Make and Model (see the module docstring for the rules)."""
    make_s = " ".join(_collapse_repeats((exif_text(make) or "").replace("_", " ").split()))
    model_s = " ".join((exif_text(model) or "").replace("_", " ").split())
    if make_s and model_s:
        full = model_s if model_s.lower().startswith(make_s.lower()) else f"{make_s} {model_s}"
    else:
        full = model_s or make_s
    if _is_r5_mark_ii(re.sub(r"[^a-z0-9]+", "", full.lower())):
        return R5_MARK_II
    return slug(full, transliterate=transliterate) or _default(default, transliterate)


def canonical_camera(camera: object, default: str = "Camera", *, aliases: Mapping[str, str] | None = None,
                     transliterate: bool = True) -> str:
    """The camera token a name uses for ``camera`` — an EXIF token from :func:`camera_token` or any string typed or
    stored elsewhere: slugged again, the R5 Mark II spellings and the ``Canon_Canon_`` double folded, empty → the
    default, then ``naming.camera_aliases`` (keys compared ignoring case) applied."""
    token = slug(camera, transliterate=transliterate) or _default(default, transliterate)
    if _is_r5_mark_ii(token.lower().replace("_", "")):
        token = R5_MARK_II
    if token.lower().startswith("canon_canon_"):
        token = "Canon_" + token[len("canon_canon_"):]
    if aliases:
        wanted = token.casefold()
        for key, value in aliases.items():
            if key.casefold() == wanted:
                return value
    return token


def alias_problems(aliases: Mapping[str, str]) -> list[str]:
    """What is wrong with a ``naming.camera_aliases`` map, one sentence per problem (empty when it is usable).

    A value must already be a finished camera token (what :func:`slug` leaves unchanged, e.g. ``Kodak_CX7530``), so
    the alias is what appears in the name, byte for byte; keys are compared ignoring case, so two keys that differ
    only in case are ambiguous.
    """
    problems: list[str] = []
    seen: dict[str, str] = {}
    for key, value in aliases.items():
        if not str(key).strip():
            problems.append("naming.camera_aliases has an empty key")
            continue
        folded = str(key).casefold()
        if folded in seen:
            problems.append(f"naming.camera_aliases has {seen[folded]!r} and {key!r}, which differ only in case")
        seen[folded] = key
        if not isinstance(value, str) or not value or slug(value) != value:
            suggestion = slug(value) if isinstance(value, str) else ""
            problems.append(f"naming.camera_aliases[{key!r}] = {value!r} is not a camera token"
                            + (f" (write {suggestion!r})" if suggestion else " (use letters, digits, '_' and '-')"))
    return problems
