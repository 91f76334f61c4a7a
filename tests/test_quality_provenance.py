"""Where QR came from, as the operator sees it (issue 20): preflight's yellow line when only the offline set can run,
the review detail's label and the summary's line for rows scored without learned metrics. Real pyiqa (PIQE), real
photos, a real review DB."""

from __future__ import annotations

import shutil

import pytest

from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.preflight import YELLOW, run_checks
from amirtui.core.quality import ScoringStage
from amirtui.core.quality.provenance import offline_counts, offline_summary_line
from amirtui.core.quality.qr import offline_note
from amirtui.core.review import load_detail
from amirtui.core.stage import StageContext
from amirtui.core.states import State

NOTE = "QR from offline metrics only — `amirtui models fetch` adds NIMA/BRISQUE/LAION"


def test_preflight_says_qr_comes_from_the_offline_set_when_no_weights_are_there(settings):
    lines = {c.name: c for c in run_checks(settings, None, include_remote=False)}
    assert lines["quality mix"].level == YELLOW and lines["quality mix"].found == NOTE
    assert lines["metric piqe"].level != YELLOW  # PIQE itself is ready


def test_no_offline_line_when_the_configured_mix_names_no_learned_metric(settings):
    settings.quality.metrics = ["piqe"]
    settings.quality.qr_weights = {"piqe": 0.5, "blur": 0.5}
    names = [c.name for c in run_checks(settings, None, include_remote=False)]
    assert "quality mix" not in names


@pytest.fixture
def scored_rows(settings, db, bus, photos_dir, tmp_path):
    """Two real photos scored by the real stage with the default (offline) configuration, plus one unscored row."""
    stage, ctx = ScoringStage(), StageContext(settings=settings, bus=bus)
    ps = PhotoSet.create(subject="Town", location="Arezzo", folder="Walks")
    ids = []
    for name in ("DSCN0010.jpg", "DSCN0025.jpg", None):
        model = shutil.copy(photos_dir / "gps" / name, tmp_path / name) if name else None
        ids.append(Photo.create(set=ps, state=State.MODEL_READY.value, original_path=f"/nowhere/{name}",
                                original_name=name or "later.jpg", model_image_path=str(model) if model else None).id)
    stage.setup(ctx)
    for pid in ids[:2]:
        stage.process(pid, ctx)
    return ids


def test_review_detail_and_summary_say_the_qr_is_offline_only(scored_rows):
    detail = load_detail(scored_rows[0])
    assert detail.qr is not None and "piqe" in detail.qr_metrics
    assert offline_note(detail.qr_metrics) == " (offline metrics only)"
    assert offline_note(load_detail(scored_rows[2]).qr_metrics) == ""  # no QR yet: nothing to qualify
    assert offline_counts(None) == (2, 2)
    assert offline_summary_line(None) == f"{NOTE} (2 of 2 scored rows)"


def test_rows_scored_with_a_learned_metric_are_not_labelled(scored_rows):
    # a row whose QR had NIMA in it (as after `amirtui models fetch`): no label, and the summary counts only the rest
    Photo.update(qr_metrics=["nima", "blur", "brightness", "contrast", "piqe"]).where(
        Photo.id == scored_rows[0]).execute()
    assert offline_note(load_detail(scored_rows[0]).qr_metrics) == ""
    assert offline_summary_line(None) == f"{NOTE} (1 of 2 scored rows)"
    Photo.update(qr_metrics=["nima", "piqe"]).where(Photo.id == scored_rows[1]).execute()
    assert offline_summary_line(None) == ""
