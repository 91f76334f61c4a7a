"""Transient faults are retried within the run on a fresh connection; a rename whose reply was lost never strands a row.

Real servers throughout: pyftpdlib FTP/FTPS, the asyncssh SFTP server and MariaDB, with the harness's fault hooks
(dropped transfer, rename done but reply lost) and a TCP proxy in front of them for "server restarting".
"""

from __future__ import annotations

import ssl

import pytest

from amirtui.core.db.models import Photo, PublishStep
from amirtui.core.events import LogLine, PublishStepDone
from amirtui.core.publish import Mirror, Publisher
from amirtui.core.publish.ftp_target import FTPTarget
from amirtui.core.publish.retry import RetryPolicy, TransientError, with_retry
from amirtui.core.publish.sftp_target import SFTPTarget
from amirtui.core.publish.targets import RemoteConflict
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import files_under, make_approved


def _fast_retries(settings, retries: int = 3) -> None:
    settings.publish.retries = retries
    settings.publish.retry_delay = 0.01
    settings.publish.retry_max_delay = 0.05
    settings.publish.parallel_uploads = 1


def _retries_seen(bus) -> list[str]:
    return [e.message for e in bus.seen if isinstance(e, LogLine) and e.source == "publish" and "retry" in e.message]


@pytest.fixture(params=["ftp", "ftps"])
def ftp_srv(request):
    server = request.getfixturevalue("ftp_server" if request.param == "ftp" else "ftps_server")
    context = ssl.create_default_context(cafile=str(server.tls.cafile)) if server.tls else None

    def client(host=None, port=None) -> FTPTarget:
        return FTPTarget(host or server.host, port or server.port, server.user, server.password,
                         tls=server.tls is not None, timeout=5, ssl_context=context)
    server.client = client  # type: ignore[attr-defined]
    return server


@pytest.fixture
def known(sftp_server, tmp_path):
    return sftp_server.known_hosts_file(tmp_path / "known_hosts")


def sftp_client(srv, known, port=None) -> SFTPTarget:
    return SFTPTarget(srv.host, port or srv.port, srv.user, password=srv.password, known_hosts=known, timeout=5)


# ---------------------------------------------------------------- the retry rule itself


def test_backoff_is_bounded_and_only_transient_faults_are_retried():
    policy = RetryPolicy(retries=4, delay=0.001, max_delay=0.002)
    assert [policy.pause(n) for n in (1, 2, 3)] == [0.001, 0.002, 0.002]
    calls, resets = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("link dropped")
        return "done"
    assert with_retry(flaky, policy, reset=lambda: resets.append(1)) == "done"
    assert len(calls) == 3 and len(resets) == 2  # every retry on a fresh connection

    def refused():
        calls.append(1)
        raise RemoteConflict("someone else's file")
    calls.clear()
    with pytest.raises(RemoteConflict):
        with_retry(refused, policy, reset=lambda: None)
    assert len(calls) == 1  # waiting would not change a refusal

    calls.clear()
    with pytest.raises(TransientError):
        with_retry(lambda: (calls.append(1), (_ for _ in ()).throw(TransientError("down")))[1], policy,
                   reset=lambda: None)
    assert len(calls) == 5  # 1 + retries, then the row fails


# ---------------------------------------------------------------- FTP / FTPS


