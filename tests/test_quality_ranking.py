"""The ranking targets of issue 20 on a small subset (quality, not speed): with the offline default — no learned
weights, the situation of every machine without network — QR must put a clean photo above its damaged versions,
more damage lower, in every degradation family, and every ResultsCalibra reference above its distorted version.

Real photos (tests/data/photos), real pyiqa (PIQE), the benchmark's own degradations; the full 11-photo run is
``python -m benchmarks.bench_quality --ranking``.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_quality import FAMILIES, PHOTOS_DIR, calibra_dir, ranking

SUBSET = ["gps/DSCN0021.jpg", "orientation/landscape_1.jpg"]


@pytest.fixture(scope="module")
def result():
    return ranking([PHOTOS_DIR / p for p in SUBSET])


def test_qr_is_made_of_the_offline_set_with_piqe(result):
    assert "piqe" in result["metrics"]
    assert not {"nima", "clip_aesthetic", "brisque"} & set(result["metrics"])


@pytest.mark.parametrize("family", list(FAMILIES))
def test_more_damage_means_lower_qr(result, family):
    f = result["families"][family]
    assert f["rho_mean"] <= -0.8, f
    assert f["pairs_correct"] >= 0.9, f
    for photo, qrs in f["qr"].items():
        assert qrs[0] > qrs[-1] + 0.5, (photo, qrs)  # the worst level is clearly below the clean photo


def test_every_resultscalibra_reference_scores_above_its_distorted_version(result):
    if calibra_dir() is None:
        pytest.fail("pyiqa's ResultsCalibra folder is missing from the installed wheel")
    assert len(result["calibra"]) == 5
    wrong = {k: v for k, v in result["calibra"].items() if not v["ref_above"]}
    assert not wrong, wrong
