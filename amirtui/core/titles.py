"""A photo's title (XMP ``dc:title`` of the published image): the set's "Subject, Location" unless the row has its own.

One rule, used by publishing (the title written into the web image), the review editor (what the field shows) and
saving (a typed title equal to the set's, or empty, means "follow the set" again)."""

from __future__ import annotations

from typing import Any

from .safe_text import has_control_chars

#: The longest title accepted (``dc:title`` has no limit; a title is a line, not a caption).
MAX_TITLE = 200


def set_title(subject: str | None, location: str | None) -> str:
    """The title every row of a set gets by default: ``"Subject, Location"`` (either may be empty)."""
    return ", ".join(x for x in (subject, location) if x)


def photo_title(photo: Any) -> str:
    """The title published for ``photo``: its own when set, else its set's."""
    own = (getattr(photo, "title", None) or "").strip()
    return own or set_title(photo.set.subject, photo.set.location)


def title_to_store(typed: str, photo: Any) -> str | None:
    """What to store for a typed title: None (follow the set) when empty or the set's own; else the text.

    Raises ValueError with the reason when the text cannot be a title (control characters, too long)."""
    text = " ".join(typed.split())
    if not text or text == set_title(photo.set.subject, photo.set.location):
        return None
    if has_control_chars(text):
        raise ValueError("the title contains control characters (shown escaped, e.g. \\x1b)")
    if len(text) > MAX_TITLE:
        raise ValueError(f"the title has {len(text)} characters; the limit is {MAX_TITLE}")
    return text
