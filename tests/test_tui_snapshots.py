"""SVG snapshots of every screen at 80×24 and 120×40 (preview forced to halfcell, debounce off, fixed data).

Snapshots live in tests/snapshots/. Update after a deliberate UI change with ``pytest --snapshot-update`` and look
at the new SVGs before committing them. Values that differ per machine (temp paths, host names) are pinned: the
preflight lines come from fixed checks here (their real content is tested in test_tui_preflight.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import pytest_textual_snapshot

from amirtui.core import preflight
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, Run
from amirtui.core.events import LogLine, RunFinished, RunStarted, StageProgressed
from amirtui.core.preflight import Check
from amirtui.core.states import State
from amirtui.tui.app import make_app
from tests.test_review_core import make_photo, make_set
from tests.test_tui_import import settle as settle_any
from tests.test_tui_review import gradient_jpeg, settle, wait_for

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(autouse=True)
def _snapshots_in_tests_snapshots(monkeypatch):
    """Store SVGs in tests/snapshots/<test file>/ rather than syrupy's __snapshots__."""

    def dirname(cls, *, test_location):
        return str(SNAPSHOT_DIR / Path(test_location.filepath).stem)

    monkeypatch.setattr(pytest_textual_snapshot.SVGImageExtension, "dirname", classmethod(dirname))


@pytest.fixture
def queue_rows(settings, db, tmp_path):
    """Six review rows of one set (bands, QRs, a needs_work row), each with a real model image."""
    s = make_set(subject="Kestrel", location="New_York", folder="Birds")
    for n in range(1, 7):
        make_photo(s, n, band=("Top", "Good", "Average", "Low", "Very Low", None)[n - 1],
                   qr=(8.2, 7.1, 5.9, 4.8, 3.0, None)[n - 1], gate="needs_work" if n == 2 else "pass",
                   model_image=gradient_jpeg(tmp_path / f"m{n}.jpg"))
    settings.ui.preview_debounce_ms = 0
    settings.quality.enabled = False
    return s


FIXED_CHECKS = [
    Check("data dir", "green", "data is writable"), Check("logs dir", "green", "logs is writable"),
    Check("free disk", "green", "72 GiB free at data"),
    Check("quality metrics", "yellow", "quality scoring disabled (quality.enabled: false)",
          fix="set quality.enabled: true in config.yaml to score photos (pyiqa, ~5 s to load the first metric)"),
    Check("ollama", "red", "http://127.0.0.1:11434: connection refused",
          fix="start the server with `ollama serve` (or systemctl start ollama), then press r; or c runs without "
              "captions"),
    Check("publish target", "green", "local folder data/site: connected, writable"),
]


@pytest.fixture
def fixed_preflight(monkeypatch):
    def fake(settings, secrets, *, include_remote=True):
        for c in FIXED_CHECKS:
            yield c.name, (lambda c=c: [c])

    monkeypatch.setattr(preflight, "iter_checks", fake)


