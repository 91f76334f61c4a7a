"""Consistent copies of the review DB (SQLite online backup API) and the guarded reset."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path


def backup_db(db_path: Path, dest_dir: Path | None = None) -> Path:
    """Write a consistent, timestamped copy of ``db_path`` (safe while other threads write) and return its path."""
    if not db_path.is_file():
        raise FileNotFoundError(f"no database at {db_path}")
    from ..private_files import make_private_dir, touch_private

    dest_dir = make_private_dir(dest_dir or db_path.parent / "backups")  # a backup holds unpublished captions
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    dest = touch_private(dest_dir / f"{db_path.stem}-{stamp}.db")  # 0600 before SQLite writes into it
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return dest


def reset_db(db_path: Path) -> Path | None:
    """Back up, then remove the database files so the next open creates a fresh one. Returns the backup path."""
    backup = backup_db(db_path) if db_path.is_file() else None
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    return backup
