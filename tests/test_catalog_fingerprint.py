"""``amirtui catalog fingerprint``: hashes of website photos that predate amirtui, read from the configured target
(built from settings + secrets, as a run builds it), resumable; then a re-imported edit of one is flagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from amirtui.core.db.models import CatalogFingerprint, Fingerprint, Photo
from amirtui.core.publish.catalog_fingerprint import fingerprint_catalog, web_image_path
from amirtui.core.publish.mirror import Mirror
from amirtui.secrets import Secrets

WEBSITE = [  # (File_Name, the real photo its web image shows, Folder, DateTime)
    ("Heron_Delft_Birds_Photography_Canon_EOS_40D_2019_004.JPG", "cameras/Canon_40D.jpg", "Birds", "2019:04:02 10:00:00"),
    ("Harbour_Delft_Streets_Photography_Nikon_2018_011.JPG", "gps/DSCN0010.jpg", "Streets", ""),
    ("Bridge_Delft_Streets_Photography_Nikon_2018_012.JPG", "gps/DSCN0021.jpg", "Streets", "2018:07:01 09:00:00"),
]


def _website(settings, root: Path, photos_dir: Path, remote_base: str = "photos") -> Mirror:
    """A website that predates amirtui: web images on the target and rows in the mirror (as `catalog pull` leaves)."""
    mirror = Mirror(settings.mirror_db_path, settings.publish.mysql.table)
    for i, (name, photo, folder, when) in enumerate(WEBSITE, start=1):
        year = when[:4] or name.rsplit("_", 2)[1]
        dest = root / remote_base / year / folder / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(photos_dir / photo) as im:  # the website's web render: smaller, re-encoded
            im.convert("RGB").resize((im.width * 3 // 4, im.height * 3 // 4)).save(dest, "JPEG", quality=82)
        mirror.upsert({"File_Name": name, "Folder": folder, "DateTime": when or None, "Path": ""}, row_id=i)
    return mirror


def test_every_website_photo_is_hashed_once_resumably_and_a_missing_image_is_recorded(settings, db, photos_dir):
    settings.publish.target = "local"
    _website(settings, settings.site_dir, photos_dir)
    missing = settings.site_dir / "photos" / "2018" / "Streets" / WEBSITE[2][0]
    missing.unlink()

    first = fingerprint_catalog(settings, Secrets(), limit=1)
    assert (first.hashed, first.total, len(first.failed)) == (1, 3, 0)
    second = fingerprint_catalog(settings, Secrets())
    assert second.already == 1 and second.hashed == 1 and [n for n, _ in second.failed] == [WEBSITE[2][0]]
    assert "No such file" in second.failed[0][1] or "not found" in second.failed[0][1].lower()
    # Nothing is hashed twice; a failure is retried only when asked.
    again = fingerprint_catalog(settings, Secrets())
    assert (again.hashed, again.failed, again.already) == (0, [], 3)
    shutil.copy(settings.site_dir / "photos" / "2018" / "Streets" / WEBSITE[1][0], missing)
    retried = fingerprint_catalog(settings, Secrets(), retry_errors=True)
    assert retried.hashed == 1 and retried.failed == []
    assert CatalogFingerprint.select().where(CatalogFingerprint.phash.is_null(False)).count() == 3


def test_the_web_image_path_follows_the_public_url_or_the_standard_layout(settings):
    settings.publish.public_url_base = "https://example.com/pics"
    settings.publish.remote_base = "www/photos"
    row = {"File_Name": "A_2017_001.JPG", "Folder": "Birds", "DateTime": None,
           "Path": "https://example.com/pics/2016/Old%20Layout/A_2017_001.JPG"}
    assert web_image_path(row, settings) == "www/photos/2016/Old Layout/A_2017_001.JPG"
    row["Path"] = ""
    assert web_image_path(row, settings) == "www/photos/2017/Birds/A_2017_001.JPG"  # year from the name


def test_sftp_website_photos_are_hashed_through_the_settings_and_an_edit_is_flagged(
        settings, db, bus, photos_dir, sftp_server, tmp_path):
    from amirtui.core.ingest import SetSpec, import_sets
    from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
    from amirtui.core.model_image_stage import ModelImageStage
    from amirtui.core.pipeline import Pipeline
    from amirtui.core.series import near_duplicate

    p = settings.publish
    p.target, p.host, p.port, p.user, p.remote_base = "sftp", sftp_server.host, sftp_server.port, sftp_server.user, \
        "photos"
    p.known_hosts = sftp_server.known_hosts_file(tmp_path / "known_hosts")
    _website(settings, sftp_server.root, photos_dir)
    report = fingerprint_catalog(settings, Secrets(sftp_password=sftp_server.password))
    assert report.hashed == 3 and report.failed == []

    src = tmp_path / "new"
    src.mkdir()
    with Image.open(photos_dir / "gps" / "DSCN0010.jpg") as im:  # a new export of the harbour photo
        im.save(src / "harbour_edit.jpg", "JPEG", quality=90, exif=im.getexif().tobytes())
    shutil.copy(photos_dir / "gps" / "DSCN0038.jpg", src / "other.jpg")
    settings.ingest.confirm_new_taxonomy = False
    assert import_sets([SetSpec(sources=[src], subject="Harbour", location="Delft", folder="Streets")],
                       settings, bus).ok
    Pipeline(settings, bus, [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()], poll=0.02).run()
    rows = {p.original_name: p.id for p in Photo.select()}
    assert near_duplicate(rows["harbour_edit.jpg"])[0] == WEBSITE[1][0]
    assert near_duplicate(rows["other.jpg"]) is None
    assert Fingerprint.select().count() == 2


def test_a_wrong_sftp_host_key_stops_with_the_reason(settings, db, photos_dir, sftp_server, tmp_path):
    from amirtui.core.publish.targets import PublishError

    p = settings.publish
    p.target, p.host, p.port, p.user = "sftp", sftp_server.host, sftp_server.port, sftp_server.user
    p.known_hosts = tmp_path / "empty_known_hosts"
    p.known_hosts.write_text("")
    _website(settings, sftp_server.root, photos_dir)
    with pytest.raises(PublishError):
        fingerprint_catalog(settings, Secrets(sftp_password=sftp_server.password))


def _cli(home: Path, *args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), *args],
                          capture_output=True, text=True, timeout=120)


def test_the_commands_from_the_shell(tmp_path, photos_dir, ollama_server):
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from tests.harness.fixtures import DEFAULT_MODEL

    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(
        f"paths: {{data_dir: data, logs_dir: logs}}\nollama:\n  hosts: [{{url: '{ollama_server.url}'}}]\n"
        f"  primary_model: '{DEFAULT_MODEL}'\n", encoding="utf-8")
    settings = load_settings(home / "config.yaml")
    open_db(settings.db_path)
    try:
        _website(settings, settings.site_dir, photos_dir)
    finally:
        close_db()
    res = _cli(home, "catalog", "fingerprint")
    assert res.returncode == 0, res.stderr
    assert "3 hashed, 0 failed" in res.stdout and "fingerprint: 3/3 done" in res.stderr

    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": "Grey Heron"})
    res = _cli(home, "suggest-subject", str(photos_dir / "gps"), "--folder", "Birds")
    assert res.returncode == 0 and "suggested Subject: Grey Heron" in res.stdout, res.stderr
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": "birds"})
    res = _cli(home, "suggest-subject", str(photos_dir / "gps"), "--folder", "Birds")
    assert res.returncode == 1 and "refused" in res.stderr and "Subject" not in res.stdout
