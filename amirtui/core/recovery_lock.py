"""Who holds the review DB when SQLite says "database is locked", and the operator's message for it.
(Split from :mod:`amirtui.core.recovery`, which re-exports both functions.)"""

from __future__ import annotations

import os
from pathlib import Path

from .lock import read_lock


def locked_by(db_path: Path | str) -> str | None:
    """Which process holds the review DB: the single-instance lock's owner, else a process with the DB file open
    (``/proc/*/fd`` scan, this host only). None when nobody else can be found."""
    db_path = Path(db_path).resolve()
    info = read_lock(db_path.parent / "amirtui.lock")
    if info is not None and info.alive and info.pid != os.getpid():
        return f"amirtui pid {info.pid} on {info.host} (from {db_path.parent / 'amirtui.lock'})"
    wanted = {str(db_path), str(db_path) + "-wal", str(db_path) + "-shm"}
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        return f"pid {entry.name} ({_cmdline(entry)})"
                except OSError:
                    continue
        except OSError:  # process ended or not ours to inspect
            continue
    return None


def _cmdline(entry: Path) -> str:
    try:
        raw = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"
    return raw[:120] or "?"


def locked_message(db_path: Path | str) -> str:
    """The operator's message for "database is locked": who holds it and what to do."""
    who = locked_by(db_path)
    if who:
        return f"the database {db_path} is locked by {who}; wait for it to finish or stop it, then try again"
    return (f"the database {db_path} is locked but no holding process was found on this host; it may be on a "
            "network share used from another machine — close amirtui there and try again")
