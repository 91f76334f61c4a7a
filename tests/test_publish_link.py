"""Publishing over a real-world link: the SFTP server behind the harness's delaying proxy (50 ms round trip, 20 MB/s).

A row's two files travel together (every request of both in flight on one connection), and the safety steps still
hold on such a link: temp names never left behind, every file byte-exact, a foreign file never replaced — and the
thumbnail of a row whose web image was refused does not stay behind on the server.
"""

from __future__ import annotations

from amirtui.core.db.models import Photo, PublishStep
from amirtui.core.publish import Publisher
from amirtui.core.publish.sftp_target import SFTPTarget
from amirtui.core.states import State
from tests.test_publish_support import files_under, make_approved


def test_rows_publish_through_a_slow_link_with_every_safety_step(settings, db, sftp_server, tcp_proxy, tmp_path):
    link = tcp_proxy(sftp_server.host, sftp_server.port, rtt=0.05, bandwidth=20e6)
    known = tmp_path / "known_hosts"
    entry = sftp_server.known_hosts_file(tmp_path / "direct").read_text()
    known.write_text(entry.replace(f"]:{sftp_server.port} ", f"]:{link.port} "))  # same server, via the link
    ids = make_approved(tmp_path / "src", 5, size=(1200, 800))
    foreign_row = Photo.get_by_id(ids[3])
    foreign = sftp_server.root / "photos" / "2023" / "Landscape" / foreign_row.file_name
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"someone else's photo")
    settings.publish.parallel_uploads = 2

    summary = Publisher(settings, catalog_factory=None, target_factory=lambda: SFTPTarget(
        link.host, link.port, sftp_server.user, password=sftp_server.password, known_hosts=known, timeout=10)).run()

    assert sorted(summary.published) == [i for i in ids if i != foreign_row.id]
    assert [(pid, step) for pid, step, _ in summary.failed] == [(foreign_row.id, "upload_web")]
    assert foreign.read_bytes() == b"someone else's photo"
    files = files_under(sftp_server.root)
    assert not [f for f in files if "amirtui-part" in f]
    assert f"photos/2023/thumbs/Landscape/{foreign_row.file_name}" not in files  # withdrawn with its web image
    assert len(files) == 2 * 4 + 1
    for pid in summary.published:
        p = Photo.get_by_id(pid)
        assert p.state == State.PUBLISHED
        for step, path in (("upload_web", p.web_remote_path), ("upload_thumb", p.thumb_remote_path)):
            rec = PublishStep.get((PublishStep.photo == pid) & (PublishStep.step == step))
            body = (sftp_server.root / path).read_bytes()
            assert len(body) == rec.detail["bytes"] and body.endswith(b"\xff\xd9")
    assert link.connections_total == 2  # one connection per lane, across the link, reused for every row

    foreign.unlink()  # the operator cleared the stale file: the row goes through on the next run
    again = Publisher(settings, catalog_factory=None, target_factory=lambda: SFTPTarget(
        link.host, link.port, sftp_server.user, password=sftp_server.password, known_hosts=known, timeout=10)).run()
    assert again.published == [foreign_row.id]
    assert len(files_under(sftp_server.root)) == 2 * 5
