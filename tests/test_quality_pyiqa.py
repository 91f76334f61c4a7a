"""Real pyiqa, offline: PIQE calibration through amirtui's scoring path, entropy, monotonic degradation, weight
loading from the weights dir (missing / tiny real file / corrupt file), and lazy imports."""

from __future__ import annotations

import importlib.util
import io
import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageFilter

from amirtui.core.quality.classical import classical_scores, load_score_image
from amirtui.core.quality.metrics import (
    KNOWN_WEIGHTS,
    PYIQA_BASE_URL,
    load_metrics,
    metric_status,
)
from amirtui.core.quality.qr import normalise
from amirtui.core.quality.stage import Scorer

CALIBRATION = {"I03": 100.00, "I04": 21.62, "I06": 35.86, "I08": 41.15, "I19": 76.95}


def _settings(settings, weights_dir: Path, metrics: list[str]):
    settings.quality.weights_dir = weights_dir
    settings.quality.metrics = metrics
    return settings


def _scorer(settings, tmp_path, metrics, warnings=None):
    loaded, statuses = load_metrics(_settings(settings, tmp_path / "weights", metrics))
    return Scorer(loaded, warn=(warnings.append if warnings is not None else lambda m: None)), statuses


@pytest.fixture(scope="module")
def piqe_scorer(tmp_path_factory):
    """One PIQE scorer for the module (a metric is loaded once per run in the app too)."""
    from amirtui.config import Settings

    s = Settings(base_dir=tmp_path_factory.mktemp("home"))
    s.quality.metrics, s.quality.device = ["piqe"], "cpu"
    loaded, statuses = load_metrics(s)
    assert [st.status for st in statuses] == ["ready"], statuses
    return Scorer(loaded, warn=lambda m: None)


@pytest.fixture
def calibration_dir() -> Path:
    spec = importlib.util.find_spec("pyiqa")
    assert spec and spec.origin, "pyiqa is not installed"
    d = Path(spec.origin).parent.parent / "ResultsCalibra" / "dist_dir"
    if not d.is_dir():
        pytest.skip(f"pyiqa's calibration images are not installed at {d}: reinstall pyiqa from its sdist "
                    "(pip install --force-reinstall --no-deps pyiqa==0.1.16) to run this check")
    return d


def test_piqe_reproduces_pyiqas_calibration_table(piqe_scorer, settings, calibration_dir):
    scorer = piqe_scorer
    for name, expected in CALIBRATION.items():
        img = load_score_image(calibration_dir / f"{name}.bmp", settings.quality.score_max_px)
        value = scorer.score(img)["piqe"]["value"]
        assert value == pytest.approx(expected, abs=0.01), name
    assert scorer.score(img)["piqe"]["lower_better"] is True


def test_entropy_runs_offline_and_ranks_detail_over_a_flat_image(settings, tmp_path, photos_dir):
    scorer, _ = _scorer(settings, tmp_path, ["entropy"])
    photo = scorer.score(load_score_image(photos_dir / "gps" / "DSCN0010.jpg", 1024))["entropy"]["value"]
    flat = scorer.score(Image.new("RGB", (640, 480), (120, 120, 120)))["entropy"]["value"]
    assert 5.0 < photo <= 8.0 and flat < 1.0


