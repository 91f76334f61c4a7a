"""Counters continue after every name the website has: the local mirror, the MySQL catalog (real MariaDB), and
`amirtui catalog pull`; a catalog that cannot be read stops naming loudly instead of naming from a partial list."""

from __future__ import annotations

import sqlite3

import pytest

from amirtui.cli import main
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.ingest_stages import QueueStage, existing_names
from amirtui.core.naming_catalog import CatalogUnreadable, names_check
from amirtui.core.preflight import RED
from amirtui.core.publish import COLUMNS, Mirror
from amirtui.core.publish.catalog_pull import pull_catalog
from amirtui.core.publish.mysql_catalog import MySQLCatalog
from amirtui.core.stage import StageContext
from amirtui.core.states import State
from amirtui.secrets import Secrets

TABLE = "photos_info_revamp"
SERIES = "Eagle_Kenya_Wildlife_Photography_Canon_EOS_40D_2020"


def use_mysql(settings, target, monkeypatch) -> None:
    m = settings.publish.mysql
    m.enabled, m.host, m.port, m.user, m.database = True, target.host, target.port, target.user, target.database
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", target.password)


def insert_mysql(target, names: list[str]) -> None:
    with target.connect() as conn, conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {TABLE} (File_Name, Folder, Caption) VALUES (%s, %s, %s)",
                        [(n, "Wildlife", f"caption of {n}") for n in names])
        conn.commit()


def exif_read_row(subject: str = "Eagle", camera: str = "Canon_EOS_40D") -> int:
    pset = PhotoSet.create(subject=subject, location="Kenya", folder="Wildlife")
    p = Photo.create(set=pset, seq=0, original_path="/nowhere/x.jpg", original_name="x.jpg", staged_path="/nowhere/x")
    repo.transition(p.id, State.STAGED)
    repo.transition(p.id, State.EXIF_READ, camera=camera, year="2020")
    return p.id


def name_one(settings, bus, pid: int) -> Photo:
    stage, ctx = QueueStage(), StageContext(settings=settings, bus=bus)
    stage.setup(ctx)
    stage.process(pid, ctx)
    return Photo.get_by_id(pid)


def test_a_name_only_mysql_holds_is_skipped(settings, db, bus, catalog_db, monkeypatch):
    insert_mysql(catalog_db, [f"{SERIES}_007.JPG"])  # nothing else (queue, mirror) knows it
    use_mysql(settings, catalog_db, monkeypatch)
    p = name_one(settings, bus, exif_read_row())
    assert p.state == State.QUEUED and p.file_name == f"{SERIES}_008.JPG"


def test_a_name_only_the_mirror_holds_is_skipped(settings, db, bus):
    Mirror(settings.mirror_db_path, TABLE).upsert({"File_Name": f"{SERIES}_041.JPG"})
    p = name_one(settings, bus, exif_read_row())
    assert p.file_name == f"{SERIES}_042.JPG"


def test_mysql_and_mirror_both_count_with_mysql_on(settings, db, catalog_db, monkeypatch):
    insert_mysql(catalog_db, [f"{SERIES}_003.JPG"])
    Mirror(settings.mirror_db_path, TABLE).upsert({"File_Name": f"{SERIES}_005.JPG"})
    use_mysql(settings, catalog_db, monkeypatch)
    assert {f"{SERIES}_003.JPG", f"{SERIES}_005.JPG"} <= set(existing_names(settings))


def test_unreadable_mysql_keeps_rows_in_exif_read_with_the_reason(settings, db, bus, catalog_db, monkeypatch, unused_port):
    use_mysql(settings, catalog_db, monkeypatch)
    settings.publish.mysql.port = unused_port  # nothing listens there
    settings.publish.mysql.connect_timeout = 1
    with pytest.raises(CatalogUnreadable, match="website catalog"):
        existing_names(settings)
    pid = exif_read_row()
    p = name_one(settings, bus, pid)
    assert p.state == State.EXIF_READ and p.file_name is None
    assert "not named" in p.last_error and "catalog" in p.last_error and p.error_stage == "queue"
    assert any("naming paused" in e.text() for e in bus.seen)
    check = names_check(settings, Secrets(mysql_password=catalog_db.password))
    assert check.level == RED and "website catalog" in check.found


def test_corrupt_mirror_is_a_red_line_not_an_empty_list(settings, db, bus):
    settings.mirror_db_path.parent.mkdir(parents=True, exist_ok=True)
    settings.mirror_db_path.write_bytes(b"this is not an SQLite database" * 100)
    pid = exif_read_row()
    assert name_one(settings, bus, pid).state == State.EXIF_READ
    check = names_check(settings, Secrets(), remote=False)
    assert check.level == RED and "mirror" in check.found


