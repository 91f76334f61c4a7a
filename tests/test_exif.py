"""EXIF capture metadata (issue 3, item 4): checked against exiftool, an independent reader, and on broken files."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, TiffImagePlugin
from PIL.ExifTags import IFD

from amirtui.core.exif import format_exposure, read_exif

EXIF_FIELDS = ["Make", "Model", "DateTimeOriginal", "ExposureTime", "FNumber", "ISO", "FocalLength"]


def _exiftool(paths: list[Path]) -> dict[str, dict]:
    """exiftool's numeric (-n) reading of the EXIF group for each path, keyed by file name."""
    exe = shutil.which("exiftool")
    if exe is None:
        pytest.skip("exiftool not installed (apt-get install -y libimage-exiftool-perl) — the independent reader")
    args = [exe, "-j", "-n", *[f"-EXIF:{f}" for f in EXIF_FIELDS], *map(str, paths)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout
    return {Path(row["SourceFile"]).name: row for row in json.loads(out)}


def _exposure_seconds(text: str) -> float:
    value = text.removesuffix(" sec")
    if value.startswith("1/"):
        return 1 / int(value[2:])
    return float(value)


def test_camera_files_match_exiftool(photos_dir: Path) -> None:
    files = sorted((photos_dir / "cameras").glob("*.jpg"))
    assert len(files) >= 15
    reference = _exiftool(files)
    compared = 0
    for path in files:
        ours, ref = read_exif(path), reference[path.name]
        where = f"{path.name}: "
        assert (ours.make or None) == (str(ref["Make"]).strip() or None if "Make" in ref else None), where + "Make"
        assert (ours.model or None) == (str(ref["Model"]).strip() or None if "Model" in ref else None), where + "Model"
        if "DateTimeOriginal" in ref:
            assert ours.datetime_original == ref["DateTimeOriginal"], where + "DateTimeOriginal"
        else:
            assert not any("DateTimeOriginal" in n and "not a valid" in n for n in ours.notes)
        if "ExposureTime" in ref:
            t = float(ref["ExposureTime"])
            got = _exposure_seconds(ours.exposure)
            if t <= 0.25:  # shown as 1/N: N is the rounded reciprocal
                assert round(1 / got) == round(1 / t), where + f"ExposureTime {ours.exposure} vs {t}"
            else:
                assert abs(got - t) <= 0.05, where + "ExposureTime"
        if "FNumber" in ref:
            assert abs(float(ours.aperture.removeprefix("f/")) - float(ref["FNumber"])) <= 0.05, where + "FNumber"
        else:
            assert ours.aperture is None or any("aperture derived" in n for n in ours.notes), where + "FNumber"
        if "ISO" in ref:
            assert int(ours.iso) == int(ref["ISO"]), where + "ISO"
        else:
            assert ours.iso is None and any("ISO" in n for n in ours.notes), where + "ISO note"
        if "FocalLength" in ref:
            assert abs(float(ours.focal_length.removesuffix(" mm")) - float(ref["FocalLength"])) <= 0.05, where
        else:
            assert ours.focal_length is None and any("focal length" in n for n in ours.notes), where
        compared += sum(f in ref for f in EXIF_FIELDS)
    assert compared > 90  # the comparison really ran over the fields, not over empty dicts


def test_display_strings_of_a_real_camera_file(photos_dir: Path) -> None:
    info = read_exif(photos_dir / "cameras" / "Canon_40D.jpg")
    assert (info.make, info.model, info.camera) == ("Canon", "Canon EOS 40D", "Canon_EOS_40D")
    assert (info.exposure, info.aperture, info.iso, info.focal_length) == ("1/160 sec", "f/7.1", "100", "135 mm")
    assert info.datetime_original == "2008:05:30 15:56:01" and info.datetime == "2008:07:31 10:38:11"


def test_nikon_d70_keeps_both_make_and_model_in_camera(photos_dir: Path) -> None:
    assert read_exif(photos_dir / "cameras" / "Nikon_D70.jpg").camera == "NIKON_CORPORATION_NIKON_D70"


def test_gps_matches_exiftool(photos_dir: Path) -> None:
    exe = shutil.which("exiftool")
    if exe is None:
        pytest.skip("exiftool not installed (apt-get install -y libimage-exiftool-perl)")
    files = sorted((photos_dir / "gps").glob("*.jpg"))
    out = subprocess.run([exe, "-j", "-n", "-GPSLatitude", "-GPSLongitude", *map(str, files)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    for row in json.loads(out):
        info = read_exif(row["SourceFile"])
        assert abs(info.gps_lat - row["GPSLatitude"]) < 1e-6 and abs(info.gps_lon - row["GPSLongitude"]) < 1e-6


def test_orientation_swaps_width_and_height_for_5_to_8(photos_dir: Path) -> None:
    for kind, viewed in (("landscape", (600, 450)), ("portrait", (450, 600))):
        for n in range(1, 9):
            info = read_exif(photos_dir / "orientation" / f"{kind}_{n}.jpg")
            assert info.orientation == n
            assert (info.width, info.height) == viewed, f"{kind}_{n}"


def test_every_invalid_sample_returns_fast_with_notes(photos_dir: Path) -> None:
    files = sorted((photos_dir / "invalid").iterdir())
    assert len(files) == 8
    for path in files:
        t0 = time.perf_counter()
        info = read_exif(path)
        assert time.perf_counter() - t0 < 1.0, path.name
        assert info.readable and info.width and info.height
        assert info.notes, f"{path.name}: something is missing there and a note must say so"
        assert info.camera  # never empty: the default token at worst
    no_exif = read_exif(photos_dir / "invalid" / "image01551.jpg")
    assert "no EXIF data" in no_exif.notes and no_exif.camera == "Camera"


def test_file_without_exif_uses_datetime_fallback_with_note(photos_dir: Path) -> None:
    info = read_exif(photos_dir / "xmp" / "no_exif.jpg")
    assert info.datetime_original == "2014:09:22 10:56:35"
    assert any("used DateTime" in n for n in info.notes)


# ------------------------------------------------------------------------------------------------ generated files


def test_generated_jpeg_round_trip(jpeg_factory) -> None:
    path = jpeg_factory(size=(640, 480), make="NIKON CORPORATION", model="NIKON D850",
                        datetime_original=datetime(2021, 7, 4, 12, 30, 5), exposure=(1, 1000), fnumber=8.0,
                        iso=400, focal=24, gps=(-33.8567844, -151.2152967), lens="24-70mm f/2.8", orientation=6)
    info = read_exif(path)
    assert info.camera == "NIKON_CORPORATION_NIKON_D850"
    assert (info.exposure, info.aperture, info.iso, info.focal_length) == ("1/1000 sec", "f/8", "400", "24 mm")
    assert info.datetime_original == "2021:07:04 12:30:05" and info.lens == "24-70mm f/2.8"
    assert (info.width, info.height, info.orientation) == (480, 640, 6)
    assert info.gps_lat == pytest.approx(-33.8567844, abs=1e-5) and info.gps_lon == pytest.approx(-151.2152967, abs=1e-5)
    assert info.notes == []


@pytest.mark.parametrize(("seconds", "text"), [(1 / 250, "1/250 sec"), (0.25, "1/4 sec"), (0.3, "0.3 sec"),
                                                (0.5, "0.5 sec"), (1.0, "1 sec"), (2.0, "2 sec"), (30, "30 sec"),
                                                (1.3, "1.3 sec")])
def test_exposure_format(seconds: float, text: str) -> None:
    assert format_exposure(seconds) == text


def test_long_exposure_from_file(jpeg_factory) -> None:
    assert read_exif(jpeg_factory(exposure=(2, 1))).exposure == "2 sec"
    assert read_exif(jpeg_factory(exposure=(1, 2))).exposure == "0.5 sec"


def _write_raw_exif(path: Path, fill) -> Path:
    exif = Image.Exif()
    fill(exif, exif.get_ifd(IFD.Exif), exif.get_ifd(IFD.GPSInfo))
    Image.new("RGB", (64, 48), (90, 120, 150)).save(path, "JPEG", exif=exif.tobytes())
    return path


def test_broken_values_become_notes_not_crashes(tmp_path: Path) -> None:
    def fill(ifd0, sub, gps):
        ifd0[0x010F] = "Canon\x00\x00\x00"
        ifd0[0x0110] = "   "
        ifd0[0x0112] = 42  # orientation out of range
        sub[0x9003] = "0000:00:00 00:00:00"
        sub[0x829A] = TiffImagePlugin.IFDRational(1, 0)  # zero denominator
        sub[0x829D] = TiffImagePlugin.IFDRational(0, 1)  # f/0
        gps[1], gps[2] = "X", (TiffImagePlugin.IFDRational(10, 1), TiffImagePlugin.IFDRational(0, 1),
                               TiffImagePlugin.IFDRational(0, 1))
        gps[3], gps[4] = "E", (TiffImagePlugin.IFDRational(5, 1),)

    info = read_exif(_write_raw_exif(tmp_path / "broken.jpg", fill))
    assert info.make == "Canon" and info.model is None and info.camera == "Canon"
    assert info.orientation == 1 and any("orientation 42" in n for n in info.notes)
    assert info.datetime_original is None and any("not a valid date" in n for n in info.notes)
    assert info.exposure is None and info.aperture is None
    assert any("aperture" in n and "not plausible" in n for n in info.notes)
    assert info.gps_lat is None and any("GPS position unreadable" in n for n in info.notes)


def test_not_an_image_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_text("hello", encoding="utf-8")
    info = read_exif(path)
    assert not info.readable and "cannot open x.jpg" in info.notes[0] and info.camera == "Camera"
