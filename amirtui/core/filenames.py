"""The one filename alphabet, from naming through review renames to the file on the server.

A catalog ``File_Name`` is published byte for byte: the remote file, the thumbnail and the catalog row carry the same
string. That only works when every place that makes or accepts a name agrees on what a name may hold, so this module is
the only place that says it:

- characters: letters and digits (anything ``str.isalnum()`` accepts, so ``Zürich`` is fine when transliteration is
  off), ``_``, ``-`` and ``.``;
- written in Unicode NFC (a decomposed ``e`` + combining accent would be stored differently by other tools);
- no leading ``.`` (hidden files), no ``..`` anywhere, at most 255 bytes in UTF-8.

:mod:`amirtui.core.naming` only ever produces such names; :func:`name_problem` is what a review rename is checked
with; :func:`checked_file_name` is what the publish targets use (they refuse, never rewrite, a name); and
:func:`path_token` cleans the other remote path components (year, folder) into the same alphabet.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["EXTRA_CHARS", "MAX_BYTES", "is_name_char", "name_problem", "checked_file_name", "path_token"]

#: The punctuation a name may hold besides letters and digits.
EXTRA_CHARS = frozenset("_-.")
#: Most filesystems (ext4, NTFS, the FTP/SFTP servers in front of them) stop at 255 bytes per name.
MAX_BYTES = 255


def is_name_char(c: str) -> bool:
    """True when ``c`` may appear in a filename or remote path component."""
    return c in EXTRA_CHARS or c.isalnum()


def _describe(chars: set[str]) -> str:
    """Characters for a message: printable ones quoted, invisible ones (spaces, controls, marks) as ``U+XXXX``."""
    def one(c: str) -> str:
        visible = c.isprintable() and not c.isspace() and unicodedata.category(c)[0] != "M"
        return repr(c) if visible else f"U+{ord(c):04X}"
    return " ".join(one(c) for c in sorted(chars))


def name_problem(name: str) -> str:
    """Why ``name`` cannot be published unchanged, as a sentence; ``""`` when it can.

    The checks are the ones a server or filesystem would otherwise "fix" silently: foreign characters, a non-NFC
    spelling, hidden-file dots, ``..`` and the byte length.
    """
    if not name:
        return "the filename is empty"
    if unicodedata.normalize("NFC", name) != name:
        return "the filename has decomposed accents (not Unicode NFC); retype the accented letters"
    bad = {c for c in name if not is_name_char(c)}
    if bad:
        return (f"the filename contains {_describe(bad)}, which the website's filenames cannot hold "
                "(allowed: letters, digits, '_', '-' and '.')")
    if name.startswith("."):
        return "the filename starts with '.', which would make a hidden file on the server"
    if ".." in name:
        return "the filename contains '..'"
    size = len(name.encode("utf-8"))
    if size > MAX_BYTES:
        return f"the filename is {size} bytes in UTF-8; servers accept at most {MAX_BYTES}"
    return ""


def checked_file_name(name: str) -> str:
    """``name`` unchanged when it is publishable; raises ``ValueError`` with :func:`name_problem`'s reason otherwise."""
    problem = name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def path_token(value: str) -> str:
    """A remote directory component (year, folder) in the filename alphabet: NFC, every run of other characters
    (slashes, spaces, controls) → one ``_``, no ``..``, no leading ``.`` / ``_``. May return ``""`` (callers refuse
    it)."""
    text = unicodedata.normalize("NFC", str(value or ""))
    token = "".join(c if is_name_char(c) else "\x00" for c in text)
    token = re.sub("\x00+", "_", token)
    token = re.sub(r"\.{2,}", ".", token)  # no '..' anywhere, even where it would be harmless
    token = token.lstrip("._").rstrip("_")  # no hidden files, no '.' / '..'
    while len(token.encode("utf-8")) > 200:  # leave room for the file name under the same path limits
        token = token[:-1]
    return token
