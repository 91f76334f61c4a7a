"""benchmarks/bench_naming.py still runs at a tiny size and reports what run_all prints (no timing assertions here:
the speed targets live in the benchmark)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import bench_naming


def test_naming_benchmark_runs_at_a_tiny_size(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("AMIRTUI_TEST_MYSQL_URL", raising=False)  # the pull part is skipped without MariaDB
    r = bench_naming.run(existing=600, new=5, pull_rows=10, out_dir=tmp_path)
    assert r["corpus"]["entries"] >= 150 and r["corpus"]["misses"] == []
    assert r["naming"]["all_named"] and r["naming"]["collisions"] == 0 and r["naming"]["existing"] == 600
    assert r["pull"] is None
    assert json.loads((tmp_path / "naming.json").read_text(encoding="utf-8"))["naming"]["new"] == 5


def test_catalog_names_are_distinct_and_publishable() -> None:
    from amirtui.core.filenames import name_problem

    names = bench_naming.catalog_names(5_000)
    assert len({n.casefold() for n in names}) == 5_000 and not [n for n in names if name_problem(n)]
