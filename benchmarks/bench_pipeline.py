"""Benchmark (issue 9 item 1): pipeline overlap against the model-bound limit.

N generated 24 MP JPEGs (cached), the loopback Ollama-protocol server answering after a fixed ``latency`` with
``parallel`` slots (config ``ollama.hosts: [{url, parallel}]``), quality metrics = the default offline set ([piqe]) on
CPU. Measured in one process:

1. **wall**: import (``import_sets``) + ``Pipeline(settings, bus).run()`` until every row is reviewable
   (prefilled / needs_work), on a fresh DB and data dir.
2. **each stage alone**: a second fresh DB and data dir, the same files imported, then ``Pipeline(settings, bus,
   stages=[that stage]).run()`` one stage at a time in pipeline order, each timed (setup included, as in a run).
3. **ratio** = wall ÷ max(model-bound = rows × latency ÷ parallel, slowest non-caption stage alone). Target ≤ 1.10:
   stages overlap. A stage-after-stage design scores about the sum of the stages.
4. **first row reviewable** (issue 19 §3): seconds from the import's start to the first row reaching prefilled /
   needs_work (from the DB's transition times), next to the model latency L. Target ≤ L + 2 s: staging, EXIF,
   naming, the model image and scoring of the first photo must not wait for the rest of the set.

``import pyiqa`` (~5 s, once per process) is done before both measurements and reported on its own, so the ratio
compares pipelines, not a cold import. Optional ``profile=True`` records the full run with py-spy (all threads) and
stores the top functions by own time in the JSON.

Run: ``python -m benchmarks.bench_pipeline [rows]``; writes ``benchmarks/results/pipeline.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Self

from benchmarks import common
from benchmarks.common import (
    SIZE_24MP,
    Timer,
    bench_env,
    cached_jpegs,
    machine,
    ollama_yaml,
    split_sets,
    start_ollama,
    write_config,
    write_result,
)

TARGET = 1.10
#: issue 19 §3: the first row is reviewable within one model call (latency L) plus this much
FIRST_ROW_SLACK_S = 2.0
REVIEWABLE = ("prefilled", "needs_work")


def _settings(home: Path, url: str, parallel: int, extra: str = ""):
    from amirtui.config import load_settings

    cfg = write_config(home, "quality:\n  metrics: [piqe]\n  device: cpu\n" + ollama_yaml(url, parallel) + extra)
    return load_settings(cfg)


def _import(paths: list[Path], settings, bus) -> int:
    from amirtui.core.ingest import SetSpec, import_sets

    specs = [SetSpec(sources=chunk, subject="Heron", location=f"Lake Constance {k}", folder="Wildlife",
                     confirm_new=True) for k, chunk in enumerate(split_sets(paths))]
    report = import_sets(specs, settings, bus)
    if not report.ok:
        raise RuntimeError("benchmark import refused: " + "; ".join(p for s in report.sets for p in s.problems))
    return report.accepted


def _timeline() -> dict[str, list[float]]:
    """For each state a row reached: [first, median, last] arrival in seconds after the first import.

    Shows where the pipeline fills and drains (e.g. the first caption starts only after the first row was staged,
    named, shrunk and scored), from the DB's own transition history.
    """
    from amirtui.core.db.models import StateChange

    arrivals: dict[str, list] = {}
    for to_state, at in StateChange.select(StateChange.to_state, StateChange.at).tuples():
        arrivals.setdefault("reviewable" if to_state in REVIEWABLE else to_state, []).append(at)
    if not arrivals:
        return {}
    t0 = min(min(v) for v in arrivals.values())
    out = {}
    for state, ats in arrivals.items():
        secs = sorted((a - t0).total_seconds() for a in ats)
        out[state] = [round(secs[0], 2), round(secs[len(secs) // 2], 2), round(secs[-1], 2)]
    return dict(sorted(out.items(), key=lambda kv: kv[1][0]))


def _first_reviewable(since) -> float | None:
    """Seconds from ``since`` (the import's start, UTC) to the first row reaching a reviewable state."""
    from amirtui.core.db.models import StateChange

    first = (StateChange.select(StateChange.at).where(StateChange.to_state.in_(REVIEWABLE))
             .order_by(StateChange.at).first())
    return None if first is None else round((first.at - since).total_seconds(), 2)


def _states() -> dict[str, int]:
    from amirtui.core.db.models import Photo

    return dict(Counter(state for (state,) in Photo.select(Photo.state).tuples()))


class _PySpy:
    """py-spy recording this process (all threads) in collapsed-stack form; summarised by own time."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.proc: subprocess.Popen | None = None
        self.error = ""

    def __enter__(self) -> Self:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        try:
            self.proc = subprocess.Popen([exe, "record", "-p", str(os.getpid()), "-o", str(self.out), "-f", "raw",
                                          "-r", "50", "--nonblocking"], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
            time.sleep(0.5)  # py-spy needs a moment to attach; a few samples lost at the start do not matter
        except OSError as exc:
            self.error = f"py-spy not available: {exc}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            err = b"timed out writing the profile"
        if not self.out.is_file():
            self.error = (err or b"").decode(errors="replace")[-500:] or "py-spy wrote no output"

    def summary(self, top: int = 15) -> dict:
        """Top leaf frames (own time) and top frames anywhere on the stack (inclusive), as % of busy samples."""
        if self.error or not self.out.is_file():
            return {"error": self.error or "no profile"}
        own, incl, total = Counter(), Counter(), 0
        for line in self.out.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [f for f in stack.split(";") if f and not f.startswith("thread ") and not f.startswith("process ")]
            if not frames:
                continue
            total += n
            own[_short(frames[-1])] += n
            for f in {_short(f) for f in frames}:
                incl[f] += n
        pct = lambda c: [(k, round(100 * v / total, 1)) for k, v in c.most_common(top)]
        return {"samples": total, "own_pct": pct(own), "inclusive_pct": pct(incl), "raw_file": str(self.out)}


def _short(frame: str) -> str:
    """``func (path/to/module.py:12)`` → ``func (module.py)``: groups samples by function, not by line."""
    name, _, where = frame.partition(" (")
    file = where.split(":")[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


def run(rows: int = 200, latency: float = 0.4, parallel: int = 2, size: tuple[int, int] = SIZE_24MP,
        stages_alone: bool = True, profile: bool = False, out_dir: Path | None = None, extra_config: str = "") -> dict:
    """Run the benchmark and return (and write) its result dict (see the module docstring).

    ``extra_config`` is YAML appended to the generated config.yaml (e.g. ``"ingest:\\n  workers: 1\\n"``) for
    experiments; the default is the configuration the target is about.
    """
    bench_env()
    from amirtui.core.db import close_db, open_db
    from amirtui.core.db.models import utcnow
    from amirtui.core.events import EventBus
    from amirtui.core.pipeline import Pipeline, default_stages

    with Timer() as gen:
        paths = cached_jpegs(rows, size)
    with Timer() as imp:
        import pyiqa  # noqa: F401  (one-off cost, kept out of both measurements)
    result: dict = {"rows": rows, "latency_s": latency, "parallel": parallel, "source_size": list(size),
                    "extra_config": extra_config,
                    "source_file_mb": round(sum(p.stat().st_size for p in paths) / len(paths) / 1e6, 2),
                    "jpeg_cache_s": round(gen.seconds, 1), "pyiqa_import_s": round(imp.seconds, 2),
                    "machine": machine()}
    server = start_ollama(latency)
    try:
        # ---- 1. the whole pipeline, stages overlapping
        with tempfile.TemporaryDirectory(prefix="amirtui-bench-pipe-") as tmp:
            settings = _settings(Path(tmp), server.url, parallel, extra_config)
            open_db(settings.db_path)
            bus = EventBus()
            spy = _PySpy(common.CACHE_DIR / "pipeline-profile.txt") if profile else None  # raw stacks: not a result
            with spy or contextlib.nullcontext():
                cpu0 = time.process_time()
                import_start = utcnow()
                with Timer() as wall:
                    imported = _import(paths, settings, bus)
                    res = Pipeline(settings, bus).run()
                cpu = time.process_time() - cpu0
            states, timeline = _states(), _timeline()
            first = _first_reviewable(import_start)
            close_db()
        reviewable = sum(states.get(s, 0) for s in REVIEWABLE)
        result.update({
            "imported": imported, "wall_s": round(wall.seconds, 2), "cpu_s": round(cpu, 2),
            "pipeline_wall_s": round(res.wall_seconds, 2),
            "final_states": states, "all_reviewable": reviewable == rows,
            "timeline_first_median_last_s": timeline,
            "first_reviewable_s": first, "first_reviewable_target_s": round(latency + FIRST_ROW_SLACK_S, 2),
            "first_reviewable_ok": first is not None and first <= latency + FIRST_ROW_SLACK_S,
            "busy_s": {n: round(s.busy_seconds, 2) for n, s in res.stats.items()},
            "done": {n: s.done for n, s in res.stats.items()},
            "failed": {n: s.failed for n, s in res.stats.items()},
            "ollama_server": server.stats(),
        })
        if spy:
            result["profile"] = spy.summary()
        if not stages_alone:
            return _finish(result, None, out_dir)

        # ---- 2. every stage alone, in order, on a fresh DB with the same files
        alone: dict[str, float] = {}
        alone_cpu: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="amirtui-bench-pipe-alone-") as tmp:
            settings = _settings(Path(tmp), server.url, parallel, extra_config)
            open_db(settings.db_path)
            bus = EventBus()
            cpu0 = time.process_time()
            with Timer() as t:
                _import(paths, settings, bus)
            alone["import"], alone_cpu["import"] = t.seconds, time.process_time() - cpu0
            for stage in default_stages(settings):
                cpu0 = time.process_time()  # all threads of this process: the stage's pool does the work
                with Timer() as t:
                    Pipeline(settings, bus, stages=[stage]).run()
                alone[stage.name], alone_cpu[stage.name] = t.seconds, time.process_time() - cpu0
            alone_states = _states()
            close_db()
        result["alone_s"] = {k: round(v, 2) for k, v in alone.items()}
        result["alone_cpu_s"] = {k: round(v, 2) for k, v in alone_cpu.items()}
        result["alone_final_states"] = alone_states
        return _finish(result, alone, out_dir, alone_cpu)
    finally:
        server.stop()


def _finish(result: dict, alone: dict[str, float] | None, out_dir: Path | None,
            alone_cpu: dict[str, float] | None = None) -> dict:
    rows, lat, par = result["rows"], result["latency_s"], result["parallel"]
    model_bound = rows * lat / par
    result["model_bound_s"] = round(model_bound, 2)
    if alone is not None:
        others = {k: v for k, v in alone.items() if k != "caption"}
        slowest = max(others, key=others.get)
        limit = max(model_bound, others[slowest])
        result.update({
            "slowest_other_stage": slowest, "slowest_other_s": round(others[slowest], 2),
            "limit_s": round(limit, 2), "limited_by": "model" if model_bound >= others[slowest] else slowest,
            "sum_of_stages_s": round(sum(alone.values()), 2),
            "ratio": round(result["wall_s"] / limit, 3), "ratio_target_max": TARGET,
            "ratio_ok": result["wall_s"] / limit <= TARGET,
            "sequential_ratio": round(sum(alone.values()) / limit, 3),
        })
    if alone_cpu:
        # On a machine with few cores the CPU-bound stages share them: the whole run cannot finish before the sum
        # of their CPU time ÷ cores, however well the stages overlap. This is the physical floor beside the target.
        cores = os.cpu_count() or 1
        floor = max(result["limit_s"], sum(alone_cpu.values()) / cores)
        result.update({"cpu_floor_s": round(sum(alone_cpu.values()) / cores, 2), "cores": cores,
                       "ratio_vs_physical_floor": round(result["wall_s"] / floor, 3)})
    write_result("pipeline", result, out_dir)
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(run(n, profile="--profile" in sys.argv), indent=2))
