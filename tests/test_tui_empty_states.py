"""Empty states guide: nothing imported → "F5 to import"; a filter matching nothing says so and clears the preview;
publishing with nothing approved says so, in the TUI and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

from textual.widgets import Static

from amirtui.tui.app import make_app
from amirtui.tui.widgets.preview import ImagePreview
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import gradient_jpeg, settle, wait_for


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_nothing_imported_points_at_import(settings, db):
    app = make_app(settings, preview="off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Nothing imported yet — F5 to import" in text_of(app, "#empty-note")
        assert "rows none" in text_of(app, "#filter-line")


async def test_an_empty_filter_says_so_and_clears_the_preview(settings, db, tmp_path):
    make_photo(make_set(), 1, model_image=gradient_jpeg(tmp_path / "m.jpg"))
    settings.ui.preview_debounce_ms = 0
    app = make_app(settings, preview="halfcell")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        preview = app.screen.query_one(ImagePreview)
        await wait_for(pilot, lambda: preview.shown_key == 1)
        assert not app.screen.has_class("-empty")
        await pilot.press("slash", *"no such heron", "enter")
        await settle(app, pilot)
        assert "No rows match this filter" in text_of(app, "#empty-note")
        await wait_for(pilot, lambda: preview.shown_key is None)
        assert preview.query_one(".preview-image").lines == []
        assert "no row selected" in text_of(app, "#quality")


async def test_publish_with_nothing_approved_says_so(settings, db):
    make_photo(make_set(), 1)  # in review, not approved
    app = make_app(settings, preview="off", start="publish")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Nothing to publish: no row is approved" in text_of(app, "#publish-status")
        assert app.screen.check_action("publish", ()) is None


def test_cli_publish_with_nothing_approved_says_so(home, settings, db):
    make_photo(make_set(), 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    res = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), "publish"],
                         capture_output=True, text=True, env=env, timeout=120, cwd=home)
    assert res.returncode == 0, res.stderr
    assert "nothing to publish: no row is approved" in res.stdout


async def test_the_focused_editor_field_is_obvious(settings, db):
    make_photo(make_set(), 1)
    app = make_app(settings, preview="off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("e")  # the caption
        await pilot.pause()
        screen = app.screen
        focused_label = screen.query_one("#field-caption .field-label")
        other_label = screen.query_one("#field-alt_text .field-label")
        assert screen.focused.id == "edit-caption"
        assert focused_label.rich_style.bgcolor != other_label.rich_style.bgcolor  # a highlighted bar
        assert focused_label.rich_style.bold and not other_label.rich_style.bold
        # the whole caption is visible while editing: a wrapping editor, every line inside its height
        area = screen.focused
        assert area.wrapped_document.height <= area.size.height
