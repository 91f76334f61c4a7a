"""The local catalog mirror ``data/photos_info_revamp.db`` (SQLite): the same columns as the MySQL catalog.

With MySQL enabled the mirror keeps the MySQL id of every row (so the two can be compared row by row); with MySQL off
it *is* the catalog and assigns ids itself. Upsert is by ``File_Name`` (UNIQUE), so publishing twice keeps one row.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Any

from .catalog import COLUMNS, INTEGER, NUMERIC
from .targets import PublishError

_TABLE_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _sqlite_type(column: str) -> str:
    if column in INTEGER:
        return "INTEGER"
    if column in NUMERIC:
        return "REAL"
    return "TEXT"


class Mirror:
    """The SQLite mirror catalog. Thread-safe: each call opens a short connection under one lock."""

    def __init__(self, path: Path, table: str = "photos_info_revamp") -> None:
        if not _TABLE_RE.match(table):
            raise PublishError(f"table name {table!r} is not a plain identifier", fix="use letters, digits and _ only")
        self.path = Path(path)
        self.table = table
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=15)
        conn.row_factory = sqlite3.Row
        if not self._ready:
            conn.execute("PRAGMA journal_mode=WAL")
            cols = ", ".join(
                f'"{c}" {_sqlite_type(c)}' + (" NOT NULL UNIQUE" if c == "File_Name" else "") for c in COLUMNS
            )
            conn.execute(f'CREATE TABLE IF NOT EXISTS "{self.table}" (id INTEGER PRIMARY KEY, {cols})')
            conn.commit()
            self._ready = True
        return conn

    def upsert(self, row: dict[str, Any], *, row_id: int | None = None) -> int:
        """Insert or update by File_Name; keep ``row_id`` (the MySQL id) when given. Returns the row's id."""
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        marks = ", ".join("?" for _ in COLUMNS)
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in COLUMNS if c != "File_Name")
        values = [row.get(c) for c in COLUMNS]
        with self._lock:
            conn = self._connect()
            try:
                with conn:  # one transaction, committed on exit
                    if row_id is not None:
                        # an older mirror row holding this id under another File_Name would block the insert:
                        # the MySQL id is the truth, so that stale row goes (it is re-mirrored when republished)
                        conn.execute(f'DELETE FROM "{self.table}" WHERE id = ? AND "File_Name" != ?',
                                     (row_id, row["File_Name"]))
                        conn.execute(
                            f'INSERT INTO "{self.table}" (id, {cols}) VALUES (?, {marks}) '
                            f'ON CONFLICT("File_Name") DO UPDATE SET id = excluded.id, {updates}',
                            [row_id, *values],
                        )
                    else:
                        conn.execute(
                            f'INSERT INTO "{self.table}" ({cols}) VALUES ({marks}) '
                            f'ON CONFLICT("File_Name") DO UPDATE SET {updates}',
                            values,
                        )
                    got = conn.execute(f'SELECT id FROM "{self.table}" WHERE "File_Name" = ?',
                                       (row["File_Name"],)).fetchone()
                return int(got["id"])
            except sqlite3.Error as exc:
                raise PublishError(f"mirror {self.path} refused the row {row.get('File_Name')}: {exc}",
                                   fix="check disk space and that nothing else holds the mirror database") from exc
            finally:
                conn.close()

    def fetch(self, file_name: str) -> dict[str, Any] | None:
        """The stored row (with ``id``) for ``file_name``, or None."""
        with self._lock:
            conn = self._connect()
            try:
                got = conn.execute(f'SELECT * FROM "{self.table}" WHERE "File_Name" = ?', (file_name,)).fetchone()
                return dict(got) if got else None
            finally:
                conn.close()

    def delete(self, file_name: str) -> int:
        """Delete the row keyed by ``file_name``; returns rows deleted (0 when already gone)."""
        with self._lock:
            conn = self._connect()
            try:
                with conn:
                    return conn.execute(f'DELETE FROM "{self.table}" WHERE "File_Name" = ?', (file_name,)).rowcount
            except sqlite3.Error as exc:
                raise PublishError(f"mirror {self.path} could not delete {file_name}: {exc}",
                                   fix="check disk space and that nothing else holds the mirror database") from exc
            finally:
                conn.close()

    def all_rows(self) -> list[dict[str, Any]]:
        """Every mirror row (for drift checks)."""
        with self._lock:
            conn = self._connect()
            try:
                return [dict(r) for r in conn.execute(f'SELECT * FROM "{self.table}"')]
            finally:
                conn.close()

    def all_file_names(self) -> dict[str, int]:
        """File_Name → id of every mirror row."""
        with self._lock:
            conn = self._connect()
            try:
                return {r["File_Name"]: r["id"] for r in conn.execute(f'SELECT id, "File_Name" FROM "{self.table}"')}
            finally:
                conn.close()

    def count(self) -> int:
        """How many rows the mirror holds."""
        return len(self.all_file_names())


