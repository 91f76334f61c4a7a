"""Image work: upright sRGB decodes, model images, web + thumbnail renders (EXIF, GPS, XMP, ICC, watermark), and the
``model_image`` pipeline stage on a real review DB."""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from amirtui.config import PublishConfig
from amirtui.core.imaging import (
    IFD_GPS,
    TAG_ORIENTATION,
    ImageDecodeError,
    PublishMeta,
    model_image_name,
    open_upright,
    render_publish_images,
    write_model_image,
)
from amirtui.core.xmp import read_xmp


def _arr(im: Image.Image, size: tuple[int, int] = (64, 48)) -> np.ndarray:
    return np.asarray(im.convert("RGB").resize(size, Image.Resampling.BILINEAR), dtype=np.int16)


def _diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel (0–255) at a coarse common size."""
    size = (64, 48) if a.width >= a.height else (48, 64)
    return float(np.abs(_arr(a, size) - _arr(b, size)).mean())


def _profile_name(jpeg: bytes) -> str:
    icc = Image.open(io.BytesIO(jpeg)).info.get("icc_profile")
    assert icc, "no ICC profile embedded"
    return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()


# ---------------------------------------------------------------- orientation


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
def test_all_eight_orientations_come_out_upright(photos_dir: Path, kind: str, tmp_path: Path):
    folder = photos_dir / "orientation"
    reference = open_upright(folder / f"{kind}_1.jpg")
    # A wrong orientation must be detectable by this check: the reference flipped is far from itself.
    assert _diff(reference, reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) > 20
    for n in range(1, 9):
        src = folder / f"{kind}_{n}.jpg"
        full = open_upright(src)
        assert full.size == reference.size, f"{src.name}: {full.size} is not upright {reference.size}"
        assert _diff(full, reference) < 8, f"{src.name} is not upright"
        small = open_upright(src, (200, 200))
        assert max(small.size) == 200 and (small.width > small.height) == (reference.width > reference.height)
        assert _diff(small, reference) < 8, f"{src.name} (drafted) is not upright"
        model = write_model_image(src, tmp_path, n)
        with Image.open(model) as im:
            assert im.getexif().get(TAG_ORIENTATION, 1) == 1
            assert _diff(im, reference) < 8, f"{src.name}: model image is not upright"


def test_web_render_is_upright_and_orientation_tag_reset(photos_dir: Path):
    reference = open_upright(photos_dir / "orientation" / "portrait_1.jpg")
    pair = render_publish_images(photos_dir / "orientation" / "portrait_6.jpg", PublishMeta("p.JPG"), PublishConfig())
    for data in (pair.web, pair.thumb):
        with Image.open(io.BytesIO(data)) as im:
            assert im.width < im.height
            assert im.getexif()[TAG_ORIENTATION] == 1  # a viewer must not rotate the upright pixels again
            assert _diff(im, reference) < 8


# ---------------------------------------------------------------- colour


def _xyz(tag: bytes, xyz: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in xyz)


def adobe_rgb_like_icc() -> bytes:
    """A real ICC v2 matrix/TRC display profile with Adobe RGB (1998) primaries (D50-adapted) and gamma 2.2."""
    desc_text = b"Adobe RGB (1998)-like test profile\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(desc_text)) + desc_text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0233) + b"\0\0"  # u8Fixed8 2.2, padded to 4
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz(b"", (0.9642, 1.0, 0.8249))),
        (b"rXYZ", _xyz(b"", (0.6097, 0.3111, 0.0195))),
        (b"gXYZ", _xyz(b"", (0.2053, 0.6257, 0.0609))),
        (b"bXYZ", _xyz(b"", (0.1492, 0.0632, 0.7446))),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0public domain\0\0\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " + b"\0" * 12
        + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) + _xyz(b"", (0.9642, 1.0, 0.8249))[8:] + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def test_wide_gamut_profile_is_converted_to_srgb(tmp_path: Path):
    icc = adobe_rgb_like_icc()
    adobe = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert "Adobe" in ImageCms.getProfileDescription(adobe)
    colour = (40, 160, 90)  # a green Adobe RGB holds more saturated than sRGB: conversion must move it
    src = tmp_path / "adobe.png"
    Image.new("RGB", (300, 200), colour).save(src, icc_profile=icc)
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), colour), adobe, ImageCms.createProfile("sRGB"))
    expected_px = np.array(expected.getpixel((0, 0)), dtype=int)

    out = open_upright(src, (150, 150))
    px = np.array(out.getpixel((75, 50)), dtype=int)
    assert "icc_profile" not in out.info
    assert np.abs(px - expected_px).max() <= 1, f"{px} is not the sRGB value {expected_px}"
    assert np.abs(px - np.array(colour)).max() > 10, "the colour was not converted (profile ignored)"

    pair = render_publish_images(src, PublishMeta("a.JPG"), PublishConfig())
    for data in (pair.web, pair.thumb):
        assert "sRGB" in _profile_name(data)
        got = np.array(Image.open(io.BytesIO(data)).convert("RGB").getpixel((20, 20)), dtype=int)
        assert np.abs(got - expected_px).max() <= 4  # JPEG rounding only


def test_srgb_source_keeps_its_colours(tmp_path: Path):
    src = tmp_path / "srgb.png"
    Image.new("RGB", (40, 30), (40, 160, 90)).save(src, icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    assert open_upright(src).getpixel((5, 5)) == (40, 160, 90)


def test_transparency_is_flattened_onto_white(tmp_path: Path):
    src = tmp_path / "alpha.png"
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(src)
    assert open_upright(src).getpixel((3, 3)) == (255, 255, 255)


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    "size, web, thumb",
    [
        ((3000, 2000), (1500, 1000), (548, 365)),
        ((2000, 3000), (667, 1000), (243, 365)),
        ((4000, 1000), (1500, 375), (548, 137)),
        ((400, 300), (400, 300), (400, 300)),  # never upscaled
    ],
)
def test_web_and_thumb_fit_their_boxes(jpeg_factory, size, web, thumb):
    src = jpeg_factory(size=size)
    pair = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig())
    assert (pair.web_size, pair.thumb_size) == (web, thumb)
    assert Image.open(io.BytesIO(pair.web)).size == web
    assert Image.open(io.BytesIO(pair.thumb)).size == thumb


def test_jpeg_quality_setting_is_used(jpeg_factory):
    src = jpeg_factory(size=(1600, 1200))
    low = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig(jpeg_quality=50))
    high = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig(jpeg_quality=95))
    assert len(low.web) < 0.7 * len(high.web)


def test_model_image_is_bounded_srgb_deterministic_and_atomic(jpeg_factory, tmp_path: Path):
    src = jpeg_factory(size=(3000, 2000), orientation=6)  # stored landscape, shown portrait
    out_dir = tmp_path / "ollama_tmp"
    path = write_model_image(src, out_dir, 42, max_px=1024, quality=85)
    assert path == out_dir / model_image_name(42)
    with Image.open(path) as im:
        assert im.size == (683, 1024)
        assert im.format == "JPEG"
        assert "sRGB" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"])))
    assert sorted(p.name for p in out_dir.iterdir()) == [path.name]  # no temp file left behind
    assert write_model_image(src, out_dir, 42, max_px=512) == path  # rewrite in place
    assert Image.open(path).size == (341, 512)


# ---------------------------------------------------------------- EXIF, GPS, XMP, watermark


def test_capture_exif_kept_and_gps_stripped_on_request(photos_dir: Path):
    src = photos_dir / "gps" / "DSCN0010.jpg"
    with Image.open(src) as im:
        original_gps = dict(im.getexif().get_ifd(IFD_GPS))
        original_dto = im.getexif().get_ifd(0x8769)[0x9003]
    assert original_gps, "sample photo lost its GPS block"
    kept = render_publish_images(src, PublishMeta("g.JPG"), PublishConfig(strip_gps=False))
    stripped = render_publish_images(src, PublishMeta("g.JPG"), PublishConfig(strip_gps=True))
    for data in (kept.web, kept.thumb):
        exif = Image.open(io.BytesIO(data)).getexif()
        assert exif.get_ifd(IFD_GPS)[2] == original_gps[2]  # latitude
        assert exif[0x0110] == "COOLPIX P6000"
        assert exif.get_ifd(0x8769)[0x9003] == original_dto
    for data in (stripped.web, stripped.thumb):
        exif = Image.open(io.BytesIO(data)).getexif()
        assert not exif.get_ifd(IFD_GPS)
        assert exif[0x0110] == "COOLPIX P6000"
        assert exif.get_ifd(0x8769)[0x9003] == original_dto
    bare = render_publish_images(src, PublishMeta("g.JPG", keep_exif=False), PublishConfig())
    assert not Image.open(io.BytesIO(bare.web)).getexif()


def test_gps_strip_verified_by_exiftool(photos_dir: Path, tmp_path: Path):
    exiftool = shutil.which("exiftool")
    if not exiftool:
        pytest.skip("exiftool not installed (apt-get install -y libimage-exiftool-perl)")
    src = photos_dir / "gps" / "DSCN0010.jpg"
    for strip, expect_gps in ((True, False), (False, True)):
        out = tmp_path / f"web_{strip}.jpg"
        out.write_bytes(render_publish_images(src, PublishMeta("g.JPG"), PublishConfig(strip_gps=strip)).web)
        tags = json.loads(subprocess.run([exiftool, "-j", "-GPS:all", "-Model", "-DateTimeOriginal", str(out)],
                                         capture_output=True, text=True, check=True).stdout)[0]
        assert ("GPSLatitude" in tags) == expect_gps
        assert tags["Model"] == "COOLPIX P6000" and tags["DateTimeOriginal"] == "2008:10:22 16:28:39"


def test_xmp_in_both_files(jpeg_factory):
    meta = PublishMeta("x.JPG", title="Harbour at dawn", caption="Fishing boats rest in a calm harbour at dawn.",
                       alt_text="Three small boats on still water under a pale sky.", keywords=["harbour", "boats", "dawn"])
    pair = render_publish_images(jpeg_factory(size=(1200, 800)), meta, PublishConfig())
    expected = {"title": meta.title, "caption": meta.caption, "alt_text": meta.alt_text, "keywords": list(meta.keywords)}
    assert read_xmp(pair.web) == expected
    assert read_xmp(pair.thumb) == expected


def test_watermark_changes_web_pixels_only_when_configured(jpeg_factory):
    src = jpeg_factory(size=(1800, 1200))
    plain = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig())
    again = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig(watermark=""))
    marked = render_publish_images(src, PublishMeta("x.JPG"), PublishConfig(watermark="© Amir Photography"))
    assert plain.web == again.web  # empty watermark = off, and rendering is deterministic
    a = np.asarray(Image.open(io.BytesIO(plain.web)), dtype=np.int16)
    b = np.asarray(Image.open(io.BytesIO(marked.web)), dtype=np.int16)
    h, w = a.shape[:2]
    corner = np.abs(a[int(h * 0.9):, int(w * 0.6):] - b[int(h * 0.9):, int(w * 0.6):]).mean()
    rest = np.abs(a[: h // 2, : w // 2] - b[: h // 2, : w // 2]).mean()
    assert corner > 5, "watermark not visible in the bottom-right corner"
    assert rest < 1, "watermark changed pixels away from its corner"
    assert marked.thumb == plain.thumb  # unreadable at thumbnail size, so not drawn there


# ---------------------------------------------------------------- bad input


def test_truncated_and_non_image_sources_give_a_specific_error(jpeg_factory, tmp_path: Path):
    good = jpeg_factory(size=(800, 600))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(ImageDecodeError, match=r"truncated\.jpg.*(damaged|truncated)"):
        write_model_image(truncated, tmp_path / "out", 1)
    assert not (tmp_path / "out" / model_image_name(1)).exists()
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    with pytest.raises(ImageDecodeError, match=r"notes\.jpg: not a readable image"):
        render_publish_images(text, PublishMeta("x.JPG"), PublishConfig())


# ---------------------------------------------------------------- the model_image stage


def _queued_photo(staged: Path | None, name: str = "IMG_0001.JPG"):
    from amirtui.core.db.models import Photo, PhotoSet

    pset = PhotoSet.create(subject="Harbour", location="Oslo", folder="Travel")
    return Photo.create(set=pset, state="queued", original_path=f"/originals/{name}", original_name=name,
                        staged_path=str(staged) if staged else None)


def _ctx(settings, bus):
    from amirtui.core.stage import StageContext

    return StageContext(settings=settings, bus=bus, run_id=None)


def test_stage_writes_model_image_and_moves_row_to_model_ready(settings, db, bus, photos_dir: Path):
    from amirtui.core.db import repo
    from amirtui.core.db.models import Photo
    from amirtui.core.model_image_stage import ModelImageStage
    from amirtui.core.states import State

    staged = settings.incoming_dir / "landscape_8.jpg"
    staged.parent.mkdir(parents=True)
    shutil.copy(photos_dir / "orientation" / "landscape_8.jpg", staged)
    photo = _queued_photo(staged)
    stage = ModelImageStage(settings)
    assert (stage.name, stage.input_state, stage.concurrency) == ("model_image", State.QUEUED, settings.ingest.workers)
    ctx = _ctx(settings, bus)
    stage.setup(ctx)
    stage.process(photo.id, ctx)

    row = Photo.get_by_id(photo.id)
    assert row.state == "model_ready"
    path = Path(row.model_image_path)
    assert path.parent == settings.ollama_tmp_dir and path.name == model_image_name(photo.id)
    reference = open_upright(photos_dir / "orientation" / "landscape_1.jpg")
    with Image.open(path) as im:
        assert max(im.size) <= settings.ollama.image_max_px
        assert _diff(im, reference) < 8
    assert [(h.from_state, h.to_state) for h in repo.history(photo.id)] == [("queued", "model_ready")]
    assert any(getattr(e, "to_state", None) == "model_ready" for e in bus.seen)


def test_stage_parks_an_undecodable_row_as_failed_with_its_reason(settings, db, bus, jpeg_factory):
    from amirtui.core.db.models import Photo
    from amirtui.core.events import LogLine
    from amirtui.core.model_image_stage import ModelImageStage

    good = jpeg_factory(size=(900, 600))
    broken = settings.incoming_dir / "broken.jpg"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(good.read_bytes()[:2000])
    photo = _queued_photo(broken, "broken.jpg")
    stage, ctx = ModelImageStage(settings), _ctx(settings, bus)
    stage.setup(ctx)
    stage.process(photo.id, ctx)
    row = Photo.get_by_id(photo.id)
    # the staged copy was verified against the original: retrying cannot decode it, so it is parked where the
    # operator sees it (issue 14) instead of staying queued for every run to try again
    assert row.state == "failed" and row.attempts == 1
    assert row.error_stage == "model_image" and "broken.jpg" in row.last_error and "cannot decode" in row.last_error
    assert row.model_image_path is None
    warnings = [e for e in bus.seen if isinstance(e, LogLine) and e.level >= 30]
    assert len(warnings) == 1 and "broken.jpg" in warnings[0].message and "cannot make" in warnings[0].message
    assert list(settings.ollama_tmp_dir.iterdir()) == []


def test_stage_reports_missing_staged_copy(settings, db, bus):
    from amirtui.core.db.models import Photo
    from amirtui.core.model_image_stage import ModelImageStage

    photo = _queued_photo(settings.incoming_dir / "gone.jpg", "gone.jpg")
    stage, ctx = ModelImageStage(settings), _ctx(settings, bus)
    stage.setup(ctx)
    stage.process(photo.id, ctx)
    row = Photo.get_by_id(photo.id)
    assert row.state == "queued" and "gone.jpg" in row.last_error and "missing" in row.last_error


def test_cleanup_and_ensure_model_image(settings, db, bus, jpeg_factory):
    from amirtui.core.db.models import Photo
    from amirtui.core.model_image_stage import ModelImageStage, cleanup_model_image, ensure_model_image

    photo = _queued_photo(jpeg_factory(size=(1500, 1000)))
    stage, ctx = ModelImageStage(settings), _ctx(settings, bus)
    stage.setup(ctx)
    stage.process(photo.id, ctx)
    row = Photo.get_by_id(photo.id)
    path = Path(row.model_image_path)
    assert path.is_file()
    assert cleanup_model_image(row) is True
    assert not path.exists() and Photo.get_by_id(photo.id).model_image_path is None
    assert cleanup_model_image(row) is False  # idempotent

    again = ensure_model_image(Photo.get_by_id(photo.id), settings)  # Generate after an undone reject
    assert again == path and path.is_file() and Photo.get_by_id(photo.id).model_image_path == str(path)

    # A damaged path that names some other file is never deleted.
    other = settings.data_dir / "precious.jpg"
    other.write_bytes(b"keep me")
    row = Photo.get_by_id(photo.id)
    row.model_image_path = str(other)
    assert cleanup_model_image(row, clear_field=False) is False and other.read_bytes() == b"keep me"


def test_decompression_bomb_is_refused_not_decoded(jpeg_factory, monkeypatch, tmp_path: Path):
    src = jpeg_factory(size=(1200, 800))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000)  # 960k px is more than twice the limit: an error
    with pytest.raises(ImageDecodeError, match=r"exceeds limit"):
        write_model_image(src, tmp_path / "out", 7)


def test_oversized_maker_note_is_dropped_with_a_note_and_the_rest_kept():
    from amirtui.core.imaging import _publish_exif

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R5"
    # Re-serialised EXIF over one JPEG segment (65,533 bytes) would make Pillow refuse to save the web image.
    exif[0x8769] = {0x9003: "2024:05:01 06:12:00", 0x927C: b"\x01" * 70_000}
    loaded = Image.Exif()
    loaded.load(exif.tobytes())  # as read from a file: sub-IFDs are offsets until asked for
    notes: list[str] = []
    data = _publish_exif(loaded, False, "big.jpg", notes)
    assert 0 < len(data) <= 65533
    assert notes and "big.jpg: maker note dropped" in notes[0]
    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "JPEG", exif=data)
    out = Image.open(buf).getexif()
    assert out[0x0110] == "Canon EOS R5" and out.get_ifd(0x8769)[0x9003] == "2024:05:01 06:12:00"
    assert 0x927C not in out.get_ifd(0x8769)
