"""Benchmark (issue 9 item 5): start-up time and memory.

- **help**: ``amirtui --help`` as a subprocess, median of ``help_runs`` (target ≤ 0.5 s). Uses the installed console
  script when it exists next to the interpreter, else ``python -m amirtui``.
- **first paint**: the TUI started in a detached tmux session (120×40, the default config: preview ``auto``, so
  textual-image's terminal probe is part of it); the clock runs from just before ``tmux new-session`` until
  ``capture-pane`` shows the review screen's filter line (``state=queue``), which is drawn only after the first page
  query finished — i.e. the first screen the operator can use. Polled every 10 ms, bounded (target ≤ 1.5 s). The
  tmux start itself (~10 ms) is inside the number, so it errs high.
- **peak RSS**: ``python -m amirtui --config … run --headless`` over ``rows`` imported photos with the default metric
  list and an empty weights dir (the default offline set: PIQE), captioning against the loopback Ollama server at
  ~0 latency. The peak is the kernel's own ``ru_maxrss`` of that child process (``os.wait4``), so no short spike is
  missed. Photos are generated at ``rss_size`` (default 2000×1333, not 24 MP: 1,000 24 MP files
  would take ~10 minutes to generate and 4.6 GB of disk; every stage works on a ≤1024 px image after staging, so
  the source size changes the staging copy, not the memory the run holds). Target ≤ 1.0 GB (issue 19).
- **RSS curve** (issue 19 §2): the same run at several batch sizes (default 100 and ``rows``; ``--curve
  100,2000,5000`` adds more) with the child's RSS sampled every second; ``rss_growth_pct`` = peak at the largest ÷
  peak at the smallest − 1 (target ≤ 10 %).

Run: ``python -m benchmarks.bench_startup [rows]``; writes ``benchmarks/results/startup.json``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import (
    ROOT,
    bench_env,
    cached_jpegs,
    machine,
    median,
    ollama_yaml,
    split_sets,
    start_ollama,
    write_config,
    write_result,
)

#: issue 9: help, first paint; issue 19 §2: peak RSS ≤ 1.0 GB at every batch size, growth 100 → largest ≤ 10 %
TARGETS = {"help_s": 0.5, "first_paint_s": 1.5, "peak_rss_mb": 1024, "rss_growth_pct": 10.0}
RSS_SIZE = (2000, 1333)
PAINT_MARK = "Re-run checks"  # the preflight screen's footer: drawn with the first frame


def _amirtui_cmd() -> list[str]:
    script = Path(sys.executable).parent / "amirtui"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "amirtui"]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def help_time(runs: int = 5) -> dict:
    """Median wall time of ``amirtui --help`` over ``runs`` subprocesses."""
    cmd = _amirtui_cmd() + ["--help"]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(cmd, check=False, capture_output=True, env=_env(), timeout=60)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0 or b"usage" not in proc.stdout:
            raise RuntimeError(f"`{' '.join(cmd)}` failed ({proc.returncode}): {proc.stderr.decode()[-400:]}")
    return {"help_s": round(median(times), 3), "help_runs_s": [round(t, 3) for t in times], "help_cmd": cmd[-2:]}


def first_paint(timeout: float = 30.0) -> dict:
    """Seconds from ``tmux new-session`` to the review screen drawn (see the module docstring)."""
    tmux = shutil.which("tmux")
    if tmux is None:
        return {"first_paint_s": None, "first_paint_note": "tmux not installed: apt-get install -y tmux"}
    session = f"amirtui-bench-{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="amirtui-bench-paint-") as tmp:
        cfg = write_config(Path(tmp), "ollama:\n  enabled: false\n")
        # If the TUI dies, the pane keeps its last words (traceback + exit code) for the report instead of closing.
        app = " ".join(shlex.quote(a) for a in _amirtui_cmd() + ["--config", str(cfg)])
        cmd = f"{app}; echo; echo amirtui-exited-$?; sleep 60"
        env_args = [arg for k in ("PYTHONPATH", "HF_HUB_OFFLINE", "TORCH_HOME")
                    for arg in ("-e", f"{k}={_env().get(k, '')}")]
        t0 = time.perf_counter()
        subprocess.run([tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", *env_args, cmd],
                       check=True, env=_env())
        try:
            seen = ""
            while time.perf_counter() - t0 < timeout:
                seen = subprocess.run([tmux, "capture-pane", "-p", "-t", session], check=False, capture_output=True,
                                      text=True).stdout
                if PAINT_MARK in seen:
                    return {"first_paint_s": round(time.perf_counter() - t0, 3), "first_paint_mark": PAINT_MARK}
                if "amirtui-exited-" in seen:
                    break
                time.sleep(0.01)
            tail = " | ".join(line.strip() for line in seen.strip().splitlines()[-8:])
            return {"first_paint_s": None,
                    "first_paint_note": f"'{PAINT_MARK}' not drawn within {timeout} s; the pane shows: {tail}"}
        finally:
            subprocess.run([tmux, "send-keys", "-t", session, "C-q"], check=False, capture_output=True)
            end = time.perf_counter() + 5
            while time.perf_counter() < end and subprocess.run([tmux, "has-session", "-t", session],
                                                               check=False, capture_output=True).returncode == 0:
                time.sleep(0.05)
            subprocess.run([tmux, "kill-session", "-t", session], check=False, capture_output=True)


def _sample_rss(pid: int, t0: float, out: list[tuple[float, float]], every: float = 1.0) -> None:
    """Append (seconds since ``t0``, RSS MB) of process ``pid`` every ``every`` s until it exits (the curve; the
    peak itself comes from the kernel's ``ru_maxrss``)."""
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            text = status.read_text()
        except OSError:
            return
        if "VmRSS:" not in text:  # a zombie: exited, not yet reaped
            return
        out.append((round(time.perf_counter() - t0, 1), round(int(text.split("VmRSS:")[1].split()[0]) / 1024, 1)))
        time.sleep(every)


def peak_rss(rows: int = 1000, size: tuple[int, int] = RSS_SIZE, timeout: float = 3600.0) -> dict:
    """Peak RSS (MB) and wall time of a headless run over ``rows`` photos (see the module docstring)."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from amirtui.core.events import EventBus
    from amirtui.core.ingest import SetSpec, import_sets

    paths = cached_jpegs(rows, size)
    server = start_ollama(latency=0.0)
    try:
        with tempfile.TemporaryDirectory(prefix="amirtui-bench-rss-") as tmp:
            cfg = write_config(Path(tmp), ollama_yaml(server.url, 2))
            settings = load_settings(cfg)
            open_db(settings.db_path)
            specs = [SetSpec(sources=chunk, subject="Heron", location=f"Lake {k}", folder="Wildlife",
                             confirm_new=True) for k, chunk in enumerate(split_sets(paths, 100))]
            report = import_sets(specs, settings, EventBus())
            close_db()
            if not report.ok or report.accepted != rows:
                raise RuntimeError(f"RSS benchmark import accepted {report.accepted} of {rows}")
            log = Path(tmp) / "run.log"
            with open(log, "wb") as out:
                t = time.perf_counter()
                proc = subprocess.Popen(_amirtui_cmd() + ["--config", str(cfg), "run", "--headless"], stdout=out,
                                        stderr=subprocess.STDOUT, env=_env())
                killer = threading.Timer(timeout, proc.kill)  # a hung run must not hang the benchmark
                killer.start()
                samples: list[tuple[float, float]] = []
                sampler = threading.Thread(target=_sample_rss, args=(proc.pid, t, samples), daemon=True)
                sampler.start()
                try:
                    _, status, usage = os.wait4(proc.pid, 0)
                finally:
                    killer.cancel()
                sampler.join(2)
                proc.returncode = os.waitstatus_to_exitcode(status)
                wall = time.perf_counter() - t
            open_db(settings.db_path)
            from amirtui.core.db.models import Photo

            reviewable = Photo.select().where(Photo.state.in_(["prefilled", "needs_work"])).count()
            close_db()
            if proc.returncode != 0:
                raise RuntimeError(f"headless run exited {proc.returncode}: {log.read_text(errors='replace')[-800:]}")
    finally:
        server.stop()
    return {"rss_rows": rows, "rss_source_size": list(size), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "rss_run_wall_s": round(wall, 1), "rss_rows_reviewable": reviewable,
            "rss_samples": samples[:: max(1, len(samples) // 60)],
            "rss_note": "" if size[0] * size[1] >= 24e6 else f"photos generated at {size[0]}x{size[1]}, not 24 MP"}


def rss_curve(rows: tuple[int, ...], size: tuple[int, int] = RSS_SIZE) -> dict:
    """Peak RSS at each batch size in ``rows`` (issue 19 §2) and the growth from the smallest to the largest."""
    points = [peak_rss(n, size) for n in sorted(rows)]
    first, last = points[0]["peak_rss_mb"], points[-1]["peak_rss_mb"]
    return {"rss_curve": [{k: p[k] for k in ("rss_rows", "peak_rss_mb", "rss_run_wall_s", "rss_samples")}
                          for p in points],
            "rss_growth_pct": round(100 * (last - first) / first, 1),
            "rss_growth_span": f"{points[0]['rss_rows']} → {points[-1]['rss_rows']}",
            **points[-1]}


def run(rows: int = 1000, help_runs: int = 5, rss_size: tuple[int, int] = RSS_SIZE,
        out_dir: Path | None = None, curve: tuple[int, ...] = ()) -> dict:
    """All three measurements (the peak RSS at ``rows`` and at each size in ``curve``); returns (and writes) them."""
    bench_env()
    result: dict = {"machine": machine(), "targets": TARGETS}
    result.update(help_time(help_runs))
    result.update(first_paint())
    result.update(rss_curve(tuple(sorted(set(curve) | {rows})), rss_size))
    peak = max(p["peak_rss_mb"] for p in result["rss_curve"])
    result["holds"] = {
        "help_s": result["help_s"] <= TARGETS["help_s"],
        "first_paint_s": result["first_paint_s"] is not None and result["first_paint_s"] <= TARGETS["first_paint_s"],
        "peak_rss_mb": peak <= TARGETS["peak_rss_mb"],
        "rss_growth_pct": None if len(result["rss_curve"]) < 2 else result["rss_growth_pct"] <= TARGETS["rss_growth_pct"],
    }
    write_result("startup", result, out_dir)
    return result


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_startup")
    ap.add_argument("rows", nargs="?", type=int, default=1000)
    ap.add_argument("--curve", default="100", help="more batch sizes for the RSS curve, e.g. 100,2000,5000")
    ap.add_argument("--rss-only", action="store_true", help="only the RSS curve (no --help / first paint)")
    a = ap.parse_args()
    sizes = tuple(sorted({a.rows, *(int(x) for x in a.curve.split(",") if x)}))
    print(json.dumps(rss_curve(sizes) if a.rss_only else run(a.rows, curve=sizes), indent=2))
