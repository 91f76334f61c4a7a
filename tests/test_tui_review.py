"""Pilot flows on the Review screen against a real temp DB: keys in, DB state out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from amirtui.core.db import repo
from amirtui.core.db.models import Photo
from amirtui.tui.app import make_app
from amirtui.tui.screens.dialogs import ConfirmScreen
from amirtui.tui.screens.review import ReviewScreen
from amirtui.tui.widgets.editor import EditorPanel
from amirtui.tui.widgets.preview import ImagePreview
from amirtui.tui.widgets.review_table import ReviewTable
from tests.test_review_core import make_photo, make_set

SIZE = (120, 40)


def gradient_jpeg(path: Path, w: int = 320, h: int = 200) -> Path:
    """A real JPEG file (a colour gradient) for the preview."""
    im = Image.new("RGB", (w, h))
    im.putdata([(x * 255 // w, y * 255 // h, 128) for y in range(h) for x in range(w)])
    im.save(path, "JPEG", quality=85)
    return path


@pytest.fixture
def queue(db, tmp_path):
    """Four rows: #1-#3 pass the gate, #4 needs_work; each has a real model image."""
    s = make_set()
    return [make_photo(s, n, model_image=gradient_jpeg(tmp_path / f"m{n}.jpg"),
                       gate="needs_work" if n == 4 else "pass") for n in range(1, 5)]


def state(pid: int) -> str:
    return Photo.get_by_id(pid).state


async def settle(app, pilot) -> None:
    """Wait for every worker and for the messages they posted."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def wait_for(pilot, cond, timeout: float = 5.0) -> None:
    """Poll a condition with a bounded timeout (never a bare sleep)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not met within timeout")
        await pilot.pause(0.02)


async def test_approve_reject_and_undo_with_keys(settings, queue):
    app = make_app(settings, preview="halfcell")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.query_one(ReviewTable).row_count == 4
        await pilot.press("a")  # approve #1, cursor moves on
        await settle(app, pilot)
        assert state(queue[0]) == "approved"
        assert screen.query_one(ReviewTable).current_id == queue[1]
        await pilot.press("x")  # reject #2
        await settle(app, pilot)
        assert state(queue[1]) == "rejected"
        assert repo.active_reservation(Photo.get_by_id(queue[1]).file_name) is None
        table = screen.query_one(ReviewTable)
        assert str(table.get_cell(str(queue[1]), "state")) == "rejected"  # updated in place
        await pilot.press("u")
        await settle(app, pilot)
        assert state(queue[1]) == "prefilled"
        assert str(table.get_cell(str(queue[1]), "state")) == "prefilled"
        assert state(queue[0]) == "approved"


async def test_coming_back_to_review_with_nothing_focused_puts_the_keys_on_the_table(settings, queue):
    """Textual focuses a screen's first focusable widget when it resumes with nothing focused; on Review that was the
    search field, so `a` typed after F2 went into the search box (seen under load in tmux). The table gets it."""
    from textual.widgets import Input

    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.set_focus(None)
        await pilot.press("f3", "f2")
        await settle(app, pilot)
        assert isinstance(app.screen.focused, ReviewTable)
        await pilot.press("a")
        await settle(app, pilot)
        assert state(queue[0]) == "approved" and app.screen.query_one("#search", Input).value == ""


async def test_keys_typed_faster_than_the_commits_decide_one_row_each(settings, queue, monkeypatch):
    """`a a x` typed while the first commit is still held: three rows decided, one each, in order (the cursor moves
    on when the key is pressed, not when the commit lands). Then `a` on the needs_work row: the cursor comes back to
    it for the override question, whatever row it had moved on to."""
    import threading

    from amirtui.core import review as rv

    held = threading.Event()
    approve, reject = rv.approve, rv.reject

    def slow(real):
        def decide(*args, **kwargs):
            held.wait(10)  # a slow disk or a busy machine: the commit lands after the next keys
            return real(*args, **kwargs)
        return decide

    monkeypatch.setattr(rv, "approve", slow(approve))
    monkeypatch.setattr(rv, "reject", slow(reject))
    after = make_photo(Photo.get_by_id(queue[0]).set, 5, gate="pass")  # a row after the needs_work one
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ReviewTable)
        await pilot.press("a", "a", "x")
        assert table.current_id == queue[3]  # at once: the operator sees the next row while the commits run
        assert [state(i) for i in queue[:3]] == ["prefilled"] * 3
        held.set()
        await settle(app, pilot)
        assert [state(i) for i in queue] == ["approved", "approved", "rejected", "needs_work"]
        held.clear()
        await pilot.press("a")  # the needs_work row: the cursor moves on to the next one at once…
        assert table.current_id == after
        held.set()
        await settle(app, pilot)  # …and back when the gate refuses: the question is about the row shown
        assert isinstance(app.screen, ConfirmScreen) and f"#{queue[3]}" in app.screen.question
        assert table.current_id == queue[3]
        await pilot.press("y")  # approved with the override; the cursor moves on again
        await settle(app, pilot)
        assert state(queue[3]) == "approved" and table.current_id == after


