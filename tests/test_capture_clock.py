"""The capture clock: when a photo's hour can judge "at dawn" / "at night", and when it cannot (an edit time, a
camera clock left in another time zone). A labelled corpus with hard negatives (zones far from the sun's, the date
line, half-hour zones, a stale GPS fix), real EXIF written into a real photo, and the gate on top."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from PIL.ExifTags import IFD

from amirtui.core.capture_clock import judge_clock, parse_offset
from amirtui.core.captioning import gate
from amirtui.core.captioning.context import gate_context
from amirtui.core.db.models import Photo
from amirtui.core.exif import read_exif
from amirtui.core.ingest_stages import ExifStage
from amirtui.core.stage import StageContext
from amirtui.core.states import State
from tests.test_review_core import make_set

CORPUS = Path(__file__).parent / "data" / "clock_corpus.jsonl"


def cases() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


def test_the_labelled_clock_corpus_is_judged_right_every_time():
    rows = cases()
    assert len(rows) >= 30 and sum(not r["trusted"] for r in rows) >= 10 and sum(r["trusted"] for r in rows) >= 15
    wrong = []
    for r in rows:
        v = judge_clock(r["local"], from_edit_time=r.get("from_edit_time", False), offset=r.get("offset"),
                        gps_utc=r.get("gps_utc"), lon=r.get("lon"))
        if v.trusted != r["trusted"]:
            wrong.append(f"{r['id']}: expected trusted={r['trusted']} ({r['why']}), got {v}")
        elif not v.trusted:
            assert "not checked" in v.note, r["id"]  # every distrust says what it means for the operator
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("text, minutes", [("+02:00", 120), ("-05:00", -300), ("+05:45", 345), ("+0530", 330),
                                           ("   :  ", None), ("", None), ("+15:00", None), ("+02:75", None)])
def test_offsets_are_read_as_exif_writes_them(text, minutes):
    assert parse_offset(text) == minutes


def _write_clock_exif(src: Path, dst: Path, *, local: str, offset: str | None, gps_utc: tuple[str, tuple] | None,
                      lon: float) -> Path:
    """A real camera JPEG with its clock tags replaced (pixels untouched)."""
    with Image.open(src) as im:
        exif = im.getexif()
        sub = exif.get_ifd(IFD.Exif)
        sub[0x9003] = local
        if offset:
            sub[0x9011] = offset
        g = exif.get_ifd(IFD.GPSInfo)
        g[1], g[2] = "N", (52.0, 22.0, 0.0)
        g[3], g[4] = ("E" if lon >= 0 else "W"), (abs(lon), 0.0, 0.0)
        if gps_utc:
            g[29], g[7] = gps_utc
        shutil.copy2(src, dst)
        im.save(dst, "JPEG", exif=exif.tobytes(), quality=90)
    return dst


def test_a_camera_clock_left_on_tokyo_time_in_europe_is_found_in_real_exif(tmp_path, photos_dir):
    src = photos_dir / "cameras" / "Canon_40D.jpg"
    tokyo = _write_clock_exif(src, tmp_path / "tokyo.jpg", local="2023:06:01 15:10:00", offset=None,
                              gps_utc=("2023:06:01", (6.0, 10.0, 0.0)), lon=4.9)
    home = _write_clock_exif(src, tmp_path / "home.jpg", local="2023:06:01 06:10:00", offset="+02:00",
                             gps_utc=("2023:06:01", (4.0, 10.0, 0.0)), lon=4.9)
    if shutil.which("exiftool"):  # an independent reader sees the tags the test meant to write
        out = subprocess.run(["exiftool", "-s", "-GPSDateTime", "-DateTimeOriginal", str(tokyo)],
                             capture_output=True, text=True, check=True).stdout
        assert "2023:06:01 06:10:00Z" in out and "2023:06:01 15:10:00" in out
    bad, good = read_exif(tokyo), read_exif(home)
    assert bad.time_trusted is False and any("another time zone" in n for n in bad.notes)
    assert good.time_trusted is True and not any("time zone" in n for n in good.notes)


def test_the_gate_judges_time_words_only_by_a_clock_it_can_trust(db, settings, bus, tmp_path, photos_dir):
    """Through the real EXIF stage into the DB and the gate's context: 'at dawn' at 15:10 is refused when the clock
    is right, and left alone when the clock is Tokyo's in Amsterdam (a travelling photographer's camera)."""
    src = photos_dir / "cameras" / "Canon_40D.jpg"
    files = {
        "trusted": _write_clock_exif(src, tmp_path / "a.jpg", local="2023:06:01 15:10:00", offset="+02:00",
                                     gps_utc=("2023:06:01", (13.0, 10.0, 0.0)), lon=4.9),
        "tokyo": _write_clock_exif(src, tmp_path / "b.jpg", local="2023:06:01 15:10:00", offset=None,
                                   gps_utc=("2023:06:01", (6.0, 10.0, 0.0)), lon=4.9),
    }
    s = make_set()
    ids = {}
    for seq, (key, path) in enumerate(files.items()):
        ids[key] = Photo.create(set=s, seq=seq, state=State.STAGED.value, original_path=str(path),
                                original_name=path.name, staged_path=str(path)).id
    ctx = StageContext(settings=settings, bus=bus, run_id=None)
    for pid in ids.values():
        ExifStage().process(pid, ctx)
    caption = "A grey heron stands in the reeds at dawn."
    verdicts = {}
    for key, pid in ids.items():
        photo = Photo.get_by_id(pid)
        result = gate.check(caption, "A grey heron standing in reeds.", ["heron", "reeds"],
                            context=gate_context(photo, "en"))
        verdicts[key] = [code for code, _ in result.reasons]
    assert "time_of_day" in verdicts["trusted"]
    assert "time_of_day" not in verdicts["tokyo"]
    assert Photo.get_by_id(ids["tokyo"]).time_trusted is False
    assert any("another time zone" in n for n in Photo.get_by_id(ids["tokyo"]).exif_notes)
