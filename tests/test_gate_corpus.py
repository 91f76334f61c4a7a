"""The metadata gate scored on its labelled corpus (issue 12): quality targets, not speed (bench_gate times it).

``tests/data/gate_corpus.jsonl`` is built by ``tests/data/make_gate_corpus.py`` from human-written clean rows and one
injected defect per bad case; ``benchmarks/bench_gate.py`` scores it. These tests fail when the corpus no longer meets
the issue's shape (≥ 400 cases, ≥ 150 clean, ≥ 15 per reason code) or the gate falls below its targets
(≥ 98 % of bad cases refused with the right reason, ≤ 2 % of clean cases refused).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import bench_gate

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return bench_gate.load_corpus()


@pytest.fixture(scope="module")
def scored(cases) -> dict:
    return bench_gate.score(cases)


def _generator():
    spec = importlib.util.spec_from_file_location("make_gate_corpus", DATA / "make_gate_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_corpus_file_is_what_the_generator_writes(cases):
    # edits go through make_gate_corpus.py (and its clean-row file), so the two never drift apart
    built = json.loads(json.dumps(_generator().build(), ensure_ascii=False))
    assert built == cases


def test_corpus_has_the_shape_the_issue_asks_for(cases):
    from amirtui.core.captioning.gate import REASON_CODES

    assert len(cases) >= 400
    assert len({c["id"] for c in cases}) == len(cases), "case ids are unique"
    per_code = Counter(c["code"] for c in cases)
    assert per_code[None] >= 150, "at least 150 clean captions"
    thin = {code: per_code[code] for code in REASON_CODES if per_code[code] < 15}
    assert not thin, f"every reason code needs ≥ 15 bad cases: {thin}"
    assert set(per_code) - {None} <= set(REASON_CODES), "every label is a code the gate can emit"


def test_clean_rows_are_varied(cases):
    clean = [c for c in cases if c["code"] is None]
    subjects = {c["context"]["subject"] for c in clean}
    folders = {c["context"]["folder"] for c in clean if c["context"]["folder"]}
    assert len(subjects) >= 100 and len(folders) >= 20
    assert len({c["caption"] for c in clean}) == len(clean), "no clean caption is used twice"
    assert sum(1 for c in clean if not c["context"]["exif_datetime"]) >= 10, "photos without a time are covered"


def test_recall_with_the_right_reason_meets_the_target(scored):
    misses = "\n".join(f"  {m['id']}: expected {m['expected']}, got {m['got']}" for m in scored["misses"])
    assert scored["recall_right_reason"] >= bench_gate.TARGETS["recall_right_reason"], misses


def test_false_positive_rate_meets_the_target(scored):
    fps = "\n".join(f"  {f['id']}: {f['reasons']}" for f in scored["false_positives"])
    assert scored["false_positive_rate"] <= bench_gate.TARGETS["false_positive_rate"], fps


def test_no_reason_code_is_left_behind(scored):
    # the overall target could hide one weak rule; each code must still catch most of its family
    weak = {code: round(v["recall"], 2) for code, v in scored["per_code"].items() if v["recall"] < 0.9}
    assert not weak, weak


def test_bench_gate_runs_and_writes_its_result(tmp_path):
    out = tmp_path / "gate.json"
    result = bench_gate.run(repeats=1, out=out)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["cases"] == result["cases"] > 0
    assert set(saved["holds"]) == {"recall_right_reason", "false_positive_rate", "p95_ms"}
    assert saved["timing"]["samples"] == result["cases"]
