"""The MySQL catalog on the real MariaDB: DDL, upsert by File_Name, byte-exact text, and a server that goes away."""

from __future__ import annotations

import pytest

from amirtui.core.db.models import Photo
from amirtui.core.events import RowChanged
from amirtui.core.publish import COLUMNS, Mirror, Publisher
from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
from amirtui.core.publish.targets import PublishError
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import HOSTILE_CAPTION, files_under, make_approved

TABLE = "photos_info_revamp"


def catalog_for(target, host=None, port=None) -> MySQLCatalog:
    return MySQLCatalog(host or target.host, port or target.port, target.user, target.password, target.database, TABLE,
                        connect_timeout=2, timeout=5)


def mysql_rows(target) -> list[dict]:
    import pymysql.cursors

    with target.connect(cursorclass=pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {TABLE} ORDER BY id")
        return list(cur.fetchall())


def test_create_table_has_the_website_columns_and_one_unique_key(catalog_db):
    with catalog_db.connect() as conn, conn.cursor() as cur:
        cur.execute(f"SHOW COLUMNS FROM {TABLE}")
        cols = [r[0] for r in cur.fetchall()]
        cur.execute(f"SHOW INDEX FROM {TABLE} WHERE Non_unique = 0")
        unique = {r[2] for r in cur.fetchall()}
        create_table(conn, TABLE)  # idempotent
    assert cols == ["id", *COLUMNS]
    assert unique == {"PRIMARY", "uq_file_name"}


def test_upsert_twice_keeps_one_row_and_its_id(catalog_db):
    cat = catalog_for(catalog_db)
    row = {c: None for c in COLUMNS} | {"File_Name": "A_001.JPG", "Caption": "first", "Width": 10, "QR": 7.25}
    first = cat.upsert(row)
    same = cat.upsert(row)  # unchanged row: affected rows 0, id still returned
    changed = cat.upsert(row | {"Caption": "second"})
    other = cat.upsert(row | {"File_Name": "B_001.JPG"})
    cat.close()
    assert first == same == changed != other
    rows = mysql_rows(catalog_db)
    assert [(r["id"], r["File_Name"], r["Caption"]) for r in rows] == [(first, "A_001.JPG", "second"),
                                                                        (other, "B_001.JPG", "first")]


def test_wrong_password_names_the_fix(catalog_db):
    cat = MySQLCatalog(catalog_db.host, catalog_db.port, catalog_db.user, "wrong-password-xyz", catalog_db.database,
                       TABLE, connect_timeout=2)
    with pytest.raises(PublishError) as err:
        cat.upsert({c: None for c in COLUMNS} | {"File_Name": "x"})
    assert "AMIRTUI_MYSQL_PASSWORD" in str(err.value) and "wrong-password-xyz" not in str(err.value)


def test_hostile_caption_round_trips_through_mysql_mirror_and_xmp_and_twice_is_one(settings, db, catalog_db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1, caption=HOSTILE_CAPTION)
    for _ in range(2):
        Publisher(settings, catalog_factory=lambda: catalog_for(catalog_db)).run()
    p = Photo.get_by_id(pid)
    assert p.state == State.PUBLISHED
    [row] = mysql_rows(catalog_db)
    assert row["Caption"].encode() == HOSTILE_CAPTION.encode() and row["id"] == p.catalog_id
    mirror = Mirror(settings.mirror_db_path).fetch(p.file_name)
    assert mirror["id"] == row["id"] and mirror["Caption"].encode() == HOSTILE_CAPTION.encode()
    assert read_xmp((settings.site_dir / p.web_remote_path).read_bytes())["caption"].encode() == HOSTILE_CAPTION.encode()
    assert "x" not in catalog_db.tables()  # the DROP TABLE text stayed text
    assert len(files_under(settings.site_dir)) == 2


def test_mariadb_unreachable_between_rows_then_rerun_finishes(settings, db, bus, catalog_db, tcp_proxy, tmp_path):
    settings.publish.parallel_uploads = 1  # rows in order, so "between rows" is well defined
    settings.publish.retries, settings.publish.retry_delay = 1, 0.01  # down for the rest of the run: retries run out
    ids = make_approved(tmp_path / "src", 3)
    proxy = tcp_proxy(catalog_db.host, catalog_db.port)

    def cut_after_first(event):
        if isinstance(event, RowChanged) and event.photo_id == ids[0] and event.to_state == State.PUBLISHED:
            proxy.cut()  # the server "restarts": the open connection dies…
            proxy.block()  # …and stays unreachable for the rest of the run
    bus.subscribe(cut_after_first)

    summary = Publisher(settings, bus=bus, catalog_factory=lambda: catalog_for(catalog_db, proxy.host, proxy.port)).run()
    assert summary.published == [ids[0]]
    assert [(pid, step) for pid, step, _ in summary.failed] == [(ids[1], "catalog"), (ids[2], "catalog")]
    for pid in ids[1:]:
        p = Photo.get_by_id(pid)
        assert p.state == State.PUBLISH_FAILED and p.error_stage == "catalog" and "MySQL" in p.last_error
    assert len(mysql_rows(catalog_db)) == 1

    proxy.unblock()
    again = Publisher(settings, bus=bus, catalog_factory=lambda: catalog_for(catalog_db, proxy.host, proxy.port)).run()
    assert sorted(again.published) == ids[1:] and not again.failed
    rows = mysql_rows(catalog_db)
    assert len(rows) == 3 and len(files_under(settings.site_dir)) == 6
    mirror = Mirror(settings.mirror_db_path).all_file_names()
    assert mirror == {r["File_Name"]: r["id"] for r in rows}
    # the retried rows did not render or upload again: their upload steps ran once
    from amirtui.core.db.models import PublishStep
    for pid in ids[1:]:
        uploads = PublishStep.select().where((PublishStep.photo == pid) & (PublishStep.step == "upload_web")).count()
        assert uploads == 1
