"""Open the review database (SQLite, WAL, foreign keys) and run its migrations."""

from __future__ import annotations

from pathlib import Path

import peewee as pw

from .migrations import LATEST_VERSION, migrate, schema_version
from .models import database

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 15000,  # ms: stage threads wait for each other instead of failing with "locked"
    "cache_size": -32000,
}


def make_database(path: Path | str) -> pw.SqliteDatabase:
    """A SqliteDatabase with the project's pragmas (one connection per thread, peewee's default)."""
    return pw.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=15, check_same_thread=False)


def open_db(path: Path | str, *, migrate_to: int | None = LATEST_VERSION) -> pw.SqliteDatabase:
    """Bind the models to ``path``, create it if needed and migrate it (``migrate_to=None`` skips migrating)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = make_database(path)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if migrate_to is not None:
        migrate(db, migrate_to)
    return db


def close_db() -> None:
    """Close this thread's connection, if any."""
    if database.obj is not None and not database.is_closed():
        database.close()


__all__ = ["open_db", "close_db", "make_database", "migrate", "schema_version", "LATEST_VERSION", "database"]
