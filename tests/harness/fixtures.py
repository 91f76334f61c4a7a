"""Real-server test fixtures (pytest plugin): Ollama protocol, JPEGs, MariaDB, TCP proxy, FTP/FTPS, SFTP.

Registered from ``tests/conftest.py`` (``pytest_plugins = ["tests.harness.fixtures"]``). Every server binds
127.0.0.1 on a free port, starts in well under a second, and stops without hanging even when a test left a
client or handler stuck. Heavy imports (asyncssh, pyftpdlib, cryptography, pymysql) happen inside the
fixtures so test modules that do not use them pay nothing.

Fixtures: ``ollama_server`` (+ ``DEFAULT_MODEL``), ``unused_port``, ``jpeg_factory``, ``mysql_server`` /
``mysql_db`` (session; skip unless ``AMIRTUI_TEST_MYSQL_URL``, a failure under ``CI=true``), ``tcp_proxy``
(factory), ``tls_files`` (session), ``ftp_server``, ``ftps_server``, ``sftp_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.ollama_server import OllamaServer

#: The model the ``ollama_server`` fixture installs (same name as the config default primary model).
DEFAULT_MODEL = "qwen2.5vl:7b"


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    """A started Ollama-protocol server on loopback with ``DEFAULT_MODEL`` installed (not loaded).

    Script it with ``add_model``, ``behave``, ``queue``; read ``requests`` and ``max_in_flight``.
    """
    server = OllamaServer().start()
    server.add_model(DEFAULT_MODEL, size_vram=6 * 2**30, size=6 * 2**30, context_length=8192)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound then released), for "connection refused" cases."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]





@pytest.fixture
def jpeg_factory(tmp_path: Path):
    """``jpeg_factory(name=None, **make_jpeg_options) -> Path``: real JPEGs with EXIF under ``tmp_path/jpegs``."""
    from tests.harness.images import JpegFactory

    return JpegFactory(tmp_path / "jpegs")


@pytest.fixture(scope="session")
def mysql_server():
    """The MariaDB server and user from ``AMIRTUI_TEST_MYSQL_URL`` (no database); skips when it is unset, with the
    one command that fixes it — except under ``CI=true``, where a missing MariaDB fails the tests that need it."""
    import os

    from tests.harness.mysql import ENV_VAR, HOW_TO_SET, MySQLUrlError, parse_url

    url = os.environ.get(ENV_VAR, "").strip()
    if not url:
        # A test may skip only for a reason the user fixes in one line, and the reason says that line. In CI
        # (.ci/run starts MariaDB) a missing server is a failure: a green run must have run these tests.
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail(f"CI=true but {ENV_VAR} is not set: .ci/run must start MariaDB through scripts/test.sh "
                        f"(which creates the test user and exports it). {HOW_TO_SET}", pytrace=False)
        pytest.skip(f"MariaDB tests skipped — run ./scripts/test.sh, which starts MariaDB and sets {ENV_VAR} "
                    f"(or {HOW_TO_SET})")
    try:
        server = parse_url(url)
        server.connect(database=False).close()
    except MySQLUrlError as exc:
        pytest.fail(str(exc), pytrace=False)
    except Exception as exc:  # noqa: BLE001 - any driver error: say where and what to do
        pytest.fail(f"{ENV_VAR} is set but MariaDB at {server.host}:{server.port} refused user {server.user!r}: "
                    f"{exc}. Is the server running (start-stop-daemon --start --oknodo --background --exec "
                    f"/usr/sbin/mariadbd -- --user=mysql) and the user created? {HOW_TO_SET}", pytrace=False)
    return server


@pytest.fixture(scope="session")
def mysql_db(mysql_server):
    """A fresh ``amirtui_test_<random>`` database for the session (dropped at the end): a ``MySQLTarget``.

    It is shared by the session: tests create their own tables or call ``mysql_db.drop_all_tables()``.
    """
    from tests.harness.mysql import create_test_database, drop_test_database

    target = create_test_database(mysql_server)
    try:
        yield target
    finally:
        drop_test_database(target)


@pytest.fixture
def catalog_db(mysql_db):
    """An empty website catalog table (``photos_info_revamp``, the site's columns) in the session's test database."""
    from amirtui.core.publish.mysql_catalog import create_table

    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        create_table(conn, "photos_info_revamp")
    return mysql_db


@pytest.fixture
def tcp_proxy():
    """``tcp_proxy(host, port, rtt=0, bandwidth=None) -> TcpProxy``: started loopback forwarders (optionally an
    emulated link: round trip ``rtt`` s, ``bandwidth`` bytes/s), all stopped after the test."""
    from tests.harness.tcp_proxy import TcpProxy

    proxies: list[TcpProxy] = []

    def make(host: str, port: int, **link: float) -> TcpProxy:
        proxy = TcpProxy(host, port, **link).start()
        proxies.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in proxies:
            proxy.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed cert + key for 127.0.0.1 (made once per session); ``.cafile`` for verifying clients."""
    from tests.harness.ftp_server import make_self_signed_cert

    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def ftp_server(tmp_path: Path):
    """A started plain-FTP server: ``.host .port .user .password .root`` (the user's home) and fault hooks."""
    from tests.harness.ftp_server import FtpTestServer

    server = FtpTestServer(tmp_path / "ftp-root").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ftps_server(tmp_path: Path, tls_files):
    """Like ``ftp_server`` but explicit FTPS (AUTH TLS; TLS required on control and data channels)."""
    from tests.harness.ftp_server import FtpTestServer

    server = FtpTestServer(tmp_path / "ftps-root", tls=tls_files).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sftp_server(tmp_path: Path):
    """A started asyncssh SFTP server chrooted to ``.root``: ``.host .port .user .password``,
    ``known_hosts_file(path)``, ``make_client_key(path)``, ``drop_after_bytes(n)``."""
    from tests.harness.sftp_server import SftpTestServer

    server = SftpTestServer(tmp_path / "sftp-root").start()
    try:
        yield server
    finally:
        server.stop()
