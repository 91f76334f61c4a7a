"""EXIF edges that reach the name (inner NULs, impossible dates, absurdly long strings), camera aliases, and the
ExifStage → QueueStage path with real JPEGs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PIL.ExifTags import IFD

from amirtui.config import NamingConfig, load_settings
from amirtui.core.camera import camera_token
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.errors import ConfigError
from amirtui.core.exif import read_exif
from amirtui.core.ingest_stages import ExifStage, QueueStage
from amirtui.core.naming import NameIndex, NameParts, NameTooLong
from amirtui.core.stage import StageContext
from amirtui.core.states import State
from tests.harness.images import make_jpeg


def raw_exif_jpeg(path: Path, make=None, model=None, dto=None, dt=None) -> Path:
    exif = Image.Exif()
    sub = exif.get_ifd(IFD.Exif)
    for tag, value in ((0x010F, make), (0x0110, model), (0x0132, dt)):
        if value is not None:
            exif[tag] = value
    if dto is not None:
        sub[0x9003] = dto
    Image.new("RGB", (64, 48), (90, 120, 150)).save(path, "JPEG", exif=exif.tobytes())
    return path


# ------------------------------------------------------------------------------------------------ NUL


def test_inner_nul_gives_the_same_token_from_the_reader_and_camera_token(photos_dir: Path) -> None:
    real = photos_dir / "cameras" / "WWL_(Polaroid)_ION230.jpg"  # its Model tag really is b"ION230\0F"
    raw = Image.open(real).getexif()
    info = read_exif(real)
    assert info.model == "ION230"  # displayed as exiftool shows it
    assert info.camera == camera_token(raw.get(0x010F), raw.get(0x0110)) == "WWL_ION230_F"  # the old generator's


def test_exif_stage_stores_the_reader_token_for_inner_nuls(settings, db, bus, tmp_path) -> None:
    path = raw_exif_jpeg(tmp_path / "nul.jpg", make="Canon\x00\x00", model="EOS\x0040D", dto="2020:05:01 10:00:00")
    pid = staged_row(path)
    ExifStage().process(pid, StageContext(settings=settings, bus=bus))
    p = Photo.get_by_id(pid)
    assert p.camera == read_exif(path).camera == camera_token("Canon\x00\x00", "EOS\x0040D") == "Canon_EOS_40D"


# ------------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize("bad", ["2021:02:30 25:61:61", "0000:00:00 00:00:00", "2021:13:01 10:00:00",
                                 "2021:02:29 10:00:00", "2020:04:31 12:00:00"])
def test_impossible_dates_are_stored_empty_with_a_note(tmp_path: Path, bad: str) -> None:
    info = read_exif(raw_exif_jpeg(tmp_path / "d.jpg", make="Canon", model="EOS 40D", dto=bad))
    assert info.datetime_original is None
    assert any(bad[:10] in n and ("impossible" in n or "not a valid" in n) for n in info.notes), info.notes


def test_a_possible_leap_day_is_kept(tmp_path: Path) -> None:
    info = read_exif(raw_exif_jpeg(tmp_path / "d.jpg", dto="2020:02:29 23:59:59"))
    assert info.datetime_original == "2020:02:29 23:59:59"


def test_impossible_original_date_falls_back_to_datetime_for_the_year(settings, db, bus, tmp_path) -> None:
    path = raw_exif_jpeg(tmp_path / "d.jpg", make="Canon", model="EOS 40D", dto="2021:02:30 25:61:61",
                         dt="2019:06:01 08:00:00")
    pid = staged_row(path)
    ExifStage().process(pid, StageContext(settings=settings, bus=bus))
    p = Photo.get_by_id(pid)
    assert p.year == "2019" and p.datetime_original == "2019:06:01 08:00:00"
    assert any("impossible" in n for n in p.exif_notes)


# ------------------------------------------------------------------------------------------------ long strings


def staged_row(path: Path, subject: str = "Eagle") -> int:
    pset = PhotoSet.create(subject=subject, location="Kenya", folder="Wildlife")
    p = Photo.create(set=pset, seq=0, original_path=str(path), original_name=path.name, staged_path=str(path))
    repo.transition(p.id, State.STAGED)
    return p.id


def exif_then_queue(settings, bus, pid: int) -> Photo:
    ctx = StageContext(settings=settings, bus=bus)
    ExifStage().process(pid, ctx)
    stage = QueueStage()
    stage.setup(ctx)
    stage.process(pid, ctx)
    return Photo.get_by_id(pid)


def test_an_absurdly_long_model_is_shortened_to_fit_and_logged(settings, db, bus, tmp_path) -> None:
    model = "SUPER ZOOM " * 40  # 440 characters
    pid = staged_row(make_jpeg(tmp_path / "long.jpg", size=(64, 48), make="ACME", model=model,
                               datetime_original="2020:05:01 10:00:00"))
    p = exif_then_queue(settings, bus, pid)
    assert p.state == State.QUEUED
    assert len(p.file_name) <= settings.naming.max_length
    assert p.file_name.startswith("Eagle_Kenya_Wildlife_Photography_ACME_SUPER_ZOOM_SUPER_ZOOM")
    assert p.file_name.endswith("_2020_001.JPG")
    warnings = [e.text() for e in bus.seen if "shortened" in e.text()]
    assert len(warnings) == 1 and "naming.max_length" in warnings[0]
    # deterministic: the same inputs give the same shortened name
    again = NameIndex().next_name(NameParts("Eagle", "Kenya", "Wildlife", p.camera, "2020"), settings.naming)
    assert again == p.file_name


def test_a_name_too_long_even_with_a_short_camera_gets_a_per_row_reason(settings, db, bus, tmp_path) -> None:
    pid = staged_row(make_jpeg(tmp_path / "x.jpg", size=(64, 48), make="Canon", model="Canon EOS 40D"),
                     subject="S" * 160)
    p = exif_then_queue(settings, bus, pid)
    assert p.state == State.EXIF_READ and p.file_name is None
    assert "over the limit of 150" in p.last_error and "shorten the Subject" in p.last_error
    assert not (settings.data_dir / "crash_runtime.log").exists()  # a reason, not a traceback


def test_shortening_never_goes_below_three_characters() -> None:
    cfg = NamingConfig(max_length=60)
    parts = NameParts("A" * 30, "Kenya", "Wildlife", "Canon_EOS_40D", "2020")  # 63 characters with a 1-char camera
    with pytest.raises(NameTooLong):
        NameIndex().next_name(parts, cfg)


# ------------------------------------------------------------------------------------------------ aliases


KODAK = "EASTMAN_KODAK_COMPANY_KODAK_CX7530_ZOOM_DIGITAL_CAMERA"


def test_camera_alias_replaces_the_canonical_token(photos_dir: Path) -> None:
    cfg = NamingConfig(camera_aliases={KODAK.lower(): "Kodak_CX7530"})
    token = read_exif(photos_dir / "cameras" / "Kodak_CX7530.jpg").camera
    assert token == KODAK
    name = NameIndex(["Eagle_Kenya_Wildlife_Photography_Kodak_CX7530_2007_004.JPG"]).next_name(
        NameParts("Eagle", "Kenya", "Wildlife", token, "2007"), cfg)
    assert name == "Eagle_Kenya_Wildlife_Photography_Kodak_CX7530_2007_005.JPG"
    assert NamingConfig().camera_aliases == {}  # off by default: names stay the old generator's


@pytest.mark.parametrize(("yaml_aliases", "message"), [
    ('{"KODAK_X": "Kodak CX7530"}', "is not a camera token"),
    ('{"KODAK_X": ""}', "is not a camera token"),
    ('{"Kodak_X": "A", "KODAK_X": "B"}', "differ only in case"),
    ('{"KODAK_X": "Kodak/CX"}', "is not a camera token"),
])
def test_bad_camera_aliases_stop_start_up_naming_the_key(tmp_path: Path, yaml_aliases: str, message: str) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"naming:\n  camera_aliases: {yaml_aliases}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "naming.camera_aliases" in str(err.value) and message in str(err.value)
