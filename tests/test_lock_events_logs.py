"""Single-instance lock, the event bus, the run log, crash log, and that no secret reaches a log file."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from amirtui.core.errors import LockHeld
from amirtui.core.events import EventBus, LogLine, StageProgressed
from amirtui.core.lock import InstanceLock, read_lock
from amirtui.core.logs import log_crash, setup_logging
from amirtui.core.redact import register_secret


def test_second_instance_is_refused_while_the_first_lives(tmp_path):
    first = InstanceLock(tmp_path)
    first.acquire()
    info = read_lock(first.path)
    assert info.pid == os.getpid() and info.alive
    with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
        InstanceLock(tmp_path).acquire()
    first.release()
    assert not first.path.exists()


def test_stale_lock_of_a_dead_process_is_reported_then_cleared(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "amirtui.lock").write_text(f"{dead.pid} {os.uname().nodename} 0\n")
    with pytest.raises(LockHeld, match="stale lock") as err:
        InstanceLock(tmp_path).acquire()
    assert "recover --clear-lock" in err.value.fix
    lock = InstanceLock(tmp_path)
    lock.acquire(clear_stale=True)
    assert read_lock(lock.path).pid == os.getpid()
    lock.release()


def test_cli_refuses_a_second_instance_with_exit_2(home):
    lock = InstanceLock(home / "data")
    lock.acquire()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
        proc = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), "db", "migrate"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 2 and "already running" in proc.stderr
    finally:
        lock.release()


def test_bus_delivers_to_listeners_and_a_broken_listener_does_not_stop_it():
    bus = EventBus()
    got = []

    def broken(_):
        raise RuntimeError("ui gone")

    bus.subscribe(broken)
    unsubscribe = bus.subscribe(got.append)
    bus.emit(StageProgressed(stage="score", done=1, total=2))
    bus.info("hello", source="test")
    assert [type(e) for e in got] == [StageProgressed, LogLine]
    unsubscribe()
    bus.info("again")
    assert len(got) == 2


def test_event_text_goes_to_latest_run_log_without_secrets(tmp_path):
    setup_logging(tmp_path / "logs", tmp_path / "data")
    register_secret("pa55-w0rd-xyz")
    bus = EventBus()
    bus.error("login failed for ftp://amir:pa55-w0rd-xyz@host with pa55-w0rd-xyz", source="publish")
    bus.info("mysql://root:other-secret@db/x connected")
    for h in logging.getLogger("amirtui").handlers:
        h.flush()
    text = (tmp_path / "logs" / "latest_run.log").read_text()
    assert "login failed" in text and "connected" in text
    assert "pa55-w0rd-xyz" not in text and "other-secret" not in text


def test_crash_log_has_timestamp_kind_and_traceback_without_secrets(tmp_path):
    setup_logging(tmp_path / "logs", tmp_path / "data")
    register_secret("crash-secret-123")
    try:
        raise ValueError("bad value crash-secret-123")
    except ValueError as exc:
        log_crash("stage failed on a row", exc, context="photo 7")
    text = (tmp_path / "data" / "crash_runtime.log").read_text()
    assert "stage failed on a row — photo 7" in text and "Traceback" in text and "ValueError" in text
    assert "crash-secret-123" not in text


def _dead_lock(home):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (home / "data").mkdir(exist_ok=True)
    (home / "data" / "amirtui.lock").write_text(f"{dead.pid} {os.uname().nodename} 0\n")
    return dead.pid


def _cli(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_recover_status_reports_a_stale_lock_and_never_removes_it(home):
    pid = _dead_lock(home)
    before = (home / "data" / "amirtui.lock").read_text()
    for args in (("recover", "--status"), ("recover",)):
        proc = _cli(home, *args)
        assert proc.returncode == 0, proc.stderr
        assert f"stale lock of dead pid {pid}" in proc.stdout and "--clear-lock" in proc.stdout
        assert (home / "data" / "amirtui.lock").read_text() == before  # untouched


def test_recover_resume_clears_the_lock_a_crashed_process_left(home):
    pid = _dead_lock(home)
    proc = _cli(home, "recover", "--resume")
    assert proc.returncode == 0, proc.stderr
    assert f"cleared the stale lock of dead pid {pid}" in proc.stderr
    assert not (home / "data" / "amirtui.lock").exists()  # released again at exit


def test_clear_lock_refuses_a_live_holder_and_clears_a_dead_one(home):
    lock = InstanceLock(home / "data")
    lock.acquire()
    try:
        proc = _cli(home, "recover", "--clear-lock")
        assert proc.returncode == 1 and "live process" in proc.stderr
        assert read_lock(lock.path).pid == os.getpid()
    finally:
        lock.release()
    pid = _dead_lock(home)
    proc = _cli(home, "recover", "--clear-lock")
    assert proc.returncode == 0 and f"cleared stale lock of pid {pid}" in proc.stdout
    assert not (home / "data" / "amirtui.lock").exists()


def test_an_empty_lock_file_held_by_a_starting_process_is_not_stale(tmp_path):
    """The audit's race: the holder has created the file but not yet written its pid. Holding the flock is what
    counts, so a second process is refused even with clear_stale."""
    import fcntl

    (tmp_path / "amirtui.lock").write_text("")
    fd = os.open(tmp_path / "amirtui.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a holder that has not written its pid yet
    try:
        with pytest.raises(LockHeld, match="already running"):
            InstanceLock(tmp_path).acquire(clear_stale=True)
    finally:
        os.close(fd)
    lock = InstanceLock(tmp_path)
    lock.acquire()  # the holder is gone: the empty file is free to take
    assert read_lock(lock.path).pid == os.getpid()
    lock.release()
