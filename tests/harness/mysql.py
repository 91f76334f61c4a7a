"""A throwaway database on the real MariaDB/MySQL server named by ``AMIRTUI_TEST_MYSQL_URL``.

The URL names a server and a user allowed to create and drop databases called ``amirtui_test_*``, e.g.
``mysql://amirtui_test:secret@127.0.0.1:3306/``. Each pytest session gets a fresh ``amirtui_test_<random>``
database, dropped at the end, so parallel sessions and crashed runs never collide.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit

ENV_VAR = "AMIRTUI_TEST_MYSQL_URL"

HOW_TO_SET = (
    f"set {ENV_VAR}=mysql://USER:PASSWORD@127.0.0.1:3306/ to run MariaDB tests; create the user once over the "
    "root socket: sudo mysql -e \"CREATE USER IF NOT EXISTS 'amirtui_test'@'127.0.0.1' IDENTIFIED BY 'PASSWORD'; "
    "GRANT ALL PRIVILEGES ON \\`amirtui\\_test\\_%\\`.* TO 'amirtui_test'@'127.0.0.1';\""
)


class MySQLUrlError(ValueError):
    """``AMIRTUI_TEST_MYSQL_URL`` is not a usable ``mysql://user:password@host:port/`` URL."""


@dataclass(frozen=True)
class MySQLTarget:
    """Where one test database lives; ``connect()`` opens a PyMySQL connection to it (utf8mb4)."""

    host: str
    port: int
    user: str
    password: str = ""
    database: str = ""

    def connect(self, *, database: bool = True, **options):
        """A new PyMySQL connection (autocommit off, utf8mb4); ``database=False`` connects to the server only."""
        import pymysql

        params = {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                  "charset": "utf8mb4", "connect_timeout": 5, **options}
        if database and self.database:
            params["database"] = self.database
        return pymysql.connect(**params)

    def via(self, host: str, port: int) -> MySQLTarget:
        """The same database reached through another address, e.g. a ``tcp_proxy`` in front of the server."""
        return replace(self, host=host, port=port)

    def tables(self) -> list[str]:
        """Names of the tables currently in the database."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SHOW TABLES")
            return sorted(row[0] for row in cur.fetchall())

    def drop_all_tables(self) -> None:
        """Empty the database between tests without dropping it (it lives for the whole session)."""
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for name in self.tables():
                cur.execute(f"DROP TABLE IF EXISTS `{name}`")
            conn.commit()


def parse_url(url: str) -> MySQLTarget:
    """``mysql://user:password@host:port/`` → a MySQLTarget without a database; clear errors for bad URLs."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mysql", "mariadb", "mysql+pymysql"):
        raise MySQLUrlError(f"{ENV_VAR}={url!r}: scheme must be mysql:// (got {parts.scheme or 'none'!r})")
    if not parts.hostname or not parts.username:
        raise MySQLUrlError(f"{ENV_VAR}: needs a user and a host, like mysql://amirtui_test:pw@127.0.0.1:3306/")
    try:
        port = parts.port or 3306
    except ValueError as exc:
        raise MySQLUrlError(f"{ENV_VAR}: bad port ({exc})") from None
    return MySQLTarget(host=parts.hostname, port=port, user=unquote(parts.username),
                       password=unquote(parts.password or ""))


def create_test_database(server: MySQLTarget) -> MySQLTarget:
    """Create ``amirtui_test_<random>`` (utf8mb4) and return the target pointing at it."""
    name = f"amirtui_test_{secrets.token_hex(4)}"
    with server.connect(database=False) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    return replace(server, database=name)


def drop_test_database(target: MySQLTarget) -> None:
    """Drop a database made by ``create_test_database`` (refuses any other name, as a guard)."""
    if not target.database.startswith("amirtui_test_"):
        raise ValueError(f"refusing to drop {target.database!r}: not a harness test database")
    with target.connect(database=False) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{target.database}`")


__all__ = ["ENV_VAR", "HOW_TO_SET", "MySQLTarget", "MySQLUrlError", "create_test_database", "drop_test_database",
           "parse_url"]
