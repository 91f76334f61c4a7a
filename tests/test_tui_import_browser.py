"""The import browser reaches any folder: a typed path with Tab completion, a tree that goes up and refreshes,
hidden entries hidden unless asked, recent import folders, and no invisible focus stops."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from amirtui.core.recent import load_recent, remember
from amirtui.tui.app import make_app
from amirtui.tui.screens.import_sets import ImportScreen
from amirtui.tui.widgets.folder_browser import BrowseTree, PathInput, complete_path
from tests.test_tui_import import settle
from tests.test_tui_review import wait_for

SIZE = (80, 24)


def labels(tree) -> list[str]:
    return [str(n.label) for n in tree.root.children]


def test_tab_completion_extends_as_far_as_the_folders_agree(tmp_path):
    for name in ("Harbour", "Hardanger", "Oslo", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "Harvest.txt").write_text("a file, not a folder")
    assert complete_path(f"{tmp_path}/Ha") == f"{tmp_path}/Har"
    assert complete_path(f"{tmp_path}/Harb") == f"{tmp_path}/Harbour/"
    assert complete_path(f"{tmp_path}/Harv") is None  # files are not offered
    assert complete_path(f"{tmp_path}/") == f"{tmp_path}/"  # several children, nothing in common: unchanged
    assert complete_path(f"{tmp_path}/.hi") == f"{tmp_path}/.hidden/"  # asked for by name: offered


async def test_type_a_path_go_up_refresh_and_hidden_entries(settings, db, tmp_path):
    root = tmp_path / "photos"
    (root / "2024" / "Harbour").mkdir(parents=True)
    (root / "2024" / "Kestrels").mkdir()
    (root / ".cache").mkdir()
    settings.paths.import_root = root
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        tree = screen.query_one(BrowseTree)
        await wait_for(pilot, lambda: "2024" in labels(tree))
        assert ".cache" not in labels(tree)  # hidden unless asked
        await pilot.press("f9")
        await wait_for(pilot, lambda: ".cache" in labels(tree))
        await pilot.press("f9")
        await wait_for(pilot, lambda: ".cache" not in labels(tree))
        # a typed path with Tab completion, Enter opens it
        field = screen.query_one(PathInput)
        field.focus()
        field.value = f"{root}/20"
        await pilot.press("tab")
        assert field.value == f"{root}/2024/" and screen.focused is field  # completed, focus stays
        await pilot.press("enter")
        await wait_for(pilot, lambda: labels(tree) == ["Harbour", "Kestrels"])
        assert screen.focused is tree
        # a folder made while the app runs appears on refresh
        (root / "2024" / "Oslo").mkdir()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "Oslo" in labels(tree))
        # up: Backspace in the tree shows the parent folder
        await pilot.press("backspace")
        await wait_for(pilot, lambda: "2024" in labels(tree))
        assert field.value == str(root)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "photos" in labels(tree))
        assert screen._highlighted_dir() is not None


async def test_recent_folders_are_offered_and_open_the_tree(settings, db, tmp_path):
    shoot = tmp_path / "shoots" / "Kestrels"
    (shoot / "day1").mkdir(parents=True)
    remember(settings.data_dir, [shoot])
    assert load_recent(settings.data_dir) == [shoot.resolve()]
    assert (settings.data_dir / "recent_imports.json").stat().st_mode & 0o777 == 0o600
    settings.paths.import_root = tmp_path
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        recent = app.screen.query_one("#import-recent", OptionList)
        assert recent.option_count == 1 and recent.display
        recent.focus()
        await pilot.press("enter")
        tree = app.screen.query_one(BrowseTree)
        await wait_for(pilot, lambda: labels(tree) == ["day1"])


async def test_every_tab_stop_is_visible_and_takes_the_next_key(settings, db, tmp_path):
    settings.paths.import_root = tmp_path
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one(PathInput).focus()
        seen = []
        for _ in range(12):
            await pilot.press("tab")
            await pilot.pause()
            w = screen.focused
            assert w is not None and w.display and w.visible and w.region.area > 0, w
            assert screen.region.contains_region(w.region), w  # on screen, where the cursor shows
            seen.append(w.id)
            if isinstance(w, Input) and w.id in ("subject", "location", "folder"):
                before = w.value
                await pilot.press("Q")
                assert w.value == before + "Q"  # the key lands in the field the cursor shows
                await pilot.press("backspace")
        assert {"import-tree", "subject", "location", "folder", "confirm-new", "smoke", "import-path"} <= set(seen)
        assert "import-recent" not in seen  # no recent folders: the hidden list is no focus stop
