"""Database spine: pragmas, migrations from the previous schema version, reservation uniqueness across case,
backups, and that nothing deletes a photo row."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from amirtui.core.db import LATEST_VERSION, close_db, migrate, open_db, schema_version
from amirtui.core.db import repo
from amirtui.core.db.backup import backup_db, reset_db
from amirtui.core.db.models import Photo, PhotoSet, Reservation, database
from amirtui.core.errors import ReservationConflict


def test_pragmas_wal_foreign_keys_synchronous_normal(db):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_migrating_a_version_1_database_keeps_its_rows(tmp_path):
    path = tmp_path / "review.db"
    db = open_db(path, migrate_to=1)
    assert schema_version(db) == 1 and not db.table_exists("taxonomy_entry")
    pset = PhotoSet.create(subject="Owl", location="Oslo", folder="Birds")
    Photo.create(set=pset, original_path="/a.jpg", original_name="a.jpg", file_name="Owl_A.JPG")
    Reservation.create(name="Owl_A.JPG", name_key="owl_a.jpg")
    close_db()
    db = open_db(path)  # start-up migrates
    assert schema_version(db) == LATEST_VERSION
    assert db.table_exists("taxonomy_entry")
    assert Photo.get().file_name == "Owl_A.JPG"
    with pytest.raises(ReservationConflict):  # v2's unique index now guards the old reservation too
        repo.reserve_name("OWL_a.jpg", None)
    assert migrate(db) == []  # idempotent
    close_db()


def test_a_version_4_database_gains_time_trusted_and_its_rows_stay_trusted(tmp_path):
    """A review.db written before the capture-clock check (its photo table without ``time_trusted``) upgrades in
    place; its rows keep the gate's old behaviour (trusted), and new rows can be marked untrusted."""
    path = tmp_path / "review.db"
    con = sqlite3.connect(path)  # the photo table as version 4 had it: the same model minus the new column
    db = open_db(tmp_path / "scratch.db")
    schema = [r[0] for r in db.execute_sql("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                                          "AND name NOT LIKE 'sqlite_%'")]
    close_db()
    for sql in schema:
        con.execute(sql.replace(", \"time_trusted\" INTEGER NOT NULL", "")
                    .replace(',\n    "time_trusted" INTEGER NOT NULL', ""))
    con.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '4')")
    con.commit()
    assert "time_trusted" not in {r[1] for r in con.execute("PRAGMA table_info(photo)")}
    con.close()
    db = open_db(path, migrate_to=4)
    pset = PhotoSet.create(subject="Owl", location="Oslo", folder="Birds")
    fields = {k: v for k, v in Photo(set=pset, original_path="/a.jpg", original_name="a.jpg").__data__.items()
              if k != "time_trusted"}  # a row as version 4 wrote it, with the model's defaults
    cols = [Photo._meta.fields[k] for k in fields]
    db.execute_sql(f"INSERT INTO photo ({', '.join(c.column_name for c in cols)}) "
                   f"VALUES ({', '.join('?' for _ in cols)})", [c.db_value(fields[c.name]) for c in cols])
    close_db()
    db = open_db(path)
    assert schema_version(db) == LATEST_VERSION
    assert Photo.get().time_trusted is True
    Photo.update(time_trusted=False).execute()
    assert Photo.get().time_trusted is False
    assert migrate(db) == []
    close_db()


def test_newer_schema_than_the_app_is_refused(tmp_path):
    db = open_db(tmp_path / "review.db")
    db.execute_sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer than this amirtui"):
        migrate(db)
    close_db()


def test_reservation_is_unique_ignoring_case_and_released_names_are_reusable(db):
    pset = PhotoSet.create(subject="S", location="L", folder="F")
    p1 = Photo.create(set=pset, original_path="/a", original_name="a").id
    p2 = Photo.create(set=pset, original_path="/b", original_name="b").id
    repo.reserve_name("Owl_Oslo_Birds_Photography_Canon_2024_001.JPG", p1)
    for variant in ("owl_oslo_birds_photography_canon_2024_001.jpg", "OWL_OSLO_BIRDS_PHOTOGRAPHY_CANON_2024_001.JPG"):
        with pytest.raises(ReservationConflict, match=f"photo {p1}"):
            repo.reserve_name(variant, p2)
    assert repo.release_name(p1, "rejected") == 1
    repo.reserve_name("owl_oslo_birds_photography_canon_2024_001.JPG", p2)  # free again
    # the released reservation stays as history
    assert Reservation.select().where(Reservation.photo == p1).get().release_reason == "rejected"


def test_concurrent_reservations_of_one_name_give_exactly_one_winner(db, settings):
    winners, losers = [], []

    def worker(i):
        database.connect(reuse_if_open=True)  # peewee: one connection per thread, same database
        try:
            repo.reserve_name("Same_Name_001.JPG" if i % 2 else "same_name_001.jpg", None)
            winners.append(i)
        except ReservationConflict:
            losers.append(i)
        finally:
            database.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(winners) == 1 and len(losers) == 7


def test_backup_is_a_consistent_copy_and_reset_backs_up_first(db, settings):
    PhotoSet.create(subject="S", location="L", folder="F")
    copy = backup_db(settings.db_path)
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM photo_set").fetchone()[0] == 1
    close_db()
    backup = reset_db(settings.db_path)
    assert backup is not None and backup.is_file() and not settings.db_path.exists()
    assert sqlite3.connect(backup).execute("SELECT count(*) FROM photo_set").fetchone()[0] == 1
    open_db(settings.db_path)
    assert PhotoSet.select().count() == 0
