"""SVG snapshots of key screens at fixed sizes (preview forced to halfcell, debounce off, no timestamps shown).

Snapshots live in tests/snapshots/. Update after a deliberate UI change with ``pytest --snapshot-update`` and look
at the new SVGs before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_textual_snapshot

from amirtui.tui.app import make_app
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import gradient_jpeg, settle, wait_for

SNAPSHOT_DIR = Path(__file__).resolve().parent / "snapshots"


@pytest.fixture(autouse=True)
def _snapshots_in_tests_snapshots(monkeypatch):
    """Store SVGs in tests/snapshots/<test file>/ rather than syrupy's __snapshots__."""

    def dirname(cls, *, test_location):
        return str(SNAPSHOT_DIR / Path(test_location.filepath).stem)

    monkeypatch.setattr(pytest_textual_snapshot.SVGImageExtension, "dirname", classmethod(dirname))


@pytest.fixture
def snap_app(settings, db, tmp_path):
    s = make_set()
    for n in range(1, 7):
        make_photo(s, n, band=("Top", "Good", "Average", "Low", "Very Low", None)[n - 1],
                   qr=(8.2, 7.1, 5.9, 4.8, 3.0, None)[n - 1], gate="needs_work" if n == 2 else "pass",
                   model_image=gradient_jpeg(tmp_path / f"m{n}.jpg"))
    settings.ui.preview_debounce_ms = 0
    return make_app(settings, preview="halfcell")


def test_review_screen(snap_compare, snap_app):
    async def ready(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press("j")  # the needs_work row: gate reasons in the editor
        preview = app.screen.query_one("ImagePreview")
        await wait_for(pilot, lambda: preview.shown_key == 2)
        await settle(app, pilot)

    assert snap_compare(snap_app, terminal_size=(120, 40), run_before=ready)


def test_override_dialog_at_80x24(snap_compare, snap_app):
    async def ready(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press("j", "a")
        await settle(app, pilot)
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")

    assert snap_compare(snap_app, terminal_size=(80, 24), run_before=ready)


def test_help_screen_lists_the_review_keys(snap_compare, snap_app):
    async def ready(pilot):
        app = pilot.app
        await settle(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await settle(app, pilot)

    assert snap_compare(snap_app, terminal_size=(100, 40), run_before=ready)


def test_taxonomy_screen(snap_compare, settings, db):
    from amirtui.core import taxonomy

    for kind, key, value in (("folder", "Birds", "Birds"), ("folder", "Aviation", "Aviation"),
                             ("location", "Oslo", "Oslo"), ("subject_fix", "Kestral", "Kestrel")):
        taxonomy.add(kind, key, value)
    app = make_app(settings, preview="off", start="taxonomy")

    async def ready(pilot):
        await settle(pilot.app, pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
