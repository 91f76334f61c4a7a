"""Post-run validation: a clean publish validates; each kind of drift is reported with its fix and a report file."""

from __future__ import annotations

import functools
import http.server
import sqlite3
import threading

import pytest

from amirtui.core.db.models import Photo
from amirtui.core.publish import Publisher
from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
from amirtui.core.publish.validation import validate
from tests.test_publish_support import make_approved


@pytest.fixture
def http_site(settings):
    """A loopback HTTP server over the local site folder (the 'website' the URLs point at)."""
    settings.site_dir.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(settings.site_dir / "photos"))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def kinds(report) -> list[str]:
    return sorted(p.kind for p in report.problems)


def test_clean_publish_validates_and_writes_a_report(settings, db, tmp_path):
    ids = make_approved(tmp_path / "src", 2)
    summary = Publisher(settings).run(validate_after=True)
    report = summary.validation
    assert report.ok, report.summary_lines()
    assert report.checked == 2 and report.files_checked == 4  # web + thumb of each, with their uploaded sizes
    assert report.report_path.is_file() and "0 problem(s)" in report.report_path.read_text()
    assert len(ids) == 2


def test_drift_is_reported_with_a_fix_for_each_problem(settings, db, tmp_path):
    ids = make_approved(tmp_path / "src", 3)
    Publisher(settings).run()
    a, b, c = (Photo.get_by_id(i) for i in ids)
    with sqlite3.connect(settings.mirror_db_path) as conn:  # someone edited the mirror by hand
        conn.execute('UPDATE photos_info_revamp SET Caption = ? WHERE File_Name = ?', ("tampered", a.file_name))
    (settings.site_dir / b.web_remote_path).unlink()  # a published file vanished
    stale = settings.ollama_tmp_dir / f"{c.id}.jpg"  # a model image left for a finished row
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"x")
    Photo.update(model_image_path=str(stale)).where(Photo.id == c.id).execute()

    report = validate(settings, None, check_urls=False)
    assert kinds(report) == ["file_missing", "mirror_mismatch", "stale_file"]
    by_kind = {p.kind: p for p in report.problems}
    assert by_kind["mirror_mismatch"].photo_id == a.id and "Caption" in by_kind["mirror_mismatch"].detail
    assert by_kind["file_missing"].photo_id == b.id and b.web_remote_path in by_kind["file_missing"].detail
    assert by_kind["stale_file"].fix.startswith(f"delete {stale}")
    text = report.report_path.read_text()
    assert all(p.fix in text for p in report.problems) and "3 problem(s)" in text


def test_publisher_cleans_model_image_and_work_files(settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    model = settings.ollama_tmp_dir / f"{pid}.jpg"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"model image")
    Photo.update(model_image_path=str(model)).where(Photo.id == pid).execute()
    Publisher(settings).run()
    assert not model.exists() and not (settings.data_dir / "publish_tmp" / str(pid)).exists()
    assert validate(settings, None, check_urls=False).ok


def test_urls_checked_by_head_over_http(settings, db, http_site, tmp_path):
    settings.publish.public_url_base = http_site
    ids = make_approved(tmp_path / "src", 2)
    Publisher(settings).run()
    assert Photo.get_by_id(ids[0]).web_url.startswith(http_site + "/2023/Landscape/")
    assert validate(settings, None, check_urls=True).ok
    (settings.site_dir / Photo.get_by_id(ids[1]).thumb_remote_path).unlink()
    report = validate(settings, None, check_urls=True)
    assert sorted((p.kind, p.photo_id) for p in report.problems) == [("file_missing", ids[1]), ("url", ids[1])]
    assert "HTTP 404" in next(p.detail for p in report.problems if p.kind == "url")


def test_mysql_and_mirror_must_agree(settings, db, mysql_db, tmp_path):
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        create_table(conn, "photos_info_revamp")

    def cat():
        return MySQLCatalog(mysql_db.host, mysql_db.port, mysql_db.user, mysql_db.password, mysql_db.database,
                            "photos_info_revamp", connect_timeout=2)
    ids = make_approved(tmp_path / "src", 2)
    Publisher(settings, catalog_factory=cat).run()
    assert validate(settings, None, check_urls=False, catalog=cat()).ok
    gone = Photo.get_by_id(ids[0])
    with mysql_db.connect() as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM photos_info_revamp WHERE File_Name = %s", (gone.file_name,))
        conn.commit()
    report = validate(settings, None, check_urls=False, catalog=cat())
    assert kinds(report) == ["drift_mirror_only"]  # deleted on the website behind amirtui's back
    assert [p.file_name for p in report.problems] == [gone.file_name]
    assert f"amirtui republish {gone.file_name}" in report.problems[0].fix


# ---------------------------------------------------------------- files on the remote targets


@pytest.fixture(params=["ftp", "ftps", "sftp"])
def remote(request, tmp_path):
    """(server, client factory) for each remote target of the harness."""
    import ssl

    from amirtui.core.publish.ftp_target import FTPTarget
    from amirtui.core.publish.sftp_target import SFTPTarget

    if request.param == "sftp":
        srv = request.getfixturevalue("sftp_server")
        known = srv.known_hosts_file(tmp_path / "known_hosts")
        return srv, lambda: SFTPTarget(srv.host, srv.port, srv.user, password=srv.password, known_hosts=known, timeout=5)
    srv = request.getfixturevalue("ftp_server" if request.param == "ftp" else "ftps_server")
    ctx = ssl.create_default_context(cafile=str(srv.tls.cafile)) if srv.tls else None
    return srv, lambda: FTPTarget(srv.host, srv.port, srv.user, srv.password, tls=srv.tls is not None, timeout=5,
                                  ssl_context=ctx)


def test_validate_checks_each_file_and_its_size_on_the_remote_target(settings, db, remote, tmp_path):
    srv, client = remote
    ids = make_approved(tmp_path / "src", 3)
    Publisher(settings, target_factory=client, catalog_factory=None).run()
    report = validate(settings, None, check_urls=False, target=client())
    assert report.ok and report.files_checked == 6, report.summary_lines()

    a, b = (Photo.get_by_id(i) for i in ids[:2])
    (srv.root / a.web_remote_path).unlink()  # gone from the server
    thumb = srv.root / b.thumb_remote_path
    thumb.write_bytes(thumb.read_bytes()[:1000])  # cut short on the server
    report = validate(settings, None, check_urls=False, target=client())
    got = sorted((p.kind, p.photo_id) for p in report.problems)
    assert got == [("file_missing", a.id), ("file_size", b.id)], report.summary_lines()
    assert all(p.fix.endswith(f"amirtui republish {p.file_name}") for p in report.problems)
    assert "1000 bytes" in next(p.detail for p in report.problems if p.kind == "file_size")


def test_validate_reports_an_unreachable_target_once_and_checks_the_rest(settings, db, remote, tmp_path):
    srv, client = remote
    make_approved(tmp_path / "src", 2)
    Publisher(settings, target_factory=client, catalog_factory=None).run()
    srv.stop()
    report = validate(settings, None, check_urls=False, target=client())
    assert [p.kind for p in report.problems] == ["target_unreachable"]
    assert report.checked == 2  # the catalog checks still ran