async def test_needs_work_approval_asks_for_override(settings, queue):
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "j")  # row #4 (needs_work)
        assert app.screen.query_one(ReviewTable).current_id == queue[3]
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "caption too short" in app.screen.question
        await pilot.press("n")  # declined: nothing changes
        await settle(app, pilot)
        assert state(queue[3]) == "needs_work"
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(app, pilot)
        p = Photo.get_by_id(queue[3])
        assert p.state == "approved" and p.gate_override
        assert [state(i) for i in queue[:3]] == ["prefilled"] * 3  # nothing else was touched
        assert "override" in repo.history(queue[3])[-1].reason


async def test_bulk_approve_names_the_count_and_applies_after_yes(settings, queue):
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("A")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        assert "Approve 3 rows" in dialog.question and "1 needs_work row is left out" in dialog.question  # agreement in number
        await pilot.press("y")
        await settle(app, pilot)
        assert [state(i) for i in queue] == ["approved"] * 3 + ["needs_work"]
        table = app.screen.query_one(ReviewTable)
        assert [str(table.get_cell(str(i), "state")) for i in queue[:3]] == ["approved"] * 3
        await pilot.press("u")  # one undo takes the whole bulk back
        await settle(app, pilot)
        assert [state(i) for i in queue] == ["prefilled"] * 3 + ["needs_work"]


async def test_edit_save_and_escape_revert(settings, queue):
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        editor = app.screen.query_one(EditorPanel)
        assert editor.detail.id == queue[0]
        await pilot.press("e")  # caption field
        cap = editor.query_one("#edit-caption")
        assert app.focused is cap
        cap.clear()
        await pilot.press(*"Dawn", "enter")  # Enter saves (a caption holds no line breaks)
        await settle(app, pilot)
        p = Photo.get_by_id(queue[0])
        assert p.caption == "Dawn" and p.text_source == "manual"
        # the gate judged the new text at once: "Dawn" is far too short for a caption
        assert str(app.screen.query_one(ReviewTable).get_cell(str(queue[0]), "state")) == "needs_work ✎"
        # typed but not saved: Escape puts the saved text back
        await pilot.press("e")
        await pilot.press(*" dusk")
        assert editor.values()["caption"].endswith("dusk")
        await pilot.press("escape")
        assert editor.values()["caption"] == "Dawn"
        assert Photo.get_by_id(queue[0]).caption == "Dawn"
        # typing "a" in a field types, it does not approve
        assert state(queue[0]) == "needs_work"
        await pilot.press("ctrl+r")  # revert to AI text
        await settle(app, pilot)
        assert Photo.get_by_id(queue[0]).text_source == "ai"


async def test_the_title_field_shows_the_sets_title_and_saves_the_rows_own(settings, queue):
    """The editor's Title field shows what will be published (the set's "Subject, Location" until changed);
    typing over it and Enter gives the row its own title; the set's other rows keep theirs."""
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        editor = app.screen.query_one(EditorPanel)
        field = editor.query_one("#edit-title")
        s = Photo.get_by_id(queue[0]).set
        assert field.value == f"{s.subject}, {s.location}"
        field.focus()
        field.value = "Heron at first light"
        await pilot.press("enter")
        await settle(app, pilot)
        assert Photo.get_by_id(queue[0]).title == "Heron at first light"
        assert Photo.get_by_id(queue[1]).title is None
        assert editor.query_one("#edit-title").value == "Heron at first light"  # the saved value stays shown


async def _typed_name_is_flagged_then_refused(app, typed: str, reason: str, pid: int) -> None:
    """Type ``typed`` as the first row's filename: the field says ``reason`` before Enter, and Enter refuses it."""
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        editor = app.screen.query_one(EditorPanel)
        name = editor.query_one("#edit-file_name")
        name.focus()
        name.value = typed
        await settle(app, pilot)
        status = editor.query_one("#name-status")
        assert status.has_class("-problem")
        assert reason in str(status.render())
        await pilot.press("enter")
        await settle(app, pilot)
        assert Photo.get_by_id(pid).file_name != typed
        assert any(reason.split(" by ")[0] in n.message for n in app._notifications)


async def test_rename_conflict_is_shown_live_and_refused_on_save(settings, queue):
    app = make_app(settings, preview="off")
    taken = Photo.get_by_id(queue[1]).file_name
    await _typed_name_is_flagged_then_refused(app, taken.upper(), f"already reserved by photo {queue[1]}", queue[0])


