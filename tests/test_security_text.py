"""Hostile text stays text: control characters and terminal escapes from file names, EXIF, servers or the model are
escaped (visible) in every log file, every core event and the CLI's output; crashes (CLI and TUI) reach
data/crash_runtime.log with secrets masked."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from amirtui.core.events import EventBus, FileRefused, LogLine, PublishStepDone, RowChanged
from amirtui.core.logs import log_crash, setup_logging
from amirtui.core.redact import register_secret
from amirtui.core.safe_text import escape_control, has_control_chars

# The classes seen in the audit and their cousins: OSC retitle (BEL and ST ends), CSI colour, C1 CSI, cursor moves,
# NUL, bell, backspace, DEL, line forging with CR/LF, bidi overrides, Unicode line separators, undecodable bytes.
HOSTILE = [
    "shoot\x1b]2;pwned\x07.jpg",
    "shoot\x1b]0;title\x1b\\.jpg",
    "red\x1b[31mtext\x1b[0m",
    "c1\x9b2Jclear",
    "up\x1b[1A\x1b[2Kgone",
    "nul\x00byte",
    "bell\x07and\x08back\x7fdel",
    "forged\n2026-01-01 00:00:00 ERROR fake line",
    "carriage\roverwrite",
    "evil\u202egpj.exe",
    "iso\u2066late\u2069",
    "line\u2028sep\u2029par",
    "bytes\udcff\udc80name",
]

RAW_FORBIDDEN = lambda ch: (unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp")  # noqa: E731
                            or ch in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def raw_controls(text: str, allowed: str = "") -> list[str]:
    return [repr(ch) for ch in text if RAW_FORBIDDEN(ch) and ch not in allowed]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_control_leaves_nothing_a_terminal_obeys_and_is_visible(hostile):
    out = escape_control(hostile)
    assert raw_controls(out) == []
    assert not has_control_chars(out) and has_control_chars(hostile)
    assert escape_control(out) == out  # escaping twice changes nothing (the TUI may escape an event's text again)
    assert "\\" in out  # the control character is shown, not dropped


def test_escape_control_shows_the_usual_spellings_and_keeps_ordinary_text():
    assert escape_control("a\x1b]2;x\x07") == "a\\x1b]2;x\\x07"
    assert escape_control("a\nb\tc") == "a\\nb\\tc"
    assert escape_control("a\nb", keep="\n") == "a\nb"
    assert escape_control("name\udcff.jpg") == "name\\xff.jpg"  # the original byte of an undecodable name
    assert escape_control("x\u202ey") == "x\\u202ey"
    ordinary = "Héron cendré à Zürich — 東京 👨‍👩‍👧 'quoted' [brackets] 50%"
    assert escape_control(ordinary) == ordinary and not has_control_chars(ordinary)


def _flush() -> None:
    for name in ("amirtui", "amirtui.publish"):
        for h in logging.getLogger(name).handlers:
            h.flush()


def test_no_log_file_ever_holds_a_raw_control_byte(tmp_path):
    setup_logging(tmp_path / "logs", tmp_path / "data")
    bus = EventBus()
    for i, bad in enumerate(HOSTILE):
        bus.emit(FileRefused(path=f"/sets/{bad}", reason=f"not an image: {bad}"))
        bus.emit(RowChanged(photo_id=i, from_state="prefilled", to_state="needs_work", reason=bad))
        bus.emit(PublishStepDone(photo_id=i, file_name=bad, step="upload_web", ok=False, error=bad))
        bus.warning(f"model said {bad}", source="caption")
        logging.getLogger("amirtui.publish").error("upload of %s failed: %s", bad, bad)
        logging.getLogger("amirtui").info(bad)
        try:
            raise ValueError(f"server answered {bad}")
        except ValueError as exc:
            log_crash(f"stage failed {bad}", exc, context=bad)
            logging.getLogger("amirtui").exception("with traceback %s", bad)
    _flush()
    files = [tmp_path / "logs" / "latest_run.log", tmp_path / "logs" / "db_uploader.log",
             tmp_path / "data" / "crash_runtime.log"]
    for path in files:
        text = path.read_bytes().decode("utf-8")  # strict: an undecodable byte would fail here
        assert raw_controls(text, allowed="\n") == [], path.name
        assert "\\x1b]2;pwned\\x07" in text, path.name  # shown, not dropped
    run_log = files[0].read_text(encoding="utf-8")
    # a forged line stays inside the line it came with: every line of the run log starts with a timestamp or is
    # part of a traceback
    for line in run_log.splitlines():
        assert line[:4].isdigit() or line.startswith(("Traceback", "  ", "ValueError")), line


def test_every_event_text_is_one_escaped_line_and_fields_stay_raw():
    bad = "a\x1b[31m\nb"
    events = [LogLine(message=bad, source=bad), FileRefused(path=bad, reason=bad),
              RowChanged(photo_id=1, from_state="x", to_state="y", reason=bad),
              PublishStepDone(photo_id=1, file_name=bad, step="s", ok=False, error=bad)]
    for event in events:
        assert raw_controls(event.text()) == [] and "\\x1b[31m\\nb" in event.text()
    assert events[0].message == bad  # the raw value is kept for whoever needs it (the DB, the editor)


def amirtui(home: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), *args],
                          capture_output=True, env=env, timeout=120, cwd=home)


def test_cli_output_and_logs_escape_a_hostile_file_name(home, photos_dir):
    src = home / "src"
    src.mkdir()
    (src / "bad\x1b]2;pwned\x07.jpg").write_bytes(b"plain text, not a JPEG")
    (src / "ok.jpg").write_bytes((photos_dir / "cameras" / "Canon_40D.jpg").read_bytes())
    res = amirtui(home, "import", str(src), "--subject", "Heron\x1b[31m", "--location", "Oslo", "--folder",
                  "Birds", "--confirm-new")
    out = (res.stdout + res.stderr).decode("utf-8")
    assert res.returncode == 0, out
    assert "bad\\x1b]2;pwned\\x07.jpg" in out
    assert raw_controls(out, allowed="\n") == []
    log = (home / "logs" / "latest_run.log").read_text(encoding="utf-8")
    assert "bad\\x1b]2;pwned\\x07.jpg" in log and raw_controls(log, allowed="\n") == []


def test_cli_error_is_printed_once_and_names_the_flag_that_fixes_it(home, photos_dir):
    src = home / "src"
    src.mkdir()
    (src / "ok.jpg").write_bytes((photos_dir / "cameras" / "Canon_40D.jpg").read_bytes())
    res = amirtui(home, "import", str(src), "--subject", "Heron", "--location", "Oslo", "--folder", "Birds")
    err = res.stderr.decode()
    assert res.returncode == 1
    assert err.count("new folder 'Birds'") == 1 and err.count("new location 'Oslo'") == 1, err
    assert "--confirm-new" in err


CRASH = """
import sys
import amirtui.commands as c
def boom(settings, args):
    raise RuntimeError("server said: login with {secret} failed\\x1b]2;pwned\\x07")
