"""Publishing to the local target with the SQLite mirror as the catalog: steps, idempotency, resume, conflicts."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from amirtui.core.db import repo
from amirtui.core.db.models import Photo, PublishStep
from amirtui.core.events import PublishStepDone
from amirtui.core.publish import Mirror, Publisher, build_paths
from amirtui.core.publish.targets import UnsafePath, sanitize_token
from amirtui.core.states import State
from amirtui.core.xmp import read_xmp
from tests.test_publish_support import HOSTILE_CAPTION, files_under, make_approved


def site(settings):
    return settings.site_dir


def steps_of(pid: int) -> list[tuple[str, str]]:
    return [(s.step, s.status) for s in PublishStep.select().where(PublishStep.photo == pid).order_by(PublishStep.id)]


# ---------------------------------------------------------------- paths


@hsettings(max_examples=200, deadline=None)
@given(year=st.text(max_size=12), folder=st.text(max_size=40), name=st.text(max_size=60))
def test_hostile_tokens_never_leave_remote_base(year, folder, name):
    try:
        paths = build_paths("photos", year, folder, name)
    except UnsafePath:
        return  # refusing is fine; escaping is not
    for full in (paths.web, paths.thumb):
        assert full.startswith("photos/")
        assert ".." not in full.split("/")
        assert posixpath.normpath(full) == full
        assert all(part and not part.startswith(".") for part in full.split("/"))


@pytest.mark.parametrize("folder", ["../../etc", "/etc/passwd", "..", "a/../../b", "C:\\Windows", "x\x00y"])
def test_traversal_folders_are_flattened(folder):
    try:
        paths = build_paths("/srv/www/photos", "2023", folder, "Evil_2023_001.JPG")
    except UnsafePath:
        assert folder == ".."  # nothing usable left: refused with the field named
        return
    assert paths.web.startswith("/srv/www/photos/2023/")
    assert paths.thumb.startswith("/srv/www/photos/2023/thumbs/")
    assert paths.web.count("/") == paths.thumb.count("/") - 1 == 6


@pytest.mark.parametrize("name", ["../../evil.JPG", "a/b.JPG", "Lake Alps.JPG", ".hidden.JPG", "x\x00y.JPG",
                                  "Cafe\u0301_001.JPG"])
def test_a_file_name_the_server_would_change_is_refused_not_rewritten(name):
    with pytest.raises(UnsafePath, match="cannot be published under its catalog File_Name"):
        build_paths("/srv/www/photos", "2023", "Landscape", name)


def test_empty_token_is_refused_with_the_field_named():
    with pytest.raises(UnsafePath, match="folder"):
        sanitize_token("../..", what="folder")


# ---------------------------------------------------------------- publish over the local target


def test_publish_writes_pair_mirror_and_xmp_and_twice_is_one_of_each(settings, db, bus, tmp_path):
    ids = make_approved(tmp_path / "src", 3)
    pub = Publisher(settings, bus=bus)
    summary = pub.run()
    assert sorted(summary.published) == ids and not summary.failed

    mirror = Mirror(settings.mirror_db_path)
    for pid in ids:
        p = Photo.get_by_id(pid)
        assert p.state == State.PUBLISHED and p.catalog_id and p.published_at
        web = site(settings) / p.web_remote_path
        thumb = site(settings) / p.thumb_remote_path
        assert p.web_remote_path == f"photos/2023/Landscape/{p.file_name}"
        assert p.thumb_remote_path == f"photos/2023/thumbs/Landscape/{p.file_name}"
        meta = read_xmp(web.read_bytes())
        assert meta["caption"] == p.caption and meta["alt_text"] == p.alt_text and meta["keywords"] == p.keywords
        assert read_xmp(thumb.read_bytes())["caption"] == p.caption
        row = mirror.fetch(p.file_name)
        assert row["id"] == p.catalog_id and row["Caption"] == p.caption and row["Path"] == web.as_uri()
        assert row["DateTime"] == "2023-07-14 06:12:30" and row["QC_Status"] == "Good" and row["Folder"] == "Landscape"
        assert [s for s, _ in steps_of(pid)] == ["render", "upload_web", "upload_thumb", "catalog", "mirror"]
    before = files_under(site(settings))
    assert len(before) == 6  # three pairs, no temp files left

    again = Publisher(settings, bus=bus).run(ids)  # explicitly asking for published rows: skipped, nothing redone
    assert sorted(again.skipped) == ids and not again.published
    assert files_under(site(settings)) == before and mirror.count() == 3
    assert sum(len(steps_of(pid)) for pid in ids) == 15

    done = [e for e in bus.seen if isinstance(e, PublishStepDone)]
    assert len(done) == 15 and all(e.ok for e in done)
    log_text = (settings.logs_dir / "db_uploader.log").read_text()
    assert f"id={ids[0]} file={Photo.get_by_id(ids[0]).file_name} step=upload_web ok" in log_text
    assert "PUBLISHED" in log_text


def test_hostile_caption_round_trips_byte_exact_through_mirror_and_xmp(settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1, caption=HOSTILE_CAPTION)
    assert len(HOSTILE_CAPTION) == 2000
    assert Publisher(settings).run().published == [pid]
    p = Photo.get_by_id(pid)
    assert Mirror(settings.mirror_db_path).fetch(p.file_name)["Caption"].encode() == HOSTILE_CAPTION.encode()
    assert read_xmp((site(settings) / p.web_remote_path).read_bytes())["caption"].encode() == HOSTILE_CAPTION.encode()


def test_failing_row_does_not_block_others_and_rerun_finishes(settings, db, tmp_path):
    ids = make_approved(tmp_path / "src", 3)
    bad = ids[1]
    Photo.update(staged_path=str(tmp_path / "gone.jpg"), original_path=str(tmp_path / "gone.jpg")).where(
        Photo.id == bad).execute()
    summary = Publisher(settings).run()
    assert sorted(summary.published) == [ids[0], ids[2]]
    assert [(f[0], f[1]) for f in summary.failed] == [(bad, "render")]
    p = Photo.get_by_id(bad)
    assert p.state == State.PUBLISH_FAILED and p.error_stage == "render" and "staged copy" in p.last_error
    assert "FAILED at render" in (settings.logs_dir / "db_uploader.log").read_text()

    src = tmp_path / "src" / "src_1_1.jpg"  # the drive came back
    Photo.update(staged_path=str(src), original_path=str(src)).where(Photo.id == bad).execute()
    again = Publisher(settings).run()
    assert again.published == [bad] and not again.failed
    assert Mirror(settings.mirror_db_path).count() == 3 and len(files_under(site(settings))) == 6


def test_crash_mid_row_resumes_from_last_done_step(settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    pub = Publisher(settings)
    lane_target = pub.target_factory()

    # simulate a crash right after upload_web: the row is stuck in publishing with two steps done
    repo.transition(pid, State.PUBLISHING)
    from amirtui.core.publish.publisher import Lane

    row = pub._prepare(Photo.get_by_id(pid), Lane(lane_target, None))
    pub._run_step(row, "render")
    pub._run_step(row, "upload_web")
    crashed = repo.step_started(pid, "upload_thumb")  # started, never finished (the process died)
    lane_target.put_atomic(row.paths.thumb, b"half", may_replace=False)  # and it even got renamed into place

    summary = Publisher(settings).run()
    assert summary.published == [pid]
    names = [s for s, status in steps_of(pid) if status == "done"]
    assert names == ["render", "upload_web", "upload_thumb", "catalog", "mirror"]  # web not uploaded twice
    thumb = site(settings) / Photo.get_by_id(pid).thumb_remote_path
    assert thumb.read_bytes() != b"half" and read_xmp(thumb.read_bytes())["caption"]
    assert PublishStep.get_by_id(crashed.id).status == "started"


def test_foreign_remote_file_is_an_error_then_rerun_after_cleanup(settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    name = Photo.get_by_id(pid).file_name
    foreign = site(settings) / "photos" / "2023" / "Landscape" / name
    foreign.parent.mkdir(parents=True)
    foreign.write_bytes(b"someone else's photo")

    summary = Publisher(settings).run()
    assert summary.failed and summary.failed[0][1] == "upload_web"
    p = Photo.get_by_id(pid)
    assert p.state == State.PUBLISH_FAILED and "does not belong to this row" in p.last_error
    assert foreign.read_bytes() == b"someone else's photo"  # never overwritten
    assert Publisher(settings).run().failed  # a failed attempt never makes the file "ours"
    assert foreign.read_bytes() == b"someone else's photo"

    foreign.unlink()  # the operator removed the stale file
    assert Publisher(settings).run().published == [pid]
    assert len(files_under(site(settings))) == 2 and Mirror(settings.mirror_db_path).count() == 1


def test_row_sent_back_and_edited_is_rendered_again(settings, db, tmp_path):
    [pid] = make_approved(tmp_path / "src", 1)
    name = Photo.get_by_id(pid).file_name
    blocker = site(settings) / "photos" / "2023" / "thumbs" / "Landscape" / name
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"x")
    Publisher(settings).run()  # render + upload_web done, upload_thumb fails on the foreign file
    assert Photo.get_by_id(pid).error_stage == "upload_thumb"
    blocker.unlink()

    repo.transition(pid, State.PREFILLED, actor="operator", reason="caption fix")
    repo.update_fields(pid, caption="An edited caption.", text_source="manual")
    repo.transition(pid, State.APPROVED, actor="operator")
    assert Publisher(settings).run().published == [pid]
    p = Photo.get_by_id(pid)
    assert read_xmp((site(settings) / p.web_remote_path).read_bytes())["caption"] == "An edited caption."
    assert [s for s, st_ in steps_of(pid) if s == "render" and st_ == "done"] == ["render", "render"]
    assert Mirror(settings.mirror_db_path).fetch(name)["Caption"] == "An edited caption."
