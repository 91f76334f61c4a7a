"""The scoring stage over a real review DB: model_ready → scored with scores, website columns, QR, band and
provenance; the draft-decode fallback to the staged original; retry once, then a visible scoring_failed reason."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.events import LogLine, RowChanged
from amirtui.core.quality import ScoringStage, load_score_image
from amirtui.core.quality.qr import band, offline_only
from amirtui.core.stage import StageContext
from amirtui.core.states import State


@pytest.fixture
def ctx(settings, db, bus):
    return StageContext(settings=settings, bus=bus)


@pytest.fixture(scope="module")
def stage():
    """One stage for the module: metrics are loaded once per run, as in the app."""
    return ScoringStage()


def _row(model_image=None, staged=None, name="IMG_0001.JPG") -> int:
    ps = PhotoSet.create(subject="Heron", location="Lake", folder="Birds")
    return Photo.create(
        set=ps, state=State.MODEL_READY.value, original_path=f"/nowhere/{name}", original_name=name,
        model_image_path=str(model_image) if model_image else None, staged_path=str(staged) if staged else None,
    ).id


def test_scores_a_model_ready_row_from_its_model_image(stage, ctx, bus, photos_dir, tmp_path):
    model = shutil.copy(photos_dir / "gps" / "DSCN0021.jpg", tmp_path / "model.jpg")
    pid = _row(model_image=model)
    stage.setup(ctx)
    stage.process(pid, ctx)
    p = Photo.get_by_id(pid)
    assert p.state == State.SCORED and not p.scoring_failed and p.scoring_reason is None
    assert set(p.scores) == {"piqe", "blur", "brightness", "contrast", "highlights", "shadows", "noise", "blockiness"}
    assert p.scores["piqe"]["lower_better"] is True and p.scores["blur"]["lower_better"] is False
    assert p.piqe_score == pytest.approx(p.scores["piqe"]["value"]) and 0 < p.piqe_score < 100
    assert p.blur_score > 100 and 0 < p.brightness_score < 255 and p.contrast_score > 0
    # no weighted metrics configured: website columns stay empty rather than invented
    assert p.nima_score is None and p.brisque_score is None and p.clip_aesthetic_score is None
    # no learned metric: QR from the offline mix (PIQE and the classical measures), heaviest first; provenance says so
    assert set(p.qr_metrics) == {"piqe", "blur", "brightness", "contrast", "noise", "blockiness"}
    assert p.qr_metrics[0] == "piqe"  # PIQE is the heaviest part of the offline mix
    assert offline_only(p.qr_metrics)
    assert 0 <= p.qr <= 10 and p.qc_band == band(p.qr)
    assert repo.history(pid)[-1].reason == f"QR {p.qr} ({p.qc_band})"
    changes = [e for e in bus.seen if isinstance(e, RowChanged)]
    assert [(e.from_state, e.to_state) for e in changes] == [("model_ready", "scored")]


def test_falls_back_to_a_draft_decode_of_the_staged_original(stage, ctx, jpeg_factory, settings):
    staged = jpeg_factory("DSC_24MP.JPG", size=(6000, 4000))
    img = load_score_image(staged, settings.quality.score_max_px)
    assert img.size == (1024, 683)  # decoded small (draft at the exact target), not at 24 MP
    pid = _row(model_image=staged.parent / "gone.jpg", staged=staged)
    stage.setup(ctx)
    stage.process(pid, ctx)
    p = Photo.get_by_id(pid)
    assert p.state == State.SCORED and not p.scoring_failed
    assert p.brightness_score == pytest.approx(float(np.asarray(img.convert("L"), dtype=float).mean()), abs=0.6)


def test_unreadable_image_is_retried_once_then_flagged_not_invented(stage, ctx, bus, photos_dir, tmp_path):
    data = (photos_dir / "gps" / "DSCN0010.jpg").read_bytes()
    broken = tmp_path / "model.jpg"
    broken.write_bytes(data[: len(data) // 2])  # a truncated JPEG, as an interrupted copy leaves it
    missing = _row(model_image=tmp_path / "absent.jpg", staged=tmp_path / "absent_too.jpg", name="A.JPG")
    corrupt = _row(model_image=broken, name="B.JPG")
    stage.setup(ctx)
    for pid in (missing, corrupt):
        stage.process(pid, ctx)
        p = Photo.get_by_id(pid)
        assert p.state == State.SCORED and p.scoring_failed
        assert p.qr is None and p.qc_band is None and p.scores == {} and p.piqe_score is None
        assert p.scoring_reason.startswith("scoring failed twice:")
    assert "absent.jpg" in Photo.get_by_id(missing).scoring_reason
    assert "absent_too.jpg" in Photo.get_by_id(missing).scoring_reason
    retries = [e for e in bus.seen if isinstance(e, LogLine) and "[RETRY]" in e.message]
    assert len(retries) == 2  # one retry per photo, not more


def test_a_cancelled_run_leaves_the_row_for_the_next_run(stage, ctx, photos_dir):
    pid = _row(model_image=photos_dir / "gps" / "DSCN0010.jpg")
    ctx.cancel.set()
    stage.process(pid, ctx)
    assert Photo.get_by_id(pid).state == State.MODEL_READY


def test_score_image_is_upright(photos_dir):
    # landscape_6 stores the picture rotated with EXIF Orientation 6; scoring must see the same upright picture
    upright = load_score_image(photos_dir / "orientation" / "landscape_1.jpg", 1024)
    rotated = load_score_image(photos_dir / "orientation" / "landscape_6.jpg", 1024)
    assert rotated.size == upright.size == (600, 450)
    def corr(x: Image.Image, y: Image.Image) -> float:
        a, b = (np.asarray(i.convert("L"), dtype=float).ravel() for i in (x, y))
        return float(np.corrcoef(a, b)[0, 1])

    assert corr(upright, rotated) > 0.9  # the same scene (the files differ in encoding only)
    assert corr(upright, rotated.rotate(180)) < 0.5  # control: a wrong orientation would not match


def test_importing_the_quality_package_stays_light():
    code = "import sys, amirtui.core.quality; print(sorted(m for m in ('torch', 'pyiqa', 'textual') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_batched_rows_score_like_single_rows(stage, ctx, photos_dir, tmp_path):
    photos = sorted((photos_dir / "gps").glob("*.jpg"))[:3]
    single = _row(model_image=photos[0], name="S.JPG")
    batch = [_row(model_image=p, name=f"B{i}.JPG") for i, p in enumerate(photos)]
    gone = _row(model_image=tmp_path / "gone.jpg", name="G.JPG")
    stage.setup(ctx)
    stage.process(single, ctx)
    stage.process_batch([*batch, gone], ctx)
    rows = [Photo.get_by_id(i) for i in batch]
    assert all(r.state == State.SCORED and not r.scoring_failed for r in rows)
    one = Photo.get_by_id(single)
    assert rows[0].piqe_score == pytest.approx(one.piqe_score, abs=1e-3) and rows[0].qr == pytest.approx(one.qr, abs=0.01)
    g = Photo.get_by_id(gone)
    assert g.state == State.SCORED and g.scoring_failed and "gone.jpg" in g.scoring_reason