# ------------------------------------------------------------------------------------------------ names and pull


def existing_file_names(path: Path, table: str = "photos_info_revamp") -> list[str]:
    """Every File_Name in the mirror at ``path``, read-only (nothing is created: a missing mirror or table has no
    names). Raises :class:`PublishError` when the file exists but cannot be read (corrupt, locked, not SQLite)."""
    path = Path(path)
    if not _TABLE_RE.match(table):
        raise PublishError(f"table name {table!r} is not a plain identifier", fix="use letters, digits and _ only")
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
        try:
            present = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
            if not present:
                return []
            return [r[0] for r in conn.execute(f'SELECT "File_Name" FROM "{table}"') if r[0]]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise PublishError(f"mirror {path} cannot be read: {exc}",
                           fix="check the file (a backup copy, disk errors); `amirtui catalog pull` refills it") from exc


def bulk_upsert(mirror: Mirror, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert or update many catalog rows (each with its MySQL ``id``) in one transaction, keyed by File_Name.

    Returns ``(added, changed)``: rows whose File_Name was new, and existing rows whose values differed. Used by
    ``amirtui catalog pull``; running it twice with the same rows adds and changes nothing.
    """
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in COLUMNS if c != "File_Name")
    with mirror._lock:  # the same lock as every other mirror write
        conn = mirror._connect()
        try:
            before = {r["File_Name"]: (r["id"], *(r[c] for c in COLUMNS))
                      for r in conn.execute(f'SELECT id, {cols} FROM "{mirror.table}"')}
            incoming = [(row["id"], *(row.get(c) for c in COLUMNS)) for row in rows]
            added = sum(1 for v in incoming if v[2] not in before)
            changed = sum(1 for v in incoming if v[2] in before and before[v[2]] != v)
            writes = [v for v in incoming if before.get(v[2]) != v]  # an unchanged row is not rewritten
            # A mirror row holding an incoming id under another File_Name moves to a free id: MySQL's id is the
            # truth, but the row's name must stay (it may be a name only the mirror knows, and names count).
            wanted = {v[0]: v[2] for v in incoming}
            clashes = [row[0] for name, row in before.items() if row[0] in wanted and wanted[row[0]] != name]
            free = max([0, *wanted, *(row[0] for row in before.values())]) + 1
            with conn:
                conn.executemany(f'UPDATE "{mirror.table}" SET id = ? WHERE id = ?',
                                 [(free + i, old) for i, old in enumerate(clashes)])
                conn.executemany(
                    f'INSERT INTO "{mirror.table}" (id, {cols}) VALUES (?, {marks}) '
                    f'ON CONFLICT("File_Name") DO UPDATE SET id = excluded.id, {updates}',
                    writes,
                )
            return added, changed
        except sqlite3.Error as exc:
            raise PublishError(f"mirror {mirror.path} refused the pulled rows: {exc}",
                               fix="check disk space and that nothing else holds the mirror database") from exc
        finally:
            conn.close()
