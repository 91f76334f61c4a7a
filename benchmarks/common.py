"""Shared helpers for the benchmarks: cached realistic JPEGs, timing, load notes and JSON results.

Generated JPEGs are cached under ``benchmarks/.cache/jpeg-<W>x<H>/`` (git-ignored): a 24 MP file takes ~0.5 s to
make, so 200 of them would otherwise cost minutes on every run. Files are deterministic by index (seed = index), so a
cache made by an earlier run is exactly what this run would generate.
"""

from __future__ import annotations

import json
import os
import platform
import select
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so `tests.harness` (JPEG generator, Ollama server) imports when run as a script
    sys.path.insert(0, str(ROOT))

RESULTS_DIR = ROOT / "benchmarks" / "results"
CACHE_DIR = ROOT / "benchmarks" / ".cache"
SIZE_24MP = (6000, 4000)
CAMERAS = [("Canon", "Canon EOS R5"), ("NIKON CORPORATION", "NIKON Z 6_2"), ("SONY", "ILCE-7M4")]
MODEL = "qwen2.5vl:7b"
"""The model name the loopback Ollama server installs and the benchmark configs ask for."""


def _make_one(args: tuple[Path, tuple[int, int], int]) -> Path:
    from tests.harness.images import make_jpeg

    path, size, i = args
    make, model = CAMERAS[i % len(CAMERAS)]
    tmp = path.with_suffix(".part")
    # write under a temporary name, then rename: an interrupted run never leaves a half file in the cache
    make_jpeg(tmp, size=size, seed=i + 1, make=make, model=model, quality=92,
              datetime_original=datetime(2024, 5, 1, 9, 0, 0) + timedelta(minutes=i), lens="24-70mm F2.8",
              gps=(47.6 + i * 1e-4, 9.4))
    os.replace(tmp, path)
    return path


def cached_jpegs(n: int, size: tuple[int, int] = SIZE_24MP, *, workers: int | None = None) -> list[Path]:
    """``n`` realistic JPEGs (gradients + edges + noise, real EXIF) of ``size``, generated once and cached.

    Missing files are made in parallel processes (numpy + JPEG encode are CPU bound).
    """
    folder = CACHE_DIR / f"jpeg-{size[0]}x{size[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"IMG_{i:05d}.JPG" for i in range(n)]
    missing = [(p, size, i) for i, p in enumerate(paths) if not p.is_file()]
    if missing:
        workers = workers or max(1, min(len(missing), os.cpu_count() or 1))
        if workers == 1 or len(missing) < 4:
            for job in missing:
                _make_one(job)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                list(pool.map(_make_one, missing, chunksize=4))
    return paths


def split_sets(paths: list[Path], per_set: int = 50) -> list[list[Path]]:
    """Cut a file list into sets of ``per_set`` (naming counters and set ordering work per set, as in real use)."""
    return [paths[i:i + per_set] for i in range(0, len(paths), per_set)]


def write_config(home: Path, extra: str = "") -> Path:
    """Write a minimal config.yaml into ``home`` (data/ and logs/ inside it) plus ``extra`` YAML; return its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.yaml"
    path.write_text("paths:\n  data_dir: data\n  logs_dir: logs\n" + extra, encoding="utf-8")
    return path


def ollama_yaml(url: str, parallel: int = 2) -> str:
    """The ``ollama:`` section pointing at one loopback server with ``parallel`` slots."""
    return (f"ollama:\n  hosts:\n    - url: {url}\n      parallel: {parallel}\n  primary_model: '{MODEL}'\n"
            "  fallback_model: ''\n  request_timeout: 30\n  connect_timeout: 2\n")


class OllamaProcess:
    """The loopback Ollama-protocol server (tests/harness) in its own process.

    A real Ollama is another process. Run in-process, the harness server's request handling would compete with the
    pipeline's threads for this process's GIL, slow every reply and blame the pipeline for it (measured: 0.62 s per
    0.4 s request with the server in-process during a full run, 0.41 s with the server alone).
    """

    def __init__(self, latency: float, verify_latency: float = 0.0) -> None:
        self.latency = latency
        self.verify_latency = verify_latency
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self, timeout: float = 60.0) -> OllamaProcess:
        """Start the child and wait (bounded) for the URL it prints."""
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.common", "serve-ollama", str(self.latency),
                                      str(self.verify_latency)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        self.url = self._line(timeout)
        if not self.url.startswith("http"):
            self.stop()
            raise RuntimeError(f"the loopback Ollama server did not start: {self.url!r}")
        return self

    def _line(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().strip() if ready else ""

    def stats(self) -> dict:
        """``{"max_in_flight": …, "requests": …}`` from the server."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        line = self._line(10.0)
        return json.loads(line) if line else {}

    def stop(self) -> None:
        """Close the child's stdin (it stops its server and exits); kill it if it does not within 10 s."""
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def start_ollama(latency: float, verify_latency: float = 0.0) -> OllamaProcess:
    """A started loopback Ollama server process with :data:`MODEL` answering after ``latency`` s with distinct,
    gate-passing text (the captioning benchmark's reply builder); the claim verifier's requests after
    ``verify_latency`` s, every claim supported."""
    return OllamaProcess(latency, verify_latency).start()


def _serve_ollama(latency: float, verify_latency: float = 0.0) -> None:
    """Child side of :class:`OllamaProcess`: print the URL, answer ``stats`` lines, stop at end of stdin."""
    from benchmarks.bench_captioning import _reply
    from tests.harness.ollama_server import OllamaServer

    server = OllamaServer().start()
    server.add_model(MODEL)
    server.behave(MODEL, latency=latency, reply=_reply([0]))
    server.behave_verify(MODEL, latency=verify_latency)
    print(server.url, flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "stats":
                print(json.dumps({"max_in_flight": server.max_in_flight,
                                  "requests": len(server.generation_requests())}), flush=True)
                server.requests.clear()  # the recorded requests hold every image: keep the child small
    finally:
        server.stop()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` percentile (0–100) by linear interpolation; NaN for an empty list."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: list[float]) -> float:
    """Median (NaN for an empty list)."""
    return statistics.median(values) if values else float("nan")


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Self:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def machine() -> dict:
    """Where and under what load the numbers were taken (every result carries this)."""
    return {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def write_result(name: str, result: dict, out_dir: Path | None = None) -> Path:
    """Write ``result`` (plus the machine/load note) to ``<out_dir or benchmarks/results>/<name>.json``."""
    out_dir = Path(out_dir) if out_dir else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    result.setdefault("benchmark", name)
    result.setdefault("machine", machine())
    result["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def bench_env() -> None:
    """Environment every benchmark runs in: no hub downloads, a private TORCH_HOME, no developer AMIRTUI_* leaking."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TORCH_HOME", str(CACHE_DIR / "torch-home"))
    for var in list(os.environ):
        if var.startswith("AMIRTUI_") and not var.startswith("AMIRTUI_TEST_"):
            del os.environ[var]


if __name__ == "__main__" and sys.argv[1:2] == ["serve-ollama"]:
    _serve_ollama(float(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
