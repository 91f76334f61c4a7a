"""One filename rule end to end: what review accepts is published byte for byte under its catalog File_Name on every
target (local, FTP, FTPS, SFTP — the harness's real servers), and a rename the server side would change is refused
at rename time with the reason."""

from __future__ import annotations

import os
import ssl
import unicodedata

import pytest

from amirtui.core import review_edit
from amirtui.core.db.models import Photo
from amirtui.core.publish import Mirror, Publisher
from amirtui.core.publish.ftp_target import FTPTarget
from amirtui.core.publish.sftp_target import SFTPTarget
from amirtui.core.review import ReviewRefused
from amirtui.core.states import State
from tests.test_publish_support import make_approved

# names review accepts: kept hyphen tokens, an underscore run, a dot, non-ASCII letters (transliteration off), digits
NAMES = [
    "Boeing_737-800_PH-BXA_Schiphol_Aviation_Photography_Canon_EOS_R5_Mark_II_2023_001.JPG",
    "Zürich_Straße_Cities_Photography_Canon_EOS_R5_2023_002.JPG",
    "ATR_72-600_Malta_Aviation.Photography_Cam_2023_1000.jpg",
]


def _target_factory(kind: str, request, tmp_path):
    if kind == "local":
        return None, None
    if kind in ("ftp", "ftps"):
        srv = request.getfixturevalue("ftp_server" if kind == "ftp" else "ftps_server")
        context = ssl.create_default_context(cafile=str(srv.tls.cafile)) if srv.tls else None
        return srv.root, lambda: FTPTarget(srv.host, srv.port, srv.user, srv.password, tls=srv.tls is not None,
                                           timeout=5, ssl_context=context)
    srv = request.getfixturevalue("sftp_server")
    known = srv.known_hosts_file(tmp_path / "known_hosts")
    return srv.root, lambda: SFTPTarget(srv.host, srv.port, srv.user, password=srv.password, known_hosts=known,
                                        timeout=5)


@pytest.mark.parametrize("kind", ["local", "ftp", "ftps", "sftp"])
def test_every_target_publishes_under_exactly_the_file_name(kind, settings, db, tmp_path, request):
    root, factory = _target_factory(kind, request, tmp_path)
    ids = make_approved(tmp_path / "src", len(NAMES), folder="Städte & Häfen")  # the folder: same alphabet
    for pid, name in zip(ids, NAMES):
        review_edit.save_edits(pid, file_name=name)  # the reviewer's rename goes through the live check
    settings.publish.parallel_uploads = 1
    pub = Publisher(settings, target_factory=factory, catalog_factory=None) if factory else Publisher(settings)
    assert sorted(pub.run().published) == ids
    root = root or settings.site_dir
    mirror = Mirror(settings.mirror_db_path)
    folders = set()
    for pid, name in zip(ids, NAMES):
        p = Photo.get_by_id(pid)
        assert p.state == State.PUBLISHED and p.file_name == name
        assert mirror.fetch(name)["File_Name"].encode() == name.encode()
        assert os.path.basename(p.web_remote_path) == os.path.basename(p.thumb_remote_path) == name
        folders |= {os.path.dirname(p.web_remote_path), os.path.dirname(p.thumb_remote_path)}
    assert folders == {"photos/2023/Städte_Häfen", "photos/2023/thumbs/Städte_Häfen"}
    for folder in folders:
        on_server = sorted(os.listdir(os.fsencode(root / folder)))  # the bytes stored, not a normalised view
        assert on_server == sorted(n.encode("utf-8") for n in NAMES), (kind, folder, on_server)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Lake Alps_001.JPG", "U+0020"),
        ("Lake:Alps_001.JPG", "':'"),
        ("Lake/Alps_001.JPG", "'/'"),
        ("Lake#Alps_001.JPG", "'#'"),
        ("Lake\tAlps_001.JPG", "U+0009"),
        ("Lake\u00a0Alps_001.JPG", "U+00A0"),
        (unicodedata.normalize("NFD", "Café_001.JPG"), "not Unicode NFC"),
        (".Lake_001.JPG", "hidden file"),
        ("Lake..Alps_001.JPG", "'..'"),
        ("Zürich_" + "ü" * 130 + ".JPG", "bytes in UTF-8"),
    ],
)
def test_a_rename_the_server_would_change_is_refused_with_the_reason(name, reason, settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    before = Photo.get_by_id(pid).file_name
    assert reason in review_edit.check_name(name, pid, max_length=255)
    with pytest.raises(ReviewRefused, match="filename"):
        review_edit.save_edits(pid, file_name=name, max_length=255)
    assert Photo.get_by_id(pid).file_name == before