c._db = boom
from amirtui.cli import main
sys.exit(main(["--config", sys.argv[1], "db", "migrate"]))
"""


def test_an_unexpected_cli_crash_prints_a_masked_traceback_and_reaches_the_crash_log(home):
    secret = "crash-pw-7f3a91"
    (home / "secrets.env").write_text(f"AMIRTUI_MYSQL_PASSWORD={secret}\n")
    (home / "secrets.env").chmod(0o600)
    code = CRASH.replace("{secret}", secret)
    # the secret is known to the process once loaded: the migrate command of this script does not load secrets,
    # so register it the way every command that talks to a server does
    code = code.replace("from amirtui.cli import main",
                        "from amirtui.config import load_settings\nfrom amirtui.secrets import load_secrets\n"
                        "load_secrets(load_settings(sys.argv[1]))\nfrom amirtui.cli import main")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    res = subprocess.run([sys.executable, "-c", code, str(home / "config.yaml")], capture_output=True, env=env,
                         timeout=120, cwd=home)
    err = res.stderr.decode()
    assert res.returncode == 1, err
    assert "Traceback" in err and "RuntimeError" in err and "crash_runtime.log" in err
    assert secret not in err and "***" in err
    assert "\x1b" not in err and "\\x1b]2;pwned" in err
    crash = (home / "data" / "crash_runtime.log").read_text()
    assert "RuntimeError" in crash and "amirtui db" in crash and secret not in crash


async def test_a_crash_in_a_tui_callback_reaches_the_crash_log_masked(settings, tmp_path):
    from amirtui.core.db import close_db
    from amirtui.tui.app import make_app

    setup_logging(settings.logs_dir, settings.data_dir)
    register_secret("tui-secret-55aa")
    app = make_app(settings, preview="off")

    def boom() -> None:
        raise RuntimeError("callback failed near tui-secret-55aa")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(120, 40)) as pilot:
            app.call_later(boom)
            await pilot.pause()
            await pilot.pause()
    close_db()
    crash = (settings.data_dir / "crash_runtime.log").read_text()
    assert "TUI crashed" in crash and "RuntimeError: callback failed near ***" in crash
    assert "tui-secret-55aa" not in crash
