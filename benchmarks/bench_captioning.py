"""Captioning stage overhead: wall time of the stage ÷ (rows × calls × L ÷ P) against the loopback Ollama server.

L is the server's fixed latency per request (caption and verifier alike), P the parallel limit and calls = 2 with the
claim verifier (the default) or 1 without, so the ratio is what the stage itself adds on top of the model (target
≤ 1.05). The verifier's own time per request and its share of the wall time are reported beside it. Rows are real
DB rows with real JPEG model images; the official ``ollama`` client does the HTTP. Usage: ``python -m benchmarks.bench_captioning [rows latency parallel]``; JSON goes to
``benchmarks/results/captioning.json``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from amirtui.config import OllamaConfig, load_settings  # noqa: E402
from amirtui.core.captioning.stage import CaptionStage  # noqa: E402
from amirtui.core.db import close_db, open_db  # noqa: E402
from amirtui.core.db.models import Photo, PhotoSet  # noqa: E402
from amirtui.core.events import EventBus  # noqa: E402
from amirtui.core.stage import StageContext  # noqa: E402

MODEL = "qwen2.5vl:7b"
SET_SIZE = 5  # rows per set: duplicate checks compare within a set, as in real runs
SUBJECTS = ["heron", "swan", "cormorant", "grebe", "gull", "kingfisher", "coot", "mallard", "egret", "osprey", "tern"]
PLACES = ["harbour wall", "reed bed", "wooden jetty", "stony beach", "old boathouse", "mooring post", "river mouth"]
ACTIONS = ["preens its feathers", "watches for fish", "lands with wings spread", "dozes in the sun",
           "calls to its mate", "shakes off water", "stalks through ripples", "guards a nest", "swallows a minnow"]
LIGHTS = ["pale winter sun", "thick morning fog", "a stormy violet sky", "warm late light", "steady drizzle"]


def _reply(counter: list[int]):
    """Distinct, gate-passing text per request (templated text would rightly be flagged as near-duplicates)."""

    def build(request: dict) -> dict:
        counter[0] += 1
        n = counter[0]
        s, p = SUBJECTS[n % len(SUBJECTS)], PLACES[n % len(PLACES)]
        a, light = ACTIONS[n % len(ACTIONS)], LIGHTS[n % len(LIGHTS)]
        return {
            "caption": f"Beside the {p}, one {s} {a} under {light}.",
            "alt_text": f"Bird {n} is a {s} close to a {p}, photographed from the water.",
            "keywords": [s, p, a.split()[0], light.split()[-1], f"frame {n}"],
        }

    return build


def _pass(rows: int, latency: float, parallel: int, verify: bool) -> dict:
    """One timed captioning pass over ``rows`` fresh rows (its own server process and DB)."""
    # The server runs in its own process, as a real Ollama does: in-process it competed with the stage for the GIL.
    from benchmarks.common import start_ollama

    server = start_ollama(latency, verify_latency=latency)  # a verifier answer costs a model call too
    with tempfile.TemporaryDirectory(prefix="amirtui-bench-") as tmp:
        home = Path(tmp)
        (home / "config.yaml").write_text("paths:\n  data_dir: data\n  logs_dir: logs\n", encoding="utf-8")
        settings = load_settings(home / "config.yaml")
        settings = settings.model_copy(update={"ollama": OllamaConfig(
            hosts=[{"url": server.url, "parallel": parallel}], primary_model=MODEL, fallback_model="",
            request_timeout=30, connect_timeout=2, verify=verify)})
        open_db(settings.db_path)
        try:
            sets = [PhotoSet.create(subject="Waterbirds", location="Lake Constance", folder="Wildlife")
                    for _ in range(0, rows, SET_SIZE)]
            settings.ollama_tmp_dir.mkdir(parents=True, exist_ok=True)
            ids = []
            for i in range(rows):
                path = settings.ollama_tmp_dir / f"m{i}.jpg"
                Image.new("RGB", (1024, 683), (i % 256, 120, 60)).save(path, "JPEG", quality=85)
                ids.append(Photo.create(set=sets[i // SET_SIZE], state="scored", seq=i, original_path=f"/p/{i}.jpg",
                                        original_name=f"{i}.jpg", model_image_path=str(path)).id)
            stage, bus = CaptionStage(), EventBus()
            ctx = StageContext(settings=settings, bus=bus)
            t0 = time.perf_counter()
            stage.setup(ctx)
            setup_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=stage.concurrency) as ex:  # what the runner does
                list(ex.map(lambda pid: stage.process(pid, ctx), ids))
            wall = time.perf_counter() - t1
            verifier = stage.verifier
            verify_s = verifier.mean_seconds() if verifier else None
            verified = verifier.done if verifier else 0
            stage.teardown(ctx)
            done = Photo.select().where(Photo.state == "prefilled").count()
            max_in_flight = server.stats().get("max_in_flight")
        finally:
            close_db()
            server.stop()
    calls = 2 if verify else 1  # the model-bound limit counts the caption call and the verifier call
    ideal = rows * calls * latency / parallel
    return {"wall_s": round(wall, 3), "ideal_s": round(ideal, 3), "ratio": round(wall / ideal, 4),
            "setup_s_incl_warmup": round(setup_s, 3), "prefilled": done, "max_in_flight": max_in_flight,
            "verify_s_per_request": None if verify_s is None else round(verify_s, 3), "verified_rows": verified}


def run(rows: int = 40, latency: float = 0.25, parallel: int = 4, out: Path | None = None) -> dict:
    """Caption ``rows`` rows with a server answering in ``latency`` s and ``parallel`` slots, with the verifier pass
    (the default) and without it; returns the numbers (``ratio``: with the verifier, against its own limit)."""
    on = _pass(rows, latency, parallel, verify=True)
    off = _pass(rows, latency, parallel, verify=False)
    result = {
        "rows": rows, "latency_s": latency, "parallel": parallel, **on, "target_ratio": 1.05,
        "verifier_share_of_wall": round(1 - off["wall_s"] / on["wall_s"], 3) if on["wall_s"] else None,
        "without_verifier": off,
    }
    out = out or ROOT / "benchmarks" / "results" / "captioning.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:4]]
    kwargs = dict(zip(("rows", "latency", "parallel"), args))
    for key in ("rows", "parallel"):
        if key in kwargs:
            kwargs[key] = int(kwargs[key])
    print(json.dumps(run(**kwargs), indent=2))
