"""Publishing over FTP and FTPS to a real pyftpdlib server, with its fault hooks (dropped transfer, 550 on rename)."""

from __future__ import annotations

import ssl

import pytest

from amirtui.core.db.models import Photo
from amirtui.core.publish import Mirror, Publisher
from amirtui.core.publish.ftp_target import FTPTarget
from amirtui.core.publish.targets import PublishError, RemoteConflict
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import files_under, make_approved


@pytest.fixture(params=["ftp", "ftps"])
def ftp_srv(request):
    """The harness's FTP or FTPS server (explicit TLS, self-signed cert) plus a factory for clients that trust it."""
    server = request.getfixturevalue("ftp_server" if request.param == "ftp" else "ftps_server")
    tls = server.tls
    context = ssl.create_default_context(cafile=str(tls.cafile)) if tls else None

    def client() -> FTPTarget:
        return FTPTarget(server.host, server.port, server.user, server.password, tls=tls is not None, timeout=5,
                         ssl_context=context)
    server.client = client  # type: ignore[attr-defined]
    return server


def publisher(settings, srv) -> Publisher:
    settings.publish.parallel_uploads = 1  # deterministic order for the fault hooks
    return Publisher(settings, target_factory=srv.client, catalog_factory=None)


def test_publish_twice_gives_one_pair_per_row(settings, db, ftp_srv, tmp_path):
    ids = make_approved(tmp_path / "src", 2)
    settings.publish.parallel_uploads = 2
    assert sorted(Publisher(settings, target_factory=ftp_srv.client, catalog_factory=None).run().published) == ids
    assert sorted(Publisher(settings, target_factory=ftp_srv.client, catalog_factory=None).run(ids).skipped) == ids
    files = files_under(ftp_srv.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    p = Photo.get_by_id(ids[0])
    assert f"photos/2023/thumbs/Landscape/{p.file_name}" in files
    assert read_xmp((ftp_srv.root / p.web_remote_path).read_bytes())["caption"] == p.caption
    assert p.web_url == p.web_remote_path  # no public_url_base: the remote path is recorded


def test_target_replaces_only_what_the_row_owns(ftp_srv):
    t = ftp_srv.client()
    t.put_atomic("a/b/x.JPG", b"one", may_replace=False)
    with pytest.raises(RemoteConflict, match="does not belong to this row"):
        t.put_atomic("a/b/x.JPG", b"two", may_replace=False)
    t.put_atomic("a/b/x.JPG", b"three!", may_replace=True)  # DELE + RNFR/RNTO
    t.close()
    assert (ftp_srv.root / "a/b/x.JPG").read_bytes() == b"three!"
    assert files_under(ftp_srv.root) == ["a/b/x.JPG"]


def test_wrong_password_is_a_login_error(ftp_server):
    # plain FTP only: FTPS logs in on the same code path, and pyftpdlib delays every failed login by 3 s
    t = FTPTarget(ftp_server.host, ftp_server.port, ftp_server.user, "nope", tls=False, timeout=5)
    with pytest.raises(PublishError, match="refused the login.*AMIRTUI_FTP_PASSWORD"):
        t.connect()


def test_connection_dropped_mid_file_without_retries_then_rerun_finishes(settings, db, ftp_srv, tmp_path):
    settings.publish.retries = 0  # retries within the run: tests/test_publish_retry.py
    ids = make_approved(tmp_path / "src", 2)
    ftp_srv.drop_after_bytes(4096, match="amirtui-part")  # the first upload is cut after 4 KiB
    summary = publisher(settings, ftp_srv).run()
    assert summary.published == [ids[1]]  # the next row went on over a fresh connection
    assert [(pid, step) for pid, step, _ in summary.failed] == [(ids[0], "upload_web")]
    p = Photo.get_by_id(ids[0])
    assert p.state == State.PUBLISH_FAILED and p.error_stage == "upload_web"
    assert not (ftp_srv.root / f"photos/2023/Landscape/{p.file_name}").exists()  # nothing half-published

    again = publisher(settings, ftp_srv).run()
    assert again.published == [ids[0]] and not again.failed
    files = files_under(ftp_srv.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    web = (ftp_srv.root / Photo.get_by_id(ids[0]).web_remote_path).read_bytes()
    assert read_xmp(web)["caption"] and web.endswith(b"\xff\xd9")  # complete JPEG
    assert Mirror(settings.mirror_db_path).count() == 2


def test_550_on_rename_then_rerun_finishes(settings, db, ftp_srv, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    ftp_srv.fail_rename(550)
    summary = publisher(settings, ftp_srv).run()
    assert [(i, step) for i, step, _ in summary.failed] == [(pid, "upload_web")]
    p = Photo.get_by_id(pid)
    assert "renaming" in p.last_error and "550" in p.last_error

    assert publisher(settings, ftp_srv).run().published == [pid]
    files = files_under(ftp_srv.root)
    assert len(files) == 2 and not [f for f in files if "amirtui-part" in f]
    assert Mirror(settings.mirror_db_path).count() == 1
