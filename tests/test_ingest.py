"""Import → staged verified copies → EXIF → queued rows with reserved names, on real camera photos.

Covers the DB side of issue 3: validation before any write, refusals recorded per file, duplicate imports
detected, smoke batches, originals byte-identical, deterministic collision-free names in set order."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from amirtui.core.db.models import Photo, PhotoSet, Refusal, Reservation, StateChange
from amirtui.core.events import FileAccepted, FileRefused
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.core.pipeline import Pipeline
from amirtui.core.states import State


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def camera_set(tmp_path, photos_dir) -> Path:
    """A set folder: six real camera JPEGs, a truncated JPEG and a text file posing as a JPEG."""
    src = tmp_path / "set"
    src.mkdir()
    for name in ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg", "Kodak_CX7530.jpg",
                 "Panasonic_DMC-FZ30.jpg"]:
        shutil.copy2(photos_dir / "cameras" / name, src / name)
    data = (photos_dir / "cameras" / "Olympus_C8080WZ.jpg").read_bytes()
    (src / "truncated.jpg").write_bytes(data[: len(data) // 2])  # a copy cut off mid-transfer
    (src / "notes.jpg").write_text("not an image")
    return src


def ingest_pipeline(settings, bus) -> Pipeline:
    return Pipeline(settings, bus, stages=[StagingStage(), ExifStage(), QueueStage()], poll=0.05)


def spec(src, **kw) -> SetSpec:
    fields = dict(sources=[src], subject="Kestrel", location="new york", folder="birds", confirm_new=True)
    fields.update(kw)
    return SetSpec(**fields)


def test_import_then_stage_exif_and_queue_with_originals_untouched(db, settings, bus, camera_set):
    before = {p.name: sha(p) for p in camera_set.iterdir()}
    report = import_sets([spec(camera_set)], settings, bus)
    assert report.ok and report.accepted == 6
    refused = {Path(r.path).name: r.reason for r in Refusal.select()}
    assert set(refused) == {"truncated.jpg", "notes.jpg"}
    assert all(reason.strip() for reason in refused.values())
    assert {Path(e.path).name for e in bus.seen if isinstance(e, FileRefused)} == {"truncated.jpg", "notes.jpg"}
    accepted = {Path(e.path).name: e.photo_id for e in bus.seen if isinstance(e, FileAccepted)}
    assert len(accepted) == 6 and Photo.get_by_id(accepted["Canon_40D.jpg"]).original_name == "Canon_40D.jpg"

    result = ingest_pipeline(settings, bus).run()
    assert result.outcome == "ok"
    photos = list(Photo.select().order_by(Photo.seq))
    assert [p.state for p in photos] == [State.QUEUED.value] * 6
    for p in photos:
        staged = Path(p.staged_path)
        assert staged.is_file() and staged.is_relative_to(settings.incoming_dir)
        assert sha(staged) == p.content_hash == sha(Path(p.original_path))
        history = [c.to_state for c in StateChange.select().where(StateChange.photo == p).order_by(StateChange.id)]
        assert history == ["imported", "staged", "exif_read", "queued"]
    # Originals are byte-identical and still where they were.
    assert {p.name: sha(p) for p in camera_set.iterdir()} == before

    nikon = Photo.get(Photo.original_name == "Nikon_D70.jpg")
    assert nikon.camera == "NIKON_CORPORATION_NIKON_D70"
    assert nikon.file_name == f"Kestrel_New_York_Birds_Photography_NIKON_CORPORATION_NIKON_D70_{nikon.year}_001.JPG"
    canon = Photo.get(Photo.original_name == "Canon_40D.jpg")
    assert canon.file_name.startswith("Kestrel_New_York_Birds_Photography_Canon_EOS_40D_2008_")
    assert canon.exposure and canon.aperture and canon.iso
    names = [p.file_name.casefold() for p in photos]
    assert len(set(names)) == 6
    assert {r.name for r in Reservation.select()} == {p.file_name for p in photos}


def test_reimporting_the_same_files_is_reported_not_queued(db, settings, bus, camera_set):
    import_sets([spec(camera_set)], settings, bus)
    ingest_pipeline(settings, bus).run()
    again = import_sets([spec(camera_set)], settings, bus)
    res = again.sets[0]
    assert res.accepted == [] and len(res.duplicates) == 6
    assert all("already queued as photo" in why for _, why in res.duplicates)
    assert Photo.select().count() == 6


@pytest.mark.parametrize("attempt", range(5))  # staging finishes out of order; naming must not
def test_same_camera_same_year_names_continue_in_set_order(db, settings, bus, tmp_path, jpeg_factory, attempt):
    src = tmp_path / "owls"
    src.mkdir()
    for i in range(4):
        jpeg_factory(src / f"IMG_{i:04d}.jpg", size=(320, 240), seed=i, make="Canon", model="Canon EOS 40D",
                     datetime_original="2021:05:01 10:00:00")
    import_sets([spec(src, subject="Owl")], settings, bus)
    ingest_pipeline(settings, bus).run()
    names = [p.file_name for p in Photo.select().order_by(Photo.seq)]
    assert names == [f"Owl_New_York_Birds_Photography_Canon_EOS_40D_2021_{n:03d}.JPG" for n in (1, 2, 3, 4)]


def test_validation_problems_stop_the_import_before_any_write(db, settings, bus, camera_set, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = [spec(camera_set, subject="  "), spec(empty), spec(camera_set, folder="Brand New Folder", confirm_new=False)]
    report = import_sets(bad, settings, bus)
    assert not report.ok
    problems = [p for s in report.sets for p in s.problems]
    assert any("ubject" in p for p in problems)
    assert any("no importable image" in p for p in problems)
    assert any("new folder 'Brand New Folder'" in p and "confirm" in p for p in problems)
    assert PhotoSet.select().count() == 0 and Photo.select().count() == 0 and Refusal.select().count() == 0


def test_smoke_batch_takes_n_images_spread_across_sets(db, settings, bus, tmp_path, jpeg_factory):
    sets = []
    for s in range(2):
        d = tmp_path / f"set{s}"
        d.mkdir()
        for i in range(5):
            jpeg_factory(d / f"{i}.jpg", size=(160, 120), seed=s * 10 + i)
        sets.append(spec(d, subject=f"Sub{s}"))
    report = import_sets(sets, settings, bus, smoke=4)
    assert report.accepted == 4
    assert [len(r.accepted) for r in report.sets] == [2, 2]
    assert [p.name for p in report.sets[0].accepted] == ["0.jpg", "2.jpg"]  # spread, not the first two


def test_missing_original_with_no_copy_becomes_source_missing(db, settings, bus, tmp_path, jpeg_factory):
    d = tmp_path / "gone"
    d.mkdir()
    jpeg_factory(d / "a.jpg", size=(160, 120))
    import_sets([spec(d)], settings, bus)
    (d / "a.jpg").unlink()  # the drive was unplugged between import and staging
    ingest_pipeline(settings, bus).run()
    photo = Photo.get()
    assert photo.state == State.SOURCE_MISSING.value and "no longer exists" in photo.last_error


def test_subject_autofix_from_the_taxonomy_applies_before_naming(db, settings, bus, tmp_path, jpeg_factory):
    from amirtui.core.db.models import TaxonomyEntry

    TaxonomyEntry.create(kind="subject_fix", key="Kestral", value="Kestrel")
    src = tmp_path / "k"
    src.mkdir()
    jpeg_factory(src / "a.jpg", size=(160, 120), make="Canon", model="Canon EOS 40D",
                 datetime_original="2022:01:01 08:00:00")
    import_sets([spec(src, subject="Kestral")], settings, bus)
    ingest_pipeline(settings, bus).run()
    assert Photo.get().file_name.startswith("Kestrel_New_York_Birds_Photography_Canon_EOS_40D_2022_")
    assert PhotoSet.get().subject == "Kestrel"


def test_only_same_size_files_are_hashed_at_import_and_duplicates_are_still_caught(db, settings, bus, tmp_path,
                                                                                      jpeg_factory):
    src = tmp_path / "dups"
    src.mkdir()
    a = jpeg_factory(src / "a.jpg", size=(200, 150), seed=1)
    jpeg_factory(src / "b.jpg", size=(320, 240), seed=2)
    shutil.copy2(a, src / "a_copy.jpg")  # the same bytes under another name, in the same import
    report = import_sets([spec(src)], settings, bus)
    res = report.sets[0]
    assert [p.name for p, _ in res.duplicates] == ["a_copy.jpg"] and "same file as" in res.duplicates[0][1]
    hashed = {p.original_name: p.content_hash for p in Photo.select()}
    assert hashed["a.jpg"] == sha(a)  # a had a same-size twin: hashed at import
    assert hashed["b.jpg"] is None  # unique size: hashed while staged, not read twice
    ingest_pipeline(settings, bus).run()
    assert Photo.get(Photo.original_name == "b.jpg").content_hash == sha(src / "b.jpg")
    # a later import of b (now hashed by staging) and of a file changed since import is caught / refused
    again = import_sets([spec(src)], settings, bus).sets[0]
    assert sorted(p.name for p, _ in again.duplicates) == ["a.jpg", "a_copy.jpg", "b.jpg"]


def test_an_original_changed_between_import_and_staging_is_parked_failed_and_can_be_imported_again(
        db, settings, bus, tmp_path, jpeg_factory):
    src = tmp_path / "chg"
    src.mkdir()
    photo = jpeg_factory(src / "c.jpg", size=(200, 150), seed=3)
    import_sets([spec(src)], settings, bus)
    photo.write_bytes(photo.read_bytes() + b"\0" * 10)  # edited in another program meanwhile
    ingest_pipeline(settings, bus).run()
    row = Photo.get()
    # retrying cannot change this: the row is parked where the operator sees it, with the reason — not left
    # `imported` for every later run to try again
    assert row.state == State.FAILED.value and "changed since it was imported" in row.last_error
    assert row.error_stage == "stage" and not row.staged_path
    second = ingest_pipeline(settings, bus).run()
    assert second.stats["stage"].done == second.stats["stage"].failed == 0  # nothing left to retry
    # importing the set again (the operator's fix) is not refused as a duplicate of the failed row
    again = import_sets([spec(src)], settings, bus).sets[0]
    assert [p.name for p in again.accepted] == ["c.jpg"] and not again.duplicates
