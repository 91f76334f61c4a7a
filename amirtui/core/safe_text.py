"""Text from files, EXIF, the model or the operator is data: :func:`escape_control` makes it safe to show or log.

The one rule for control characters, used by every log file (:mod:`amirtui.core.logs`), every core event's text
(:mod:`amirtui.core.events`), the CLI's output and the TUI's display. A terminal escape in a file name
(``ESC ] 2 ; title BEL``, CSI colour codes) is shown as the visible text ``\\x1b]2;title\\x07`` and never reaches a
terminal or a log file as raw bytes.

Escaped: C0 controls (U+0000–U+001F, ``\\n`` and ``\\t`` included unless kept), DEL, C1 controls (U+0080–U+009F),
the Unicode line/paragraph separators, bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069,
U+200E/U+200F, U+061C: they reorder what a reader sees), and lone surrogates — a file name that is not valid UTF-8
arrives as ``surrogateescape`` code points U+DC80–U+DCFF, shown as the original byte ``\\xNN``. Everything else
(accents, CJK, emoji with their joiners) is left alone. The result contains no character that :func:`escape_control`
would change again, so escaping twice is harmless.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
# Zero-width characters: harmless in prose (an emoji's joiner), but in a file name they make two different names
# look alike, so :func:`escape_control` shows them too when asked (``invisible=True``, what file names use).
_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff\u200b-\u200d\u2060-\u2064\ufeff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch in _SHORT:
        return _SHORT[ch]
    if 0xDC80 <= code <= 0xDCFF:  # a byte of an undecodable file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: object, *, keep: str = "", invisible: bool = False) -> str:
    """``text`` as a string with every control character written visibly (``ESC`` → ``\\x1b``, newline → ``\\n``).

    ``keep`` names characters to leave as they are: ``keep="\\n"`` for multi-line text such as a traceback or a
    caption editor (each line is still free of escapes). ``invisible`` also shows zero-width characters (file names).
    """
    s = text if isinstance(text, str) else str(text)
    pattern = _INVISIBLE if invisible else _UNSAFE
    if not keep:
        return pattern.sub(lambda m: _visible(m.group()), s)
    return pattern.sub(lambda m: m.group() if m.group() in keep else _visible(m.group()), s)


def has_control_chars(text: str) -> bool:
    """True when ``text`` holds anything :func:`escape_control` would escape (``\\n`` and ``\\t`` included)."""
    return bool(_UNSAFE.search(text))


__all__ = ["escape_control", "has_control_chars"]