def test_ftp_dropped_transfer_is_retried_within_the_run(settings, db, bus, ftp_srv, tmp_path):
    _fast_retries(settings)
    ids = make_approved(tmp_path / "src", 2)
    ftp_srv.drop_after_bytes(4096, match="amirtui-part")
    summary = Publisher(settings, bus=bus, target_factory=ftp_srv.client, catalog_factory=None).run()
    assert sorted(summary.published) == ids and not summary.failed
    assert len(_retries_seen(bus)) == 1
    files = files_under(ftp_srv.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    p = Photo.get_by_id(ids[0])
    web = (ftp_srv.root / p.web_remote_path).read_bytes()
    assert web.endswith(b"\xff\xd9") and read_xmp(web)["caption"] == p.caption  # the complete file, not the cut one


def test_ftp_faults_beyond_the_retries_fail_the_row_and_the_next_run_finishes(settings, db, bus, ftp_srv, tmp_path):
    _fast_retries(settings, retries=1)
    [pid] = make_approved(tmp_path / "src", 1)
    for _ in range(2):  # first try and its one retry both cut
        ftp_srv.drop_after_bytes(4096, match="amirtui-part")
    summary = Publisher(settings, bus=bus, target_factory=ftp_srv.client, catalog_factory=None).run()
    assert [(i, step) for i, step, _ in summary.failed] == [(pid, "upload_web")]
    assert Photo.get_by_id(pid).state == State.PUBLISH_FAILED
    assert Publisher(settings, target_factory=ftp_srv.client, catalog_factory=None).run().published == [pid]
    assert len(files_under(ftp_srv.root)) == 2


def test_ftp_rename_done_but_reply_lost_finishes_the_step(settings, db, bus, ftp_srv, tmp_path):
    _fast_retries(settings)
    [pid] = make_approved(tmp_path / "src", 1)
    ftp_srv.lose_rename_reply()
    summary = Publisher(settings, bus=bus, target_factory=ftp_srv.client, catalog_factory=None).run()
    assert summary.published == [pid] and not summary.failed
    assert _retries_seen(bus), "the lost reply was not treated as a dropped link"
    p = Photo.get_by_id(pid)
    files = files_under(ftp_srv.root)
    assert files == sorted([p.web_remote_path, p.thumb_remote_path])
    done = [s.step for s in PublishStep.select().where((PublishStep.photo == pid) & (PublishStep.status == "done"))]
    assert done.count("upload_web") == 1 and Mirror(settings.mirror_db_path).count() == 1


def test_a_foreign_file_of_the_same_size_is_still_never_overwritten(ftp_srv):
    t = ftp_srv.client()
    t.put_atomic("a/x.JPG", b"their photo", may_replace=False)
    with pytest.raises(RemoteConflict):
        t.put_atomic("a/x.JPG", b"our photo!!", may_replace=False)  # same length, other bytes
    t.put_atomic("a/x.JPG", b"their photo", may_replace=False)  # exactly these bytes: already in place
    t.close()
    assert (ftp_srv.root / "a/x.JPG").read_bytes() == b"their photo"
    assert files_under(ftp_srv.root) == ["a/x.JPG"]


def test_ftp_server_restarting_mid_run_is_retried_on_a_new_connection(settings, db, bus, ftp_srv, tcp_proxy, tmp_path):
    _fast_retries(settings, retries=5)
    ids = make_approved(tmp_path / "src", 2)
    proxy = tcp_proxy(ftp_srv.host, ftp_srv.port)

    def fault(event):
        if isinstance(event, PublishStepDone) and event.photo_id == ids[0] and event.step == "render":
            proxy.cut()  # the server goes down just before the first upload…
            proxy.block()
        elif isinstance(event, LogLine) and "retry" in event.message:
            proxy.unblock()  # …and is back by the first retry
    bus.subscribe(fault)
    summary = Publisher(settings, bus=bus, target_factory=lambda: ftp_srv.client(proxy.host, proxy.port),
                        catalog_factory=None).run()
    assert sorted(summary.published) == ids and not summary.failed
    assert proxy.connections_total >= 2  # the connection was opened again
    assert len(files_under(ftp_srv.root)) == 4


# ---------------------------------------------------------------- SFTP


def test_sftp_rename_done_but_reply_lost_finishes_the_step(settings, db, bus, sftp_server, known, tmp_path):
    _fast_retries(settings)
    ids = make_approved(tmp_path / "src", 2)
    sftp_server.lose_rename_reply()
    summary = Publisher(settings, bus=bus, target_factory=lambda: sftp_client(sftp_server, known),
                        catalog_factory=None).run()
    assert sorted(summary.published) == ids and not summary.failed
    assert sftp_server.connections_total == 2  # the dead link was replaced, and the file in place recognised
    files = files_under(sftp_server.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]


def test_sftp_link_dropped_mid_file_is_retried_within_the_run(settings, db, bus, sftp_server, known, tmp_path):
    _fast_retries(settings)
    ids = make_approved(tmp_path / "src", 2)
    sftp_server.drop_after_bytes(8192, match="amirtui-part")
    summary = Publisher(settings, bus=bus, target_factory=lambda: sftp_client(sftp_server, known),
                        catalog_factory=None).run()
    assert sorted(summary.published) == ids and not summary.failed
    assert sftp_server.connections_total >= 2
    assert len(files_under(sftp_server.root)) == 4


# ---------------------------------------------------------------- MariaDB


def test_mysql_gone_for_a_moment_is_retried_and_every_row_lands(settings, db, bus, mysql_db, tcp_proxy, tmp_path):
    from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table

    mysql_db.drop_all_tables()
    with mysql_db.connect() as conn:
        create_table(conn, "photos_info_revamp")
    _fast_retries(settings, retries=4)
    ids = make_approved(tmp_path / "src", 3)
    proxy = tcp_proxy(mysql_db.host, mysql_db.port)

    def fault(event):
        if isinstance(event, PublishStepDone) and event.photo_id == ids[1] and event.step == "upload_thumb":
            proxy.cut()  # MariaDB restarts right before row 2's catalog step…
            proxy.block()
        elif isinstance(event, LogLine) and "retry" in event.message:
            proxy.unblock()  # …and is back by the first retry
    bus.subscribe(fault)

    def catalog():
        return MySQLCatalog(proxy.host, proxy.port, mysql_db.user, mysql_db.password, mysql_db.database,
                            "photos_info_revamp", connect_timeout=2, timeout=5)
    summary = Publisher(settings, bus=bus, catalog_factory=catalog).run()
    assert sorted(summary.published) == ids and not summary.failed
    assert _retries_seen(bus)
    with mysql_db.connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM photos_info_revamp")
        assert cur.fetchone()[0] == 3
