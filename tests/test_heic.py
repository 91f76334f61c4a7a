"""Phone photos: a real iPhone HEIC (tests/data/heic, licence beside it) imported, staged, read, named, made into a
model image and rendered for the web through pillow-heif — EXIF, orientation and the colour profile kept, the
published files JPEG as always."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from amirtui.core.db.models import Photo
from amirtui.core.filetypes import inspect_file
from amirtui.core.imaging import PublishMeta, render_publish_images
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.core.model_image_stage import ModelImageStage
from amirtui.core.pipeline import Pipeline
from amirtui.core.states import State

HEIC = Path(__file__).resolve().parent / "data" / "heic" / "iphone8plus_arrow.heic"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _arrow_points_up(img: Image.Image) -> bool:
    """The drawn arrow's tip is near the top centre when the photo is upright: the top eighth holds dark ink in
    its middle third, the bottom eighth (paper below the shaft) none. A turned image fails one of the two."""
    g = img.convert("L")
    w, h = g.size

    def ink(box: tuple[int, int, int, int]) -> int:
        return sum(1 for v in g.crop(box).getdata() if v < 70)

    return ink((w // 3, 0, 2 * w // 3, h // 8)) > 20 and ink((0, 7 * h // 8, w, h)) < 5


@pytest.fixture
def heic_set(tmp_path: Path, photos_dir: Path) -> Path:
    src = tmp_path / "phone"
    src.mkdir()
    shutil.copy2(HEIC, src / "IMG_0042.HEIC")
    shutil.copy2(photos_dir / "cameras" / "Canon_40D.jpg", src / "Canon_40D.jpg")
    return src


def test_a_real_iphone_heic_is_an_importable_image() -> None:
    r = inspect_file(HEIC)
    assert r.ok and r.format == "HEIF", r.reason
    assert (r.width, r.height) == (3024, 4032)  # upright: the phone was held upright (stored rotated)


def test_heic_set_goes_through_import_staging_exif_naming_and_model_image(db, settings, bus, heic_set) -> None:
    report = import_sets([SetSpec([heic_set], "Arrow", "Studio", "Tests", confirm_new=True)], settings, bus)
    assert report.ok and report.accepted == 2 and not report.sets[0].refused
    Pipeline(settings, bus, stages=[StagingStage(), ExifStage(), QueueStage(), ModelImageStage()], poll=0.05).run()

    row = Photo.get(Photo.original_name == "IMG_0042.HEIC")
    assert row.state == State.MODEL_READY.value, row.last_error
    assert row.image_format == "HEIF"
    staged = Path(row.staged_path)
    assert staged.suffix == ".heic" and _sha(staged) == _sha(HEIC) == _sha(heic_set / "IMG_0042.HEIC")
    # the phone's EXIF, read from the HEIC
    assert (row.make, row.model, row.datetime_original) == ("Apple", "iPhone 8 Plus", "2018:07:31 14:52:07")
    assert row.aperture == "f/1.8" and row.iso == "25"
    assert (row.width, row.height) == (3024, 4032)
    assert "_Apple_iPhone_8_Plus_2018_" in row.file_name
    # the model image (and review preview) is an upright JPEG
    with Image.open(row.model_image_path) as model:
        assert model.format == "JPEG" and model.size == (768, 1024)
        assert _arrow_points_up(model)


def test_heic_published_web_image_and_thumbnail_are_upright_srgb_jpegs_with_the_phones_exif(settings) -> None:
    pair = render_publish_images(HEIC, PublishMeta(file_name="Arrow_Studio_Tests_001.JPG", caption="An arrow."),
                                 settings.publish)
    for data, box in ((pair.web, settings.publish.web_max), (pair.thumb, settings.publish.thumb_max)):
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG"
            w, h = im.size
            assert h > w and w <= box[0] and h <= box[1]  # portrait, as the phone was held
            assert _arrow_points_up(im)
            exif = im.getexif()
            assert (exif.get(271), exif.get(272), exif.get(274)) == ("Apple", "iPhone 8 Plus", 1)
            assert exif.get_ifd(0x8769).get(36867) == "2018:07:31 14:52:07"
            profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
            # the Display P3 colours were converted, and the result says so
            assert "srgb" in ImageCms.getProfileDescription(profile).lower()
