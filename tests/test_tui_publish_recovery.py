"""Publish, recovery and taxonomy screens against the real core: local publish target, real recovery, real taxonomy."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from amirtui.core import review
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, Run, TaxonomyEntry
from amirtui.tui.app import make_app
from amirtui.tui.screens.publish import PublishDoneScreen, PublishScreen
from amirtui.tui.screens.recovery import RecoveryScreen
from amirtui.tui.screens.review import ReviewScreen
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import gradient_jpeg, settle, wait_for

SIZE = (120, 40)


async def test_publish_progress_failure_retry_and_one_dialog(settings, db, tmp_path):
    s = make_set()
    ids = []
    for n in range(1, 4):
        pid = make_photo(s, n)
        Photo.update(original_path=str(gradient_jpeg(tmp_path / f"orig{n}.jpg", 640, 400))).where(
            Photo.id == pid).execute()
        review.approve(pid, override=True)
        ids.append(pid)
    (tmp_path / "orig2.jpg").rename(tmp_path / "away.jpg")  # row 2's file is gone: its render step fails
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f6")
        screen = app.screen
        assert isinstance(screen, PublishScreen)
        assert screen.check_action("retry_failed", ()) is None
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PublishDoneScreen), timeout=30)
        text = str(app.screen.query_one("#publish-done-text").render())
        assert "published 2 · failed 1 · skipped 0" in text and f"photo {ids[1]} at render" in text
        table = screen.query_one(DataTable)
        assert str(table.get_cell(str(ids[0]), "mirror")) == "✔"
        assert "failed at render" in str(table.get_cell(str(ids[1]), "result"))
        await pilot.press("enter")  # OK closes the one dialog and returns to the queue
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert [Photo.get_by_id(i).state for i in ids] == ["published", "publish_failed", "published"]
        (tmp_path / "away.jpg").rename(tmp_path / "orig2.jpg")
        await pilot.press("f6")
        await pilot.pause()
        assert app.screen.check_action("publish", ()) is None  # nothing approved any more
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, PublishDoneScreen), timeout=30)
        assert "published 1 · failed 0" in str(app.screen.query_one("#publish-done-text").render())
        await pilot.press("enter")
    assert Photo.get_by_id(ids[1]).state == "published"
    site = settings.site_dir
    assert len([p for p in site.rglob("*.JPG") if "thumbs" not in p.parts]) == 3


async def test_recovery_screen_comes_first_and_rolls_back(settings, db):
    s = make_set()
    run = repo.start_run("pipeline")
    Run.update(pid=2**22 + 12345).where(Run.id == run.id).execute()  # a process that no longer exists
    pid = make_photo(s, 1)
    Photo.update(run=run.id).where(Photo.id == pid).execute()
    app = make_app(settings, preview="off", check_recovery=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RecoveryScreen)
        table = screen.query_one(DataTable)
        assert "crashed run" in [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        await pilot.press("b", "y")  # roll back, confirmed
        await settle(app, pilot)
        assert Photo.get_by_id(pid).state == "rolled_back"
        assert repo.active_reservation(Photo.get_by_id(pid).file_name) is None
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_taxonomy_screen_adds_renames_and_refuses(settings, db):
    app = make_app(settings, preview="off", start="taxonomy")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#tax-key", Input).value = "Birds"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert TaxonomyEntry.get(kind="folder").key == "Birds"
        screen.query_one("#tax-key", Input).value = "birds"
        await pilot.press("ctrl+n")  # duplicate ignoring case: refused with the reason
        await settle(app, pilot)
        assert any("already exists" in n.message for n in app._notifications)
        screen.query_one("#tax-key", Input).value = "Waterbirds"
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert [e.key for e in TaxonomyEntry.select()] == ["Waterbirds"]
        await pilot.press("ctrl+o", "ctrl+o")  # subject autofix list
        screen.query_one("#tax-key", Input).value = "Hreon"
        screen.query_one("#tax-value", Input).value = "Heron"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
    assert TaxonomyEntry.get(kind="subject_fix").value == "Heron"
