"""The benchmarks still run: each one at a tiny size returns its fields and writes its JSON.

No timing assertions here (speed targets live in benchmarks/ and docs/benchmarks.md); these tests only prove that a
change elsewhere has not broken a benchmark, so ``python -m benchmarks.run_all`` keeps working.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import common

SMALL = (640, 427)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Generated JPEGs go to a temp cache, not the repo's benchmarks/.cache."""
    cache = tmp_path / "bench-cache"
    monkeypatch.setattr(common, "CACHE_DIR", cache)
    return cache


def _json(path: Path) -> dict:
    assert path.is_file(), f"{path} was not written"
    return json.loads(path.read_text(encoding="utf-8"))


def test_cached_jpegs_are_made_once_and_reused(private_cache: Path) -> None:
    first = common.cached_jpegs(2, SMALL)
    stamps = [p.stat().st_mtime_ns for p in first]
    again = common.cached_jpegs(3, SMALL)
    assert again[:2] == first and [p.stat().st_mtime_ns for p in first] == stamps  # not regenerated
    assert len(again) == 3 and all(p.parent.parent == private_cache for p in again)
    from PIL import Image

    with Image.open(again[2]) as im:
        assert im.size == SMALL and im.getexif().get(0x0110)  # camera model in EXIF: naming has a Camera token


def test_percentile_interpolates() -> None:
    assert common.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert common.percentile([5.0], 95) == 5.0


def test_pipeline_benchmark_runs(tmp_path: Path) -> None:
    from benchmarks import bench_pipeline

    out = tmp_path / "results"
    r = bench_pipeline.run(rows=3, latency=0.05, size=SMALL, out_dir=out)
    assert r["all_reviewable"] and r["imported"] == 3
    assert set(r["alone_s"]) == {"import", "stage", "exif", "queue", "model_image", "score", "caption"}
    assert set(r["busy_s"]) == {"stage", "exif", "queue", "model_image", "score", "caption"}
    assert r["ratio"] > 0 and r["limited_by"] in {"model", *r["alone_s"]}
    written = _json(out / "pipeline.json")
    assert written["ratio"] == r["ratio"] and "load_avg_1m" in written["machine"]


def test_review_benchmark_runs(tmp_path: Path) -> None:
    from benchmarks import bench_review

    out = tmp_path / "results"
    r = bench_review.run(rows=60, moves=4, approvals=2, out_dir=out, runs=2, previews=2)
    for key in ("ready_ms", "first_preview_ms"):
        assert r[key] > 0
    assert set(r["move_editor_ms"]) == {"p50", "p95", "p99", "max"}
    for key in ("move_preview_ms", "approve_ms", "approve_shown_ms"):
        assert set(r[key]) == {"p50", "p95", "max"}
    assert len(r["runs"]) == 2 and r["move_editor_ms"]["p95"] == max(x["move_editor_ms"]["p95"] for x in r["runs"])
    assert set(r["holds"]) == {"ready", "move_editor_p95", "approve_p95"}
    assert _json(out / "review.json")["rows"] == 60


def test_startup_benchmark_runs(tmp_path: Path) -> None:
    from benchmarks import bench_startup

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux): first paint is measured inside tmux")
    out = tmp_path / "results"
    r = bench_startup.run(rows=2, help_runs=1, rss_size=SMALL, out_dir=out)
    assert r["help_s"] > 0 and r["first_paint_s"] is not None, r.get("first_paint_note")
    assert r["peak_rss_mb"] > 50 and r["rss_rows_reviewable"] == 2
    assert "not 24 MP" in r["rss_note"]
    assert _json(out / "startup.json")["holds"].keys() == {"help_s", "first_paint_s", "peak_rss_mb", "rss_growth_pct"}


def test_run_all_prints_the_table_and_writes_a_summary(tmp_path: Path, capsys, monkeypatch) -> None:
    from benchmarks import run_all

    monkeypatch.delenv("AMIRTUI_TEST_MYSQL_URL", raising=False)
    out = tmp_path / "results"
    assert run_all.main(["--quick", "--only", "captioning,publish", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "benchmark" in text and "holds" in text and "captioning" in text
    assert "AMIRTUI_TEST_MYSQL_URL is unset" in text  # publish says why it was skipped
    summary = _json(out / "summary.json")
    assert {row["benchmark"] for row in summary["table"]} == {"captioning", "publish"}
    assert _json(out / "captioning.json")["rows"] == 8


def test_run_all_refuses_an_unknown_benchmark(capsys) -> None:
    from benchmarks import run_all

    assert run_all.main(["--only", "pipelin"]) == 2
    assert "unknown benchmark(s) pipelin" in capsys.readouterr().err


def test_stage_benchmarks_run_at_a_tiny_size(tmp_path: Path) -> None:
    """The per-stage benchmarks (quality, imaging, captioning) still run against the current core."""
    from benchmarks import bench_captioning, bench_imaging, bench_quality

    q = bench_quality.run(n=1, out_dir=tmp_path, repeats=1)
    assert (tmp_path / "quality.json").is_file() and q
    i = bench_imaging.run(n=1, repeats=1, write=False)
    assert i
    c = bench_captioning.run(rows=4, latency=0.02, parallel=2, out=tmp_path / "captioning.json")
    assert (tmp_path / "captioning.json").is_file() and c["rows"] == 4 and c["ratio"] > 0
