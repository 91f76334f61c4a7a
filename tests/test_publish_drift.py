"""Drift: the website's MariaDB catalog is changed behind amirtui's back; `amirtui validate` and preflight name each
row with its fix, and `amirtui republish` / `amirtui unpublish` (the real CLI) resolve it."""

from __future__ import annotations

import pytest

from amirtui.core.db.models import Photo
from amirtui.core.publish import Publisher
from amirtui.core.publish.health import drift_check
from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
from amirtui.core.publish.validation import validate
from amirtui.core.states import State
from tests.test_publish_support import make_approved

TABLE = "photos_info_revamp"


@pytest.fixture
def site(settings, mysql_db, monkeypatch):
    """Settings with MySQL on (the test database, password from the environment like an operator's) and an empty
    catalog table; returns a function running SQL on MariaDB directly (as another tool on the website would)."""
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        create_table(conn, TABLE)
    m = settings.publish.mysql
    m.enabled, m.host, m.port, m.user, m.database = True, mysql_db.host, mysql_db.port, mysql_db.user, mysql_db.database
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", mysql_db.password)
    cfg = settings.base_dir / "config.yaml"
    cfg.write_text(cfg.read_text() + f"publish:\n  mysql:\n    enabled: true\n    host: {mysql_db.host}\n"
                   f"    port: {mysql_db.port}\n    user: {mysql_db.user}\n    database: {mysql_db.database}\n",
                   encoding="utf-8")

    def sql(statement: str, *args) -> int:
        with mysql_db.connect() as conn, conn.cursor() as cur:
            n = cur.execute(statement, args)
            conn.commit()
            return n
    sql.secrets = type("S", (), {"mysql_password": mysql_db.password})()  # type: ignore[attr-defined]
    return sql


def _cli(settings, *argv: str, capsys) -> tuple[int, str]:
    from amirtui.cli import main
    from amirtui.core.db import close_db, open_db

    close_db()  # the CLI opens the DB itself, as in a separate process
    try:
        code = main(["--config", str(settings.base_dir / "config.yaml"), *argv])
    finally:
        open_db(settings.db_path)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_changes_behind_the_apps_back_are_reported_per_row_with_the_fix(settings, db, site, tmp_path):
    a, b, c = (Photo.get_by_id(i) for i in make_approved(tmp_path / "src", 3))
    Publisher(settings, secrets=site.secrets).run()
    assert validate(settings, site.secrets, check_urls=False).ok
    assert drift_check(settings, site.secrets).level == "green"

    site(f"UPDATE {TABLE} SET Caption = %s WHERE File_Name = %s", "Edited on the website", a.file_name)
    site(f"DELETE FROM {TABLE} WHERE File_Name = %s", b.file_name)
    site(f"INSERT INTO {TABLE} (File_Name, Caption) VALUES (%s, %s)", "Legacy_Site_Photo_001.JPG", "old site")

    report = validate(settings, site.secrets, check_urls=False)
    by_name = {p.file_name: p for p in report.problems}
    assert sorted((p.kind, p.file_name) for p in report.problems) == sorted([
        ("drift_changed", a.file_name), ("drift_mirror_only", b.file_name),
        ("drift_website_only", "Legacy_Site_Photo_001.JPG")])
    changed = by_name[a.file_name]
    assert "Caption: website 'Edited on the website' vs mirror" in changed.detail
    assert "amirtui catalog pull" in changed.fix and f"amirtui republish {a.file_name}" in changed.fix
    assert by_name[a.file_name].photo_id == a.id
    check = drift_check(settings, site.secrets)
    assert check.level == "yellow" and "disagree on 3 row(s)" in check.found and "amirtui validate" in check.fix
    assert c.file_name not in by_name


def test_republish_restores_amirtuis_version_and_unpublish_accepts_a_removal(settings, db, site, tmp_path, capsys):
    a, b = (Photo.get_by_id(i) for i in make_approved(tmp_path / "src", 2))
    Publisher(settings, secrets=site.secrets).run()
    site(f"UPDATE {TABLE} SET Caption = 'vandalised', Keywords = 'spam' WHERE File_Name = %s", a.file_name)
    site(f"DELETE FROM {TABLE} WHERE File_Name = %s", b.file_name)

    code, out = _cli(settings, "republish", a.file_name, capsys=capsys)
    assert code == 0, out
    assert "republished 1" in out
    code, out = _cli(settings, "unpublish", b.file_name, capsys=capsys)
    assert code == 0 and f"unpublished {b.file_name}" in out, out
    assert Photo.get_by_id(b.id).state == State.UNPUBLISHED and Photo.get_by_id(a.id).state == State.PUBLISHED
    cat = MySQLCatalog.from_settings(settings, site.secrets.mysql_password)
    try:
        assert cat.fetch(a.file_name)["Caption"] == a.caption
    finally:
        cat.close()
    code, out = _cli(settings, "validate", "--offline", capsys=capsys)
    assert code == 0 and "0 problem(s)" in out, out
    code, out = _cli(settings, "unpublish", b.file_name, capsys=capsys)  # twice: nothing to do, not an error
    assert code == 0 and "already unpublished" in out
