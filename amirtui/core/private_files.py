"""Files only the owner can read: ``data/``, ``logs/``, backups, the lock and the crash log are created owner-only
(directories 0700, files 0600) whatever the umask; :func:`mode_checks` reports existing wider modes for preflight.

Originals, GPS positions and unpublished captions live under ``data/`` and are private until published. Modes are
set explicitly after creation (``chmod``), because the mode passed to ``mkdir``/``open`` is filtered by the umask and
a permissive umask (0002, 0000) would otherwise widen them. Existing paths are never changed silently: a wider mode
is a yellow preflight line with the ``chmod`` that fixes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

from .checks import GREEN, YELLOW, Check

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700 directories; existing directories keep their mode."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another process made it meanwhile: its mode is its maker's business
            continue
        os.chmod(d, DIR_MODE)
    return path


def open_private(path: Path, mode: str = "a", *, encoding: str | None = "utf-8") -> IO[Any]:
    """Open ``path`` for writing (``"a"``, ``"w"``, ``"ab"``, ``"wb"``); a file this call creates is 0600."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    existed = path.exists()
    fd = os.open(path, flags, FILE_MODE)
    if not existed:
        os.fchmod(fd, FILE_MODE)
    return open(fd, mode, encoding=None if "b" in mode else encoding)


def touch_private(path: Path) -> Path:
    """Create ``path`` empty as a 0600 file when it does not exist (SQLite then keeps the mode for its files)."""
    open_private(path, "ab").close()
    return Path(path)


def wider_than_private(path: Path) -> str | None:
    """``stat.filemode`` of ``path`` when group or others have any access to it, else None (also when missing)."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return None
    return stat.filemode(mode) if mode & (stat.S_IRWXG | stat.S_IRWXO) else None


def _private_roots(settings: Any) -> list[Path]:
    roots = [settings.data_dir, settings.logs_dir]
    incoming = settings.incoming_dir
    if settings.data_dir not in incoming.parents:  # configured outside data/: it holds originals too
        roots.append(incoming)
    return roots


def mode_checks(settings: Any) -> list[Check]:
    """One preflight line: green when data/, logs/ and what they hold are owner-only, yellow naming the wider ones."""
    wide: list[str] = []
    for root in _private_roots(settings):
        if not root.is_dir():  # missing, or a file in its place: the "writable" lines report that
            continue
        candidates = [root, root / "backups"] + [p for p in root.iterdir() if p.is_file()]
        for p in candidates:
            shown = wider_than_private(p)
            if shown:
                wide.append(f"{p} ({shown})")
    if not wide:
        return [Check("private files", GREEN, "data/ and logs/ are readable by this user only")]
    roots = " ".join(str(r) for r in _private_roots(settings) if r.exists())
    more = f" and {len(wide) - 3} more" if len(wide) > 3 else ""
    return [Check("private files", YELLOW,
                  f"other users can read {', '.join(wide[:3])}{more}: originals, GPS positions and unpublished "
                  "captions are private until published",
                  fix=f"chmod -R go-rwx {roots}")]


__all__ = ["DIR_MODE", "FILE_MODE", "make_private_dir", "open_private", "touch_private", "wider_than_private",
           "mode_checks"]
