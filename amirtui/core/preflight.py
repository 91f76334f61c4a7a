"""Preflight: every check a run depends on, each green / yellow / red with what was found and the fix.

Used by the TUI's first screen and by ``amirtui preflight`` (exit 1 when any line is red). Nothing hides under a
default: a missing model, missing weights, an unreachable server or a bad credential is a red line with the fix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .checks import GREEN, RED, YELLOW, Check  # re-exported: callers may keep importing them from here
from .private_files import make_private_dir, mode_checks


def _writable(name: str, path: Path) -> Check:
    try:
        make_private_dir(path)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".preflight-", delete=True):
            pass
        return Check(name, GREEN, f"{path} is writable")
    except OSError as exc:
        return Check(name, RED, f"{path} is not writable: {exc.strerror or exc}",
                     fix="create it and give this user write access (chown/chmod), or change paths.* in config.yaml")


def _disk(path: Path) -> Check:
    probe = path if path.exists() else path.parent
    free = shutil.disk_usage(probe).free
    gib = free / 2**30
    if gib < 0.5:
        return Check("free disk", RED, f"{gib:.2f} GiB free at {probe}", fix="free space: staging copies every original")
    if gib < 5:
        return Check("free disk", YELLOW, f"{gib:.1f} GiB free at {probe}",
                     fix="a large import needs about twice the originals' size")
    return Check("free disk", GREEN, f"{gib:.0f} GiB free at {probe}")


def _lock(data_dir: Path) -> Check:
    from .lock import lock_state

    state, info = lock_state(data_dir)
    if state == "held" and info is not None and info.pid == os.getpid():
        return Check("database lock", GREEN, "held by this session")
    if state == "held":
        who = f"amirtui pid {info.pid} on {info.host}" if info else "another amirtui (starting up)"
        return Check("database lock", RED, f"{who} is using this data directory",
                     fix="attach to that session (tmux attach) or stop it; two instances must not share a DB")
    if state == "stale" and info is not None:
        return Check("database lock", YELLOW, f"stale lock from dead pid {info.pid}",
                     fix="run `amirtui recover --clear-lock` (start-up offers the crash screen)")
    return Check("database lock", GREEN, "no other amirtui uses this data directory")


def _guarded(name: str, fn: Callable[[], Iterable[Check]]) -> list[Check]:
    """Run a group of checks; a crash in the checker is itself a red line, never a silent pass."""
    try:
        return list(fn())
    except ImportError as exc:
        return [Check(name, RED, f"component not available: {exc}", fix="reinstall amirtui (scripts/start.sh)")]
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        return [Check(name, RED, f"check failed: {type(exc).__name__}: {exc}", fix="see logs/latest_run.log")]


def _ollama_checks(settings) -> Iterable[Check]:
    if not settings.ollama.enabled:
        return [Check("ollama", YELLOW, "captioning disabled (ollama.enabled: false)",
                      fix="rows arrive in review as needs_work for manual text")]
    from .captioning.status import preflight_checks

    return preflight_checks(settings)


def _quality_checks(settings) -> Iterable[Check]:
    if not settings.quality.enabled:
        return [Check("quality metrics", YELLOW, "quality scoring disabled (quality.enabled: false)")]
    from .quality.metrics import metric_status
    from .quality.qr import OFFLINE_NOTE, offline_mix_expected

    out = []
    for st in metric_status(settings):
        level = GREEN if st.status == "ready" else YELLOW  # a missing metric is skipped; QR renormalises
        out.append(Check(f"metric {st.name}", level, st.detail or st.status, fix=getattr(st, "fix", "") or ""))
    if out and all(c.level != GREEN for c in out):
        out.append(Check("quality metrics", RED, "no configured metric can run",
                         fix="add piqe (no weights needed) to quality.metrics or run `amirtui models fetch`"))
    elif offline_mix_expected([c.name.removeprefix("metric ") for c in out if c.level == GREEN],
                              settings.quality.qr_weights):
        out.append(Check("quality mix", YELLOW, OFFLINE_NOTE))
    return out


def _names_check(settings, secrets, remote: bool) -> Check:
    from .naming_catalog import names_check  # red when the names counters continue after cannot be read

    return names_check(settings, secrets, remote=remote)


def _stage_checks(settings) -> Iterable[Check]:
    """One red line per pipeline stage that could not start (its rows would wait forever), else one green line."""
    from .pipeline import default_stages

    stages = default_stages(settings)
    out = []
    for stage in stages:
        why = stage.cannot_start(settings)
        if why:
            module = why.split("'")[1] if "'" in why else ""
            out.append(Check(f"stage {stage.name}", RED, f"cannot start: {why}",
                             fix=f"install it: ./scripts/start.sh installs every dependency (or pip install {module} "
                                 "in amirtui's venv); until then its rows wait and runs end 'partial'"))
    return out or [Check("pipeline stages", GREEN, f"all {len(stages)} stages can start")]


def _publish_checks(settings, secrets) -> Iterable[Check]:
    from .publish.health import publish_checks

    return publish_checks(settings, secrets)


def iter_checks(settings, secrets, *, include_remote: bool = True) -> Iterator[tuple[str, Callable[[], list[Check]]]]:
    """The checks in display order as (group name, run-it) pairs, so a screen can show each group as it completes
    (and how long a slow one — the model warm-up — has been running). Each run-it returns that group's lines."""
    yield "data dir", lambda: [_writable("data dir", settings.data_dir)]
    yield "logs dir", lambda: [_writable("logs dir", settings.logs_dir)]
    yield "model image dir", lambda: [_writable("model image dir", settings.ollama_tmp_dir)]
    yield "free disk", lambda: [_disk(settings.data_dir)]
    yield "database lock", lambda: [_lock(settings.data_dir)]
    yield "pipeline stages", lambda: _guarded("pipeline stages", lambda: _stage_checks(settings))
    yield "private files", lambda: _guarded("private files", lambda: mode_checks(settings))
    yield "quality metrics", lambda: _guarded("quality metrics", lambda: _quality_checks(settings))
    yield "catalog names", lambda: _guarded("catalog names",
                                            lambda: [_names_check(settings, secrets, include_remote)])
    if include_remote:
        yield "ollama", lambda: _guarded("ollama", lambda: _ollama_checks(settings))
        yield "publish target", lambda: _guarded("publish target", lambda: _publish_checks(settings, secrets))


def run_checks(settings, secrets, *, include_remote: bool = True) -> list[Check]:
    """All preflight checks in display order (``include_remote=False`` skips Ollama and publish servers)."""
    return [c for _, run in iter_checks(settings, secrets, include_remote=include_remote) for c in run()]


def format_checks(checks: list[Check]) -> str:
    """Plain-text rendering for ``amirtui preflight``."""
    mark = {GREEN: "ok  ", YELLOW: "warn", RED: "FAIL"}
    lines = []
    for c in checks:
        lines.append(f"[{mark[c.level]}] {c.name}: {c.found}")
        if c.fix and c.level != GREEN:
            lines.append(f"       fix: {c.fix}")
    reds = sum(c.level == RED for c in checks)
    lines.append(f"{len(checks)} checks, {reds} red" + (" — fix the red lines before a run" if reds else " — ready"))
    return "\n".join(lines)
