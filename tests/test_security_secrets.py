"""Secrets nowhere: a unique secret is planted in every secret-bearing setting (the secrets file and the
environment), then the real CLI runs import → run → publish (FTP + MariaDB, a failing attempt first) → validate →
preflight → backup → a forced crash against the harness's real servers. Every file under the home (data/, logs/,
backups, the site, reports), every table of the MariaDB catalog and everything the console printed is searched for
each secret. A credential planted in a URL setting is refused at load without being echoed."""

from __future__ import annotations

import os
import secrets as pysecrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.ftp_server import FtpTestServer


def run_cli(home: Path, console: list[str], *args: str, env_extra: dict | None = None, code: str | None = None
            ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(env_extra or {})
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "amirtui", "--config",
                                                              str(home / "config.yaml"), *args]
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=240, cwd=home)
    console.append(res.stdout + res.stderr)
    return res


# The forced crash: validation blows up with the catalog password in its message (as a careless driver might), inside
# the real `validate` command; the CLI's crash path must mask it on the console and in crash_runtime.log.
CRASH = """
import sys
import amirtui.core.publish.validation as v
def validate(settings, secrets, **kw):
    password = secrets.mysql_password
    raise RuntimeError(f"driver exploded while logging in with password {password}")
v.validate = validate
from amirtui.cli import main
sys.exit(main(["--config", sys.argv[1], "validate", "--offline"]))
"""


@pytest.fixture
def planted(tmp_path, mysql_server, mysql_db):
    """Unique secrets, an FTP server and a MariaDB user that accept them (the user is dropped afterwards)."""
    tag = pysecrets.token_hex(6)
    secret = {name: f"{name}-{tag}-S3cr3t" for name in ("mysql", "ftp", "sftp", "passphrase")}
    user = f"amirtui_sec_{tag}"
    mysql_db.drop_all_tables()  # the database is shared by the session: start from an empty website catalog
    ftp = FtpTestServer(tmp_path / "ftp-root", password=secret["ftp"]).start()
    try:
        yield secret, user, ftp, mysql_db
    finally:
        ftp.stop()
        with mysql_server.connect(database=False) as conn, conn.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'")
        mysql_db.drop_all_tables()


