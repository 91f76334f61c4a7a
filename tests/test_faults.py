"""Fault tests: Ollama hanging mid-run, disk full while staging. Each must end consistent and finish once the fault
clears. (Connection cuts and MariaDB outages mid-publish are the publish engineer's tests.)"""

from __future__ import annotations

import errno
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from amirtui.core import recovery
from amirtui.core.db.models import Photo
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.pipeline import Pipeline
from amirtui.core.states import State
from tests.helpers_headless import check_invariants, hash_tree, sha256

MODEL = "qwen2.5vl:7b"


def _home(tmp_path: Path, extra: str = "") -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(
        "paths:\n  data_dir: data\n  logs_dir: logs\n" + extra
        + "quality:\n  metrics: [piqe]\n  device: cpu\ningest:\n  workers: 2\n  confirm_new_taxonomy: false\n",
        encoding="utf-8",
    )
    return home


@pytest.fixture
def open_home():
    """Load settings from a home and open its DB; closes it afterwards."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db

    def make(home: Path):
        settings = load_settings(home / "config.yaml")
        open_db(settings.db_path)
        return settings

    yield make
    close_db()


def _import(settings, bus, src: Path) -> list[int]:
    report = import_sets([SetSpec(sources=[src], subject="Canal", location="Delft", folder="Streets")], settings, bus)
    assert report.ok
    return [p.id for p in Photo.select().order_by(Photo.id)]


def _wait_for(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# ---------------------------------------------------------------- Ollama hangs mid-run


def test_ollama_hanging_mid_run_parks_rows_the_run_ends_and_they_finish_after(tmp_path, jpeg_factory, ollama_server,
                                                                                open_home, bus):
    from amirtui.core.captioning.generate import generate_row
    from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
    from amirtui.core.model_image_stage import ModelImageStage
    from amirtui.core.pipeline import default_stages

    src = tmp_path / "src"
    for i in range(8):
        jpeg_factory(f"IMG_{i}.jpg", size=(480, 360), seed=50 + i, make="Canon", model="Canon EOS R5")
    shutil.copytree(jpeg_factory.directory, src)
    home = _home(tmp_path, f"ollama:\n  hosts:\n    - url: {ollama_server.url}\n      parallel: 2\n"
                           "  fallback_model: ''\n  request_timeout: 1.5\n  connect_timeout: 1\n  max_attempts: 2\n")
    settings = open_home(home)
    ids = _import(settings, bus, src)
    # Everything up to captioning first, so the hang can be switched on while captions are in flight.
    Pipeline(settings, bus, [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()], poll=0.02).run()
    ollama_server.behave(MODEL, latency=0.4)

    pipeline = Pipeline(settings, bus, default_stages(settings), poll=0.02)
    result: dict = {}
    worker = threading.Thread(target=lambda: result.setdefault("run", pipeline.run()), daemon=True)
    worker.start()
    captioned = (State.PREFILLED.value, State.NEEDS_WORK.value)
    _wait_for(lambda: Photo.select().where(Photo.state.in_(captioned)).count() >= 2, 120, "two captions")
    ollama_server.behave(MODEL, latency=0.0, hang=60)  # the server stops answering mid-run
    worker.join(timeout=120)
    assert not worker.is_alive(), "the run did not end while Ollama hung (no timeout / watchdog?)"
    # the run ends, and says it did not get every row through (they finish in a later run, below)
    assert result["run"].outcome == "partial" and set(result["run"].reasons) <= {"row_failed", "quarantined"}

    rows = {p.id: p for p in Photo.select()}
    stuck = [p for p in rows.values() if p.state not in (State.PREFILLED.value, State.NEEDS_WORK.value,
                                                         State.QUARANTINED.value, State.SCORED.value)]
    assert stuck == [], [(p.id, p.state) for p in stuck]
    hung = [p for p in rows.values() if p.ai_caption is None]
    assert hung, "the hang came too late to hit any row"
    for p in hung:  # parked with a reason the operator can read, or left scored for the next run
        assert p.state in (State.QUARANTINED.value, State.NEEDS_WORK.value, State.SCORED.value)
        if p.state != State.SCORED.value:
            assert p.gate_status == "needs_work" and p.gate_reasons
        assert p.last_error or p.gate_reasons
    assert check_invariants() == []
    assert not recovery.detect(settings).needs_attention  # a fault handled in-run is not a crash

    # The fault clears: the next run captions what was left scored, Generate re-does the parked rows.
    ollama_server.behave(MODEL, hang=None, latency=0.0)
    Pipeline(settings, bus, default_stages(settings), poll=0.02).run()
    for p in Photo.select().where(Photo.ai_caption.is_null() & Photo.state.in_(
            [State.QUARANTINED.value, State.NEEDS_WORK.value])):
        res = generate_row(p.id, settings, bus)
        assert res.ok, res.error
    final = list(Photo.select())
    assert len(final) == len(ids)
    assert all(p.ai_caption for p in final), [(p.id, p.state) for p in final if not p.ai_caption]
    assert {p.state for p in final} <= {State.PREFILLED.value, State.NEEDS_WORK.value}
    assert check_invariants() == []


# ---------------------------------------------------------------- disk full while staging


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def _remount(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True, timeout=10)


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, timeout=10)


def test_disk_full_while_staging_refuses_cleanly_and_finishes_when_space_returns(tmp_path, jpeg_factory, open_home,
                                                                                  bus, monkeypatch):
    from amirtui.core import ingest_stages
    from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
    from amirtui.core.model_image_stage import ModelImageStage

    src = tmp_path / "src"
    for i in range(6):  # noisy pixels at high quality: each file a few hundred KB
        jpeg_factory(f"IMG_{i}.jpg", size=(1200, 900), seed=200 + i, quality=97)
    shutil.copytree(jpeg_factory.directory, src)
    before = hash_tree(src)
    total = sum(p.stat().st_size for p in src.iterdir())
    incoming = tmp_path / "small_disk"
    mounted = _mount_tmpfs(incoming, f"{max(total // 3, 64 * 1024)}")
    home = _home(tmp_path, f"  incoming_dir: {incoming}\n")
    settings = open_home(home)
    ids = _import(settings, bus, src)
    print("disk full by:", "a 1/3-size tmpfs" if mounted else "injected OSError(ENOSPC)")
    if not mounted:  # no tmpfs (unprivileged CI): inject the same OSError the kernel gives, after a partial write
        real = ingest_stages.copy_verified
        budget = {"left": 2}

        def full_disk(s, dest, **kw):
            if budget["left"] <= 0:
                dest.parent.mkdir(parents=True, exist_ok=True)
                part = dest.with_name(dest.name + ".part")
                try:
                    part.write_bytes(Path(s).read_bytes()[:4096])
                    raise OSError(errno.ENOSPC, "No space left on device", str(part))
                finally:
                    part.unlink(missing_ok=True)  # as copy_verified cleans its temp file
            budget["left"] -= 1
            return real(s, dest, **kw)

        monkeypatch.setattr(ingest_stages, "copy_verified", full_disk)
    try:
        stages = [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()]
        run = Pipeline(settings, bus, stages, poll=0.02).run()
        refused = [p for p in Photo.select() if p.state == State.IMPORTED.value]
        assert refused, "the small disk never filled up"
        # the run ends (the disk problem is per row) and says how many rows it could not stage
        assert run.outcome == "partial" and run.reasons == {"row_failed": len(refused)}
        for p in refused:
            assert "disk full while staging" in p.last_error and "free space" in p.last_error
        assert any("disk full" in getattr(e, "message", "") for e in bus.seen)
        assert not list(incoming.rglob("*.part")), "a half-written copy was left behind"
        for p in Photo.select().where(Photo.state != State.IMPORTED.value):
            assert sha256(Path(p.staged_path)) == p.content_hash  # what did get staged is complete
        assert check_invariants() == []
        assert not recovery.detect(settings, deep=True).needs_attention

        # Space comes back: the next run stages the rest and everything reaches the review queue.
        if mounted:
            _remount(incoming, "64m")
        else:
            monkeypatch.setattr(ingest_stages, "copy_verified", real)
        Pipeline(settings, bus, [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()], poll=0.02).run()
        rows = list(Photo.select())
        assert len(rows) == len(ids)
        assert {p.state for p in rows} == {State.MODEL_READY.value}, [(p.id, p.state, p.last_error) for p in rows]
        assert all(sha256(Path(p.staged_path)) == p.content_hash for p in rows)
        assert len({p.file_name.casefold() for p in rows}) == len(rows)
        assert check_invariants() == []
        assert hash_tree(src) == before
    finally:
        if mounted:
            _umount(incoming)
