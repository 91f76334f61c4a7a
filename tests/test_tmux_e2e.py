"""The real app in a real terminal (tmux): keys in, screen text and DB out. Skipped when tmux is missing.

Textual draws to stderr, so nothing is redirected inside tmux. Every wait polls with a bounded timeout.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed: apt-get install -y tmux")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def pane(session: str) -> str:
    """The visible text of the session's pane."""
    return _tmux("capture-pane", "-p", "-t", session)


def wait_text(session: str, text: str, timeout: float = 60) -> str:
    """Poll the pane until ``text`` shows (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        screen = pane(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"'{text}' not shown within {timeout} s; the pane shows:\n{pane(session)}")


def start(home: Path, session: str, size: tuple[int, int] = (120, 40)) -> None:
    """Start ``python -m amirtui`` in a detached tmux session of ``size`` (columns, rows)."""
    env = " ".join(f"{k}={v}" for k, v in (("HF_HUB_OFFLINE", "1"), ("TERM", "xterm-256color")))
    cmd = f"cd {home} && env {env} {sys.executable} -m amirtui --config {home / 'config.yaml'}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]), cmd],
                   check=True, timeout=10)


def keys(session: str, *names: str) -> None:
    """Send keys (tmux names: Enter, Tab, F5, C-n …) or literal text (``-l``) to the session, at a person's pace
    (a burst sent while a screen is still mounting can land before its focus is set)."""
    for name in names:
        if name.startswith("text:"):
            _tmux("send-keys", "-t", session, "-l", name[5:])
        else:
            _tmux("send-keys", "-t", session, name)
        time.sleep(0.15)


@pytest.fixture
def tmux_home(tmp_path, ollama_server, photos_dir):
    (tmp_path / "config.yaml").write_text(
        "paths: {data_dir: data, logs_dir: logs}\n"
        f"ollama:\n  hosts: [{{url: '{ollama_server.url}', parallel: 1}}]\n  primary_model: qwen2.5vl:7b\n"
        "  fallback_model: ''\n  request_timeout: 20\n"
        "quality: {metrics: [piqe], device: cpu}\nui: {preview: 'off'}\n"
        "publish: {target: local, remote_base: photos}\n", encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"):
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    res = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(tmp_path / "config.yaml"), "import",
                          str(src), "--subject", "Harbour", "--location", "Oslo", "--folder", "Boats",
                          "--confirm-new"], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return tmp_path


def _lock_released(home: Path, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while (home / "data" / "amirtui.lock").exists():
        if time.monotonic() > end:
            raise AssertionError("amirtui did not exit after SIGHUP (lock still held)")
        time.sleep(0.2)


def test_sighup_mid_run_leaves_the_db_consistent_and_the_next_start_resumes(tmux_home):
    session = f"amirtui-{uuid.uuid4().hex[:8]}"
    start(tmux_home, session)
    try:
        wait_text(session, "Re-run checks", 30)  # preflight is the first screen
        _tmux("send-keys", "-t", session, "F3")
        wait_text(session, "Start/resume", 15)
        _tmux("send-keys", "-t", session, "r")
        wait_text(session, "running", 30)
    finally:
        _tmux("kill-session", "-t", session)  # the terminal disappears: SIGHUP
    _lock_released(tmux_home)
    db = sqlite3.connect(tmux_home / "data" / "review.db")
    open_runs = db.execute("SELECT id, kind FROM run WHERE outcome IS NULL OR outcome = ''").fetchall()
    assert open_runs == [], f"runs left without an outcome: {open_runs}"
    outcomes = [r[0] for r in db.execute("SELECT outcome FROM run WHERE kind = 'pipeline'")]
    assert outcomes and outcomes[-1] in ("cancelled", "ok"), outcomes
    states = [r[0] for r in db.execute("SELECT state FROM photo")]
    assert len(states) == 3 and "publishing" not in states

    session = f"amirtui-{uuid.uuid4().hex[:8]}"
    start(tmux_home, session)
    try:
        wait_text(session, "Re-run checks", 30)  # preflight is the first screen
        _tmux("send-keys", "-t", session, "F3")
        wait_text(session, "Start/resume", 15)
        _tmux("send-keys", "-t", session, "r")  # resume: the rows left behind finish
        end = time.monotonic() + 180
        while time.monotonic() < end:
            left = db.execute("SELECT count(*) FROM photo WHERE state NOT IN "
                              "('prefilled', 'needs_work', 'quarantined')").fetchone()[0]
            if left == 0:
                break
            time.sleep(0.5)
        assert left == 0, pane(session)
    finally:
        _tmux("kill-session", "-t", session)
    _lock_released(tmux_home)


def _db_count(db: sqlite3.Connection, where: str) -> int:
    return db.execute(f"SELECT count(*) FROM photo WHERE {where}").fetchone()[0]


def _wait_db(db: sqlite3.Connection, where: str, want: int, timeout: float, session: str) -> None:
    end = time.monotonic() + timeout
    while _db_count(db, where) != want:
        if time.monotonic() > end:
            raise AssertionError(f"expected {want} rows with {where}; the pane shows:\n{pane(session)}")
        time.sleep(0.25)


def test_preflight_run_review_and_publish_from_the_keyboard(tmux_home):
    """The evening's work in a real terminal: preflight → run → review (approve) → publish → the site is there."""
    db = sqlite3.connect(tmux_home / "data" / "review.db")
    session = f"amirtui-{uuid.uuid4().hex[:8]}"
    start(tmux_home, session)
    try:
        wait_text(session, "ready: Enter goes to the Run screen", 60)  # every check green or yellow
        _tmux("send-keys", "-t", session, "Enter")
        wait_text(session, "Start/resume", 15)
        _tmux("send-keys", "-t", session, "r")
        _wait_db(db, "state IN ('prefilled', 'needs_work')", 3, 180, session)
        _tmux("send-keys", "-t", session, "F2")
        wait_text(session, "of 3", 15)  # the page of rows is loaded (the key hints show before it is)
        for n in range(1, 4):
            _tmux("send-keys", "-t", session, "a")
            end = time.monotonic() + 20
            while _db_count(db, "state = 'approved'") < n:
                if "Approve anyway" in pane(session):  # a needs_work row: confirm the recorded override
                    _tmux("send-keys", "-t", session, "y")
                    time.sleep(0.3)
                assert time.monotonic() < end, pane(session)
                time.sleep(0.2)
        _tmux("send-keys", "-t", session, "F6")
        wait_text(session, "3 approved", 15)
        _tmux("send-keys", "-t", session, "p")
        _wait_db(db, "state = 'published'", 3, 120, session)
        wait_text(session, "published 3", 30)  # the one completion dialog
        _tmux("send-keys", "-t", session, "Enter")
    finally:
        _tmux("kill-session", "-t", session)
    _lock_released(tmux_home)
    names = [r[0] for r in db.execute("SELECT file_name FROM photo WHERE state = 'published'")]
    site = tmux_home / "data" / "site" / "photos"
    assert sorted(p.name for p in site.rglob("*.JPG") if "thumbs" not in p.parts) == sorted(names)
    mirror = sqlite3.connect(tmux_home / "data" / "photos_info_revamp.db")
    assert mirror.execute("SELECT count(*) FROM photos_info_revamp").fetchone()[0] == 3