async def _ready(pilot) -> None:
    await settle_any(pilot.app, pilot)
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["review", "publish", "summary", "taxonomy"])
def test_screen(snap_compare, settings, queue_rows, mode, size):
    if mode == "publish":
        Photo.update(state="approved").where(Photo.id.in_([1, 3, 4])).execute()
    app = make_app(settings, preview="halfcell", start=mode)

    async def ready(pilot):
        await _ready(pilot)
        if mode == "review":
            preview = pilot.app.screen.query_one("ImagePreview")
            await wait_for(pilot, lambda: preview.shown_key == 1 or pilot.app.screen.has_class("-narrow"))
            await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_review_editing_a_caption(snap_compare, settings, queue_rows, size):
    app = make_app(settings, preview="off")

    async def ready(pilot):
        await _ready(pilot)
        await pilot.press("j", "e")  # the needs_work row; the caption editor focused (its label highlighted)
        await pilot.press(*" at dusk")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_review_empty_queue(snap_compare, settings, db, size):
    app = make_app(settings, preview="off")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_preflight(snap_compare, settings, db, fixed_preflight, size):
    app = make_app(settings, preview="off", start="preflight")

    async def ready(pilot):
        await _ready(pilot)
        table = pilot.app.screen.query_one("#preflight-table")
        table.move_cursor(row=4)  # the red line: its whole fix in the detail panel
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_run(snap_compare, settings, db, size):
    app = make_app(settings, preview="off", start="run")

    async def ready(pilot):
        await _ready(pilot)
        bus = pilot.app.bus
        bus.emit(RunStarted(run_id=3, kind="pipeline"))
        bus.emit(LogLine(message="Ollama runtime: ollama 0.6.2 · qwen2.5vl:7b · 100% GPU · ctx 8192"))
        for stage, done, total, rate in (("staging", 40, 40, 21.0), ("exif", 40, 40, 55.3), ("naming", 40, 40, 80.0),
                                         ("model_image", 31, 40, 4.2), ("quality", 12, 40, 1.9),
                                         ("captioning", 3, 40, 0.4)):
            bus.emit(StageProgressed(stage=stage, done=done, total=total, rate=rate, failed=1 if stage == "quality"
                                     else 0))
        for i in range(1, 6):
            bus.emit(LogLine(message=f"id={i} captioned → prefilled", source="captioning"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_run_cancelled(snap_compare, settings, db, size):
    app = make_app(settings, preview="off", start="run")

    async def ready(pilot):
        await _ready(pilot)
        bus = pilot.app.bus
        bus.emit(RunStarted(run_id=4, kind="pipeline"))
        bus.emit(StageProgressed(stage="captioning", done=5, total=40, rate=0.5))
        bus.emit(RunFinished(run_id=4, kind="pipeline", outcome="cancelled", summary="captioning: 5 done"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_import(snap_compare, settings, db, tmp_path, monkeypatch, size):
    root = tmp_path / "imports"
    for name in ("2024-05-Harbour", "2024-06-Kestrels", "Oslo-fjord"):
        (root / name).mkdir(parents=True)
    (root / ".thumbnails").mkdir()
    monkeypatch.chdir(tmp_path)  # the path field shows the root as given: relative, so the same on every machine
    settings.paths.import_root = Path("imports")
    app = make_app(settings, preview="off", start="import")
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_recovery(snap_compare, settings, queue_rows, monkeypatch, size):
    from amirtui.core import recovery

    monkeypatch.setattr(recovery.socket, "gethostname", lambda: "darkroom")
    run = repo.start_run("pipeline")
    Run.update(pid=2**22 + 777, host="darkroom", started_at=dt.datetime(2024, 5, 4, 21, 30)).where(
        Run.id == run.id).execute()
    p = Photo.create(set=queue_rows, seq=50, original_path="/x/IMG_0050.jpg", original_name="IMG_0050.jpg")
    repo.transition(p.id, State.STAGED, run_id=run.id)
    app = make_app(settings, preview="off", check_recovery=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_ready)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, settings, queue_rows, size):
    app = make_app(settings, preview="off")

    async def ready(pilot):
        await _ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_override_dialog(snap_compare, settings, queue_rows, size):
    app = make_app(settings, preview="off")

    async def ready(pilot):
        await _ready(pilot)
        await pilot.press("j", "a")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScreen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_publish_done_dialog(snap_compare, settings, queue_rows, size):
    from amirtui.core.publish.publisher import PublishSummary
    from amirtui.tui.screens.publish import PublishDoneScreen

    app = make_app(settings, preview="off", start="publish")

    async def ready(pilot):
        await _ready(pilot)
        summary = PublishSummary(run_id=9, published=[1, 3], failed=[(4, "upload_web", "550 permission denied")],
                                 seconds=3.2)
        pilot.app.push_screen(PublishDoneScreen(summary))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_review_series_detail(snap_compare, settings, db, bus, photos_dir, tmp_path, size):
    """Real photos in two series: the series column, and the detail pane of a burst's middle frame (its series and
    siblings)."""
    from tests.test_tui_series import build_two_series

    rows = build_two_series(settings, bus, photos_dir, tmp_path)
    settings.quality.enabled = False
    app = make_app(settings, preview="off")

    async def ready(pilot):
        await _ready(pilot)
        table = pilot.app.screen.table
        table.move_cursor(row=table.get_row_index(str(rows["a1"])))
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=ready)
