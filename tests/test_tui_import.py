"""Import screen: real photos picked in the DirectoryTree, names with taxonomy completion, the first filename,
refused files with reasons, confirmation of a new folder, then the real import + pipeline (staging, EXIF, naming)."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import DataTable, DirectoryTree, Input, Static

from amirtui.core import taxonomy
from amirtui.core.db.models import Photo, PhotoSet, TaxonomyEntry
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.tui.app import make_app
from amirtui.tui.screens.import_sets import ImportScreen
from amirtui.tui.screens.run import RunScreen
from amirtui.tui.screens.summary import SummaryScreen
from tests.test_tui_review import wait_for

SIZE = (120, 40)


async def settle(app, pilot, timeout: float = 20.0) -> None:
    """Wait for our workers and their messages. The DirectoryTree's loader worker runs for the widget's lifetime,
    so ``workers.wait_for_complete()`` would never return here."""
    def idle() -> bool:
        return not any(w.is_running and not isinstance(w.node, DirectoryTree) for w in app.workers)

    await wait_for(pilot, idle, timeout)
    await pilot.pause()
    await wait_for(pilot, idle, timeout)
    await pilot.pause()


@pytest.fixture
def source(tmp_path, photos_dir):
    """Three real camera JPEGs and one broken file in a folder (the import root)."""
    src = tmp_path / "shoot"
    src.mkdir()
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg"):
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    return src


async def test_import_a_set_with_keys_then_the_pipeline_names_it(settings, db, source):
    settings.paths.import_root = source
    taxonomy.add("location", "Oslo")
    app = make_app(settings, preview="off", start="import",
                   stages=lambda: [StagingStage(), ExifStage(), QueueStage()])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert screen.check_action("start", ()) is None  # nothing to start yet
        screen.query_one("#subject", Input).focus()
        await pilot.press(*"Harbour", "tab")
        await pilot.press("O")  # completion from the taxonomy: "Oslo"
        await pilot.pause()
        assert screen.query_one("#location", Input)._suggestion == "Oslo"
        await pilot.press("right", "tab", *"Boats")  # accept the suggestion, then a folder that is new
        await pilot.pause()
        preview = str(screen.query_one("#name-preview", Static).render())
        assert "Harbour_Oslo_Boats_Photography_" in preview and preview.rstrip().endswith(".JPG")
        screen.query_one("#import-tree").focus()  # the tree's cursor is on the import root folder
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        table = screen.query_one("#import-sets", DataTable)
        assert "new folder 'Boats'" in str(table.get_cell("0", "status"))
        assert "new folder 'Boats'" in str(screen.query_one("#import-refused", Static).render())
        assert screen.check_action("start", ()) is None  # the new folder must be confirmed first
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert str(table.get_cell("0", "status")) == "ready"
        assert str(table.get_cell("0", "files")) == "3" and str(table.get_cell("0", "refused")) == "1"
        refused = str(screen.query_one("#import-refused", Static).render())
        assert "refused broken.jpg" in refused
        await pilot.press("ctrl+g")
        # the import starts the pipeline on the Run screen; a run that ends there shows its summary
        await wait_for(pilot, lambda: isinstance(app.screen, (RunScreen, SummaryScreen)), timeout=20)
        await wait_for(pilot, lambda: not app.pipeline_running and Photo.select().count() == 3, timeout=30)
        await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        body = str(app.screen.query_one("#summary-body", Static).render())
        assert "queued" in body and "stage" in body and "latest_run.log" in body
    rows = list(Photo.select().order_by(Photo.id))
    assert [p.state for p in rows] == ["queued"] * 3
    assert all(p.file_name.startswith("Harbour_Oslo_Boats_Photography_") for p in rows)
    assert PhotoSet.get().folder == "Boats"
    assert TaxonomyEntry.get_or_none(kind="folder", key="Boats") is not None  # confirmed → added
    from amirtui.core.recent import load_recent

    assert load_recent(settings.data_dir) == [source.resolve()]  # offered first next time


async def test_empty_names_are_refused_before_anything_is_written(settings, db, source):
    settings.paths.import_root = source
    app = make_app(settings, preview="off", start="import")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert app.screen.sets == []
        assert any("type Subject, Location, Folder" in n.message for n in app._notifications)
    assert Photo.select().count() == 0
