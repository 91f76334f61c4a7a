"""Benchmark (issue 12): the metadata gate measured on its labelled corpus, ``tests/data/gate_corpus.jsonl``.

Every case is one row of text plus the context it needs; a bad case carries exactly one defect and the reason code
that defect must raise, a clean case carries none. Measured:

- **recall with the right reason**, per code and overall: the bad cases whose verdict includes their code;
- **overall recall**: the bad cases refused at all (any code);
- **false-positive rate**: the clean cases refused;
- **exact**: the bad cases refused with their code and nothing else (info: a second reason is noise for the reviewer);
- **gate time per row**, p50/p95 over every case, repeated: the thread's CPU time (the target; on a shared machine a
  wall-clock p95 mostly measures the scheduler) and the wall time beside it. The WordNet index is loaded once before
  timing and its load time is reported separately; the verifier pass (a model request) is not part of the gate.

Targets: recall with the right reason ≥ 98 %, false positives ≤ 2 %, ≤ 5 ms per row.
Run: ``python -m benchmarks.bench_gate [--repeats N]``; writes ``benchmarks/results/gate.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "data" / "gate_corpus.jsonl"
TARGETS = {"recall_right_reason": 0.98, "false_positive_rate": 0.02, "p95_ms": 5.0}


def load_corpus(path: Path = CORPUS) -> list[dict]:
    """The corpus cases, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def context_of(case: dict):
    """The :class:`GateContext` a corpus case describes."""
    from amirtui.core.captioning.gate import GateContext

    return GateContext(**case.get("context", {}))


def score(cases: list[dict]) -> dict:
    """Quality numbers of the gate on ``cases`` (no timing): per-code recall, overall recall, FP rate, misses."""
    from amirtui.core.captioning.gate import check

    per_code: dict[str, dict[str, int]] = {}
    clean = refused_clean = bad = caught_any = caught_right = exact = 0
    misses, false_positives = [], []
    for case in cases:
        result = check(case["caption"], case["alt"], case["keywords"], context=context_of(case))
        code = case["code"]
        if code is None:
            clean += 1
            if not result.passed:
                refused_clean += 1
                false_positives.append({"id": case["id"], "reasons": result.as_json()})
            continue
        bad += 1
        row = per_code.setdefault(code, {"cases": 0, "right": 0})
        row["cases"] += 1
        caught_any += not result.passed
        if code in result.codes:
            caught_right += 1
            row["right"] += 1
            exact += set(result.codes) == {code}
        else:
            misses.append({"id": case["id"], "expected": code, "got": result.as_json()})
    return {
        "cases": len(cases), "clean": clean, "bad": bad,
        "recall_right_reason": caught_right / bad if bad else 1.0,
        "recall_any": caught_any / bad if bad else 1.0,
        "false_positive_rate": refused_clean / clean if clean else 0.0,
        "exact_rate": exact / bad if bad else 1.0,
        "per_code": {c: {**v, "recall": v["right"] / v["cases"]} for c, v in sorted(per_code.items())},
        "misses": misses, "false_positives": false_positives,
    }


def timing(cases: list[dict], repeats: int) -> dict:
    """Gate time per row in ms (p50/p95 over ``repeats`` passes of every case), after a first load."""
    from amirtui.core.captioning import gate_lexicon
    from amirtui.core.captioning.gate import check

    t0 = time.perf_counter()
    gate_lexicon.available()
    load_ms = (time.perf_counter() - t0) * 1000
    prepared = [(c["caption"], c["alt"], c["keywords"], context_of(c)) for c in cases]
    t0 = time.perf_counter()
    for cap, alt, kws, ctx in prepared:  # first pass: data files compiled, caches cold
        check(cap, alt, kws, context=ctx)
    first_pass_ms = (time.perf_counter() - t0) * 1000 / len(prepared)
    wall, cpu = [], []
    for _ in range(repeats):
        for cap, alt, kws, ctx in prepared:
            t, c = time.perf_counter(), time.thread_time()
            check(cap, alt, kws, context=ctx)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    wall.sort()
    cpu.sort()
    pick = lambda xs, q: round(xs[min(len(xs) - 1, int(q * len(xs)))], 3)
    # the target is judged on the thread's CPU time: on a shared machine a wall-clock p95 measures the scheduler
    return {"load_ms": round(load_ms, 1), "first_pass_ms_per_row": round(first_pass_ms, 3),
            "p50_ms": pick(cpu, 0.50), "p95_ms": pick(cpu, 0.95),
            "wall_p50_ms": pick(wall, 0.50), "wall_p95_ms": pick(wall, 0.95), "samples": len(wall)}


def run(repeats: int = 5, out: Path | None = None) -> dict:
    """Score and time the gate; write the JSON result; return it with ``holds`` per target."""
    cases = load_corpus()
    timed = timing(cases, repeats)  # first: the WordNet load is then measured on a fresh process
    result = {**score(cases), "timing": timed}
    result["holds"] = {
        "recall_right_reason": result["recall_right_reason"] >= TARGETS["recall_right_reason"],
        "false_positive_rate": result["false_positive_rate"] <= TARGETS["false_positive_rate"],
        "p95_ms": result["timing"]["p95_ms"] <= TARGETS["p95_ms"],
    }
    result["targets"] = TARGETS
    out = out or ROOT / "benchmarks" / "results" / "gate.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_gate", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5, help="timed passes over the corpus (default 5)")
    p.add_argument("--show", action="store_true", help="print every miss and false positive")
    args = p.parse_args(argv)
    r = run(args.repeats)
    print(f"{r['cases']} cases ({r['bad']} bad, {r['clean']} clean)")
    print(f"recall with the right reason {r['recall_right_reason']:.1%} (target ≥ 98 %), any reason "
          f"{r['recall_any']:.1%}, exact {r['exact_rate']:.1%}; false positives {r['false_positive_rate']:.1%} "
          f"(target ≤ 2 %)")
    for code, v in r["per_code"].items():
        print(f"  {code:22s} {v['right']:3d}/{v['cases']:<3d} {v['recall']:.0%}")
    t = r["timing"]
    print(f"gate time per row (CPU): p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms (target ≤ 5); wall p50 "
          f"{t['wall_p50_ms']} ms, p95 {t['wall_p95_ms']} ms; first pass "
          f"{t['first_pass_ms_per_row']} ms/row; WordNet load {t['load_ms']} ms")
    if args.show:
        for m in r["misses"]:
            print("MISS", m)
        for f in r["false_positives"]:
            print("FP  ", f)
    return 0 if all(r["holds"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
