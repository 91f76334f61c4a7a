"""The metadata_quality record: one line per caption attempt, the human outcome added by review, ``amirtui export
quality``, the migration, and the MySQL mirror on the real MariaDB."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from amirtui.cli import main
from amirtui.core import review, review_bulk, review_edit
from amirtui.core.captioning import quality_mirror
from amirtui.core.db import migrations
from amirtui.core.db.models import MetadataQuality, Photo
from amirtui.core.publish.mysql_catalog import MySQLCatalog
from tests.test_captioning_stage import (
    CAPTIONS, FALLBACK, PRIMARY, fixed, make_rows, make_settings, row, run_stage, with_fallback)
from tests.test_captioning_verify import reserved, verdicts


@pytest.fixture
def server(ollama_server):
    """The loopback Ollama-protocol server with primary and fallback installed."""
    return with_fallback(ollama_server)


def records(pid: int) -> list[MetadataQuality]:
    return list(MetadataQuality.select().where(MetadataQuality.photo == pid).order_by(MetadataQuality.attempt))


def test_every_attempt_is_recorded_with_model_prompt_hash_fields_and_verdicts(db, settings, bus, server):
    cap, alt, kws = CAPTIONS[1]
    server.behave(FALLBACK, reply=fixed(cap, alt, kws))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids, before=lambda _: server.queue(PRIMARY, error=(500, "runner crashed")))
    first, second = records(ids[0])
    assert (first.attempt, first.model, first.role, first.chosen) == (1, PRIMARY, "primary", False)
    assert first.error == "server: Ollama error 500: runner crashed" and first.caption is None
    assert (second.attempt, second.model, second.role, second.chosen) == (2, FALLBACK, "fallback", True)
    assert second.prompt_version == row(ids[0]).ai_prompt_version
    raw = json.dumps({"caption": cap, "alt_text": alt, "keywords": kws}, ensure_ascii=False)  # what the server sent
    assert second.raw_sha256 == hashlib.sha256(raw.encode()).hexdigest()
    assert (second.caption, second.alt_text, second.keywords) == (cap, alt, kws)
    assert second.gate_status == "pass" and second.verify_status == "supported"
    assert second.outcome_state == "prefilled" and second.human_decision is None


def test_the_human_outcome_follows_approve_edit_undo_and_reject(db, settings, bus, server):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    a, b = (reserved(p) for p in ids)
    ai_caption = row(a).caption

    review.approve(a)
    [rec] = records(a)
    assert (rec.human_decision, rec.human_edited, rec.final_caption) == ("approved", False, ai_caption)
    assert rec.human_at is not None

    review_bulk.undo_last()
    assert records(a)[0].human_decision is None  # taken back: pending again

    edited = "A heron stands very still on the old harbour wall while the ferry leaves."
    review_edit.save_edits(a, caption=edited)
    rec = records(a)[0]
    assert rec.human_edited is True and rec.final_caption == edited and rec.caption == ai_caption

    review.reject(b)
    assert records(b)[0].human_decision == "rejected"


def test_an_edit_clears_the_verifier_block_and_a_revert_brings_it_back(db, settings, bus, server):
    server.behave_verify(PRIMARY, reply=verdicts(lambda c: "not_supported"))
    s = make_settings(settings, server.url, fallback_model="")
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    pid = reserved(ids[0])
    assert row(pid).state == "needs_work" and "unsupported_claim" in dict(row(pid).gate_reasons)

    review_edit.save_edits(pid, caption="A grey heron stands in the reeds at the edge of the lake at dusk.")
    assert row(pid).state == "prefilled" and "unsupported_claim" not in dict(row(pid).gate_reasons)
    review_edit.revert_text(pid)  # back to the AI text the verifier refuted
    assert row(pid).state == "needs_work" and "unsupported_claim" in dict(row(pid).gate_reasons)


def test_export_quality_writes_one_json_line_per_attempt_with_the_human_outcome(db, settings, bus, server, home,
                                                                               capsys):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    review.approve(reserved(ids[0]))
    capsys.readouterr()

    assert main(["--config", str(home / "config.yaml"), "export", "quality"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 and "exported 2 caption attempt(s)" in err
    by_id = {r["photo_id"]: r for r in rows}
    assert by_id[ids[0]]["human"]["decision"] == "approved" and by_id[ids[1]]["human"]["decision"] is None
    assert by_id[ids[0]]["model"] == PRIMARY and by_id[ids[0]]["verifier"]["status"] == "supported"
    assert by_id[ids[0]]["file_name"] == row(ids[0]).file_name and out.isascii()

    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    assert main(["--config", str(home / "config.yaml"), "export", "quality", "--since", tomorrow]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "exported 0 caption attempt(s) since" in err
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(home / "config.yaml"), "export", "quality", "--since", "last week"])
    assert exit_.value.code == 2 and "--since" in capsys.readouterr().err


def test_migration_v3_is_idempotent_and_upgrades_a_v2_database(tmp_path):
    from amirtui.core.db import close_db, open_db

    path = tmp_path / "review.db"
    database = open_db(path, migrate_to=2)
    assert not database.table_exists("metadata_quality")
    assert migrations.migrate(database)[0] == 3 and database.table_exists("metadata_quality")
    migrations._v3(database)  # again, as a reordered merge might: nothing breaks, nothing is lost
    assert migrations.schema_version(database) == migrations.LATEST_VERSION
    close_db()


# ---------------------------------------------------------------- MySQL mirror (real MariaDB)


@pytest.fixture
def quality_db(mysql_db):
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        quality_mirror.create_table(conn)
        quality_mirror.create_table(conn)  # idempotent, like `amirtui db create-catalog` run twice
    return mysql_db


def mysql_quality(target) -> list[dict]:
    import pymysql.cursors

    with target.connect(cursorclass=pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {quality_mirror.TABLE} ORDER BY photo_id, attempt")  # rows caption in parallel
        return list(cur.fetchall())


def catalog(target, port=None) -> MySQLCatalog:
    return MySQLCatalog(target.host, port or target.port, target.user, target.password, target.database,
                        "photos_info_revamp", connect_timeout=2, timeout=5)


def test_records_mirror_to_mysql_and_changes_follow_without_duplicates(db, settings, bus, server, quality_db):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    assert quality_mirror.mirror_safely(catalog(quality_db), bus) == 2
    mirrored = mysql_quality(quality_db)
    assert [(r["photo_id"], r["model"], r["human_decision"]) for r in mirrored] == [
        (ids[0], PRIMARY, None), (ids[1], PRIMARY, None)]
    assert mirrored[0]["caption"] == row(ids[0]).ai_caption
    assert json.loads(mirrored[0]["verification"])["status"] == "supported"

    assert quality_mirror.mirror_safely(catalog(quality_db), bus) == 0  # nothing changed: nothing pushed
    review.approve(reserved(ids[0]))
    assert quality_mirror.mirror_safely(catalog(quality_db), bus) == 1
    again = mysql_quality(quality_db)
    assert len(again) == 2 and again[0]["human_decision"] == "approved" and again[0]["human_edited"] == 0


def test_an_unreachable_catalog_leaves_records_pending_with_one_warning(db, settings, bus, server, quality_db,
                                                                        unused_port):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    assert quality_mirror.mirror_safely(catalog(quality_db, port=unused_port), bus) is None
    warned = [e.text() for e in bus.seen if "metadata_quality not mirrored" in e.text()]
    assert len(warned) == 1 and "next publish" in warned[0]
    assert MetadataQuality.get(MetadataQuality.photo == ids[0]).mirrored_at is None
    assert quality_mirror.mirror_safely(catalog(quality_db), bus) == 1  # the next try pushes it


def test_publish_pushes_the_record_with_the_human_decision(settings, db, tmp_path, quality_db):
    from amirtui.core.publish import Publisher
    from amirtui.core.publish.mysql_catalog import create_table
    from tests.test_publish_support import make_approved

    with quality_db.connect() as conn:
        create_table(conn, "photos_info_revamp")
    [pid] = make_approved(tmp_path / "src", 1)
    MetadataQuality.create(photo=pid, attempt=1, session="s", model=PRIMARY, caption=row(pid).caption,
                           alt_text=row(pid).alt_text, keywords=row(pid).keywords, chosen=True)
    from amirtui.core.captioning.record import record_human

    record_human(pid)
    Publisher(settings, catalog_factory=lambda: catalog(quality_db)).run()
    assert Photo.get_by_id(pid).state == "published"
    [rec] = mysql_quality(quality_db)
    assert rec["photo_id"] == pid and rec["human_decision"] == "approved" and rec["file_name"] == row(pid).file_name


def test_db_create_catalog_creates_the_metadata_quality_table_beside_the_catalog(mysql_db, home, monkeypatch, capsys):
    mysql_db.drop_all_tables()
    (home / "config.yaml").write_text(
        "paths:\n  data_dir: data\n  logs_dir: logs\nollama:\n  enabled: false\npublish:\n  mysql:\n"
        f"    enabled: true\n    host: {mysql_db.host}\n    port: {mysql_db.port}\n    user: {mysql_db.user}\n"
        f"    database: {mysql_db.database}\n", encoding="utf-8")
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", mysql_db.password)
    for _ in range(2):  # idempotent
        assert main(["--config", str(home / "config.yaml"), "db", "create-catalog"]) == 0
    assert {"photos_info_revamp", quality_mirror.TABLE} <= set(mysql_db.tables())
    assert "metadata_quality" in capsys.readouterr().out
