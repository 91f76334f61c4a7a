"""The website's MySQL/MariaDB catalog through PyMySQL: parameterised upsert by ``File_Name``, committed per row.

``INSERT … ON DUPLICATE KEY UPDATE c = VALUES(c)`` is used because MariaDB rejects MySQL 8's ``AS new`` row alias.
``id = LAST_INSERT_ID(id)`` in the update list makes ``lastrowid`` the existing id on an update too, so the mirror can
keep the same id. A lost connection is reopened on the next call: one unreachable moment fails one row.
"""

from __future__ import annotations

import re
from typing import Any

import pymysql
import pymysql.cursors

from .catalog import COLUMNS, INTEGER, NUMERIC
from .retry import TransientError
from .targets import PublishError

_TABLE_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
#: Server/client error codes that may clear by themselves: too many connections, server shutting down, lock wait
#: timeout, deadlock, cannot connect, server gone away, connection lost (during query / reading the handshake).
TRANSIENT_CODES = frozenset({1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013, 2055})


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, (pymysql.err.InterfaceError, OSError)):
        return True  # the connection is closed or the socket failed
    code = exc.args[0] if getattr(exc, "args", None) else 0
    return isinstance(code, int) and code in TRANSIENT_CODES


def _table(name: str) -> str:
    if not _TABLE_RE.match(name):  # identifiers cannot be parameters: allow only a safe alphabet
        raise PublishError(f"table name {name!r} is not a plain identifier", fix="use letters, digits and _ only")
    return f"`{name}`"


def _ddl_type(column: str) -> str:
    if column in INTEGER:
        return "INT NULL"
    if column in NUMERIC:
        return "DOUBLE NULL"
    if column == "DateTime":
        return "DATETIME NULL"
    if column in ("Caption", "alt_text", "Keywords", "Path", "Thumb_Path"):
        return "TEXT NULL"
    if column == "File_Name":
        return "VARCHAR(255) NOT NULL"
    return "VARCHAR(255) NULL"


def create_table_sql(table: str) -> str:
    """The CREATE TABLE statement for the catalog (utf8mb4, one UNIQUE key on File_Name)."""
    cols = ",\n  ".join(f"`{c}` {_ddl_type(c)}" for c in COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {_table(table)} (\n  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  {cols},\n"
        f"  UNIQUE KEY `uq_file_name` (`File_Name`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
    )


def create_table(conn: pymysql.connections.Connection, table: str) -> None:
    """Create the catalog table when missing (for ``amirtui db create-catalog``); an existing table is left as is."""
    with conn.cursor() as cur:
        cur.execute(create_table_sql(table))
    conn.commit()


def upsert_sql(table: str) -> str:
    """The parameterised upsert statement (``%s`` placeholders in :data:`COLUMNS` order)."""
    cols = ", ".join(f"`{c}`" for c in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"`{c}` = VALUES(`{c}`)" for c in COLUMNS if c != "File_Name")
    return (
        f"INSERT INTO {_table(table)} ({cols}) VALUES ({marks}) "
        f"ON DUPLICATE KEY UPDATE `id` = LAST_INSERT_ID(`id`), {updates}"
    )


class MySQLCatalog:
    """One PyMySQL connection to the website catalog (one instance per publish worker thread)."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str | None,
        database: str,
        table: str,
        *,
        connect_timeout: float = 5.0,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.user, self.database = host, port, user, database
        self._password = password or ""
        self.table = table
        _table(table)
        self.connect_timeout, self.timeout = connect_timeout, timeout
        self._conn: pymysql.connections.Connection | None = None

    @classmethod
    def from_settings(cls, settings: Any, password: str | None) -> "MySQLCatalog":
        """Build from ``settings.publish.mysql`` and the password from :mod:`amirtui.secrets`."""
        m = settings.publish.mysql
        return cls(m.host, m.port, m.user, password, m.database, m.table, connect_timeout=m.connect_timeout,
                   timeout=settings.publish.timeout)

    def where(self) -> str:
        """``user@host:port/db.table`` for messages (never the password)."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}.{self.table}"

    def connect(self) -> pymysql.connections.Connection:
        """Open (or return) the connection; raises :class:`PublishError` with what to check."""
        if self._conn is not None and self._conn.open:
            return self._conn
        try:
            self._conn = pymysql.connect(
                host=self.host, port=self.port, user=self.user, password=self._password, database=self.database,
                charset="utf8mb4", autocommit=False, connect_timeout=self.connect_timeout,
                read_timeout=self.timeout, write_timeout=self.timeout, cursorclass=pymysql.cursors.DictCursor,
            )
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else 0
            fix = ("check publish.mysql.user and AMIRTUI_MYSQL_PASSWORD" if code in (1044, 1045, 1698)
                   else "create the database or fix publish.mysql.database" if code == 1049
                   else "check publish.mysql.host/port and that MariaDB/MySQL is running")
            kind = TransientError if _transient(exc) else PublishError
            raise kind(f"cannot connect to MySQL {self.where()}: {exc}", fix=fix) from exc
        return self._conn

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _run(self, fn):
        conn = self.connect()
        try:
            return fn(conn)
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError, OSError) as exc:
            self.close()  # the next attempt reconnects
            kind = TransientError if _transient(exc) else PublishError
            raise kind(f"MySQL {self.where()} failed: {exc}",
                               fix="check that the server is reachable; publish again to retry this row") from exc
        except pymysql.err.MySQLError as exc:
            if _transient(exc):  # e.g. a deadlock or lock wait timeout reported as InternalError
                self.close()
                raise TransientError(f"MySQL {self.where()} failed: {exc}",
                                     fix="check that the server is reachable; publish again to retry this row") from exc
            try:
                conn.rollback()
            except Exception:
                self.close()
            raise PublishError(f"MySQL {self.where()} refused the row: {exc}",
                               fix="check the table's columns (amirtui db create-catalog makes a compatible table)") from exc

    def upsert(self, row: dict[str, Any], *, row_id: int | None = None) -> int:
        """Insert or update by ``File_Name`` and commit; returns the row's id (existing id on update)."""
        values = [row.get(c) for c in COLUMNS]

        def run(conn):
            with conn.cursor() as cur:
                cur.execute(upsert_sql(self.table), values)
                new_id = cur.lastrowid
                if not new_id:  # unchanged row: affected rows 0 and no LAST_INSERT_ID — look it up
                    cur.execute(f"SELECT id FROM {_table(self.table)} WHERE File_Name = %s", (row["File_Name"],))
                    new_id = cur.fetchone()["id"]
            conn.commit()
            return int(new_id)
        return self._run(run)

    def delete(self, file_name: str) -> int:
        """Delete the row keyed by ``file_name`` and commit; returns rows deleted (0 when already gone)."""
        def run(conn):
            with conn.cursor() as cur:
                n = cur.execute(f"DELETE FROM {_table(self.table)} WHERE File_Name = %s", (file_name,))
            conn.commit()
            return int(n)
        return self._run(run)

    def all_rows(self) -> list[dict[str, Any]]:
        """Every catalog row (for drift checks), DATETIME as text like :meth:`fetch`."""
        def run(conn):
            with conn.cursor() as cur:
                cur.execute(f"SELECT * FROM {_table(self.table)}")
                rows = list(cur.fetchall())
            conn.commit()
            return rows
        rows = self._run(run)
        for row in rows:
            if row.get("DateTime") is not None and not isinstance(row["DateTime"], str):
                row["DateTime"] = row["DateTime"].strftime("%Y-%m-%d %H:%M:%S")
        return rows

    def fetch(self, file_name: str) -> dict[str, Any] | None:
        """The stored row for ``file_name`` (DATETIME returned as ``YYYY-MM-DD HH:MM:SS`` text), or None."""
        def run(conn):
            with conn.cursor() as cur:
                cur.execute(f"SELECT * FROM {_table(self.table)} WHERE File_Name = %s", (file_name,))
                got = cur.fetchone()
            conn.commit()  # end the read snapshot so the next read sees new commits
            return got
        row = self._run(run)
        if row and row.get("DateTime") is not None and not isinstance(row["DateTime"], str):
            row["DateTime"] = row["DateTime"].strftime("%Y-%m-%d %H:%M:%S")
        return row

    def all_file_names(self) -> dict[str, int]:
        """File_Name → id of every catalog row (for validation)."""
        def run(conn):
            with conn.cursor() as cur:
                cur.execute(f"SELECT id, File_Name FROM {_table(self.table)}")
                rows = cur.fetchall()
            conn.commit()
            return {r["File_Name"]: r["id"] for r in rows}
        return self._run(run)


