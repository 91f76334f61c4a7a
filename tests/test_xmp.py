"""XMP packets: built by amirtui, read back byte-exact by our defusedxml reader, by Pillow and by exiftool."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from amirtui.config import PublishConfig
from amirtui.core.imaging import PublishMeta, render_publish_images
from amirtui.core.xmp import XmpError, build_xmp, read_xmp

NASTY = (
    "'; DROP TABLE x; -- \"double\" 'single' <b>bold</b> & &amp; ]]> <!-- x --> 📷🌅 naïve café "
    "tab\there\nnew line\r\nCRLF "
)
NASTY_2000 = (NASTY * 30)[:1994] + " end 🏁"  # 2,000 characters including astral-plane emoji


def _jpeg_with(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 150)).save(buf, "JPEG", xmp=xmp)
    return buf.getvalue()


def test_nasty_caption_round_trips_byte_exact():
    assert len(NASTY_2000) == 2000
    keywords = ["sea & sky", "<tag>", "'quoted'", "Zürich", "🐟"]
    data = _jpeg_with(build_xmp("Title \"x\" & <y>", NASTY_2000, "Alt: " + NASTY, keywords))
    got = read_xmp(data)
    assert got["caption"].encode("utf-8") == NASTY_2000.encode("utf-8")
    assert got["alt_text"] == "Alt: " + NASTY
    assert got["title"] == 'Title "x" & <y>'
    assert got["keywords"] == keywords  # order kept


def test_pillow_reads_the_same_packet():
    import defusedxml  # noqa: F401 - a dependency of amirtui: Pillow's getxmp() needs it
    data = _jpeg_with(build_xmp("T", "A calm harbour & boats.", "Boats on water.", ["harbour", "boats"]))
    desc = Image.open(io.BytesIO(data)).getxmp()["xmpmeta"]["RDF"]["Description"]
    assert desc["description"]["Alt"]["li"]["text"] == "A calm harbour & boats."
    assert desc["AltTextAccessibility"]["Alt"]["li"]["text"] == "Boats on water."
    assert desc["subject"]["Bag"]["li"] == ["harbour", "boats"]


def test_exiftool_reads_caption_alt_keywords_from_the_web_image(jpeg_factory, tmp_path: Path):
    exiftool = shutil.which("exiftool")
    if not exiftool:
        pytest.skip("exiftool not installed (apt-get install -y libimage-exiftool-perl)")
    caption = NASTY_2000.replace("\r", "")  # exiftool's JSON output is the check here, \r is covered above
    meta = PublishMeta("x.JPG", title="Harbour", caption=caption, alt_text="Three boats; \"calm\" <water> & sky 🌊",
                       keywords=["harbour", "boats & ropes", "Ålesund"])
    pair = render_publish_images(jpeg_factory(size=(900, 600)), meta, PublishConfig())
    for name, data in (("web.jpg", pair.web), ("thumb.jpg", pair.thumb)):
        path = tmp_path / name
        path.write_bytes(data)
        out = subprocess.run(
            [exiftool, "-j", "-XMP-dc:Title", "-XMP-dc:Description", "-XMP-iptcCore:AltTextAccessibility",
             "-XMP-dc:Subject", str(path)],
            capture_output=True, text=True, check=True, encoding="utf-8",
        )
        tags = json.loads(out.stdout)[0]
        assert tags["Description"] == caption
        assert tags["AltTextAccessibility"] == meta.alt_text
        assert tags["Subject"] == list(meta.keywords)
        assert tags["Title"] == "Harbour"


def test_empty_fields_are_left_out():
    got = read_xmp(_jpeg_with(build_xmp("", "Only a caption here.", "", [])))
    assert got == {"title": None, "caption": "Only a caption here.", "alt_text": None, "keywords": []}


def test_text_xml_cannot_hold_is_refused_with_the_field_named():
    with pytest.raises(XmpError, match=r"alt text holds the control character U\+0007 at position 4"):
        build_xmp("", "fine", "bell\x07", [])
    with pytest.raises(XmpError, match=r"keyword 'a\\x00b'"):
        build_xmp("", "fine", "", ["a\x00b"])


def test_oversized_packet_is_refused():
    with pytest.raises(XmpError, match="shorten the caption"):
        build_xmp("", "x" * 70_000, "", [])


def test_read_xmp_without_packet_and_from_a_real_third_party_file(photos_dir: Path):
    assert read_xmp(photos_dir / "cameras" / "Canon_40D.jpg") == {}  # EXIF only, no XMP
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, "JPEG")
    assert read_xmp(plain.getvalue()) == {}
    blue = read_xmp(photos_dir / "xmp" / "BlueSquare.jpg")  # written by Photoshop CS2
    assert blue["title"] == "Blue Square Test File - .jpg"
    assert "Blue Square" in blue["keywords"]


def test_reader_refuses_entity_expansion():
    evil = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    with pytest.raises(XmpError, match="not well-formed"):
        read_xmp(_jpeg_with(evil))


def test_reader_rejects_non_jpeg():
    with pytest.raises(XmpError, match="not a JPEG"):
        read_xmp(b"GIF89a....")
