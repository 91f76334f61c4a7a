"""Hostile text stays text: values from file names, EXIF, the model or the operator are shown literally in every
widget — never parsed as markup (a Subject ``Heron [/] x`` must not end the app; a folder named
``shoot [@click=app.quit]x`` must not become a link) — and control characters are shown escaped (``\\x1b``)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from amirtui.core.db.models import Photo
from amirtui.tui.app import make_app
from amirtui.tui.screens.review import ReviewScreen
from amirtui.tui.text import escape_controls
from amirtui.tui.widgets.editor import EditorPanel
from amirtui.tui.widgets.review_table import ReviewTable
from tests.test_review_core import make_photo, make_set
from tests.test_tui_import import settle as settle_import
from tests.test_tui_review import settle

ESC_TITLE = "\x1b]2;pwned\x07"  # would retitle the terminal
MARKUP = "Heron [/] x [@click=app.quit]q[/]"


def plain(widget) -> str:
    """What a Static shows, as plain text."""
    r = widget.render()
    return r.plain if isinstance(r, Text) else str(r)


def test_escape_controls_makes_every_control_character_visible():
    assert escape_controls("a\x1b[31mb\x07\x7f\x85\tc\nd") == "a\\x1b[31mb\\x07\\x7f\\x85\\tc\\nd"
    assert escape_controls("x\u202ey") == "x\\u202ey"  # a bidi override would reorder what the reader sees
    assert escape_controls("l1\nl2\x1b", keep_newlines=True) == "l1\nl2\\x1b"
    assert escape_controls("Kestrel_Oslo_Birds [x] é ✓") == "Kestrel_Oslo_Birds [x] é ✓"  # printable text untouched


async def test_review_shows_markup_and_escapes_literally(settings, db):
    s = make_set(subject=MARKUP + ESC_TITLE)
    pid = make_photo(s, 1, caption="A heron [b]bold?[/b] [/] " + ESC_TITLE, gate="needs_work",
                     reasons=["caption [/] too short" + ESC_TITLE])
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        table = app.screen.query_one(ReviewTable)
        name = Photo.get_by_id(pid).file_name
        quality = plain(app.screen.query_one(EditorPanel).query_one("#quality", Static))
        assert escape_controls(name) in quality  # the full name, literally, in the detail pane
        assert "caption [/] too short\\x1b]2;pwned\\x07" in quality
        assert "\x1b" not in quality
        # a short hostile name fits the table whole: shown literally there too
        Photo.update(file_name="[/]" + ESC_TITLE + "_001.JPG").where(Photo.id == pid).execute()
        await pilot.press("r")
        await settle(app, pilot)
        shown = "".join(str(c) for c in table.get_row(str(pid)))
        assert "[/]\\x1b]2;pwned\\x07_001.JPG" in shown and "\x1b" not in shown
        # a notification quoting the value: shown as typed, the app keeps running
        app.screen.notify(f"saved {name}")
        await pilot.pause()
        assert any("[@click=app.quit]" in n.message for n in app._notifications)
        # searching for markup text: the filter line quotes it literally
        await pilot.press("slash", *"[/]", "enter")
        await settle(app, pilot)
        assert "search '[/]'" in plain(app.screen.query_one("#filter-line", Static))
        assert app.is_running


async def test_a_folder_named_like_a_link_is_just_a_name(settings, db, tmp_path):
    root = tmp_path / "imports"
    hostile = root / "shoot [@click=app.quit]x"
    hostile.mkdir(parents=True)
    (root / ("esc" + ESC_TITLE)).mkdir()
    settings.paths.import_root = root
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_import(app, pilot)
        tree = app.screen.query_one("#import-tree")
        await pilot.pause()
        labels = [str(n.label) for n in tree.root.children]
        assert "shoot [@click=app.quit]x" in labels
        assert "esc\\x1b]2;pwned\\x07" in labels
        assert all(not n.label.spans or all("click" not in str(s.style) for s in n.label.spans)
                   for n in tree.root.children)
        # click every label: nothing quits
        for row in range(1, len(labels) + 1):
            await pilot.click(tree, offset=(6, row))
            await pilot.pause()
        assert app.is_running
        # a Subject holding markup: the filename preview and the set list show it, the app runs on
        from textual.widgets import Input

        app.screen.query_one("#subject", Input).value = MARKUP
        app.screen.query_one("#location", Input).value = "Lake"
        app.screen.query_one("#folder", Input).value = "Birds"
        await pilot.pause()
        assert app.is_running
        assert plain(app.screen.query_one("#name-preview", Static)).startswith("first filename: Heron")