@pytest.fixture
def evening_home(tmp_path, ollama_server, photos_dir):
    """A project home with three real camera JPEGs waiting in <home>/shoot (the import root); nothing imported."""
    src = tmp_path / "shoot"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"):
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    (tmp_path / "config.yaml").write_text(
        f"paths: {{data_dir: data, logs_dir: logs, import_root: '{src}'}}\n"
        f"ollama:\n  hosts: [{{url: '{ollama_server.url}', parallel: 1}}]\n  primary_model: qwen2.5vl:7b\n"
        "  fallback_model: ''\n  request_timeout: 20\n"
        "quality: {metrics: [piqe], device: cpu}\nui: {preview: halfcell}\n"
        "publish: {target: local, remote_base: photos}\n", encoding="utf-8")
    return tmp_path


def test_the_whole_evening_at_80x24(evening_home):
    """Import → run → review (rows arrive by themselves) → publish → quit → restart, in an 80×24 tmux pane, judged
    by what the screen says."""
    home = evening_home
    db_path = home / "data" / "review.db"
    session = f"amirtui-{uuid.uuid4().hex[:8]}"
    start(home, session, (80, 24))
    try:
        screen = wait_text(session, "ready: Enter goes to the Run screen", 90)
        assert "amirtui · Preflight" in screen and "? keys" in screen
        keys(session, "F5")
        screen = wait_text(session, "amirtui · Import", 15)
        assert "Canon_40D.jpg" in screen  # the tree shows the import root
        keys(session, "Tab", "text:Harbour")
        wait_text(session, "Harbour", 10)
        keys(session, "Tab", "text:Oslo")
        wait_text(session, "Oslo", 10)
        keys(session, "Tab", "text:Boats")
        wait_text(session, "Harbour_Oslo_Boats_Photography_", 15)  # the first filename
        keys(session, "C-n")
        wait_text(session, "new folder", 30)
        keys(session, "C-t")
        wait_text(session, "ready", 30)
        keys(session, "C-g")
        # the import starts the pipeline; the Run screen shows the board and, when done, the summary
        wait_text(session, "amirtui · Run", 30)
        screen = wait_text(session, "Run summary", 240)
        assert "finished: ok" in screen or "ok in" in screen
        keys(session, "F2")
        screen = wait_text(session, "amirtui · Review", 15)
        assert "of 3" in screen and "a Approve" in screen
        db = sqlite3.connect(db_path)
        for n in range(1, 4):
            keys(session, "a")
            end = time.monotonic() + 20
            while _db_count(db, "state = 'approved'") < n:
                if "Approve anyway" in pane(session):  # a needs_work row: confirm the recorded override
                    keys(session, "y")
                    time.sleep(0.3)
                assert time.monotonic() < end, pane(session)
                time.sleep(0.2)
        keys(session, "F6")
        wait_text(session, "3 approved", 15)
        keys(session, "p")
        wait_text(session, "published 3", 120)  # the one completion dialog
        keys(session, "Enter")
        # back on the queue: the published rows say so in place (the live queue), nothing left to review
        screen = wait_text(session, "amirtui · Review", 15)  # the dialog closes, then the queue comes back
        end = time.monotonic() + 15
        while "published" not in screen and time.monotonic() < end:  # the rows say so in place (the live queue)
            time.sleep(0.2)
            screen = pane(session)
        assert "published" in screen, screen
        keys(session, "C-q")
        _lock_released(home, 60)
    finally:
        _tmux("kill-session", "-t", session)
    session = f"amirtui-{uuid.uuid4().hex[:8]}"
    start(home, session, (80, 24))  # the next evening: the app starts clean, the summary remembers
    try:
        screen = wait_text(session, "amirtui · Preflight", 60)
        assert "did not finish" not in screen  # a clean exit leaves nothing to recover
        keys(session, "F7")
        screen = wait_text(session, "Rows per state", 15)
        assert "published" in screen
        keys(session, "C-q")
        _lock_released(home, 60)
    finally:
        _tmux("kill-session", "-t", session)
    names = [r[0] for r in sqlite3.connect(db_path).execute("SELECT file_name FROM photo WHERE state = 'published'")]
    assert len(names) == 3 and all(n.startswith("Harbour_Oslo_Boats_Photography_") for n in names)
