"""The wiring from config.yaml + the secrets file to the servers, tested end to end: every connection here is built
by ``make_target(settings, secrets)`` / ``MySQLCatalog.from_settings`` inside the real :class:`Publisher` — no
injected factory, TLS context or catalog. FTPS verifies the server certificate (a private CA via
``publish.ftps_ca_file``), SFTP checks the ``publish.known_hosts`` file it is given, MySQL's password comes from the
secrets file, and the website's column names are checked against a DDL written here, not the code's constant."""

from __future__ import annotations

from pathlib import Path

import pytest

from amirtui.config import load_settings
from amirtui.core.db.models import Photo
from amirtui.core.publish import Publisher, make_target
from amirtui.core.publish.targets import PublishError
from amirtui.core.states import State
from amirtui.secrets import load_secrets
from tests.harness.ftp_server import FtpTestServer, make_private_ca
from tests.test_publish_support import files_under, make_approved


def configure(home: Path, publish_yaml: str, secrets: str) -> tuple:
    """Write config.yaml and a 0600 secrets.env into ``home`` and load both the way the CLI does."""
    (home / "config.yaml").write_text(
        "paths: {data_dir: data, logs_dir: logs}\nollama: {enabled: false}\nquality: {enabled: false}\n"
        f"publish:\n{publish_yaml}", encoding="utf-8")
    (home / "secrets.env").write_text(secrets, encoding="utf-8")
    (home / "secrets.env").chmod(0o600)
    settings = load_settings(home / "config.yaml")
    return settings, load_secrets(settings)


@pytest.fixture
def wired_db(home):
    """The review DB of ``home`` (the settings are re-loaded per test by :func:`configure`)."""
    from amirtui.core.db import close_db, open_db

    open_db(home / "data" / "review.db")
    yield
    close_db()


# ---------------------------------------------------------------- FTPS: the server certificate is verified


@pytest.fixture
def private_ca(tmp_path):
    return make_private_ca(tmp_path / "ca")


@pytest.fixture
def ftps_private(tmp_path, private_ca):
    server = FtpTestServer(tmp_path / "ftps-root", tls=private_ca.server).start()
    try:
        yield server
    finally:
        server.stop()


def ftps_yaml(srv, ca_line: str = "", host: str | None = None) -> str:
    return (f"  target: ftps\n  host: {host or srv.host}\n  port: {srv.port}\n  user: {srv.user}\n"
            f"  remote_base: photos\n  timeout: 5\n  parallel_uploads: 1\n{ca_line}")


def test_ftps_trusts_a_private_ca_named_in_settings_and_publishes(home, wired_db, ftps_private, private_ca,
                                                                  tmp_path):
    (home / "ca.pem").write_bytes(private_ca.cafile.read_bytes())  # relative to config.yaml's folder
    settings, secrets = configure(home, ftps_yaml(ftps_private, "  ftps_ca_file: ca.pem\n"),
                                  f"AMIRTUI_FTP_PASSWORD={ftps_private.password}\n")
    ids = make_approved(tmp_path / "src", 2)
    summary = Publisher(settings, secrets=secrets).run()
    assert sorted(summary.published) == ids, summary.failed
    assert len(files_under(ftps_private.root)) == 4
    assert all(Photo.get_by_id(i).state == State.PUBLISHED for i in ids)


def test_ftps_refuses_a_certificate_the_system_does_not_trust_by_default(home, ftps_private):
    settings, secrets = configure(home, ftps_yaml(ftps_private), f"AMIRTUI_FTP_PASSWORD={ftps_private.password}\n")
    target = make_target(settings, secrets)
    with pytest.raises(PublishError, match="not trusted") as err:
        target.connect()
    assert "publish.ftps_ca_file" in err.value.fix
    assert files_under(ftps_private.root) == []


def test_ftps_refuses_a_server_signed_by_another_ca(home, ftps_private, tmp_path):
    other = make_private_ca(tmp_path / "other", name="someone else's CA")
    (home / "other.pem").write_bytes(other.cafile.read_bytes())
    settings, secrets = configure(home, ftps_yaml(ftps_private, "  ftps_ca_file: other.pem\n"),
                                  f"AMIRTUI_FTP_PASSWORD={ftps_private.password}\n")
    with pytest.raises(PublishError, match="not trusted"):
        make_target(settings, secrets).connect()


def test_ftps_checks_the_host_name_against_the_certificate(home, tmp_path):
    ca = make_private_ca(tmp_path / "named", hosts=("files.example.test",))  # not 127.0.0.1
    server = FtpTestServer(tmp_path / "root", tls=ca.server).start()
    try:
        (home / "ca.pem").write_bytes(ca.cafile.read_bytes())
        settings, secrets = configure(home, ftps_yaml(server, "  ftps_ca_file: ca.pem\n"),
                                      f"AMIRTUI_FTP_PASSWORD={server.password}\n")
        with pytest.raises(PublishError, match="not trusted.*(?i:mismatch|hostname|IP address)"):
            make_target(settings, secrets).connect()
    finally:
        server.stop()


def test_a_missing_ftps_ca_file_is_named(home, ftps_private):
    settings, secrets = configure(home, ftps_yaml(ftps_private, "  ftps_ca_file: nowhere.pem\n"), "")
    with pytest.raises(PublishError, match="ftps_ca_file .*nowhere.pem does not exist"):
        make_target(settings, secrets)


# ---------------------------------------------------------------- SFTP: the known_hosts named in settings


