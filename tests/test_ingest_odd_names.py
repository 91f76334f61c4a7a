"""Every file of a set ends as a row or a recorded refusal, whatever its name (issue 14, item 2).

A generated corpus of names a Linux filesystem allows but tools trip over — not valid UTF-8, a leading dot, 250 bytes,
a trailing space, a right-to-left override, NFC/NFD twins, terminal escapes, a newline, a symlink loop, a hidden
folder, a symlinked folder — is imported and run through staging, EXIF and naming. Every directory entry is
accounted for (a queue row or a `refusal` row with its reason), names survive the database byte for byte, staged
copies have safe names, and nothing printed or logged carries a raw control byte or an undecodable name.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import unicodedata
from pathlib import Path

from amirtui.core.db import close_db, open_db
from amirtui.core.db.models import Photo, Refusal, Run
from amirtui.core.fsnames import display_name, display_path
from amirtui.core.ingest import SetSpec, import_sets
from amirtui.core.ingest_stages import ExifStage, QueueStage, StagingStage
from amirtui.core.pipeline import Pipeline
from amirtui.core.states import State

CAMERA = ["Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg", "Sony_HDR-HC3.jpg", "Kodak_CX7530.jpg",
          "Panasonic_DMC-FZ30.jpg", "Olympus_C8080WZ.jpg", "Fujifilm_FinePix_E500.jpg", "Canon_PowerShot_S40.jpg",
          "Nikon_COOLPIX_P1.jpg"]

#: name (bytes) → what the import must make of it: "row" or a word the refusal reason must contain
CORPUS: dict[bytes, str] = {
    b"caf\xe9 latin-1.jpg": "row",  # not valid UTF-8 (a Windows/latin-1 copy)
    b"\xff\xfe\xfd.jpg": "row",  # nothing decodable at all
    b"a" * 246 + b".jpg": "row",  # 250 bytes: the longest names filesystems allow, no room for a prefix
    "é".encode() * 123 + b".jpg": "row",  # 250 bytes of two-byte characters
    b"trailing space.jpg ": "row",
    "photo\u202egpj.jpg".encode(): "row",  # right-to-left override: shows as "photojpg.jpg"
    unicodedata.normalize("NFC", "café twin.jpg").encode(): "row",
    unicodedata.normalize("NFD", "café twin.jpg").encode(): "row",  # same text, other bytes: a second file
    b"\x1b]2;pwned\x07\x1b[31m.jpg": "row",  # terminal escapes: retitle + colour
    b"line\nbreak.jpg": "row",
    b".hidden.jpg": "hidden file",
    b".DS_Store": "hidden file",
    b"notes.txt": "not an image",
    b"loop.jpg": "symlink loop",
    b"copy of canon.jpg": "duplicate",
}


def _make_corpus(root: Path, photos_dir: Path) -> dict[bytes, str]:
    """Write the corpus under ``root`` (bytes paths: the names are not all valid text). Returns name → expectation,
    including the two folder entries."""
    broot = os.fsencode(root)
    cameras = iter(CAMERA)
    for name, what in CORPUS.items():
        path = os.path.join(broot, name)
        if what == "row":
            shutil.copyfile(photos_dir / "cameras" / next(cameras), os.fsdecode(path))
        elif what == "symlink loop":
            os.symlink(path, path)  # a link to itself: ELOOP
        elif what == "duplicate":
            shutil.copyfile(photos_dir / "cameras" / "Canon_40D.jpg", os.fsdecode(path))
        elif name == b".hidden.jpg":
            shutil.copyfile(photos_dir / "cameras" / "Nikon_D70.jpg", os.fsdecode(path))
        else:
            Path(os.fsdecode(path)).write_bytes(b"some text, not a photo\n")
    hidden = os.path.join(broot, b".thumbnails")
    os.mkdir(hidden)
    shutil.copyfile(photos_dir / "cameras" / "Pentax_K10D.jpg", os.fsdecode(os.path.join(hidden, b"t.jpg")))
    outside = root.parent / "elsewhere"
    outside.mkdir()
    os.symlink(outside, os.path.join(broot, b"linked folder"))
    return {**CORPUS, b".thumbnails": "hidden folder", b"linked folder": "symlink to a folder"}


def _no_raw_controls(text: str) -> bool:
    return not any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n" or c == "\u202e" for c in text)


def test_a_corpus_of_odd_names_is_imported_end_to_end_with_every_file_accounted_for(
        db, settings, bus, tmp_path, photos_dir):
    src = tmp_path / "odd"
    src.mkdir()
    expected = _make_corpus(src, photos_dir)
    assert sorted(os.listdir(os.fsencode(src))) == sorted(expected)  # the filesystem really holds these names

    report = import_sets([SetSpec([src], "Odd", "Lab", "Names", confirm_new=True)], settings, bus)
    assert report.ok, report.sets[0].problems
    Pipeline(settings, bus, stages=[StagingStage(), ExifStage(), QueueStage()], poll=0.05).run()

    close_db()  # read everything back through a fresh connection: what the database really holds
    open_db(settings.db_path)
    rows = {os.fsencode(p.original_name): p for p in Photo.select()}
    refusals = {os.fsencode(Path(r.path).name): r.reason for r in Refusal.select()}
    # every entry of the folder is exactly one of: a queue row, a refusal
    assert set(rows) | set(refusals) == set(expected) and not set(rows) & set(refusals)
    for name, what in expected.items():
        if what == "row":
            assert name in rows, f"{name!r} was not imported: {refusals.get(name)}"
        else:
            assert what in refusals.get(name, "").lower(), f"{name!r}: expected '{what}', got {refusals.get(name)!r}"

    for name, row in rows.items():
        # through staging, EXIF and naming: none stuck in an input state, none failed
        assert row.state == State.QUEUED.value, (name, row.state, row.last_error)
        # the original's path survives the database byte for byte and still opens
        assert os.fsencode(row.original_path) == os.path.join(os.fsencode(src), name)
        staged = Path(row.staged_path)
        assert len(os.fsencode(staged.name)) <= 32 and staged.name.isascii() and staged.name.isprintable()
        assert staged.read_bytes() == Path(row.original_path).read_bytes()  # the copy is exact
        assert row.file_name.startswith("Odd_Lab_Names_Photography_")
    # twins stay two rows with two names
    nfc, nfd = (unicodedata.normalize(f, "café twin.jpg").encode() for f in ("NFC", "NFD"))
    assert rows[nfc].id != rows[nfd].id and rows[nfc].file_name != rows[nfd].file_name

    # nothing shown or logged carries a raw control character, a bidi override or an undecodable name
    for event in bus.seen:
        assert _no_raw_controls(event.text()), event.text()
        event.text().encode("utf-8")  # strict: a lone surrogate would raise
    assert display_name(os.fsdecode(b"\xff\xfe\xfd.jpg")) == "\\xff\\xfe\\xfd.jpg"
    assert display_name("photo\u202egpj.jpg") == "photo\\u202egpj.jpg"
    assert display_name("trailing space.jpg ") == "trailing space.jpg\\x20"
    assert display_path(os.fsdecode(b"/x/\x1b]2;t\x07.jpg")) == "/x/\\x1b]2;t\\x07.jpg"


def test_a_run_never_retries_a_row_parked_as_failed(db, settings, bus, tmp_path, photos_dir):
    src = tmp_path / "gone"
    src.mkdir()
    shutil.copyfile(photos_dir / "cameras" / "Canon_40D.jpg", src / "a.jpg")
    import_sets([SetSpec([src], "Odd", "Lab", "Names", confirm_new=True)], settings, bus)
    (src / "a.jpg").chmod(0o644)
    (src / "a.jpg").write_bytes((src / "a.jpg").read_bytes()[:-100] + b"\xff\xd9")  # edited after the import
    first = Pipeline(settings, bus, stages=[StagingStage(), ExifStage(), QueueStage()], poll=0.05).run()
    row = Photo.get()
    assert row.state == State.FAILED.value and "changed since it was imported" in row.last_error
    assert first.outcome == "partial" and first.reasons == {"row_failed": 1}
    second = Pipeline(settings, bus, stages=[StagingStage(), ExifStage(), QueueStage()], poll=0.05).run()
    assert second.rows == 0 and second.outcome == "ok"  # parked, visible, not retried


def test_an_import_where_nothing_is_importable_records_every_refusal(db, settings, bus, tmp_path):
    src = tmp_path / "junk"
    src.mkdir()
    (src / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (src / "readme.txt").write_text("scans follow\n")
    (src / "empty.jpg").write_bytes(b"")
    report = import_sets([SetSpec([src], "Odd", "Lab", "Names", confirm_new=True)], settings, bus)
    assert not report.ok and "no importable image" in report.sets[0].problems[0]
    assert report.sets[0].refusals_recorded
    got = {Path(r.path).name: r.reason for r in Refusal.select()}
    assert set(got) == {".DS_Store", "readme.txt", "empty.jpg"}
    assert "hidden" in got[".DS_Store"] and "not an image" in got["readme.txt"] and "zero-byte" in got["empty.jpg"]
    assert Photo.select().count() == 0
    assert Run.get_by_id(report.run_id).outcome == "failed"


def test_a_folder_that_cannot_be_read_is_a_refusal_not_a_silent_gap(db, settings, bus, tmp_path, photos_dir):
    # Nested folders whose full path passes PATH_MAX (4096 bytes): the walk cannot list the deepest one. (A
    # chmod-000 folder would do for a normal user; root reads those, this fails for everyone.)
    src = tmp_path / "deep"
    src.mkdir()
    shutil.copyfile(photos_dir / "cameras" / "Canon_40D.jpg", src / "a.jpg")
    fd = os.open(src, os.O_RDONLY)
    try:
        for _ in range(18):  # 18 × 251 bytes
            os.mkdir("d" * 250, dir_fd=fd)
            nxt = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
    finally:
        os.close(fd)
    res = import_sets([SetSpec([src], "Odd", "Lab", "Names", confirm_new=True)], settings, bus).sets[0]
    assert [p.name for p in res.accepted] == ["a.jpg"]
    assert len(res.refused) == 1 and "cannot be read" in res.refused[0][1] and "shorter path" in res.refused[0][1]
    assert Refusal.select().count() == 1


def test_odd_names_go_all_the_way_to_a_published_catalog_row(db, settings, bus, tmp_path, photos_dir):
    """The nastiest names through every stage (real PIQE scoring, no Ollama), review and a local publish: the
    catalog and mirror hold the original name escaped, and validation finds nothing wrong."""
    from amirtui.core.db import repo
    from amirtui.core.pipeline import default_stages
    from amirtui.core.publish.publisher import Publisher
    from amirtui.secrets import load_secrets

    src = tmp_path / "odd"
    src.mkdir()
    names = [b"caf\xe9 latin-1.jpg", b"photo\xe2\x80\xaegpj.jpg", b"b" * 246 + b".jpg", b"\x1b]2;x\x07.jpg "]
    for name, camera in zip(names, CAMERA):
        shutil.copyfile(photos_dir / "cameras" / camera, os.fsdecode(os.path.join(os.fsencode(src), name)))
    report = import_sets([SetSpec([src], "Odd", "Lab", "Names", confirm_new=True)], settings, bus)
    assert report.accepted == 4
    run = Pipeline(settings, bus, default_stages(settings), poll=0.05).run()
    assert run.reasons == {"skipped_captioning": 4}  # honest: no Ollama in this home
    for p in Photo.select():
        assert p.state == State.NEEDS_WORK.value, (p.original_name, p.state, p.last_error)
        repo.update_fields(p.id, caption="A test photo.", alt_text="A photo.", keywords=["test"])
        repo.transition(p.id, State.APPROVED, actor="operator", reason="override for the test")
    secrets = load_secrets(settings)
    summary = Publisher(settings, secrets=secrets, bus=bus).run(validate_after=True, secrets=secrets)
    assert len(summary.published) == 4 and not summary.failed, summary.failed
    assert summary.validation.ok, summary.validation.summary_lines()
    mirror = sqlite3.connect(settings.data_dir / "photos_info_revamp.db")
    originals = sorted(r[0] for r in mirror.execute("SELECT Original_File_Name FROM photos_info_revamp"))
    assert originals == sorted(display_name(os.fsdecode(n)) for n in names)
    assert "caf\\xe9 latin-1.jpg" in originals and "photo\\u202egpj.jpg" in originals
