"""The publish lifecycle after a first publish, on every target (local, FTP, FTPS, SFTP) with the MariaDB catalog:
edit → modified → republish over the row's own files; unpublish (catalog, mirror, files; the name stays reserved);
undo of an edit; a failed republish leaves the old version live."""

from __future__ import annotations

import json
import ssl

import pytest

from amirtui.core import review, review_bulk, review_edit
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, StateChange
from amirtui.core.errors import ReservationConflict
from amirtui.core.publish import Mirror, Publisher
from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
from amirtui.core.publish.unpublish import Unpublisher
from amirtui.core.review_published import TO_REPUBLISH
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import files_under, make_approved

TABLE = "photos_info_revamp"


@pytest.fixture
def catalog(mysql_db):
    """An empty MariaDB catalog table; returns a factory of catalog connections."""
    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        create_table(conn, TABLE)

    def make() -> MySQLCatalog:
        return MySQLCatalog(mysql_db.host, mysql_db.port, mysql_db.user, mysql_db.password, mysql_db.database, TABLE,
                            connect_timeout=2, timeout=5)
    make.db = mysql_db  # type: ignore[attr-defined]
    return make


@pytest.fixture(params=["local", "ftp", "ftps", "sftp"])
def site(request, settings, tmp_path):
    """(root folder the target writes under, target factory or None for the configured local target)."""
    from amirtui.core.publish.ftp_target import FTPTarget
    from amirtui.core.publish.sftp_target import SFTPTarget

    settings.publish.retry_delay = 0.01
    if request.param == "local":
        return settings.site_dir, None
    if request.param == "sftp":
        srv = request.getfixturevalue("sftp_server")
        known = srv.known_hosts_file(tmp_path / "known_hosts")
        return srv.root, lambda: SFTPTarget(srv.host, srv.port, srv.user, password=srv.password, known_hosts=known,
                                            timeout=5)
    srv = request.getfixturevalue("ftp_server" if request.param == "ftp" else "ftps_server")
    ctx = ssl.create_default_context(cafile=str(srv.tls.cafile)) if srv.tls else None
    return srv.root, lambda: FTPTarget(srv.host, srv.port, srv.user, srv.password, tls=srv.tls is not None,
                                       timeout=5, ssl_context=ctx)


def mysql_row(catalog, name: str) -> dict | None:
    cat = catalog()
    try:
        return cat.fetch(name)
    finally:
        cat.close()


def publish(settings, site, catalog, ids=None):
    _, factory = site
    return Publisher(settings, target_factory=factory, catalog_factory=catalog).run(ids)


# ---------------------------------------------------------------- edit and republish