def full_row(name: str, **extra) -> dict:
    return {c: None for c in COLUMNS} | {"File_Name": name, "Folder": "Wildlife", "Width": 1024, "QR": 7.5} | extra


def test_catalog_pull_copies_rows_with_ids_and_is_idempotent(settings, db, catalog_db):
    cat = MySQLCatalog(catalog_db.host, catalog_db.port, catalog_db.user, catalog_db.password, catalog_db.database,
                       TABLE, connect_timeout=2)
    ids = {n: cat.upsert(full_row(n, Caption=f"about {n}", DateTime="2020-05-01 10:00:00"))
           for n in (f"{SERIES}_001.JPG", f"{SERIES}_002.JPG", "Zürich_Alt_Cities_Photography_Cam_2020_001.JPG")}
    mirror = Mirror(settings.mirror_db_path, TABLE)
    mirror.upsert(full_row("Local_Only_Photography_Cam_2020_001.JPG"))  # a mirror row MySQL lacks stays
    mirror.upsert(full_row(f"{SERIES}_001.JPG", Caption="stale"), row_id=999)
    first = pull_catalog(settings, catalog=cat, mirror=mirror)
    assert (first.rows, first.added, first.changed) == (3, 2, 1)
    second = pull_catalog(settings, catalog=cat, mirror=mirror)
    assert (second.added, second.changed) == (0, 0)
    cat.close()
    got = mirror.all_file_names()
    assert {n: got[n] for n in ids} == ids and "Local_Only_Photography_Cam_2020_001.JPG" in got
    row = mirror.fetch(f"{SERIES}_001.JPG")
    assert row["Caption"] == f"about {SERIES}_001.JPG" and row["DateTime"] == "2020-05-01 10:00:00"
    assert row["Width"] == 1024 and row["QR"] == 7.5


def config_with_mysql(home, catalog_db, monkeypatch):
    """The home's config.yaml pointed at the test MariaDB (MySQL itself left off); the password in the environment."""
    cfg = home / "config.yaml"
    cfg.write_text(cfg.read_text() + (
        f"publish:\n  mysql:\n    host: {catalog_db.host}\n    port: {catalog_db.port}\n    user: {catalog_db.user}\n"
        f"    database: {catalog_db.database}\n"), encoding="utf-8")
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", catalog_db.password)
    return cfg


def test_catalog_pull_from_the_command_line_then_naming_skips_pulled_names(settings, db, bus, catalog_db, home,
                                                                         monkeypatch, capsys):
    insert_mysql(catalog_db, [f"{SERIES}_{i:03d}.JPG" for i in range(1, 13)])
    cfg = config_with_mysql(home, catalog_db, monkeypatch)
    assert main(["--config", str(cfg), "catalog", "pull"]) == 0
    assert "pulled 12 row(s)" in capsys.readouterr().out
    assert main(["--config", str(cfg), "catalog", "pull"]) == 0
    assert "0 new, 0 updated, 12 unchanged" in capsys.readouterr().out
    # MySQL is off in this config: the pulled mirror alone keeps the counter going
    p = name_one(settings, bus, exif_read_row())
    assert p.file_name == f"{SERIES}_013.JPG"


def test_catalog_pull_refuses_a_table_without_file_name(settings, db, catalog_db, monkeypatch, capsys, home):
    with catalog_db.connect() as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE photos_info_revamp")
        cur.execute("CREATE TABLE photos_info_revamp (id INT PRIMARY KEY, name VARCHAR(20))")
        conn.commit()
    cfg = config_with_mysql(home, catalog_db, monkeypatch)
    assert main(["--config", str(cfg), "catalog", "pull"]) == 1
    assert "no column(s) File_Name" in capsys.readouterr().err
    assert not settings.mirror_db_path.exists() or not sqlite3.connect(settings.mirror_db_path).execute(
        "SELECT count(*) FROM photos_info_revamp").fetchone()[0]


def test_a_missing_catalog_table_is_named_in_the_reason(settings, db, bus, catalog_db, monkeypatch):
    with catalog_db.connect() as conn, conn.cursor() as cur:
        cur.execute(f"DROP TABLE {TABLE}")
        conn.commit()
    use_mysql(settings, catalog_db, monkeypatch)
    p = name_one(settings, bus, exif_read_row())
    assert p.state == State.EXIF_READ
    assert "cannot list File_Name" in p.last_error and "doesn't exist" in p.last_error


