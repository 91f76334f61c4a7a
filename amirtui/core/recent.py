"""Recent import folders: the last few folders a set was imported from, newest first (``data/recent_imports.json``).

Kept owner-only (0600) like everything under ``data/``: folder names can tell where someone has been.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FILE_NAME = "recent_imports.json"
KEEP = 8


def load_recent(data_dir: Path) -> list[Path]:
    """The remembered folders that still exist, newest first (an unreadable file is an empty list)."""
    try:
        raw = json.loads((Path(data_dir) / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = [Path(p) for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
    return [p for p in out if p.is_dir()]


def remember(data_dir: Path, folders: list[Path]) -> list[Path]:
    """Put ``folders`` first in the list (no duplicates, at most :data:`KEEP`) and save it; returns the list."""
    current = [str(p) for p in load_recent(data_dir)]
    new = [str(Path(f).resolve()) for f in folders]
    merged = list(dict.fromkeys(new + current))[:KEEP]
    path = Path(data_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(merged, fh)
    os.replace(tmp, path)
    return [Path(p) for p in merged]