# ------------------------------------------------------------------------------------------------ names and pull


def file_names(catalog: MySQLCatalog) -> list[str]:
    """Every File_Name in the catalog (what naming continues after). Raises :class:`PublishError`."""
    def run(conn):
        with conn.cursor(pymysql.cursors.Cursor) as cur:
            try:
                cur.execute(f"SELECT File_Name FROM {_table(catalog.table)}")
            except pymysql.err.ProgrammingError as exc:  # no such table / column: say which, not "refused the row"
                conn.rollback()
                raise PublishError(f"MySQL {catalog.where()} cannot list File_Name: {exc.args[-1]}",
                                   fix="check publish.mysql.table (amirtui db create-catalog makes the table)") from exc
            names = [r[0] for r in cur.fetchall() if r[0]]
        conn.commit()
        return names
    return catalog._run(run)  # the catalog's own error handling and reconnect


def _plain(value: Any) -> Any:
    """A MySQL value as the mirror stores it: DATETIME as ``YYYY-MM-DD HH:MM:SS`` text, DECIMAL as float."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def all_rows(catalog: MySQLCatalog) -> list[dict[str, Any]]:
    """Every catalog row as ``{"id", *COLUMNS}`` (a column the website's table lacks is None). Raises
    :class:`PublishError`; a table without ``id`` or ``File_Name`` is refused with what is missing."""
    def run(conn):
        with conn.cursor(pymysql.cursors.Cursor) as cur:
            cur.execute(f"SELECT * FROM {_table(catalog.table)}")
            names = [d[0] for d in cur.description]
            missing = [c for c in ("id", "File_Name") if c not in names]
            if missing:
                raise PublishError(f"MySQL {catalog.where()} has no column(s) {', '.join(missing)}",
                                   fix="check publish.mysql.table names the website's photo table")
            pos = {c: names.index(c) for c in ("id", *COLUMNS) if c in names}
            rows = [{c: _plain(r[i]) for c, i in pos.items()} for r in cur.fetchall() if r[pos["File_Name"]]]
        conn.commit()
        return rows
    return catalog._run(run)
