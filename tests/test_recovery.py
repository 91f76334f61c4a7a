"""Recovery: detection, file validation, resume, rollback, safe rerun and "database is locked" messages.

The queue is built with the real import and the real staging / EXIF / naming / model-image stages on real JPEGs; a
crash is what a kill -9 leaves: an unfinished run owned by a dead pid, plus whatever files it was writing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amirtui.core import recovery
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PublishStep, Run, StateChange
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.core.model_image_stage import ModelImageStage
from amirtui.core.pipeline import Pipeline
from amirtui.core.states import State
from tests.helpers_headless import check_invariants, crash_run, hash_tree, sha256


def _stages():
    return [StagingStage(), ExifStage(), QueueStage(), ModelImageStage()]


@pytest.fixture
def originals(tmp_path, jpeg_factory, photos_dir):
    """A source folder of 3 generated JPEGs and 2 real camera photos (copied, so the test owns them)."""
    src = tmp_path / "originals"
    src.mkdir()
    for i in range(3):
        shutil.copy(jpeg_factory(size=(320, 240), make="Canon", model="Canon EOS 5D"), src / f"gen_{i}.jpg")
    for name in ("Canon_40D.jpg", "Nikon_D70.jpg"):
        shutil.copy(photos_dir / "cameras" / name, src / name)
    return src


def _import(settings, bus, src: Path, subject="Tulip") -> list[int]:
    report = import_sets([SetSpec(sources=[src], subject=subject, location="Keukenhof", folder="Flowers",
                                  confirm_new=True)], settings, bus)
    assert report.ok, [r.problems for r in report.sets]
    return [p.id for p in Photo.select().where(Photo.set == report.sets[0].set_id).order_by(Photo.seq)]


def _queue(settings, bus, src: Path) -> list[int]:
    ids = _import(settings, bus, src)
    Pipeline(settings, bus, _stages(), poll=0.02).run()
    assert {Photo.get_by_id(i).state for i in ids} == {State.MODEL_READY.value}
    return ids


def _touch_by(run: Run, ids: list[int]) -> None:
    """Record that ``run`` moved these rows (as a crashed pipeline run would have)."""
    for i in ids:
        p = Photo.get_by_id(i)
        StateChange.create(photo=i, from_state=p.state, to_state=p.state, run=run.id, reason="test: crashed run")


def test_detect_marks_dead_runs_crashed_and_never_touches_a_live_one(settings, db, bus):
    dead = crash_run("pipeline")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live = Run.create(kind="publish", pid=sleeper.pid, host=socket.gethostname())
        report = recovery.detect(settings)
        assert [r.id for r in report.crashed_runs] == [dead.id]
        assert [r.id for r in report.live_runs] == [live.id]
        assert Run.get_by_id(dead.id).outcome == "crashed"
        assert Run.get_by_id(live.id).outcome is None  # a live pid is only reported
        assert report.needs_attention
        text = report.text()
        assert f"crashed: run {dead.id}" in text and f"running (not touched): run {live.id}" in text
        # resume refuses to repair files while another process works on the same data dir
        res = recovery.resume(settings, bus)
        assert any("live run" in k for k in res.kept)
        assert Run.get_by_id(live.id).outcome is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_clean_queue_needs_no_attention(settings, db, bus, originals):
    _queue(settings, bus, originals)
    report = recovery.detect(settings, deep=True)
    assert not report.needs_attention, report.text()
    assert report.by_state == {}  # a queue waiting for its next stage after a clean run is not "in flight"


def test_lost_staged_copy_is_restaged_from_the_intact_original(settings, db, bus, originals):
    before = hash_tree(originals)
    ids = _queue(settings, bus, originals)
    victim = Photo.get_by_id(ids[1])
    Path(victim.staged_path).unlink()
    report = recovery.detect(settings)
    assert report.needs_attention
    assert [(p.photo_id, p.kind, p.original_ok) for p in report.files.problems] == [(victim.id, "staged_missing", True)]

    recovery.resume(settings, bus)
    assert Photo.get_by_id(victim.id).state == State.IMPORTED.value
    name = victim.file_name
    Pipeline(settings, bus, _stages(), poll=0.02).run()  # the next run stages it again and keeps its name
    again = Photo.get_by_id(victim.id)
    assert again.state == State.MODEL_READY.value and again.file_name == name
    assert sha256(Path(again.staged_path)) == again.content_hash
    assert hash_tree(originals) == before
    assert check_invariants() == []
    assert not recovery.detect(settings).needs_attention


def test_neither_copy_nor_original_marks_source_missing_and_keeps_the_row(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    victim = Photo.get_by_id(ids[0])
    Path(victim.staged_path).unlink()
    moved = originals.parent / "unplugged_drive"
    moved.mkdir()
    shutil.move(victim.original_path, moved / victim.original_name)

    recovery.resume(settings, bus)
    row = Photo.get_by_id(victim.id)
    assert row.state == State.SOURCE_MISSING.value
    assert victim.original_path in row.last_error and "reconnect" in row.last_error
    assert Photo.select().count() == 5  # never deleted
    assert repo.history(victim.id)[-1].actor == "recovery"

    shutil.move(moved / victim.original_name, victim.original_path)  # the drive is back
    report = recovery.resume(settings, bus)
    assert Photo.get_by_id(victim.id).state == State.IMPORTED.value, report.text()
    Pipeline(settings, bus, _stages(), poll=0.02).run()
    assert Photo.get_by_id(victim.id).state == State.MODEL_READY.value
    assert check_invariants() == []


def test_corrupt_staged_copy_found_by_hash_for_rows_of_a_crashed_run(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    victim = Photo.get_by_id(ids[2])
    data = bytearray(Path(victim.staged_path).read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, different bytes: only the hash can tell
    Path(victim.staged_path).write_bytes(bytes(data))
    assert not recovery.detect(settings).files.problems  # a size check alone cannot see it (fast start-up)

    _touch_by(crash_run("pipeline"), ids)
    report = recovery.detect(settings)
    assert [(p.photo_id, p.kind) for p in report.files.problems] == [(victim.id, "staged_corrupt")]
    recovery.resume(settings, bus)
    assert Photo.get_by_id(victim.id).state == State.IMPORTED.value
    Pipeline(settings, bus, _stages(), poll=0.02).run()
    row = Photo.get_by_id(victim.id)
    assert sha256(Path(row.staged_path)) == row.content_hash


def test_reviewed_row_gets_its_copy_back_in_place_keeping_the_review_work(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    pid = ids[0]
    repo.transition(pid, State.SCORED)
    repo.transition(pid, State.PREFILLED, caption="A red tulip", alt_text="Red tulip in a field")
    Path(Photo.get_by_id(pid).staged_path).unlink()
    recovery.resume(settings, bus)
    row = Photo.get_by_id(pid)
    assert row.state == State.PREFILLED.value and row.caption == "A red tulip"
    assert sha256(Path(row.staged_path)) == row.content_hash


def test_lost_model_image_sends_the_row_back_to_queued(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    Path(Photo.get_by_id(ids[3]).model_image_path).unlink()
    recovery.resume(settings, bus)
    assert Photo.get_by_id(ids[3]).state == State.QUEUED.value
    Pipeline(settings, bus, _stages(), poll=0.02).run()
    assert Path(Photo.get_by_id(ids[3]).model_image_path).is_file()


def test_resume_removes_temp_files_without_rows_and_keeps_every_live_file(settings, db, bus, originals):
    before = hash_tree(originals)
    ids = _queue(settings, bus, originals)
    crash_run("pipeline")
    set_dir = Path(Photo.get_by_id(ids[0]).staged_path).parent
    part = set_dir / "000099_IMG.jpg.part"
    part.write_bytes(b"half a copy")
    stray_copy = set_dir / "000777_gone.jpg"
    stray_copy.write_bytes(b"copy of a row that was never committed")
    stray_model = settings.ollama_tmp_dir / "photo_00000777.jpg"
    stray_model.write_bytes(b"model image of a row that does not exist")
    live_files = [Path(p.staged_path) for p in Photo.select()] + [Path(p.model_image_path) for p in Photo.select()]

    report = recovery.detect(settings)
    assert set(report.files.orphans) == {part, stray_copy, stray_model}
    assert report.needs_attention
    res = recovery.resume(settings, bus)
    assert not part.exists() and not stray_copy.exists() and not stray_model.exists()
    assert all(f.is_file() for f in live_files)
    assert hash_tree(originals) == before
    assert Run.select().where(Run.outcome == "crashed").count() == 0  # resolved: resumed
    assert "removed orphan" in res.text()
    assert not recovery.detect(settings).needs_attention


def test_dangling_reservations_are_released(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    # A crash between the reject and the release (or a row-less reservation) leaves a name held by nobody live.
    repo.transition(ids[4], State.REJECTED, reason="test")
    repo.reserve_name("Orphan_Name_001.JPG", None)
    report = recovery.detect(settings)
    assert {d.name for d in report.files.dangling_reservations} == {Photo.get_by_id(ids[4]).file_name,
                                                                     "Orphan_Name_001.JPG"}
    recovery.resume(settings, bus)
    assert check_invariants() == []
    assert repo.active_reservation("Orphan_Name_001.JPG") is None


def _publish_by_hand(pid: int, steps: list[str], *, finish: bool) -> None:
    """Walk a row to publishing and record publish steps, as the publisher does."""
    repo.transition(pid, State.SCORED)
    repo.transition(pid, State.PREFILLED)
    repo.transition(pid, State.APPROVED)
    repo.transition(pid, State.PUBLISHING)
    for step in steps:
        rec = repo.step_started(pid, step)
        repo.step_finished(rec.id, True)
    if finish:
        repo.transition(pid, State.PUBLISHED, catalog_id=pid)


def test_rollback_undoes_a_crashed_run_but_never_published_or_half_published_rows(settings, db, bus, originals,
                                                                                  jpeg_factory):
    before = hash_tree(originals)
    ids = _queue(settings, bus, originals)
    published, half, plain = ids[0], ids[1], ids[2:]
    _publish_by_hand(published, ["render", "upload_web", "upload_thumb", "catalog", "mirror"], finish=True)
    _publish_by_hand(half, ["render", "upload_web"], finish=False)
    run = crash_run("pipeline")
    _touch_by(run, ids)
    names = {i: Photo.get_by_id(i).file_name for i in ids}
    files = {i: (Path(Photo.get_by_id(i).staged_path), Path(Photo.get_by_id(i).model_image_path)) for i in plain}

    report = recovery.rollback(settings, bus)
    assert Photo.get_by_id(published).state == State.PUBLISHED.value
    assert Photo.get_by_id(half).state == State.PUBLISHING.value
    assert any(f"photo {half}" in k and "amirtui publish" in k for k in report.kept)
    for i in plain:
        assert Photo.get_by_id(i).state == State.ROLLED_BACK.value
        assert repo.history(i)[-1].actor == "recovery"
        assert repo.active_reservation(names[i]) is None
        assert not files[i][0].exists() and not files[i][1].exists()
    assert repo.active_reservation(names[published]).photo_id == published
    assert Run.get_by_id(run.id).outcome == "rolled_back"
    assert hash_tree(originals) == before
    assert check_invariants() == []

    # Safe rerun: the same set imports again without duplicates of live rows, and gets collision-free names.
    again = _import(settings, bus, originals)
    assert len(again) == 3  # the rolled-back ones; the published and the half-published one are reported
    Pipeline(settings, bus, _stages(), poll=0.02).run()
    new_names = [Photo.get_by_id(i).file_name for i in again]
    assert len(set(n.casefold() for n in new_names)) == 3
    assert names[published].casefold() not in {n.casefold() for n in new_names}
    assert check_invariants() == []


def test_rollback_keeps_a_failed_row_whose_upload_was_done(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    pid = ids[0]
    _publish_by_hand(pid, ["render", "upload_web"], finish=False)
    repo.transition(pid, State.PUBLISH_FAILED, reason="catalog: server gone")
    _touch_by(crash_run("publish"), [pid])
    report = recovery.rollback(settings, bus)
    assert Photo.get_by_id(pid).state == State.PUBLISH_FAILED.value
    assert any(f"photo {pid}" in k for k in report.kept)


def test_rollback_with_nothing_crashed_changes_nothing(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    report = recovery.rollback(settings, bus)
    assert "no crashed or unfinished run" in report.text()
    assert {Photo.get_by_id(i).state for i in ids} == {State.MODEL_READY.value}


def test_publishing_rows_are_listed_with_their_steps_and_left_for_the_publisher(settings, db, bus, originals):
    ids = _queue(settings, bus, originals)
    pid = ids[0]
    _publish_by_hand(pid, ["render"], finish=False)
    repo.step_started(pid, "upload_web")  # killed mid-upload: started, never finished
    crash_run("publish")
    report = recovery.detect(settings)
    row = next(p for p in report.publishing if p.photo_id == pid)
    assert row.done == ["render"] and row.unfinished == ["upload_web"] and row.has_live_step
    res = recovery.resume(settings, bus)
    assert Photo.get_by_id(pid).state == State.PUBLISHING.value
    # the interrupted step stays unfinished: the publisher uses that to know the remote file may be its own
    assert PublishStep.select().where((PublishStep.photo == pid) & PublishStep.finished_at.is_null()).count() == 1
    assert any("amirtui publish" in k for k in res.kept)


def test_locked_by_names_the_process_holding_the_database(settings, db):
    code = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(settings.db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        who = recovery.locked_by(settings.db_path)
        assert who is not None and f"pid {holder.pid}" in who
        assert f"pid {holder.pid}" in recovery.locked_message(settings.db_path)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 5
    while recovery.locked_by(settings.db_path) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert recovery.locked_by(settings.db_path) is None


def test_locked_by_prefers_the_instance_lock_owner(settings, db):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (settings.data_dir / "amirtui.lock").write_text(f"{sleeper.pid} {socket.gethostname()} {time.time():.0f}\n")
        assert f"amirtui pid {sleeper.pid}" in recovery.locked_by(settings.db_path)
    finally:
        sleeper.kill()
        sleeper.wait()
        (settings.data_dir / "amirtui.lock").unlink()


def test_recover_cli_reports_a_crash(home, settings, db, originals, bus):
    _import(settings, bus, originals)
    crash_run("pipeline")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    out = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), "recover",
                          "--status"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "needs attention" in out.stdout and "crashed: run" in out.stdout
    out = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(home / "config.yaml"), "recover",
                          "--resume"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "recovery resume" in out.stdout
    assert Run.select().where(Run.outcome == "recovered").count() == 1


# ---------------------------------------------------------------- after publish: cleanup and the next step


def _published_with_working_files(settings, bus, originals) -> tuple[Photo, list[Path]]:
    """A row published through the real stages and publisher, then given back the working files a kill between its
    `published` commit and the cleanup leaves: staged copy (under incoming), model image and render folder."""
    from amirtui.core import review
    from amirtui.core.publish import Publisher

    ids = _queue(settings, bus, originals)
    victim = Photo.get_by_id(ids[0])
    staged, model = Path(victim.staged_path), Path(victim.model_image_path)
    kept = {staged: staged.read_bytes(), model: model.read_bytes()}
    repo.transition(victim.id, State.SCORED)
    repo.transition(victim.id, State.PREFILLED, caption="Tulips in rows.", alt_text="Rows of red tulips.",
                    keywords=["tulips"], gate_status="pass")
    review.approve(victim.id)
    assert Publisher(settings, bus=bus).run([victim.id]).published == [victim.id]
    for path, data in kept.items():  # the cleanup never ran: the process died right after the commit
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    render = settings.data_dir / "publish_tmp" / str(victim.id)
    render.mkdir(parents=True)
    (render / "web.jpg").write_bytes(b"rendered")
    crash_run("publish")
    return Photo.get_by_id(victim.id), [staged, model, render]


def test_kill_between_published_and_cleanup_is_named_by_status_and_cleaned_by_resume(settings, db, bus, originals):
    from amirtui.core.publish.validation import validate

    before = hash_tree(originals)
    victim, leftovers = _published_with_working_files(settings, bus, originals)
    assert {p.kind for p in validate(settings, None, check_urls=False).problems} == {"stale_file"}

    status = recovery.detect(settings)
    text = status.text()
    assert status.needs_attention and "crashed: run" in text
    for path in leftovers:
        assert str(path) in text, f"recover --status does not name {path}"

    res = recovery.resume(settings, bus)
    assert not any(p.exists() for p in leftovers), res.text()
    assert hash_tree(originals) == before  # the original is never a working file
    assert Photo.get_by_id(victim.id).state == State.PUBLISHED.value
    assert validate(settings, None, check_urls=False).ok
    after = recovery.detect(settings)
    assert not after.needs_attention and after.next_step() is None, after.text()


def test_staged_copy_is_kept_when_the_original_is_gone(settings, db, bus, originals):
    victim, (staged, model, render) = _published_with_working_files(settings, bus, originals)
    Path(victim.original_path).unlink()  # the copy is now the only one: it is not a working file any more
    recovery.resume(settings, bus)
    assert staged.is_file() and not model.exists() and not render.exists()
    from amirtui.core.publish.validation import validate

    assert validate(settings, None, check_urls=False).ok  # and validation does not call it stale forever


def test_after_resume_status_names_publish_as_the_next_step_not_resume_again(settings, db, bus, tmp_path):
    from tests.test_publish_support import make_approved

    [pid] = make_approved(tmp_path / "src", 1)
    run = crash_run("publish")
    repo.transition(pid, State.PUBLISHING, run_id=run.id)
    step = repo.step_started(pid, "render", run.id)
    repo.step_finished(step.id, True)

    first = recovery.detect(settings)
    assert first.needs_attention and "recover --resume" in first.text()
    recovery.resume(settings, bus)
    again = recovery.detect(settings)
    text = again.text()
    assert not again.needs_attention, text
    assert "needs attention" not in text and "recover --resume" not in text
    assert "next: `amirtui publish` finishes the 1 row left mid-publish" in text


def test_status_of_a_row_killed_mid_republish_shows_this_passes_steps_and_publish_as_next(settings, db, bus, tmp_path):
    from amirtui.core import review_edit
    from amirtui.core.publish import Publisher
    from tests.test_publish_support import make_approved

    [pid] = make_approved(tmp_path / "src", 1)
    Publisher(settings).run()
    review_edit.save_edits(pid, caption="A better caption.")
    run = crash_run("publish")  # a republish killed after its render
    repo.transition(pid, State.REPUBLISHING, run_id=run.id)
    step = repo.step_started(pid, "render", run.id)
    repo.step_finished(step.id, True)
    repo.step_started(pid, "upload_web", run.id)

    text = recovery.detect(settings).text()
    assert f"republishing: photo {pid} " in text and "done [render] interrupted [upload_web]" in text, text
    recovery.rollback(settings, bus)  # a row that was on the website is never rolled back
    assert Photo.get_by_id(pid).state == State.REPUBLISHING.value
    after = recovery.detect(settings).text()
    assert "next: `amirtui publish` finishes the 1 row left mid-publish" in after, after


def test_recover_status_only_reports_it_changes_nothing_in_the_database(settings, db, bus, tmp_path):
    """`amirtui recover --status` names the crashed run and what to do, and leaves every row and run as it was."""
    import subprocess
    import sys

    from amirtui.core.db.models import Run, StateChange
    from tests.helpers_headless import crash_run

    dead = crash_run("pipeline")
    before = (Run.get_by_id(dead.id).outcome, StateChange.select().count(), Run.select().count())
    config = settings.base_dir / "config.yaml"
    res = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(config), "recover", "--status"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"run {dead.id}" in res.stdout or "crashed" in res.stdout, res.stdout
    after = (Run.get_by_id(dead.id).outcome, StateChange.select().count(), Run.select().count())
    assert after == before and before[0] is None  # still unfinished: only resume/rollback mark it
