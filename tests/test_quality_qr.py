"""QR: per-metric normalisation, weighted re-normalisation over available metrics, BRISQUE→PIQE, bands, provenance.

Pure functions: no pyiqa, no images.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amirtui.core.quality.qr import band, compute_qr, normalise, offline_mix_expected, offline_note, offline_only

DEFAULT_WEIGHTS = {"clip_aesthetic": 0.23, "nima": 0.20, "blur": 0.17, "brightness": 0.17, "contrast": 0.13, "brisque": 0.10}


@pytest.mark.parametrize(
    ("qr", "expected"),
    [
        (10.0, "Top"), (7.5, "Top"), (7.49, "Good"), (6.5, "Good"), (6.49, "Average"), (5.5, "Average"),
        (5.49, "Low"), (4.5, "Low"), (4.49, "Very Low"), (0.0, "Very Low"), (None, None),
    ],
)
def test_band_edges(qr, expected):
    assert band(qr) == expected


def test_normalisation_directions_and_clamps():
    # lower-better metrics: a better (lower) raw value gives a higher 0–10 score
    assert normalise("piqe", 10) > normalise("piqe", 60)
    assert normalise("brisque", 15) > normalise("brisque", 45)
    assert normalise("brisque", 140) == 0.0  # worse than the scale → clamped, never negative
    # higher-better, and no cap: every step up in sharpness or contrast still shows (issue 20)
    assert normalise("blur", 10) < normalise("blur", 100) < normalise("blur", 1000) < normalise("blur", 10_000) < 10
    assert normalise("contrast", 10) < normalise("contrast", 50) < normalise("contrast", 64) < normalise("contrast", 90)
    assert normalise("contrast", 90) < 10
    assert normalise("nima", 6.2) == 6.2 and normalise("clip_aesthetic", 11) == 10.0
    # exposure: best at a mid-grey mean, penalties for both under and over exposure
    assert normalise("brightness", 20) < 5 and normalise("brightness", 245) < 5
    assert normalise("brightness", 60) < normalise("brightness", 100) and normalise("brightness", 200) < normalise(
        "brightness", 150)
    # lower-better classical measures
    assert normalise("noise", 1.0) > normalise("noise", 8.0) > normalise("noise", 20.0)
    assert normalise("blockiness", 0.0) > normalise("blockiness", 0.3) > normalise("blockiness", 1.0)
    assert normalise("piqe", None) is None and normalise("piqe", float("nan")) is None


def test_missing_metric_does_not_drag_qr_down():
    full = {"laion_aes": 8.0, "nima": 8.0, "blur": 999.0, "brightness": 128.0, "contrast": 80.0, "brisque": 20.0}
    without_ai = {k: v for k, v in full.items() if k not in ("laion_aes", "nima")}
    r_full, r_partial = compute_qr(full, DEFAULT_WEIGHTS), compute_qr(without_ai, DEFAULT_WEIGHTS)
    # the partial QR is the weighted mean of what exists, not the full formula with zeros for the missing ones
    n = {c: normalise(c, without_ai[c], without_ai) for c in ("blur", "brightness", "contrast")}
    expected = (0.17 * n["blur"] + 0.17 * n["brightness"] + 0.13 * n["contrast"] + 0.10 * 8.0) / 0.57
    assert r_partial.qr == pytest.approx(round(expected, 2))
    assert set(r_partial.contributed) == {"blur", "brightness", "contrast", "brisque"}
    assert set(r_full.contributed) == {"clip_aesthetic", "nima", "blur", "brightness", "contrast", "brisque"}


def test_piqe_takes_brisques_place_only_when_brisque_is_missing():
    base = {"blur": 1000.0, "brightness": 128.0, "contrast": 64.0}
    with_piqe = compute_qr({**base, "piqe": 60.0}, DEFAULT_WEIGHTS)
    assert "piqe" in with_piqe.contributed and with_piqe.weights["piqe"] == pytest.approx(0.10)
    # PIQE 60 → 4.0 with BRISQUE's weight 0.10 beside the three classical components
    classical = 0.17 * normalise("blur", 1000) + 0.17 * normalise("brightness", 128) + 0.13 * normalise("contrast", 64)
    assert with_piqe.qr == pytest.approx(round((classical + 0.10 * 4.0) / 0.57, 2))
    both = compute_qr({**base, "piqe": 60.0, "brisque": 10.0}, DEFAULT_WEIGHTS)
    assert "piqe" not in both.contributed and "brisque" in both.contributed


def test_provenance_lists_contributors_heaviest_first():
    r = compute_qr({"laion_aes": 5.0, "contrast": 32.0, "blur": 100.0}, DEFAULT_WEIGHTS)
    assert r.contributed == ["clip_aesthetic", "blur", "contrast"]
    assert r.normalised == {"clip_aesthetic": 5.0, "blur": pytest.approx(normalise("blur", 100), abs=1e-4),
                            "contrast": pytest.approx(normalise("contrast", 32), abs=1e-4)}


OFFLINE = {"piqe": 0.3, "blur": 0.2, "brightness": 0.15, "noise": 0.15, "contrast": 0.1, "blockiness": 0.1}
OFFLINE_RAW = {"piqe": 30.0, "blur": 3000.0, "brightness": 120.0, "contrast": 55.0, "highlights": 0.01,
               "shadows": 0.0, "noise": 1.5, "blockiness": 0.0}


def test_without_learned_metrics_qr_uses_the_offline_mix_and_says_so():
    r = compute_qr(OFFLINE_RAW, DEFAULT_WEIGHTS, OFFLINE)
    assert r.mode == "offline"
    assert set(r.contributed) == set(OFFLINE)  # PIQE, noise and blockiness count; nothing learned
    assert offline_only(r.contributed)


def test_with_a_learned_metric_the_original_mix_stays():
    raw = {**OFFLINE_RAW, "nima": 5.5}
    r = compute_qr(raw, DEFAULT_WEIGHTS, OFFLINE)
    original = compute_qr(raw, DEFAULT_WEIGHTS)
    assert r.mode == "learned" and r == original
    # the original mix: NIMA and the classical trio, PIQE in BRISQUE's place; no noise/blockiness term
    assert set(r.contributed) == {"nima", "blur", "brightness", "contrast", "piqe"}
    assert not offline_only(r.contributed)


def test_a_users_own_mix_without_learned_metrics_is_used_as_written():
    own = {"piqe": 1.0, "blur": 1.0}
    r = compute_qr(OFFLINE_RAW, own, OFFLINE)
    assert r.mode == "learned" and set(r.contributed) == {"piqe", "blur"}


def test_preflight_expectation_of_the_offline_mix():
    assert offline_mix_expected(["piqe"], DEFAULT_WEIGHTS)
    assert not offline_mix_expected(["piqe", "nima"], DEFAULT_WEIGHTS)
    assert not offline_mix_expected(["piqe"], {"piqe": 1.0})  # no learned metric asked for
    assert offline_note(["piqe", "blur"]) and not offline_note(["nima", "blur"]) and not offline_note([])


def test_qr_of_exactly_seven_and_a_half_is_top():
    # two equally weighted components at 7.0 and 8.0 → 7.5 exactly
    r = compute_qr({"nima": 7.0, "laion_aes": 8.0}, {"nima": 1.0, "clip_aesthetic": 1.0})
    assert r.qr == 7.5 and r.band == "Top"


def test_no_metric_with_a_value_gives_no_qr_rather_than_zero():
    r = compute_qr({"nima": None}, DEFAULT_WEIGHTS)
    assert r.qr is None and r.band is None and r.contributed == []


def test_bad_weight_config_is_named():
    with pytest.raises(KeyError, match="clip_aestetic"):
        compute_qr({}, {"clip_aestetic": 0.2})
    with pytest.raises(ValueError, match="negative"):
        compute_qr({}, {"nima": -1})


@given(
    st.dictionaries(
        st.sampled_from(["laion_aes", "nima", "blur", "brightness", "contrast", "brisque", "piqe", "noise",
                         "blockiness", "highlights", "shadows"]),
        st.floats(min_value=-50, max_value=5000, allow_nan=False),
    )
)
def test_qr_is_always_in_range_and_matches_its_band(raw):
    r = compute_qr(raw, DEFAULT_WEIGHTS, OFFLINE)
    if r.qr is not None:
        assert 0.0 <= r.qr <= 10.0
        assert r.band == band(r.qr)
        mix = OFFLINE if r.mode == "offline" else {**DEFAULT_WEIGHTS, "piqe": DEFAULT_WEIGHTS["brisque"]}
        assert abs(sum(r.weights.values()) - sum(mix[c] for c in r.contributed)) < 1e-9
