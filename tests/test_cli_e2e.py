"""The whole path through the real CLI, as an operator runs it headless: import → run → approve → publish →
validate, against the loopback Ollama-protocol server, real pyiqa (PIQE) and the local publish target."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def amirtui(home: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    env["HF_HUB_OFFLINE"] = "1"
    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), *args],
                          capture_output=True, text=True, env=env, timeout=timeout, cwd=home)


@pytest.fixture
def e2e_home(tmp_path, ollama_server) -> Path:
    (tmp_path / "config.yaml").write_text(
        "paths: {data_dir: data, logs_dir: logs}\n"
        f"ollama:\n  hosts: [{{url: '{ollama_server.url}', parallel: 2}}]\n  primary_model: qwen2.5vl:7b\n"
        "  fallback_model: ''\n  request_timeout: 20\n"
        "quality: {metrics: [piqe], device: cpu}\n"
        "publish: {target: local, remote_base: photos}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_import_run_approve_publish_validate(e2e_home, photos_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg"):
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    shutil.copy2(photos_dir / "orientation" / "portrait_6.jpg", src / "portrait_6.jpg")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    originals = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}

    res = amirtui(e2e_home, "import", str(src), "--subject", "Harbour", "--location", "oslo", "--folder", "Boats")
    assert res.returncode == 1 and "new folder 'Boats'" in res.stderr  # a new taxonomy entry must be confirmed
    res = amirtui(e2e_home, "import", str(src), "--subject", "Harbour", "--location", "oslo", "--folder", "Boats",
                  "--confirm-new")
    assert res.returncode == 0, res.stderr
    assert "imported 5 photo(s)" in res.stdout and "refused" in res.stderr and "broken.jpg" in res.stderr

    res = amirtui(e2e_home, "run", "--headless")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "Ollama runtime: model=qwen2.5vl:7b processor=GPU" in res.stderr

    db = sqlite3.connect(e2e_home / "data" / "review.db")
    states = dict(db.execute("SELECT state, count(*) FROM photo GROUP BY state").fetchall())
    assert sum(states.get(s, 0) for s in ("prefilled", "needs_work")) == 5, states
    assert db.execute("SELECT count(*) FROM photo WHERE qr IS NULL OR ai_caption IS NULL").fetchone()[0] == 0
    db.execute("UPDATE photo SET state = 'approved' WHERE state IN ('prefilled', 'needs_work')")  # the reviewer's part
    db.commit()

    res = amirtui(e2e_home, "publish")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "published 5, failed 0" in res.stdout
    names = [r[0] for r in db.execute("SELECT file_name FROM photo WHERE state = 'published' ORDER BY id")]
    assert len(names) == 5 and all(n.startswith("Harbour_Oslo_Boats_Photography_") for n in names)
    site = e2e_home / "data" / "site" / "photos"
    web = sorted(p.name for p in site.rglob("*.JPG") if "thumbs" not in p.parts)
    thumbs = sorted(p.name for p in site.rglob("*.JPG") if "thumbs" in p.parts)
    assert web == thumbs == sorted(names)
    mirror = sqlite3.connect(e2e_home / "data" / "photos_info_revamp.db")
    assert sorted(r[0] for r in mirror.execute("SELECT File_Name FROM photos_info_revamp")) == sorted(names)

    again = amirtui(e2e_home, "publish")  # idempotent: nothing left to do, nothing duplicated
    assert again.returncode == 0 and "published 0" in again.stdout
    assert mirror.execute("SELECT count(*) FROM photos_info_revamp").fetchone()[0] == 5

    res = amirtui(e2e_home, "validate", "--offline")
    assert res.returncode == 0, res.stdout + res.stderr
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()} == originals
    assert (e2e_home / "logs" / "db_uploader.log").read_text().count("published") >= 5


def test_preflight_reports_green_and_red_with_fixes(e2e_home, ollama_server):
    res = amirtui(e2e_home, "preflight")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "[ok  ] publish target: local folder" in res.stdout
    assert "metric piqe" in res.stdout
    ollama_server.remove_model("qwen2.5vl:7b")
    res = amirtui(e2e_home, "preflight")
    assert res.returncode == 1
    assert "ollama pull qwen2.5vl:7b" in res.stdout


def test_db_backup_and_migrate_commands(e2e_home):
    assert amirtui(e2e_home, "db", "migrate").returncode == 0
    res = amirtui(e2e_home, "db", "backup")
    assert res.returncode == 0 and "backup written" in res.stdout
    backups = list((e2e_home / "data" / "backups").glob("review-*.db"))
    assert len(backups) == 1
    res = amirtui(e2e_home, "db", "reset")  # asks; no stdin means no
    assert res.returncode != 0
    assert (e2e_home / "data" / "review.db").exists()


def amirtui_without(module: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI on an install that lost ``module`` (made unimportable in the child process only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    env["HF_HUB_OFFLINE"] = "1"
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from amirtui.cli import main\nsys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "--config", str(home / "config.yaml"), *args],
                          capture_output=True, text=True, env=env, timeout=240, cwd=home)


def test_a_run_whose_stage_cannot_start_ends_partial_with_exit_3_and_preflight_names_the_fix(tmp_path, photos_dir):
    home = tmp_path / "home"
    src = home / "src"
    src.mkdir(parents=True)
    (home / "config.yaml").write_text("paths: {data_dir: data, logs_dir: logs}\n"
                                      "quality: {metrics: [piqe], device: cpu}\nollama: {enabled: false}\n",
                                      encoding="utf-8")
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"):
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    (src / ".hidden.jpg").write_bytes((src / "Canon_40D.jpg").read_bytes()[:100])
    res = amirtui(home, "import", str(src), "--subject", "Harbour", "--location", "Oslo", "--folder", "Boats",
                  "--confirm-new")
    assert res.returncode == 0 and "imported 3 photo(s)" in res.stdout
    assert "refused" in res.stderr and ".hidden.jpg" in res.stderr and "hidden file" in res.stderr

    res = amirtui_without("pyiqa", home, "run", "--headless")
    assert res.returncode == 3, res.stdout + res.stderr[-3000:]  # not "finished: ok" with rows left behind
    assert res.stdout.startswith("partial: 3 of 3 row(s) not through — stage could not start: 3 (score: ")
    assert "stage score could not start" in res.stderr
    progress = [ln for ln in res.stderr.splitlines() if ln.startswith("stage model_image: ")]
    assert progress and all("/s, ETA " in ln for ln in progress), progress  # done/total, rate and ETA
    db = sqlite3.connect(home / "data" / "review.db")
    assert db.execute("SELECT state, count(*) FROM photo GROUP BY state").fetchall() == [("model_ready", 3)]
    assert db.execute("SELECT outcome FROM run WHERE kind = 'pipeline'").fetchall() == [("partial",)]

    res = amirtui_without("pyiqa", home, "preflight")
    assert res.returncode == 1
    assert "[FAIL] stage score: cannot start: the Python module 'pyiqa' is not installed" in res.stdout
    assert "pip install pyiqa" in res.stdout