def _jpeg_roundtrip(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(buf).convert("RGB")


def _crush_shadows(img: Image.Image, by: int) -> Image.Image:
    # underexposure as a camera records it: everything darker, shadow detail clipped to black
    return img.point(lambda v: max(0, v - by))


@pytest.mark.parametrize(
    ("kind", "steps"),
    [
        # mild blur or recompression of a noisy camera JPEG can *improve* PIQE (it removes noise), so the steps
        # start at clearly visible damage
        ("blurred", [lambda im, r=r: im.filter(ImageFilter.GaussianBlur(r)) for r in (1.5, 2.5, 4.0)]),
        ("darkened", [lambda im, d=d: _crush_shadows(im, d) for d in (30, 70, 110)]),
        ("jpeg-crushed", [lambda im, q=q: _jpeg_roundtrip(im, q) for q in (10, 5, 2)]),
    ],
)
@pytest.mark.parametrize("photo", ["orientation/landscape_1.jpg", "gps/DSCN0021.jpg"])
def test_progressive_degradation_gets_worse_scores(piqe_scorer, photos_dir, kind, steps, photo):
    scorer = piqe_scorer
    original = load_score_image(photos_dir / photo, 1024)
    series = [original] + [step(original) for step in steps]
    piqe = [scorer.score(im)["piqe"]["value"] for im in series]
    classical = [classical_scores(im) for im in series]
    assert all(a < b for a, b in itertools.pairwise(piqe)), f"{kind}: PIQE should rise (worse) each step, got {piqe}"
    blur = [c.blur for c in classical]
    assert all(a > b for a, b in itertools.pairwise(blur)), f"{kind}: sharpness should fall each step, got {blur}"
    if kind == "darkened":
        bright = [c.brightness for c in classical]
        contrast = [c.contrast for c in classical]
        assert all(a > b for a, b in itertools.pairwise(bright)), bright
        assert all(a > b for a, b in itertools.pairwise(contrast)), contrast
        assert normalise("brightness", bright[-1]) < normalise("brightness", bright[0])


def test_missing_weights_are_reported_fast_by_file_name_without_network(settings, tmp_path):
    weights = tmp_path / "weights"
    s = _settings(settings, weights, ["piqe", "brisque", "nima", "laion_aes", "musiq-ava"])
    started = time.monotonic()
    statuses = {st.name: st for st in metric_status(s, load=True)}
    elapsed = time.monotonic() - started
    # a hub lookup without offline mode costs ~50 s per metric; this must be pyiqa's import plus file checks
    assert elapsed < 20, f"metric_status took {elapsed:.1f} s"
    assert statuses["piqe"].status == "ready"
    assert statuses["brisque"].status == "missing"
    assert statuses["brisque"].detail == f"missing: brisque_svm_weights.pth in {weights / 'hub' / 'pyiqa'}"
    assert "models fetch" in statuses["brisque"].fix
    assert "NIMA_InceptionV2_ava-b0c77c00.pth" in statuses["nima"].detail
    assert "ViT-L-14.pt" in statuses["laion_aes"].detail
    # a metric amirtui has no file table for: the download guard still turns the download into "missing", fast
    assert statuses["musiq-ava"].status == "missing"
    assert "musiq_ava_ckpt-e8d3f067.pth" in statuses["musiq-ava"].detail
    assert not any(weights.rglob("*.pth")), "nothing may be downloaded during a status check"


def test_status_without_loading_does_not_import_pyiqa(home):
    code = (
        "import sys; from amirtui.config import load_settings; "
        "from amirtui.core.quality import metric_status; "
        f"s = load_settings({str(home / 'config.yaml')!r}); s.quality.metrics = ['piqe', 'brisque']; "
        "r = metric_status(s, load=False); "
        "print([x.status for x in r], 'pyiqa' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("]")[1].split() == ["False", "False"], out.stdout + out.stderr
    assert "['ready', 'missing']" in out.stdout


def _write_brisque_weights(weights_dir: Path, dims: int = 36) -> Path:
    import torch

    target = weights_dir / "hub" / "pyiqa" / "brisque_svm_weights.pth"
    target.parent.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    # the same format as pyiqa's file: a (support-vector coefficients, support vectors) tuple, 36 BRISQUE features
    torch.save((torch.randn(6, generator=g, dtype=torch.float64), torch.rand(6, dims, generator=g, dtype=torch.float64)), target)
    return target


def test_weighted_metric_loads_from_the_weights_dir(settings, tmp_path, photos_dir):
    _write_brisque_weights(tmp_path / "weights")
    scorer, statuses = _scorer(settings, tmp_path, ["piqe", "brisque"])
    assert {s.name: s.status for s in statuses} == {"piqe": "ready", "brisque": "ready"}
    scores = scorer.score(load_score_image(photos_dir / "gps" / "DSCN0010.jpg", 1024))
    assert scores["brisque"]["lower_better"] is True
    assert isinstance(scores["brisque"]["value"], float)


def test_a_crashing_metric_is_disabled_once_and_the_photos_still_score(settings, tmp_path, photos_dir):
    # a real but wrong weight file (support vectors of the wrong dimension): loads, then crashes on every image
    _write_brisque_weights(tmp_path / "weights", dims=10)
    warnings: list[str] = []
    scorer, statuses = _scorer(settings, tmp_path, ["piqe", "brisque"], warnings)
    assert all(s.status == "ready" for s in statuses)
    photos = sorted((photos_dir / "gps").glob("*.jpg"))[:3]
    results = [scorer.score(load_score_image(p, 1024)) for p in photos]
    assert len(warnings) == 1 and "brisque" in warnings[0] and "disabled for the rest of this run" in warnings[0]
    assert all("brisque" not in r and "piqe" in r for r in results)
    assert "brisque" in scorer.disabled


def test_weight_table_matches_pyiqa():
    import pyiqa  # noqa: F401  (already imported by the tests above; pyiqa is the source of truth)
    from pyiqa.archs import (
        brisque_arch,
        laion_aes_arch,
        musiq_arch,
        nima_arch,
        niqe_arch,
    )
    from pyiqa.archs.arch_util import get_url_from_name

    assert get_url_from_name("x.pth") == f"{PYIQA_BASE_URL}/x.pth"
    urls = {
        "brisque": brisque_arch.default_model_urls["url"],
        "niqe": niqe_arch.default_model_urls["url"],
        "nima": nima_arch.default_model_urls["inception_resnet_v2-ava"],
        "laion_aes": laion_aes_arch.default_model_urls["url"],
        "musiq": musiq_arch.default_model_urls["koniq10k"],
    }
    for metric, url in urls.items():
        assert url in [f.url for f in KNOWN_WEIGHTS[metric] if f.kind == "pyiqa"], metric
    import clip

    assert clip.clip._MODELS["ViT-L/14"] == next(f.url for f in KNOWN_WEIGHTS["laion_aes"] if f.kind == "clip")


def test_download_guard_stops_clip_and_pyiqa_downloads_without_network(tmp_path):
    # bypass the file table on purpose: even if it were wrong, building a metric can only fail fast, never download
    from amirtui.core.quality.metrics import MissingWeightFile, _create, import_pyiqa

    weights = tmp_path / "weights"
    pyiqa = import_pyiqa(weights)
    started = time.monotonic()
    with pytest.raises(MissingWeightFile) as info:
        _create(pyiqa, "laion_aes", "cpu", weights)
    assert info.value.file_name == "ViT-L-14.pt" and info.value.directory == weights / "clip"
    with pytest.raises(MissingWeightFile) as info:
        _create(pyiqa, "niqe", "cpu", weights)
    assert info.value.file_name == "niqe_modelparameters.mat"
    assert time.monotonic() - started < 20
    assert not any(weights.rglob("*.pt")) and not any(weights.rglob("*.mat"))


def test_a_too_small_image_fails_the_photo_not_the_metric(piqe_scorer):
    with pytest.raises(ValueError, match="only 20x8 px"):
        piqe_scorer.score(Image.new("RGB", (20, 8), (90, 90, 90)))
    assert piqe_scorer.disabled == {}


def test_batched_scoring_gives_the_same_values_as_one_by_one(piqe_scorer, photos_dir):
    # batching (what a GPU run uses) must not change a single score: same-size images go through PIQE together
    images = [load_score_image(p, 1024) for p in sorted((photos_dir / "gps").glob("*.jpg"))[:4]]
    images.append(load_score_image(photos_dir / "orientation" / "landscape_1.jpg", 1024))  # another size
    images.append(Image.new("RGB", (10, 10)))  # unscorable: reported for that image only
    batched = piqe_scorer.score_many(images, batch_size=3)
    assert isinstance(batched[-1], ValueError)
    for img, got in zip(images[:-1], batched[:-1]):
        single = piqe_scorer.score(img)
        assert got["piqe"]["value"] == pytest.approx(single["piqe"]["value"], abs=1e-3)
        assert got["blur"]["value"] == pytest.approx(single["blur"]["value"])
