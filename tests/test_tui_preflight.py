"""Preflight screen: real checks (core.preflight) shown green/yellow/red; proceed only when no line is red."""

from __future__ import annotations

from amirtui.tui.app import make_app
from amirtui.tui.screens.preflight import PreflightScreen
from amirtui.tui.screens.run import RunScreen
from tests.harness.fixtures import DEFAULT_MODEL
from tests.test_tui_review import settle, wait_for


async def test_red_line_blocks_proceed_until_fixed_and_rerun(settings, db, home):
    settings.quality.enabled = False  # keeps the test from importing pyiqa (~5 s); its line is then yellow
    blocker = home / "logs"
    blocker.write_text("a file where the logs directory should be")  # logs dir not writable → red
    app = make_app(settings, preview="off", start="preflight")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PreflightScreen)
        table = screen.query_one("#preflight-table")
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "logs dir" in names
        row = table.get_row_at(names.index("logs dir"))
        assert str(row[0]) == "✘ FAIL"
        table.move_cursor(row=names.index("logs dir"))
        await pilot.pause()
        detail = str(screen.query_one("#preflight-detail").render())
        assert "logs dir" in detail and "fix: " in detail  # the whole fix, wrapped, for the highlighted check
        reds_before = sum(c.level == "red" for c in screen.checks)
        assert f"{reds_before} red" in str(screen.query_one("#preflight-summary").render())
        await pilot.press("enter")
        assert isinstance(app.screen, PreflightScreen)  # refused while red
        blocker.unlink()
        await pilot.press("r")
        await settle(app, pilot)
        logs = next(c for c in screen.checks if c.name == "logs dir")
        assert logs.level == "green"
        reds_after = sum(c.level == "red" for c in screen.checks)
        assert reds_after == reds_before - 1
        await pilot.press("enter")
        await pilot.pause()
        # other red lines (e.g. a publish target not configured on this machine) still hold the operator back
        assert isinstance(app.screen, RunScreen if reds_after == 0 else PreflightScreen)


async def test_unreachable_ollama_offers_a_run_without_captions(settings, db, unused_port):
    settings.quality.enabled = False
    settings.ollama.enabled = True
    settings.ollama.hosts[0].url = f"http://127.0.0.1:{unused_port}"  # nothing listens: connection refused
    app = make_app(settings, preview="off", start="preflight")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        reds = [c for c in screen.checks if c.level == "red"]
        assert reds and all(c.name.startswith("ollama") for c in reds)
        assert "ollama serve" in reds[0].fix
        await pilot.press("enter")
        assert isinstance(app.screen, PreflightScreen)  # still refused: a red line
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        assert settings.ollama.enabled is False


async def test_each_check_shows_as_it_completes_with_the_warm_up_time(settings, db, ollama_server):
    settings.quality.enabled = False
    settings.ollama.enabled = True
    settings.ollama.hosts[0].url = ollama_server.url
    settings.ollama.primary_model = DEFAULT_MODEL
    settings.ollama.fallback_model = ""
    ollama_server.behave(DEFAULT_MODEL, latency=2.5)  # a cold model: the warm-up takes seconds
    app = make_app(settings, preview="off", start="preflight")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        table = screen.query_one("#preflight-table")

        def running_line() -> str:
            return str(table.get_row("running")[2]) if "running" in table.rows else ""

        # while the model warms up, the finished lines are already there and the running one counts seconds
        await wait_for(pilot, lambda: "running… 1 s" in running_line() or "running… 2 s" in running_line(), 10)
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert names[0] == "data dir" and names[-1].startswith("ollama") and screen.checks is None
        assert "checking ollama" in str(screen.query_one("#preflight-summary").render())
        await wait_for(pilot, lambda: screen.checks is not None, 20)
        ollama = [str(table.get_row_at(i)[2]) for i in range(table.row_count)
                  if str(table.get_row_at(i)[1]).startswith("ollama")]
        assert any(line.endswith(" s)") for line in ollama)  # the warm-up's elapsed time
