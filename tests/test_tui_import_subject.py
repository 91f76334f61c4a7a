"""Import screen: the subject suggestion against the loopback Ollama-protocol server (good, weak, malformed, no
server) through the official client — shown, never applied by itself, taken with a key — and the "did you mean …?"
question for a near miss of a known folder, which ctrl+t answers by accepting the new spelling."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import DataTable, Input, Static

from amirtui.core import taxonomy
from amirtui.core.db.models import PhotoSet, TaxonomyEntry
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.tui.app import make_app
from tests.harness.fixtures import DEFAULT_MODEL
from tests.test_tui_import import settle
from tests.test_tui_review import wait_for

SIZE = (120, 40)


@pytest.fixture
def shoot(tmp_path, photos_dir):
    """Four real photos of one outing in a folder (the import root)."""
    src = tmp_path / "shoot"
    src.mkdir()
    for p in sorted((photos_dir / "gps").glob("*.jpg"))[:4]:
        shutil.copy2(p, src / p.name)
    return src


def _model(settings, url: str) -> None:
    settings.ollama.enabled = True
    settings.ollama.hosts[0].url = url
    settings.ollama.primary_model = DEFAULT_MODEL
    settings.ollama.request_timeout = 5.0
    settings.ollama.connect_timeout = 1.0


def _suggestion(screen) -> str:
    return str(screen.query_one("#subject-suggestion", Static).render())



async def add_set(app, pilot, subject: str, location: str, folder: str) -> None:
    """Type the set's Subject, Location and Folder, then add the highlighted folder as a set (ctrl+n)."""
    screen = app.screen
    for key, value in (("subject", subject), ("location", location), ("folder", folder)):
        screen.query_one(f"#{key}", Input).value = value
    screen.query_one("#import-tree").focus()
    await pilot.press("ctrl+n")
    await settle(app, pilot)


async def suggest_from_the_tree(settings) -> str:
    """Open Import, press ctrl+l on the folder tree and return the suggestion line it shows."""
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#import-tree").focus()
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        return _suggestion(app.screen)

async def test_a_suggested_subject_is_shown_and_only_a_key_puts_it_in_the_subject_field(settings, db, shoot,
                                                                                       ollama_server):
    _model(settings, ollama_server.url)
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": "Common Tern"})
    settings.paths.import_root = shoot
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.check_action("accept_subject", ()) is None  # nothing to accept yet
        screen.query_one("#import-tree").focus()  # the highlighted folder: the shoot
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert "suggested subject: Common Tern" in _suggestion(screen)
        subject = screen.query_one("#subject", Input)
        assert subject.value == ""  # never applied by itself
        request = ollama_server.generation_requests(DEFAULT_MODEL)[-1]
        assert len([i for m in request.body["messages"] for i in (m.get("images") or [])]) == 4
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert subject.value == "Common Tern"
        await pilot.press(*" Colony")  # still the operator's field: editable
        assert subject.value == "Common Tern Colony"


@pytest.mark.parametrize("behaviour, says", [
    ({"reply": lambda req: {"subject": "bird"}}, "refused"),
    ({"malformed": True}, "not the JSON"),
])
async def test_a_weak_or_malformed_answer_shows_why_and_offers_nothing(settings, db, shoot, ollama_server,
                                                                       behaviour, says):
    _model(settings, ollama_server.url)
    ollama_server.behave(DEFAULT_MODEL, **behaviour)
    settings.paths.import_root = shoot
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#import-tree").focus()
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert says in _suggestion(screen)
        assert screen.suggestion is None and screen.check_action("accept_subject", ()) is None
        await pilot.press("ctrl+b")
        assert screen.query_one("#subject", Input).value == ""


async def test_with_no_server_the_note_says_to_type_the_subject(settings, db, shoot, unused_port):
    _model(settings, f"http://127.0.0.1:{unused_port}")
    settings.paths.import_root = shoot
    suggestion = await suggest_from_the_tree(settings)
    assert "unavailable" in suggestion and "type the Subject yourself" in suggestion


async def test_the_suggestion_for_a_listed_set_looks_at_its_accepted_photos(settings, db, shoot, ollama_server):
    _model(settings, ollama_server.url)
    (shoot / "notes.txt").write_text("not a photo")
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": "Harbour Cranes"})
    taxonomy.add("location", "Delft")
    taxonomy.add("folder", "Streets")
    settings.paths.import_root = shoot
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await add_set(app, pilot, "Harbour", "Delft", "Streets")
        screen.query_one("#import-sets", DataTable).focus()
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert "Harbour Cranes" in _suggestion(screen)
        request = ollama_server.generation_requests(DEFAULT_MODEL)[-1]
        assert len([i for m in request.body["messages"] for i in (m.get("images") or [])]) == 4  # not notes.txt


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_did_you_mean_is_visible_and_ctrl_t_accepts_the_new_spelling(settings, db, shoot, size):
    taxonomy.add("folder", "Birds")
    taxonomy.add("location", "Delft")
    settings.paths.import_root = shoot
    app = make_app(settings, preview="off", start="import", stages=lambda: [StagingStage(), ExifStage(), QueueStage()])
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await add_set(app, pilot, "Heron", "Delft", "Brids")
        problems = screen.query_one("#import-refused", Static)
        assert "did you mean 'Birds'" in str(problems.render())
        assert problems.region.height >= 1 and screen.region.contains_region(problems.region)  # on screen
        assert screen.check_action("start", ()) is None
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert str(screen.query_one("#import-sets", DataTable).get_cell("0", "status")) == "ready"
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: PhotoSet.select().count() == 1, timeout=20)
        await settle(app, pilot)
    assert PhotoSet.get().folder == "Brids"
    assert TaxonomyEntry.get_or_none(kind="folder", key="Brids") is not None


async def test_with_ollama_switched_off_the_key_says_so(settings, db, shoot):
    settings.ollama.enabled = False
    settings.paths.import_root = shoot
    suggestion = await suggest_from_the_tree(settings)
    assert "Ollama is disabled" in suggestion
