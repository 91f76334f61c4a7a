"""Review of series and near-duplicates, unpublish and the website-name rename refusal — Pilot flows on real camera
photos taken through the real import and staging / EXIF / naming / model-image stages (fingerprints and series are
the ones those stages compute), with the real local publisher for the published photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageEnhance
from textual.widgets import Input, Static

from amirtui.core.db import repo
from amirtui.core.db.models import Fingerprint, Photo
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.publish import Mirror
from amirtui.core.publish.publisher import Publisher
from amirtui.core.states import State
from amirtui.tui.app import make_app
from amirtui.tui.screens.dialogs import ConfirmScreen
from amirtui.tui.widgets.editor import EditorPanel
from amirtui.tui.widgets.preview import ImagePreview
from amirtui.tui.widgets.review_table import ReviewTable
from tests.test_series import _crop, _save_variant, _stages_to_model_ready
from tests.test_tui_review import settle, wait_for

SIZE = (120, 40)


def _to_review(ids_qrs: list[tuple[int, float]], gates: dict[int, str] | None = None) -> None:
    """Rows from model_ready to review, as scoring and captioning would leave them."""
    for pid, qr in ids_qrs:
        gate = (gates or {}).get(pid, "pass")
        repo.transition(pid, State.SCORED, reason="scored", qr=qr, qc_band="Good")
        repo.transition(pid, State.PREFILLED if gate == "pass" else State.NEEDS_WORK, reason="captioned",
                        caption="Boats moored in a small harbour.", alt_text="Boats in a harbour.",
                        keywords=["harbour"], gate_status=gate,
                        gate_reasons=[] if gate == "pass" else [["generic", "too generic"]], text_source="ai",
                        ai_caption="Boats moored in a small harbour.")


def _import(settings, bus, src: Path, subject: str = "Harbour") -> None:
    report = import_sets([SetSpec(sources=[src], subject=subject, location="Delft", folder="Streets", confirm_new=True)],
                         settings, bus)
    assert report.ok
    _stages_to_model_ready(settings, bus)


def build_two_series(settings, bus, photos_dir: Path, tmp_path: Path) -> dict[str, int]:
    """A burst of three frames (QR 6.1 / 8.4 / 7.0), a bracket of two (the second needs_work) and a photo on its own,
    through the real stages to review; photo ids by original name (``a0``…``c0``)."""
    src = tmp_path / "shoot"
    src.mkdir()
    burst = photos_dir / "gps" / "DSCN0027.jpg"
    for i in range(3):
        _save_variant(burst, src / f"a{i}.jpg", when=f"2024:06:01 12:00:0{i}", transform=_crop(0.01 * i))
    bracket = photos_dir / "gps" / "DSCN0010.jpg"
    _save_variant(bracket, src / "b0.jpg", when="2024:06:01 12:05:00")
    _save_variant(bracket, src / "b1.jpg", when="2024:06:01 12:05:01",
                  transform=lambda im: ImageEnhance.Brightness(im).enhance(1.1))
    _save_variant(photos_dir / "gps" / "DSCN0021.jpg", src / "c0.jpg", when="2024:06:01 12:09:00")
    _import(settings, bus, src)
    rows = {p.original_name.removesuffix(".jpg"): p.id for p in Photo.select()}
    _to_review([(rows["a0"], 6.1), (rows["a1"], 8.4), (rows["a2"], 7.0), (rows["b0"], 7.2), (rows["b1"], 7.9),
                (rows["c0"], 6.6)], gates={rows["b1"]: "needs_work"})
    settings.ui.preview_debounce_ms = 0
    return rows


@pytest.fixture
def two_series(series_home, bus, photos_dir, tmp_path):
    """See :func:`build_two_series`."""
    return build_two_series(series_home, bus, photos_dir, tmp_path)


def _cell(table: ReviewTable, pid: int, col: str) -> str:
    return str(table.get_cell(str(pid), col))


async def _goto(pilot, screen, pid: int) -> None:
    screen.table.move_cursor(row=screen.table.get_row_index(str(pid)))
    await pilot.pause()


async def _rename_and_save(settings, pid: int, name: str) -> tuple[list, str | None]:
    """Type ``name`` as row ``pid``'s filename in the review editor and save (ctrl+s); returns the notifications and
    the file name the editor shows afterwards."""
    app = make_app(settings, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await _goto(pilot, screen, pid)
        screen.query_one("#edit-file_name", Input).value = name
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        return list(app._notifications), screen.query_one(EditorPanel).detail.file_name


async def test_the_series_column_and_the_detail_pane_show_each_rows_series(series_home, two_series):
    rows = two_series
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen, table = app.screen, app.screen.table
        assert [_cell(table, rows[n], "series") for n in ("a0", "a1", "a2", "b0", "b1", "c0")] == \
            ["1/3", "2/3", "3/3", "1/2", "2/2", ""]
        await _goto(pilot, screen, rows["a1"])
        quality = str(screen.query_one("#quality", Static).render())
        assert "series 2/3" in quality
        for n in ("a0", "a1", "a2"):  # the siblings, by id
            assert f"#{rows[n]}" in quality
        assert f"#{rows['b0']}" not in quality
        await _goto(pilot, screen, rows["c0"])
        assert "series" not in str(screen.query_one("#quality", Static).render())
        assert screen.check_action("keep_best", ()) is None  # a row in no series: the series actions do not apply


async def test_the_series_column_fits_at_80x24(series_home, two_series):
    app = make_app(series_home, preview="off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        table = app.screen.table
        assert [c for c, _, _ in table.columns_plan] == ["id", "state", "qr", "series", "file"]
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width
        assert _cell(table, two_series["a2"], "series") == "3/3"


async def test_keep_best_approves_the_highest_qr_rejects_the_rest_and_u_undoes_it_all(series_home, two_series):
    rows = two_series
    burst = [rows["a0"], rows["a1"], rows["a2"]]
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await _goto(pilot, screen, rows["a0"])
        await pilot.press("K")
        await settle(app, pilot)
        assert [Photo.get_by_id(i).state for i in burst] == ["rejected", "approved", "rejected"]
        assert Photo.get_by_id(rows["b0"]).state == "prefilled"  # another series is left alone
        assert [_cell(screen.table, i, "state") for i in burst] == ["rejected", "approved", "rejected"]
        assert any("kept #" in n.message for n in app._notifications)
        await pilot.press("u")
        await settle(app, pilot)
        assert [Photo.get_by_id(i).state for i in burst] == ["prefilled"] * 3
        assert [_cell(screen.table, i, "state") for i in burst] == ["prefilled"] * 3


async def test_approve_series_asks_for_the_override_then_approves_every_frame_in_one_undo(series_home, two_series):
    rows = two_series
    bracket = [rows["b0"], rows["b1"]]
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await _goto(pilot, screen, rows["b0"])
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert [Photo.get_by_id(i).state for i in bracket] == ["prefilled", "needs_work"]  # nothing changed yet
        await pilot.press("y")
        await settle(app, pilot)
        assert [Photo.get_by_id(i).state for i in bracket] == ["approved", "approved"]
        assert Photo.get_by_id(rows["b1"]).gate_override
        await pilot.press("u")
        await settle(app, pilot)
        assert [Photo.get_by_id(i).state for i in bracket] == ["prefilled", "needs_work"]


async def test_next_series_and_the_series_size_filter(series_home, two_series):
    rows = two_series
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await _goto(pilot, screen, rows["a0"])
        await pilot.press("N")
        assert screen.table.current_id == rows["b0"]
        await pilot.press("N")  # wraps around to the first series
        assert screen.table.current_id == rows["a0"]
        await pilot.press("m")  # series of 2+
        await settle(app, pilot)
        assert set(screen.table.visible_ids) == {rows[n] for n in ("a0", "a1", "a2", "b0", "b1")}
        assert "series≥2" in str(screen.query_one("#filter-line", Static).render())
        await pilot.press("m")  # 3+
        await settle(app, pilot)
        assert screen.table.visible_ids == [rows["a0"], rows["a1"], rows["a2"]]
        await pilot.press("m", "m")  # 5+ (none), then off
        await settle(app, pilot)
        assert len(screen.table.visible_ids) == 6


def _published_original(settings, bus, photos_dir, tmp_path) -> Photo:
    """A photo imported, approved and published by the real local publisher."""
    src = tmp_path / "first"
    src.mkdir()
    _save_variant(photos_dir / "cameras" / "Canon_40D.jpg", src / "heron.jpg")
    _import(settings, bus, src, subject="Heron")
    p = Photo.get()
    _to_review([(p.id, 7.5)])
    repo.transition(p.id, State.APPROVED, reason="approved", actor="operator")
    summary = Publisher(settings, bus=bus).run([p.id])
    assert summary.published == [p.id], summary
    return Photo.get_by_id(p.id)


async def test_a_near_duplicate_of_a_published_photo_is_flagged_and_compared_side_by_side(
        series_home, bus, photos_dir, tmp_path):
    published = _published_original(series_home, bus, photos_dir, tmp_path)
    web = Path(series_home.site_dir) / published.web_remote_path.lstrip("/")
    assert web.is_file()
    src = tmp_path / "again"  # a brighter re-export of the same photo, imported later
    src.mkdir()
    _save_variant(photos_dir / "cameras" / "Canon_40D.jpg", src / "edit.jpg",
                  transform=lambda im: ImageEnhance.Brightness(im).enhance(1.15))
    _import(series_home, bus, src, subject="Heron")
    again = Photo.get(Photo.original_name == "edit.jpg")
    _to_review([(again.id, 7.0)])
    distance = Fingerprint.get(Fingerprint.photo == again.id).near_distance
    series_home.ui.preview_debounce_ms = 0
    app = make_app(series_home, preview="halfcell")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert screen.table.current_id == again.id
        assert _cell(screen.table, again.id, "series") == "≈pub"  # the flag in the table too
        quality = str(screen.query_one("#quality", Static).render())
        assert f"looks like published {published.file_name} ({distance} of 64 bits)" in quality
        preview = screen.query_one("#preview", ImagePreview)
        beside = screen.query_one("#preview-compare", ImagePreview)
        await wait_for(pilot, lambda: preview.shown_key == again.id)
        assert not beside.display
        await pilot.press("v")  # side by side: the row's image stays, the published one appears beside it
        await wait_for(pilot, lambda: beside.shown_key == ("published", again.id))
        await pilot.pause()
        assert beside.display and preview.display and preview.shown_key == again.id
        assert beside.region.x > preview.region.x and beside.region.y == preview.region.y  # really beside it
        await wait_for(pilot, lambda: beside.query_one(".preview-image").region.width > 0)
        note = str(beside.query_one(".preview-note", Static).render())
        assert f"published web image of {published.file_name}" in note
        await pilot.press("v")  # closed: the row's own image alone again
        await pilot.pause()
        assert not beside.display and preview.shown_key == again.id


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_a_website_photo_without_a_local_image_says_so_when_compared(series_home, bus, photos_dir, tmp_path,
                                                                          size):
    from amirtui.core.db.models import CatalogFingerprint
    from amirtui.core.fingerprint import phash_file

    name = "Heron_Delft_Birds_Photography_Canon_EOS_40D_2008_017.JPG"
    CatalogFingerprint.create(file_name=name, phash=phash_file(photos_dir / "cameras" / "Canon_40D.jpg"))
    src = tmp_path / "again"
    src.mkdir()
    _save_variant(photos_dir / "cameras" / "Canon_40D.jpg", src / "edit.jpg", quality=80)
    _import(series_home, bus, src, subject="Heron")
    _to_review([(Photo.get().id, 7.0)])
    series_home.ui.preview_debounce_ms = 0
    app = make_app(series_home, preview="halfcell")
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert f"looks like published {name}" in str(screen.query_one("#quality", Static).render())
        preview = screen.query_one("#preview", ImagePreview)
        assert preview.display == (size == SIZE)  # 80×24 gives the preview's room to the editor…
        await pilot.press("v")
        await pilot.pause()
        if size != SIZE:
            assert preview.display  # …until the operator compares: then it shows the website's photo in its place
        else:
            preview = screen.query_one("#preview-compare", ImagePreview)  # wide: beside the row's own
        await wait_for(pilot, lambda: preview.shown_key == ("published", Photo.get().id))
        note = str(preview.query_one(".preview-note", Static).render())
        assert f"no local image of {name}" in note and "website only" in note


async def test_unpublish_asks_naming_the_file_then_takes_it_off_the_website(series_home, bus, photos_dir, tmp_path):
    published = _published_original(series_home, bus, photos_dir, tmp_path)
    web = Path(series_home.site_dir) / published.web_remote_path.lstrip("/")
    mirror = Mirror(series_home.mirror_db_path, series_home.publish.mysql.table)
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen._set_filter(states=("published",))
        await settle(app, pilot)
        assert screen.table.current_id == published.id
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.question
        assert published.file_name in question and "web image" in question and "thumbnail" in question
        await pilot.press("n")  # cancel: nothing happens
        await settle(app, pilot)
        assert Photo.get_by_id(published.id).state == "published" and web.is_file()
        await pilot.press("U")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await settle(app, pilot)
        assert Photo.get_by_id(published.id).state == "unpublished"
        assert not web.exists()
        assert mirror.fetch(published.file_name) is None
        assert _cell(screen.table, published.id, "state") == "unpublished"
        assert any("unpublished 1" in n.message for n in app._notifications)


async def test_a_rename_to_a_name_only_the_website_has_is_refused(series_home, two_series):
    taken = "Harbour_Delft_Streets_Photography_Nikon_2019_041.JPG"
    Mirror(series_home.mirror_db_path, series_home.publish.mysql.table).upsert(
        {"File_Name": taken, "Folder": "Streets"}, row_id=1)
    pid = two_series["c0"]
    before = Photo.get_by_id(pid).file_name
    notes, shown = await _rename_and_save(series_home, pid, taken)
    assert Photo.get_by_id(pid).file_name == before
    assert any(taken in n.message for n in notes)
    assert shown == before


async def test_the_help_lists_every_series_key(series_home, two_series):
    from amirtui.tui.screens.help import help_sections

    app = make_app(series_home, preview="off")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        listed = {ab.binding.id for _, items in help_sections(app.screen) for ab in items}
    assert {"review.keep_best", "review.approve_series", "review.next_series", "review.filter_series",
            "review.compare", "review.unpublish"} <= listed


async def test_a_frame_that_joins_a_series_while_the_operator_reviews_updates_the_column(series_home, two_series):
    from amirtui.core.events import RowChanged
    from amirtui.core.series import record, regroup

    rows = two_series
    late = Fingerprint.get(Fingerprint.photo == rows["a2"])
    value, set_id = late.phash, Photo.get_by_id(rows["a2"]).set_id
    late.delete_instance()  # as if the burst's last frame had not reached the model-image stage yet
    regroup(set_id, series_home.series)
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.screen.table
        assert [_cell(table, rows[n], "series") for n in ("a0", "a1", "a2")] == ["1/2", "2/2", ""]
        record(rows["a2"], value, series_home.series)  # what the model-image stage does, then its event
        app.bus.emit(RowChanged(photo_id=rows["a2"], from_state="queued", to_state="model_ready"))
        await wait_for(pilot, lambda: _cell(table, rows["a0"], "series") == "1/3")
        assert [_cell(table, rows[n], "series") for n in ("a1", "a2")] == ["2/3", "3/3"]


async def test_an_unreadable_catalog_refuses_the_rename_with_its_reason(series_home, two_series):
    series_home.mirror_db_path.parent.mkdir(parents=True, exist_ok=True)
    series_home.mirror_db_path.write_bytes(b"this is not an SQLite database" * 100)
    pid = two_series["c0"]
    before = Photo.get_by_id(pid).file_name
    notes, _ = await _rename_and_save(series_home, pid, before.replace("_006.", "_106."))
    assert Photo.get_by_id(pid).file_name == before  # never renamed without knowing the website's names
    assert any(n.title == "Catalog unreadable" for n in notes)


async def test_names_in_the_series_and_near_duplicate_lines_are_shown_literally(series_home, two_series):
    hostile = "Evil_[red]x[/red]_\x1b[2J.JPG"
    Fingerprint.update(near_file_name=hostile, near_distance=3).where(
        Fingerprint.photo == two_series["a1"]).execute()
    app = make_app(series_home, preview="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _goto(pilot, app.screen, two_series["a1"])
        quality = str(app.screen.query_one("#quality", Static).render())
        assert "looks like published Evil_[red]x[/red]_\\x1b[2J.JPG (3 of 64 bits)" in quality
