"""Every screen whole at 80×24: a status header (screen · run state · runtime line) and a key hint line that never
ends mid-word and always offers ``? keys``."""

from __future__ import annotations

import pytest

from amirtui.core.events import LogLine, RunStarted
from amirtui.tui.app import AmirApp, make_app
from amirtui.tui.widgets.chrome import KeyHints, StatusHeader, fit_hints
from tests.test_review_core import make_photo, make_set
from tests.test_tui_import import settle as settle_any


def screen_lines(app) -> list[str]:
    """The screen as text, one string per terminal row."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def test_hints_keep_whole_pairs_and_end_with_help():
    items = [("a", "Approve", True), ("x", "Reject", True), ("p", "Pending", True), ("e", "Edit", True),
             ("^s", "Save", True), ("^r", "Revert AI", True), ("g", "Generate", True)]
    text = fit_hints(items, 40).plain
    assert len(text) <= 40 and text.endswith("? keys")
    for part in text.removesuffix("? keys").split("  "):
        if part:
            assert (part.split(" ", 1)[0], part.split(" ", 1)[1]) in {(k, d) for k, d, _ in items}


@pytest.mark.parametrize("mode", sorted(AmirApp.MODES))
async def test_every_screen_has_a_header_and_a_whole_hint_line_at_80x24(settings, db, mode):
    make_photo(make_set(), 1)
    settings.quality.enabled = False
    app = make_app(settings, preview="off", start=mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_any(app, pilot)
        lines = screen_lines(app)
        title = app.screen.title
        assert lines[0].lstrip().startswith(f"amirtui · {title}")
        hints = app.screen.query_one(KeyHints)
        assert hints.region.y == 23  # the last row
        assert lines[23].rstrip().endswith("? keys")
        shown = {(b.binding.description) for b in app.screen.active_bindings.values()}
        for pair in lines[23].strip().removesuffix("? keys").split("  "):
            if pair.strip():
                assert pair.strip().split(" ", 1)[1] in shown, pair  # whole descriptions only


async def test_header_shows_run_state_and_runtime_line(settings, db):
    app = make_app(settings, preview="off")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.bus.emit(LogLine(message="Ollama runtime: ollama 0.6.2 · qwen2.5vl:7b on GPU · ctx 8192"))
        app.bus.emit(RunStarted(run_id=7, kind="pipeline"))
        await pilot.pause()
        header = str(app.screen.query_one(StatusHeader).render())
        assert "Review" in header and "run 7 (pipeline) running" in header and "qwen2.5vl:7b on GPU" in header
        await pilot.press("f7")
        await pilot.pause()
        assert "Summary" in str(app.screen.query_one(StatusHeader).render())
