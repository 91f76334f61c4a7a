"""Review queue core on the real SQLite DB: filters, paging, decisions, reservations, bulk and undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from amirtui.core import review, review_bulk, review_edit
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PhotoSet, Reservation, StateChange
from amirtui.core.errors import ReservationConflict
from amirtui.core.states import State

PIPELINE = [State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED]


def make_set(subject: str = "Heron", location: str = "Lake", folder: str = "Birds") -> PhotoSet:
    """A photo set as the import screen creates it."""
    return PhotoSet.create(subject=subject, location=location, folder=folder, sources=["/nowhere"])


def make_photo(pset: PhotoSet, n: int, *, gate: str = "pass", band: str | None = "Good", qr: float | None = 7.0,
               state: State | None = None, caption: str | None = None, model_image: Path | None = None,
               reasons: list[str] | None = None) -> int:
    """A row walked through the real state machine to a review state, with its filename reserved at QUEUED."""
    name = f"{pset.subject}_{pset.location}_{pset.folder}_Photography_Camera_2024_{n:03d}.JPG"
    p = Photo.create(set=pset, seq=n, original_path=f"/nowhere/IMG_{n:04d}.JPG", original_name=f"IMG_{n:04d}.JPG")
    for st in PIPELINE:
        if st == State.QUEUED:
            repo.reserve_name(name, p.id)
            repo.transition(p.id, st, file_name=name, year="2024")
        else:
            repo.transition(p.id, st)
    state = state or (State.NEEDS_WORK if gate == "needs_work" else State.PREFILLED)
    cap = caption if caption is not None else f"A grey heron standing in shallow water number {n}."
    repo.transition(
        p.id, state, qr=qr, qc_band=band, gate_status=gate, gate_reasons=reasons if reasons is not None else (
            ["caption too short"] if gate == "needs_work" else []),
        ai_caption=cap, ai_alt_text=f"Heron {n} in water", ai_keywords=["heron", "bird"],
        caption=cap, alt_text=f"Heron {n} in water", keywords=["heron", "bird"], text_source="ai",
        scores={"piqe": {"value": 30.5, "lower_better": True}},
        model_image_path=str(model_image) if model_image else None,
    )
    return p.id


@pytest.fixture
def rows(db):
    """Six review rows: 1–4 pass the gate (bands vary), 5 needs_work, 6 needs_work in another set."""
    s1, s2 = make_set(), make_set("Fox", "Forest", "Mammals")
    ids = [
        make_photo(s1, 1, band="Top", qr=8.1),
        make_photo(s1, 2, band="Good", qr=6.9),
        make_photo(s1, 3, band="Low", qr=4.6),
        make_photo(s1, 4, band=None, qr=None),
        make_photo(s1, 5, gate="needs_work", band="Average", qr=5.6, caption="Short."),
        make_photo(s2, 6, gate="needs_work", band="Good", qr=7.0),
    ]
    return ids


def _state(pid: int) -> str:
    return Photo.get_by_id(pid).state


def test_filters_sort_and_paging_run_in_sql(rows):
    assert review.count_rows() == 6
    assert [r.id for r in review.page_rows(review.ReviewFilter(needs_work=True))] == rows[4:]
    assert [r.id for r in review.page_rows(review.ReviewFilter(band="Good"))] == [rows[1], rows[5]]
    assert review.count_rows(review.ReviewFilter(set_id=Photo.get_by_id(rows[5]).set_id)) == 1
    assert [r.id for r in review.page_rows(review.ReviewFilter(text="fox_"))] == [rows[5]]
    assert [r.id for r in review.page_rows(review.ReviewFilter(text="short."))] == [rows[4]]
    by_qr = review.page_rows(review.ReviewFilter(sort="qr", descending=True))
    assert [r.qr for r in by_qr] == [8.1, 7.0, 6.9, 5.6, 4.6, None]  # unscored rows last either way
    by_band = [r.qc_band for r in review.page_rows(review.ReviewFilter(sort="band"))]
    assert by_band == ["Top", "Good", "Good", "Average", "Low", None]
    page2 = review.page_rows(review.ReviewFilter(), offset=4, limit=4)
    assert [r.id for r in page2] == rows[4:]
    assert isinstance(page2[0], tuple) and page2[0].file_name.endswith("_005.JPG")


def test_bad_filter_values_are_named():
    with pytest.raises(ValueError, match="unknown QC band 'Great'"):
        review.ReviewFilter(band="Great")
    with pytest.raises(ValueError, match="unknown sort"):
        review.ReviewFilter(sort="size")


def test_detail_shows_quality_context(rows):
    d = review.load_detail(rows[4])
    assert d.gate_status == "needs_work" and d.gate_reasons == ["caption too short"]
    assert d.qc_band == "Average" and d.scores == {"piqe": 30.5}
    assert d.set_label == "Heron / Lake / Birds" and d.caption == "Short."
    with pytest.raises(review.ReviewRefused, match="photo 999 does not exist"):
        review.load_detail(999)


def test_approve_records_history_and_needs_override_for_needs_work(rows, bus):
    review.approve(rows[0], bus=bus)
    assert _state(rows[0]) == "approved"
    last = repo.history(rows[0])[-1]
    assert last.actor == "operator" and last.to_state == "approved"
    assert any(e.photo_id == rows[0] for e in bus.seen if hasattr(e, "photo_id"))

    with pytest.raises(review.NeedsOverride, match="caption too short"):
        review.approve(rows[4])
    assert _state(rows[4]) == "needs_work"
    review.approve(rows[4], override=True)
    p = Photo.get_by_id(rows[4])
    assert p.state == "approved" and p.gate_override is True
    assert "gate override (caption too short)" in repo.history(rows[4])[-1].reason


def test_reject_releases_name_and_back_to_pending_reserves_it_again(rows):
    name = Photo.get_by_id(rows[1]).file_name
    review.reject(rows[1])
    assert _state(rows[1]) == "rejected"
    assert repo.active_reservation(name) is None
    row, note = review.back_to_pending(rows[1])
    assert row.state == "prefilled" and note == ""
    assert repo.active_reservation(name).photo_id == rows[1]


def test_back_to_pending_when_name_was_taken_meanwhile(rows):
    name = Photo.get_by_id(rows[1]).file_name
    review.reject(rows[1])
    review_edit.save_edits(rows[2], file_name=name.lower())  # another photo takes the released name (any case)
    row, note = review.back_to_pending(rows[1])
    assert row.state == "needs_work"
    assert f"was taken by photo {rows[2]}" in note
    with pytest.raises(review.ReviewRefused, match="holds no reserved filename"):
        review.approve(rows[1], override=True)


def test_save_edits_marks_manual_and_rename_swaps_reservation(rows):
    d = review_edit.save_edits(rows[0], caption="  A heron at dawn.  ", keywords="heron, dawn; Heron,, lake")
    assert d.caption == "A heron at dawn." and d.keywords == ["heron", "dawn", "lake"]
    assert d.text_source == "manual" and d.edited_at is not None
    assert d.ai_caption.startswith("A grey heron")  # AI text is kept apart

    old = d.file_name
    d = review_edit.save_edits(rows[0], file_name="Heron_Dawn_Special.JPG")
    assert d.file_name == "Heron_Dawn_Special.JPG"
    assert repo.active_reservation(old) is None
    assert repo.active_reservation("heron_dawn_special.jpg").photo_id == rows[0]
    assert Reservation.select().where(Reservation.photo == rows[0]).count() == 2  # the old one stays as history


def test_rename_conflict_is_refused_and_changes_nothing(rows):
    taken = Photo.get_by_id(rows[1]).file_name
    assert "already reserved by photo" in review_edit.check_name(taken.upper(), rows[0])
    before = Photo.get_by_id(rows[0])
    with pytest.raises(ReservationConflict, match=f"photo {rows[1]}"):
        review_edit.save_edits(rows[0], caption="changed too", file_name=taken.upper())
    after = Photo.get_by_id(rows[0])
    assert (after.file_name, after.caption) == (before.file_name, before.caption)  # one transaction: nothing saved
    assert review_edit.check_name("bad/name.JPG", rows[0]).startswith("the filename contains '/'")
    assert "must end in .JPG" in review_edit.check_name("x.png", rows[0])
    assert review_edit.check_name(before.file_name.lower(), rows[0]) == ""  # its own name in another case is fine
    review_edit.save_edits(rows[0], file_name=before.file_name.lower())
    assert repo.active_reservation(before.file_name).name == before.file_name.lower()


GOOD_CAPTION = "A grey heron stands motionless among the reeds, its long neck curved as it watches for fish."
GOOD_ALT = "Grey heron wading among green reeds at the lake edge."
GOOD_KEYWORDS = "heron, bird, reeds, wading, wildlife"


def test_saving_fixed_text_reruns_the_gate_so_no_override_is_needed(rows, bus):
    pid = rows[4]  # needs_work: "Short." caption, too few keywords
    with pytest.raises(review.NeedsOverride):
        review.approve(pid)
    d = review_edit.save_edits(pid, caption=GOOD_CAPTION, alt_text=GOOD_ALT, keywords=GOOD_KEYWORDS, bus=bus)
    assert (d.state, d.gate_status, d.gate_reasons) == ("prefilled", "pass", [])
    history = StateChange.select().where(StateChange.photo == pid).order_by(StateChange.id.desc()).first()
    assert (history.from_state, history.to_state, history.actor) == ("needs_work", "prefilled", "operator")
    assert any(getattr(e, "to_state", None) == "prefilled" for e in bus.seen)  # the table hears about it
    review.approve(pid)  # no override needed any more
    assert not Photo.get_by_id(pid).gate_override

    # and the other way: text that breaks the gate sends a prefilled row to needs_work, with the gate's reasons
    d = review_edit.save_edits(rows[0], caption="Bird.")
    assert d.state == "needs_work" and d.gate_status == "needs_work"
    assert any(r.startswith("too_short") for r in d.gate_reasons), d.gate_reasons
    with pytest.raises(review.NeedsOverride, match="too_short"):
        review.approve(rows[0])


def test_editing_a_decided_row_updates_its_gate_but_keeps_the_decision(rows):
    review.approve(rows[0])
    d = review_edit.save_edits(rows[0], caption="Bird.")
    assert d.state == "approved" and d.gate_status == "needs_work"


def test_revert_restores_ai_text(rows):
    review_edit.save_edits(rows[0], caption="Mine", alt_text="mine too", keywords=["x"])
    d = review_edit.revert_text(rows[0])
    assert d.caption.startswith("A grey heron") and d.keywords == ["heron", "bird"] and d.text_source == "ai"


def test_bulk_counts_first_then_decides_as_one_undoable_decision(rows):
    f = review.ReviewFilter(set_id=Photo.get_by_id(rows[0]).set_id)
    assert review_bulk.bulk_count(f, "approve") == 4  # row 5 needs_work is not approved without override
    assert review_bulk.bulk_count(f, "approve", override=True) == 5
    with pytest.raises(review.ReviewRefused, match="now matches 4 rows, not the 3"):
        review_bulk.bulk_decide(f, "approve", expected=3)
    done, skipped = review_bulk.bulk_decide(f, "approve", expected=4)
    assert done == 4 and skipped == []
    assert [_state(i) for i in rows] == ["approved"] * 4 + ["needs_work", "needs_work"]

    res = review_bulk.undo_last()
    assert sorted(res.restored) == rows[:4] and res.decision == "approved"
    assert [_state(i) for i in rows[:4]] == ["prefilled"] * 4


def test_undo_walks_back_through_decisions_and_survives_restart(rows):
    review.approve(rows[0])
    review.reject(rows[1])
    review.approve(rows[4], override=True)
    res = review_bulk.undo_last()  # newest first: the override approval
    assert res.restored == [rows[4]] and _state(rows[4]) == "needs_work"
    assert Photo.get_by_id(rows[4]).gate_override is False
    # the stack lives in StateChange: a fresh lookup (as after a restart) finds the reject next
    res = review_bulk.undo_last()
    assert res.restored == [rows[1]] and _state(rows[1]) == "prefilled"
    assert repo.active_reservation(Photo.get_by_id(rows[1]).file_name).photo_id == rows[1]
    res = review_bulk.undo_last()
    assert res.restored == [rows[0]]
    assert review_bulk.undo_last() is None
    assert StateChange.select().where(StateChange.actor == "operator").count() == 6


def test_undo_skips_rows_that_moved_on(rows):
    review.approve(rows[0])
    repo.transition(rows[0], State.PUBLISHING)
    res = review_bulk.undo_last()
    assert res.restored == [] and res.skipped == [(rows[0], "now 'publishing'")]
    assert _state(rows[0]) == "publishing"
    assert review_bulk.undo_last() is None


def test_published_rows_cannot_be_renamed(rows):
    review.approve(rows[0])
    repo.transition(rows[0], State.PUBLISHING)
    repo.transition(rows[0], State.PUBLISHED)
    with pytest.raises(review.ReviewRefused, match="its name never changes"):
        review_edit.save_edits(rows[0], file_name="Other.JPG")
    assert Photo.get_by_id(rows[0]).state == State.PUBLISHED  # text edits: tests/test_review_published.py


def test_reject_removes_the_model_image_and_back_to_pending_makes_it_again(db, settings, jpeg_factory, tmp_path):
    from amirtui.core.imaging import write_model_image

    staged = jpeg_factory(tmp_path / "staged.jpg", size=(640, 480), seed=9)
    pset = make_set()
    pid = make_photo(pset, 1)
    model = write_model_image(staged, settings.ollama_tmp_dir, pid)
    repo.update_fields(pid, staged_path=str(staged), model_image_path=str(model))
    review.reject(pid)
    assert not model.exists() and Photo.get_by_id(pid).model_image_path is None  # cleaned once rejected
    _row, note = review.back_to_pending(pid, settings=settings)
    assert note == ""
    again = Photo.get_by_id(pid).model_image_path
    assert again and Path(again).is_file()  # preview and Generate have their image back
