"""Keys never hide each other: no screen binds a key the App binds globally; the help lists the global keys and the
screen's own first, in F-key order; the command palette reaches every screen and every action of the current one."""

from __future__ import annotations

from textual.command import CommandPalette

from amirtui.core.db.models import Photo
from amirtui.tui.app import BINDING_OWNERS, AmirApp, make_app
from amirtui.tui.commands import ScreenActions
from amirtui.tui.screens.help import HelpScreen, help_sections
from amirtui.tui.screens.import_sets import ImportScreen
from amirtui.tui.screens.review import ReviewScreen
from amirtui.tui.screens.summary import SummaryScreen
from tests.test_review_core import make_photo, make_set
from tests.test_tui_review import settle, wait_for


def keys_of(bindings) -> set[str]:
    return {k.strip() for b in bindings for k in b.key.split(",")}



async def run_from_palette(app, pilot, command: str) -> None:
    """Open the command palette (ctrl+p), type ``command`` and run the match with Enter."""
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*command)
    await pilot.pause(0.3)
    await pilot.press("enter")

def test_no_screen_binds_a_global_key():
    """A screen may bind a global key only to the App's own action for it (a modal's way to reach the App)."""
    global_action = {k.strip(): b.action for b in AmirApp.BINDINGS for k in b.key.split(",")}
    global_action["ctrl+p"] = "command_palette"  # Textual's palette
    clashes = {}
    for owner in BINDING_OWNERS:
        if owner is AmirApp:
            continue
        for cls in owner.__mro__:
            for b in getattr(cls, "BINDINGS", []):
                for key in (k.strip() for k in getattr(b, "key", "").split(",")):
                    if key in global_action and b.action != f"app.{global_action[key]}":
                        clashes.setdefault(owner.__name__, []).append(key)
    assert clashes == {}


async def test_f5_imports_from_every_screen(settings, db):
    make_photo(make_set(), 1)
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for start in ("f2", "f3", "f4", "f6", "f7", "f8"):
            await pilot.press(start)
            await pilot.pause()
            await pilot.press("f5")
            await pilot.pause()
            assert isinstance(app.screen, ImportScreen), start


async def test_help_lists_global_keys_then_the_screen_keys_in_f_key_order(settings, db):
    make_photo(make_set(), 1)
    app = make_app(settings, preview="off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        review = app.screen
        sections = help_sections(review)
        assert [h for h, _ in sections][:2] == ["Everywhere", "Review"]
        everywhere = [ab.binding.key.split(",")[0] for ab in sections[0][1]]
        fkeys = [k for k in everywhere if k.startswith("f")]
        assert fkeys == sorted(fkeys, key=lambda k: int(k[1:])) and fkeys[0] == "f1"
        assert {"f2", "f3", "f4", "f5", "f6", "f7", "f8", "ctrl+q"} <= set(everywhere)
        own = {ab.binding.id for ab in sections[1][1]}
        assert {"review.approve", "review.reject", "review.undo", "review.reload", "review.filter_state"} <= own
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")  # F1 again closes it (no key of the help hides the global one)
        await pilot.pause()
        assert app.screen is review


async def test_the_palette_goes_to_any_screen_and_runs_the_screens_actions(settings, db):
    pid = make_photo(make_set(), 1)
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        offered = {label.split(": ", 1)[1] for label, _, _ in ScreenActions(app.screen)._commands()}
        described = {b.description for cls in ReviewScreen.__mro__ for b in getattr(cls, "BINDINGS", [])
                     if getattr(b, "id", None)}  # ours: every binding of amirtui has an id
        assert described <= offered
        await pilot.press("a")  # approve, then undo it from the palette
        await settle(app, pilot)
        assert Photo.get_by_id(pid).state == "approved"
        await run_from_palette(app, pilot, "Review: Undo")
        await settle(app, pilot)
        assert Photo.get_by_id(pid).state == "prefilled"
        await run_from_palette(app, pilot, "go to summary")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