def test_a_planted_secret_never_reaches_files_databases_or_console(tmp_path, planted, ollama_server, photos_dir,
                                                                   mysql_server):
    secret, user, ftp, db = planted
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(
        "paths: {data_dir: data, logs_dir: logs}\n"
        f"ollama:\n  hosts: [{{url: '{ollama_server.url}', parallel: 2}}]\n  fallback_model: ''\n"
        "  request_timeout: 20\n"
        "quality: {enabled: false}\n"
        f"publish:\n  target: ftp\n  host: {ftp.host}\n  port: {ftp.port}\n  user: {ftp.user}\n"
        "  remote_base: photos\n  timeout: 5\n  public_url_base: https://example.com/photos\n"
        f"  mysql:\n    enabled: true\n    host: {db.host}\n    port: {db.port}\n    user: {user}\n"
        f"    database: {db.database}\n    connect_timeout: 3\n",
        encoding="utf-8")
    (home / "secrets.env").write_text(
        f"AMIRTUI_MYSQL_PASSWORD={secret['mysql']}\nAMIRTUI_FTP_PASSWORD={secret['ftp']}\n"
        f"AMIRTUI_SFTP_PASSWORD={secret['sftp']}\n", encoding="utf-8")
    (home / "secrets.env").chmod(0o600)
    env = {"AMIRTUI_SFTP_KEY_PASSPHRASE": secret["passphrase"]}  # one secret from the environment too
    console: list[str] = []
    src = tmp_path / "src"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"):
        (src / name).write_bytes((photos_dir / "cameras" / name).read_bytes())

    # a credential in a URL setting is refused at load, without echoing it
    url_secret = f"url-{secret['ftp']}"
    res = run_cli(home, console, "preflight", env_extra={
        **env, "AMIRTUI_OLLAMA__HOSTS": f'[{{"url": "http://amir:{url_secret}@127.0.0.1:1"}}]'})
    assert res.returncode == 2 and "ollama.hosts.0.url" in res.stderr

    def grant(on: bool) -> None:
        # the harness's user may create users but not GRANT (no grant option): write the database-level privilege
        # row directly (DROP USER removes it again) and reload the grant tables
        with mysql_server.connect(database=False) as conn, conn.cursor() as cur:
            if on:
                cur.execute("INSERT INTO mysql.db (Host, Db, User, Select_priv, Insert_priv, Update_priv, Delete_priv, "
                            "Create_priv, Index_priv, Alter_priv) VALUES ('127.0.0.1', %s, %s, 'Y', 'Y', 'Y', 'Y', "
                            "'Y', 'Y', 'Y')", (db.database, user))
            else:
                cur.execute("DELETE FROM mysql.db WHERE User = %s", (user,))
            cur.execute("FLUSH PRIVILEGES")

    # naming reads the website catalog's names, so the catalog exists before the run
    with mysql_server.connect(database=False) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY %s", (secret["mysql"],))
    grant(True)
    res = run_cli(home, console, "db", "create-catalog", env_extra=env)
    assert res.returncode == 0, res.stderr
    res = run_cli(home, console, "import", str(src), "--subject", "Heron", "--location", "Oslo", "--folder",
                  "Birds", "--confirm-new", env_extra=env)
    assert res.returncode == 0, res.stderr
    res = run_cli(home, console, "run", "--headless", env_extra=env)
    review = sqlite3.connect(home / "data" / "review.db")
    review.execute("UPDATE photo SET state = 'approved' WHERE state IN ('prefilled', 'needs_work')")
    review.commit()
    assert review.execute("SELECT count(*) FROM photo WHERE state = 'approved'").fetchone()[0] == 3, res.stderr

    # the catalog's user loses its rights: a failing publish writes its errors into the DB and the logs
    grant(False)
    res = run_cli(home, console, "publish", env_extra=env)
    assert res.returncode == 1 and "failed 3" in res.stdout, res.stdout + res.stderr
    grant(True)
    res = run_cli(home, console, "publish", env_extra=env)
    assert res.returncode == 0 and "published 3" in res.stdout, res.stdout + res.stderr  # the secrets were used
    assert run_cli(home, console, "validate", "--offline", env_extra=env).returncode == 0, console[-1]
    run_cli(home, console, "preflight", env_extra=env)
    run_cli(home, console, "recover", "--status", env_extra=env)
    assert run_cli(home, console, "db", "backup", env_extra=env).returncode == 0

    res = run_cli(home, console, str(home / "config.yaml"), env_extra=env, code=CRASH)
    assert res.returncode == 1 and "driver exploded" in res.stderr and "***" in res.stderr  # masked, not dropped
    crash_log = (home / "data" / "crash_runtime.log").read_text()
    assert "driver exploded while logging in with password ***" in crash_log

    planted_values = [*secret.values(), url_secret]
    leaks: list[str] = []
    files = [p for p in home.rglob("*") if p.is_file() and p.name != "secrets.env"]
    files += [p for p in ftp.root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and any(p.name.startswith("review") for p in files)
    for path in files:
        blob = path.read_bytes()
        leaks += [f"{path}: {s}" for s in planted_values if s.encode() in blob]
    with db.connect() as conn, conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        tables = [r[0] for r in cur.fetchall()]
        assert tables, "the MariaDB catalog is empty: the test would prove nothing"
        for table in tables:
            cur.execute(f"SELECT * FROM `{table}`")
            text = repr(cur.fetchall())
            leaks += [f"MariaDB {table}: {s}" for s in planted_values if s in text]
    for i, text in enumerate(console):
        leaks += [f"console of command {i}: {s}" for s in planted_values if s in text]
    assert leaks == []