def sftp_yaml(srv, known: str) -> str:
    return (f"  target: sftp\n  host: {srv.host}\n  port: {srv.port}\n  user: {srv.user}\n  remote_base: photos\n"
            f"  timeout: 5\n  parallel_uploads: 1\n  known_hosts: {known}\n")


def test_sftp_uses_the_known_hosts_file_named_in_settings(home, wired_db, sftp_server, tmp_path):
    sftp_server.known_hosts_file(home / "site_known_hosts")
    settings, secrets = configure(home, sftp_yaml(sftp_server, "site_known_hosts"),
                                  f"AMIRTUI_SFTP_PASSWORD={sftp_server.password}\n")
    ids = make_approved(tmp_path / "src", 1)
    summary = Publisher(settings, secrets=secrets).run()
    assert summary.published == ids, summary.failed
    assert len(files_under(sftp_server.root)) == 2


def test_sftp_refuses_a_key_missing_from_the_named_known_hosts_even_when_home_trusts_it(
        home, wired_db, sftp_server, tmp_path, monkeypatch):
    # ~/.ssh/known_hosts trusts the server; the settings name a file that does not: the settings must win
    fake_home = tmp_path / "user-home"
    (fake_home / ".ssh").mkdir(parents=True)
    sftp_server.known_hosts_file(fake_home / ".ssh" / "known_hosts")
    monkeypatch.setenv("HOME", str(fake_home))
    (home / "empty_known_hosts").write_text("")
    settings, secrets = configure(home, sftp_yaml(sftp_server, "empty_known_hosts"),
                                  f"AMIRTUI_SFTP_PASSWORD={sftp_server.password}\n")
    ids = make_approved(tmp_path / "src", 1)
    summary = Publisher(settings, secrets=secrets).run()
    assert summary.published == [] and [f[0] for f in summary.failed] == ids
    assert "unknown" in summary.failed[0][2] and "SHA256:" in summary.failed[0][2]
    assert files_under(sftp_server.root) == []


# ---------------------------------------------------------------- MySQL: the password from the secrets file

#: The website's table as the existing site has it (DESIGN.md's column list), written here on purpose: if the code's
#: column names drift from the website's, publishing into this table fails.
WEBSITE_DDL = """
CREATE TABLE photos_info_revamp (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  Folder VARCHAR(255), File_Name VARCHAR(255) NOT NULL, Path TEXT, Thumb_Path TEXT, DateTime DATETIME,
  Camera VARCHAR(255), Lens_model VARCHAR(255), Width INT, Height INT, Exposure VARCHAR(64), Aperture VARCHAR(64),
  ISO VARCHAR(64), Focal_length VARCHAR(64), Keywords TEXT, Caption TEXT, alt_text TEXT, Location VARCHAR(255),
  QR DOUBLE, QC_Status VARCHAR(32), Original_File_Name VARCHAR(255), nima_score DOUBLE, blur_score DOUBLE,
  brightness_score DOUBLE, contrast_score DOUBLE, brisque_score DOUBLE, clip_aesthetic_score DOUBLE,
  UNIQUE KEY uq_file_name (File_Name)
) DEFAULT CHARSET=utf8mb4
"""


def mysql_yaml(db) -> str:
    return (f"  target: local\n  remote_base: photos\n  parallel_uploads: 1\n  mysql:\n    enabled: true\n"
            f"    host: {db.host}\n    port: {db.port}\n    user: {db.user}\n    database: {db.database}\n"
            f"    table: photos_info_revamp\n    connect_timeout: 3\n")


@pytest.fixture
def website_table(mysql_db):
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        with conn.cursor() as cur:
            cur.execute(WEBSITE_DDL)  # DDL commits implicitly
    return mysql_db


def test_mysql_password_from_the_secrets_file_and_the_website_columns(home, wired_db, website_table, tmp_path):
    db = website_table
    settings, secrets = configure(home, mysql_yaml(db), f"AMIRTUI_MYSQL_PASSWORD={db.password}\n")
    ids = make_approved(tmp_path / "src", 2, caption="Terns over the harbour at dusk.")
    summary = Publisher(settings, secrets=secrets).run()
    assert sorted(summary.published) == ids, summary.failed
    import pymysql.cursors

    with db.connect(cursorclass=pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
        cur.execute("SELECT File_Name, Caption, Folder, Location, Width, Thumb_Path FROM photos_info_revamp ORDER BY id")
        rows = cur.fetchall()
    names = [Photo.get_by_id(i).file_name for i in ids]
    assert [r["File_Name"] for r in rows] == names
    assert all(r["Caption"] == "Terns over the harbour at dusk." and r["Folder"] == "Landscape" and r["Width"]
               and r["Thumb_Path"] for r in rows)


def test_a_wrong_mysql_password_in_the_secrets_file_is_refused_with_the_fix(home, wired_db, website_table, tmp_path):
    settings, secrets = configure(home, mysql_yaml(website_table), "AMIRTUI_MYSQL_PASSWORD=definitely-wrong\n")
    ids = make_approved(tmp_path / "src", 1)
    summary = Publisher(settings, secrets=secrets).run()
    assert summary.published == [] and [f[0] for f in summary.failed] == ids
    assert "AMIRTUI_MYSQL_PASSWORD" in summary.failed[0][2] or "Access denied" in summary.failed[0][2]
    assert "definitely-wrong" not in summary.failed[0][2]