def on_website(catalog_db, name: str) -> None:
    """A row in the website's MySQL catalog, put there behind amirtui's back."""
    with catalog_db.connect() as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO `{TABLE}` (File_Name, Folder) VALUES (%s, 'Wildlife')", (name,))
        conn.commit()


def website_with_two_names(settings, catalog_db, monkeypatch) -> tuple[str, str]:
    """MySQL on, one name only in MariaDB and one only in the local mirror; returns both."""
    use_mysql(settings, catalog_db, monkeypatch)
    only_mysql, only_mirror = f"{SERIES}_007.JPG", f"{SERIES}_008.JPG"
    on_website(catalog_db, only_mysql)
    Mirror(settings.mirror_db_path, TABLE).upsert({"File_Name": only_mirror, "Folder": "Wildlife"}, row_id=1)
    return only_mysql, only_mirror


def test_a_review_rename_to_a_name_only_the_website_has_is_refused(settings, db, catalog_db, monkeypatch):
    """A name that lives only in MariaDB (and one only in the mirror) cannot be taken by a rename in review."""
    from amirtui.core import review_edit
    from amirtui.core.errors import ReservationConflict
    from amirtui.core.naming_catalog import catalog_holds

    only_mysql, only_mirror = website_with_two_names(settings, catalog_db, monkeypatch)
    pset = PhotoSet.create(subject="Eagle", location="Kenya", folder="Wildlife")
    p = Photo.create(set=pset, state=State.PREFILLED.value, original_path="/x/a.jpg", original_name="a.jpg",
                     file_name=f"{SERIES}_009.JPG", gate_status="pass")
    repo.reserve_name(p.file_name, p.id)
    holds = lambda name: catalog_holds(settings, name)  # noqa: E731 - what the review screen passes
    for taken in (only_mysql.lower(), only_mirror):
        with pytest.raises(ReservationConflict, match="already on the website"):
            review_edit.save_edits(p.id, file_name=taken, catalog_holds=holds)
    assert Photo.get_by_id(p.id).file_name == f"{SERIES}_009.JPG"
    review_edit.save_edits(p.id, file_name=f"{SERIES}_010.JPG", catalog_holds=holds)
    assert Photo.get_by_id(p.id).file_name == f"{SERIES}_010.JPG"


def test_typing_a_name_only_the_website_has_is_flagged_before_saving(settings, db, catalog_db, monkeypatch):
    """The editor's check while typing sees the website's names too (MySQL and the mirror), reads them once for
    many keystrokes, and says so when they cannot be read — instead of showing a name as fine that saving refuses."""
    from amirtui.core import review_edit
    from amirtui.core.naming_catalog import CatalogNameCache, catalog_names

    only_mysql, only_mirror = website_with_two_names(settings, catalog_db, monkeypatch)
    pset = PhotoSet.create(subject="Eagle", location="Kenya", folder="Wildlife")
    own = f"{SERIES}_001.JPG"
    p = Photo.create(set=pset, state=State.PUBLISHED.value, original_path="/x/a.jpg", original_name="a.jpg",
                     file_name=own, gate_status="pass")
    repo.reserve_name(own, p.id)
    on_website(catalog_db, own)  # a published row's own name is on the website too
    now = [0.0]
    cache = CatalogNameCache(lambda: catalog_names(settings), max_age=60, clock=lambda: now[0])
    for taken in (only_mysql, only_mysql.lower(), only_mirror):
        assert "already on the website" in review_edit.check_name(taken, p.id, catalog_holds=cache.holds)
    assert review_edit.check_name(own.lower(), p.id, catalog_holds=cache.holds) == ""  # its own name, another case
    assert review_edit.check_name(f"{SERIES}_010.JPG", p.id, catalog_holds=cache.holds) == ""
    assert cache.reads == 1  # five keystrokes, one read of the catalog
    on_website(catalog_db, f"{SERIES}_010.JPG")  # another tool publishes _010 meanwhile
    now[0] = 61.0  # a minute later the names are read again
    assert "already on the website" in review_edit.check_name(f"{SERIES}_010.JPG", p.id, catalog_holds=cache.holds)
    assert cache.reads == 2
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", "wrong")  # the catalog cannot be read: said, not hidden
    now[0] = 200.0
    problem = review_edit.check_name(f"{SERIES}_011.JPG", p.id, catalog_holds=cache.holds)
    assert problem.startswith("the website's names could not be read")
    now[0] = 201.0  # a failed read is not cached: the next keystroke tries again
    review_edit.check_name(f"{SERIES}_011.JPG", p.id, catalog_holds=cache.holds)
    assert cache.reads == 4