def test_edit_marks_modified_then_republish_replaces_files_catalog_and_mirror(settings, db, bus, site, catalog, tmp_path):
    root, _ = site
    ids = make_approved(tmp_path / "src", 2)
    assert sorted(publish(settings, site, catalog).published) == ids
    p = Photo.get_by_id(ids[0])
    before = {"web": (root / p.web_remote_path).read_bytes(), "id": mysql_row(catalog, p.file_name)["id"]}

    review_edit.save_edits(p.id, caption="A corrected caption: the lake is Lac Blanc.", keywords="lake, alps, Lac Blanc",
                           bus=bus)
    edited = Photo.get_by_id(p.id)
    assert edited.state == State.MODIFIED and edited.file_name == p.file_name
    assert [r.id for r in review.page_rows(review.ReviewFilter(states=TO_REPUBLISH))] == [p.id]
    last = StateChange.select().where(StateChange.photo == p.id).order_by(StateChange.id.desc()).first()
    assert json.loads(last.reason.split("previous=", 1)[1])["caption"] == p.caption  # the old text, in history
    # the website still shows the old version until the republish
    assert read_xmp((root / p.web_remote_path).read_bytes())["caption"] == p.caption
    assert mysql_row(catalog, p.file_name)["Caption"] == p.caption

    summary = publish(settings, site, catalog)
    assert summary.published == [p.id] and not summary.failed  # only the modified row is published again
    again = Photo.get_by_id(p.id)
    assert again.state == State.PUBLISHED and again.web_remote_path == p.web_remote_path
    web = (root / p.web_remote_path).read_bytes()
    assert web != before["web"] and read_xmp(web)["caption"] == "A corrected caption: the lake is Lac Blanc."
    assert "Lac Blanc" in read_xmp((root / p.thumb_remote_path).read_bytes())["keywords"]
    row = mysql_row(catalog, p.file_name)
    assert row["id"] == before["id"] == again.catalog_id  # updated by File_Name, same row
    assert row["Caption"] == again.caption and row["Keywords"] == "lake, alps, Lac Blanc"
    assert Mirror(settings.mirror_db_path).fetch(p.file_name)["Caption"] == again.caption
    files = files_under(root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    assert not (settings.data_dir / "publish_tmp" / str(p.id)).exists()


def test_undo_of_an_edit_restores_the_text_before_and_after_a_republish(settings, db, bus, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    Publisher(settings).run()
    old = Photo.get_by_id(pid).caption
    review_edit.save_edits(pid, caption="First fix.")
    result = review_bulk.undo_last(bus=bus)
    assert result.restored == [pid]
    p = Photo.get_by_id(pid)
    assert (p.state, p.caption) == (State.PUBLISHED, old)  # the website shows exactly this text: nothing to republish

    review_edit.save_edits(pid, caption="Second fix.")
    Publisher(settings).run()
    assert read_xmp((settings.site_dir / p.web_remote_path).read_bytes())["caption"] == "Second fix."
    review_bulk.undo_last(bus=bus)  # after the republish: the old text comes back, to be republished
    p = Photo.get_by_id(pid)
    assert (p.state, p.caption) == (State.MODIFIED, old)
    Publisher(settings).run()
    assert read_xmp((settings.site_dir / p.web_remote_path).read_bytes())["caption"] == old


def test_a_title_can_be_edited_before_and_after_publish_and_undone(settings, db, bus, tmp_path):
    """The title (dc:title of the web image) is the set's "Subject, Location" until a row gets its own: typed in
    review before publish it is published; typed after publish the row is modified and the republish carries it;
    undo brings the set's title back; typing the set's title (or nothing) follows the set again."""
    from amirtui.core.review_published import PublishedEditRefused

    first, second = make_approved(tmp_path / "src", 2)
    p = Photo.get_by_id(first)
    set_title = f"{p.set.subject}, {p.set.location}"
    assert review.load_detail(first).title == set_title and not review.load_detail(first).title_own
    review_edit.save_edits(first, title="  Heron at first light,   Lac Blanc ")
    assert Photo.get_by_id(first).title == "Heron at first light, Lac Blanc"
    assert Photo.get_by_id(first).state == State.APPROVED  # a title is not a decision
    Publisher(settings).run()
    web = lambda pid: read_xmp((settings.site_dir / Photo.get_by_id(pid).web_remote_path).read_bytes())  # noqa: E731
    assert web(first)["title"] == "Heron at first light, Lac Blanc"
    assert web(second)["title"] == set_title  # the other row keeps the set's

    review_edit.save_edits(second, title="Two herons, one fish")
    assert Photo.get_by_id(second).state == State.MODIFIED
    assert web(second)["title"] == set_title  # the website changes only with the republish
    Publisher(settings).run()
    assert web(second)["title"] == "Two herons, one fish"
    review_bulk.undo_last(bus=bus)
    assert Photo.get_by_id(second).title is None and Photo.get_by_id(second).state == State.MODIFIED
    Publisher(settings).run()
    assert web(second)["title"] == set_title

    review_edit.save_edits(first, title=set_title)  # the set's own title: follow the set again
    assert Photo.get_by_id(first).title is None and Photo.get_by_id(first).state == State.MODIFIED
    with pytest.raises(PublishedEditRefused, match="control characters"):
        review_edit.save_edits(first, title="Heron \x1b]2;owned\x07")
    with pytest.raises(PublishedEditRefused, match="limit is 200"):
        review_edit.save_edits(first, title="x" * 201)


def test_failed_republish_keeps_the_old_version_live_and_stays_to_republish(settings, db, sftp_server, tmp_path):
    from amirtui.core.publish.sftp_target import SFTPTarget

    settings.publish.retries = 0
    known = sftp_server.known_hosts_file(tmp_path / "known_hosts")

    def target():
        return SFTPTarget(sftp_server.host, sftp_server.port, sftp_server.user, password=sftp_server.password,
                          known_hosts=known, timeout=5)
    [pid] = make_approved(tmp_path / "src", 1)
    Publisher(settings, target_factory=target, catalog_factory=None).run()
    p = Photo.get_by_id(pid)
    review_edit.save_edits(pid, caption="New words.")
    sftp_server.drop_after_bytes(2048, match="amirtui-part")  # the new web image is cut mid-file
    summary = Publisher(settings, target_factory=target, catalog_factory=None).run()
    assert [(i, step) for i, step, _ in summary.failed] == [(pid, "upload_web")]
    failed = Photo.get_by_id(pid)
    assert failed.state == State.MODIFIED and failed.error_stage == "upload_web" and failed.last_error
    assert read_xmp((sftp_server.root / p.web_remote_path).read_bytes())["caption"] == p.caption  # old, complete
    assert Mirror(settings.mirror_db_path).fetch(p.file_name)["Caption"] == p.caption  # catalog not ahead of files
    assert Publisher(settings, target_factory=target, catalog_factory=None).run().published == [pid]
    assert read_xmp((sftp_server.root / p.web_remote_path).read_bytes())["caption"] == "New words."
    assert Mirror(settings.mirror_db_path).fetch(p.file_name)["Caption"] == "New words."


# ---------------------------------------------------------------- unpublish


def test_unpublish_removes_catalog_row_mirror_and_files_and_the_name_stays_reserved(settings, db, site, catalog,
                                                                                     tmp_path):
    root, factory = site
    ids = make_approved(tmp_path / "src", 2)
    publish(settings, site, catalog)
    gone, kept = (Photo.get_by_id(i) for i in ids)

    summary = Unpublisher(settings, target_factory=factory, catalog_factory=catalog).run([gone.file_name.lower()])
    assert summary.unpublished == [gone.file_name] and not summary.failed
    p = Photo.get_by_id(gone.id)
    assert p.state == State.UNPUBLISHED
    assert [h.to_state for h in repo.history(p.id)][-2:] == ["unpublishing", "unpublished"]
    assert mysql_row(catalog, gone.file_name) is None and mysql_row(catalog, kept.file_name) is not None
    assert Mirror(settings.mirror_db_path).fetch(gone.file_name) is None
    assert files_under(root) == sorted([kept.web_remote_path, kept.thumb_remote_path])
    with pytest.raises(ReservationConflict):  # a public URL that existed never names another photo
        repo.reserve_name(gone.file_name.upper(), None)

    again = Unpublisher(settings, target_factory=factory, catalog_factory=catalog).run([gone.file_name])
    assert again.skipped == [(gone.file_name, "already unpublished")] and not again.failed  # idempotent
    unknown = Unpublisher(settings, target_factory=factory, catalog_factory=catalog).run(["No_Such_001.JPG"])
    assert unknown.skipped == [("No_Such_001.JPG", "no photo has this File_Name")]


def test_interrupted_unpublish_continues_without_the_name(settings, db, catalog, tcp_proxy, tmp_path):
    """MariaDB is unreachable at the catalog step: the row stays unpublishing with everything still live and
    consistent; once the server is back, `amirtui unpublish` alone (no names) finishes it."""
    settings.publish.retries = 0
    [pid] = make_approved(tmp_path / "src", 1)
    Publisher(settings, catalog_factory=catalog).run()
    p = Photo.get_by_id(pid)
    db_ = catalog.db
    proxy = tcp_proxy(db_.host, db_.port)

    def via_proxy() -> MySQLCatalog:
        return MySQLCatalog(proxy.host, proxy.port, db_.user, db_.password, db_.database, TABLE, connect_timeout=2,
                            timeout=5)
    proxy.block()
    first = Unpublisher(settings, catalog_factory=via_proxy).run([p.file_name])
    assert [(n, step) for n, step, _ in first.failed] == [(p.file_name, "unpublish_catalog")]
    assert Photo.get_by_id(pid).state == State.UNPUBLISHING
    assert (settings.site_dir / p.web_remote_path).is_file()  # files go last: nothing the catalog lists is missing
    assert mysql_row(catalog, p.file_name) is not None

    proxy.unblock()
    second = Unpublisher(settings, catalog_factory=via_proxy).run()
    assert second.unpublished == [p.file_name] and not second.failed
    assert Photo.get_by_id(pid).state == State.UNPUBLISHED
    assert mysql_row(catalog, p.file_name) is None and files_under(settings.site_dir) == []
