"""Publishing over SFTP (paramiko) to the harness's real asyncssh server: host-key checks, key auth, dropped link."""

from __future__ import annotations

import pytest

from amirtui.core.db.models import Photo
from amirtui.core.publish import Mirror, Publisher
from amirtui.core.publish.sftp_target import HostKeyRefused, SFTPTarget
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import files_under, make_approved


def client_for(srv, known_hosts, **kw) -> SFTPTarget:
    kw.setdefault("password", srv.password)
    return SFTPTarget(srv.host, srv.port, srv.user, known_hosts=known_hosts, timeout=5, **kw)


@pytest.fixture
def known(sftp_server, tmp_path):
    return sftp_server.known_hosts_file(tmp_path / "known_hosts")


def test_known_host_key_publishes_and_twice_is_one_pair(settings, db, sftp_server, known, tmp_path):
    ids = make_approved(tmp_path / "src", 3)
    settings.publish.parallel_uploads = 2
    for _ in range(2):
        pub = Publisher(settings, target_factory=lambda: client_for(sftp_server, known), catalog_factory=None)
        pub.run()
    assert all(Photo.get_by_id(i).state == State.PUBLISHED for i in ids)
    files = files_under(sftp_server.root)
    assert len(files) == 6 and not [f for f in files if "amirtui-part" in f]
    p = Photo.get_by_id(ids[2])
    assert read_xmp((sftp_server.root / p.web_remote_path).read_bytes())["alt_text"] == p.alt_text
    assert sftp_server.connections_total == 2  # one connection per lane, reused across rows


def test_unknown_host_key_is_refused_with_fingerprint_and_trust_command(sftp_server, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyRefused) as err:
        client_for(sftp_server, empty).connect()
    text = str(err.value)
    fp = sftp_server.host_key.get_fingerprint("sha256")
    assert fp in text
    assert f"[127.0.0.1]:{sftp_server.port} ssh-ed25519 " in text and f">> {empty}" in text
    assert empty.read_text() == ""  # never auto-added
    assert not list(sftp_server.root.iterdir())


def test_unknown_host_key_fails_rows_without_touching_the_server(settings, db, sftp_server, tmp_path):
    ids = make_approved(tmp_path / "src", 2)
    missing = tmp_path / "no_known_hosts"
    summary = Publisher(settings, target_factory=lambda: client_for(sftp_server, missing), catalog_factory=None).run()
    assert sorted(pid for pid, _, _ in summary.failed) == ids
    assert all("unknown ssh-ed25519 host key" in err for _, _, err in summary.failed)
    assert not list(sftp_server.root.iterdir()) and Mirror(settings.mirror_db_path).count() == 0


def test_changed_host_key_is_refused(sftp_server, tmp_path):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    kh = tmp_path / "known_hosts"
    kh.write_text(f"[127.0.0.1]:{sftp_server.port} {other[0]} {other[1]}\n")
    with pytest.raises(HostKeyRefused, match="records a different key"):
        client_for(sftp_server, kh).connect()


def test_key_authentication(sftp_server, known, tmp_path):
    key = sftp_server.make_client_key(tmp_path / "id_ed25519")
    t = client_for(sftp_server, known, password=None, key_path=str(key))
    t.put_atomic("photos/x/y.JPG", b"data" * 1000, may_replace=False)
    t.close()
    assert (sftp_server.root / "photos/x/y.JPG").stat().st_size == 4000


def test_connection_dropped_mid_file_without_retries_then_rerun_finishes(settings, db, sftp_server, known, tmp_path):
    settings.publish.parallel_uploads = 1
    settings.publish.retries = 0  # retries within the run: tests/test_publish_retry.py
    ids = make_approved(tmp_path / "src", 2)
    sftp_server.drop_after_bytes(8192, match="amirtui-part")
    summary = Publisher(settings, target_factory=lambda: client_for(sftp_server, known), catalog_factory=None).run()
    assert summary.published == [ids[1]]
    assert [(pid, step) for pid, step, _ in summary.failed] == [(ids[0], "upload_web")]
    assert Photo.get_by_id(ids[0]).state == State.PUBLISH_FAILED

    again = Publisher(settings, target_factory=lambda: client_for(sftp_server, known), catalog_factory=None).run()
    assert again.published == [ids[0]]
    files = files_under(sftp_server.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    web = (sftp_server.root / Photo.get_by_id(ids[0]).web_remote_path).read_bytes()
    assert web.endswith(b"\xff\xd9") and read_xmp(web)["caption"]


def test_foreign_file_is_never_replaced_and_rerun_after_cleanup(settings, db, sftp_server, known, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    name = Photo.get_by_id(pid).file_name
    foreign = sftp_server.root / "photos" / "2023" / "Landscape" / name
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"someone else's photo")
    summary = Publisher(settings, target_factory=lambda: client_for(sftp_server, known), catalog_factory=None).run()
    assert [(i, step) for i, step, _ in summary.failed] == [(pid, "upload_web")]
    assert "does not belong to this row" in Photo.get_by_id(pid).last_error
    assert foreign.read_bytes() == b"someone else's photo"
    assert files_under(sftp_server.root) == [f"photos/2023/Landscape/{name}"]  # the temp upload was removed

    foreign.unlink()
    assert Publisher(settings, target_factory=lambda: client_for(sftp_server, known),
                     catalog_factory=None).run().published == [pid]
    assert len(files_under(sftp_server.root)) == 2
