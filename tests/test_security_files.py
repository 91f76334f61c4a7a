"""Files only the owner can read: data/, logs/, backups and the lock are created owner-only (dirs 0700, files 0600)
whatever the umask; existing wider modes are a yellow preflight line with the chmod fix."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def amirtui(home: Path, *args: str, umask: int = 0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), *args],
                          capture_output=True, text=True, env=env, timeout=240, cwd=home,
                          preexec_fn=lambda: os.umask(umask))


@pytest.fixture
def private_home(tmp_path: Path, photos_dir: Path) -> Path:
    (tmp_path / "config.yaml").write_text(
        "paths: {data_dir: data, logs_dir: logs}\nollama: {enabled: false}\nquality: {enabled: false}\n",
        encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        (src / name).write_bytes((photos_dir / "cameras" / name).read_bytes())
    return tmp_path


def modes(root: Path) -> dict[str, str]:
    out = {str(root): stat.filemode(root.stat().st_mode)}
    for p in root.rglob("*"):
        out[str(p.relative_to(root.parent))] = stat.filemode(p.lstat().st_mode)
    return out


def test_everything_amirtui_creates_is_owner_only_even_with_umask_000(private_home):
    res = amirtui(private_home, "import", str(private_home / "src"), "--subject", "Heron", "--location", "Oslo",
                  "--folder", "Birds", "--confirm-new")
    assert res.returncode == 0, res.stderr
    res = amirtui(private_home, "run", "--headless")
    assert res.stdout is not None
    res = amirtui(private_home, "db", "backup")
    assert res.returncode == 0, res.stderr
    data, logs = private_home / "data", private_home / "logs"
    assert (data / "backups").is_dir() and any((data / "backups").iterdir())
    assert any((data / "incoming").rglob("*")), "the run staged nothing: the test would prove little"
    wide = {}
    for root in (data, logs):
        for path, mode in modes(root).items():
            expected = "drwx------" if mode.startswith("d") else "-rw-------"
            if mode != expected and "/site/" not in path:  # published files are public by design
                wide[path] = mode
    assert wide == {}


def test_the_lock_file_is_owner_only(tmp_path):
    code = ("import os, stat, sys\nos.umask(0)\nfrom amirtui.core.lock import InstanceLock\n"
            "lock = InstanceLock(sys.argv[1] + '/data')\nlock.acquire()\n"
            "print(stat.filemode(os.stat(lock.path).st_mode), stat.filemode(os.stat(sys.argv[1] + '/data').st_mode))\n"
            "lock.release()\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["-rw-------", "drwx------"], out.stderr


def test_preflight_reports_wider_modes_yellow_with_the_chmod_fix(private_home):
    res = amirtui(private_home, "import", str(private_home / "src"), "--subject", "Heron", "--location", "Oslo",
                  "--folder", "Birds", "--confirm-new")
    assert res.returncode == 0, res.stderr
    res = amirtui(private_home, "preflight")
    assert "[ok  ] private files" in res.stdout, res.stdout
    os.chmod(private_home / "data", 0o755)
    os.chmod(private_home / "logs" / "latest_run.log", 0o644)
    res = amirtui(private_home, "preflight")
    line = next(ln for ln in res.stdout.splitlines() if "private files" in ln)
    assert line.startswith("[warn]") and "data" in line and "latest_run.log" in line, res.stdout
    fix = res.stdout.splitlines()[res.stdout.splitlines().index(line) + 1]
    assert "fix: chmod -R go-rwx" in fix and str(private_home / "data") in fix and str(private_home / "logs") in fix
    # the fix it prints works, and preflight never changes modes itself
    assert stat.S_IMODE((private_home / "data").stat().st_mode) == 0o755
    subprocess.run(fix.split("fix: ", 1)[1], shell=True, check=True)
    assert "[ok  ] private files" in amirtui(private_home, "preflight").stdout