async def test_a_name_only_the_website_has_is_flagged_while_typing(settings, queue):
    """The live check sees the website's names (here the local mirror, as a site with MySQL off has it), not only
    reservations: the operator learns it before pressing Enter, and Enter still refuses."""
    from amirtui.core.publish import Mirror

    on_site = "Heron_Delft_Birds_Photography_Canon_EOS_R5_2019_044.JPG"
    Mirror(settings.mirror_db_path, settings.publish.mysql.table).upsert({"File_Name": on_site, "Folder": "Birds"},
                                                                        row_id=9)
    app = make_app(settings, preview="off")
    await _typed_name_is_flagged_then_refused(app, on_site.lower(), "already on the website", queue[0])


async def test_preview_loads_the_model_image_debounced(settings, queue):
    app = make_app(settings, preview="halfcell")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        preview = app.screen.query_one(ImagePreview)
        await wait_for(pilot, lambda: preview.shown_key == queue[0])
        await pilot.press("j", "j")  # fast moves: only the last row's image is decoded
        await wait_for(pilot, lambda: preview.shown_key == queue[2])
        img = preview.query_one(".preview-image")
        assert img.image is not None and img.image.size == (320, 200)
        # prepared off the UI thread at the widget's cell size: whole lines, no taller than the widget
        assert img.lines and len(img.lines) <= img.size.height
        assert all(line.cell_length == img.size.width for line in img.lines)


async def test_a_hidden_preview_decodes_nothing(settings, queue):
    app = make_app(settings, preview="halfcell")
    async with app.run_test(size=(80, 24)) as pilot:  # 80×24: the preview gives its room to the editor
        await settle(app, pilot)
        preview = app.screen.query_one(ImagePreview)
        await pilot.press("j")
        await wait_for(pilot, lambda: preview.shown_key == queue[1])
        assert not [w for w in app.workers if w.group == "preview"]
        assert preview.query_one(".preview-image").lines == []


async def test_filters_search_and_empty_state(settings, queue):
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        table = screen.query_one(ReviewTable)
        await pilot.press("n")  # needs_work only
        await settle(app, pilot)
        assert table.row_count == 1 and table.current_id == queue[3]
        await pilot.press("n", "slash")
        screen.query_one("#search").value = "_002"
        await pilot.press("enter")
        await settle(app, pilot)
        assert table.row_count == 1 and table.current_id == queue[1]
        assert "search '_002'" in str(screen.query_one("#filter-line").render())
        await pilot.press("slash")
        screen.query_one("#search").value = "nothing-matches"
        await pilot.press("enter")
        await settle(app, pilot)
        assert table.row_count == 0
        assert screen.check_action("approve", ()) is None  # dimmed: nothing to approve
        await pilot.press("a")
        await settle(app, pilot)
        assert [state(i) for i in queue] == ["prefilled"] * 3 + ["needs_work"]


async def test_generate_recaptions_the_row_through_the_loopback_ollama(settings, db, bus, ollama_server):
    from tests.test_captioning_stage import (
        FALLBACK,
        PRIMARY,
        Replies,
        make_rows,
        make_settings,
        run_stage,
    )

    ollama_server.add_model(FALLBACK)
    ollama_server.behave(PRIMARY, reply=Replies())
    s = make_settings(settings, ollama_server.url)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)  # the real caption stage brings them to review
    before = Photo.get_by_id(ids[0]).ai_caption
    ollama_server.behave(PRIMARY, latency=0.5)  # long enough to see the row busy
    app = make_app(s, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(ReviewTable)
        assert table.current_id == ids[0]
        await pilot.press("g")
        assert str(table.get_cell(str(ids[0]), "state")) == "⟳ generating"  # the row shows it is busy
        await settle(app, pilot)
        p = Photo.get_by_id(ids[0])
        assert p.ai_caption != before and p.caption == p.ai_caption
        assert "generating" not in str(table.get_cell(str(ids[0]), "state"))
        assert app.screen.query_one(EditorPanel).values()["caption"] == p.caption  # the editor shows the new text
        assert any("new text generated" in n.message for n in app._notifications)


async def test_generate_tells_why_when_no_ollama_answers(settings, db, unused_port):
    from tests.test_captioning_stage import make_rows, make_settings

    s = make_settings(settings, f"http://127.0.0.1:{unused_port}")
    ids = make_rows(s, 1)
    Photo.update(state="needs_work").where(Photo.id == ids[0]).execute()
    app = make_app(s, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        assert any("no Ollama host is answering" in n.message for n in app._notifications)
        assert str(app.screen.query_one(ReviewTable).get_cell(str(ids[0]), "state")) == "needs_work"


async def test_bulk_reject_reports_in_plain_english(settings, queue):
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("X")
        await settle(app, pilot)
        assert "Reject 4 rows of the current filter?" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("rejected 4 rows") for m in messages), messages  # never "rejectd"
        await pilot.press("u")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("undo of 'rejected': 4 rows restored") for m in messages), messages
