"""The app shell: factory, keymap remaps, help screen, command palette, 80×24, stylesheet, core/textual boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from amirtui.core.db.models import Photo
from amirtui.core.errors import ConfigError
from amirtui.tui.app import BINDING_OWNERS, make_app
from amirtui.tui.bindings import binding_ids
from amirtui.tui.screens.help import HelpScreen
from amirtui.tui.widgets.review_table import ReviewTable
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import settle

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_rows(db):
    s = make_set()
    return [make_photo(s, 1), make_photo(s, 2)]


def test_every_binding_has_an_id_and_a_tooltip():
    found = binding_ids(BINDING_OWNERS)
    assert {"review.approve", "review.reject", "review.undo", "review.bulk_approve", "app.help"} <= set(found)
    for owner in BINDING_OWNERS:
        for b in owner.BINDINGS:
            assert b.id and b.tooltip, f"{owner.__name__} binding {b.key} → {b.action} lacks an id or tooltip"


def test_unknown_keymap_id_is_a_config_error_naming_the_key(settings, db):
    settings.ui.keymap = {"review.aprove": "space"}
    with pytest.raises(ConfigError, match=r"ui.keymap.review.aprove: no binding has this id") as exc:
        make_app(settings, preview="off")
    assert "review.approve" in exc.value.fix


async def test_keymap_remaps_approve(settings, two_rows):
    settings.ui.keymap = {"review.approve": "space,v"}
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("a")  # no longer bound
        await settle(app, pilot)
        assert Photo.get_by_id(two_rows[0]).state == "prefilled"
        await pilot.press("v")
        await settle(app, pilot)
        assert Photo.get_by_id(two_rows[0]).state == "approved"


async def test_help_lists_the_current_screens_bindings(settings, two_rows):
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.animation_level == "none"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        console = Console(record=True, width=200)
        console.print(app.screen.table)
        text = console.export_text()
        for words in ("Approve", "review.approve", "Bulk ✓", "review.undo", "Undo the last approve/reject"):
            assert words in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_screen_actions(settings, two_rows):
    from amirtui.tui.commands import ScreenActions

    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        provider = ScreenActions(app.screen)
        labels = [label for label, _, _ in provider._commands()]
        assert "Review: Approve" in labels and "Review: Undo" in labels
        hits = [h async for h in provider.search("approve")]
        assert hits
        best = max(hits, key=lambda h: h.score)
        await best.command()
        await settle(app, pilot)
        assert Photo.get_by_id(two_rows[0]).state == "approved"


async def test_works_in_80x24(settings, two_rows):
    app = make_app(settings, preview="halfcell")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ReviewTable)
        assert table.region.height >= 5 and table.region.width >= 40
        await pilot.press("a")
        await settle(app, pilot)
        assert Photo.get_by_id(two_rows[0]).state == "approved"


def test_root_stylesheet_is_the_packaged_one():
    assert (ROOT / "styles.tcss").read_text() == (ROOT / "amirtui" / "styles.tcss").read_text()


def test_review_core_imports_without_textual():
    code = (
        "import sys; sys.modules['textual'] = None\n"
        "import amirtui.core.review, amirtui.core.db.repo\n"
        "assert not any(m.startswith('textual') and sys.modules[m] for m in sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
