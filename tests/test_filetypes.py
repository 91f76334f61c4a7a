"""Content-based image detection and per-file refusals (issue 3, item 2), each bad kind created for real."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import threading
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from amirtui.core.filetypes import HEIC_HINT, inspect_file, iter_candidates


@pytest.fixture
def set_dir(tmp_path: Path) -> Path:
    d = tmp_path / "set"
    d.mkdir()
    return d


def _check(path: Path, root: Path, **kw):
    """inspect_file in a thread with a bounded wait: a hang (e.g. opening a FIFO) fails the test instead of CI."""
    result: list = []
    t = threading.Thread(target=lambda: result.append(inspect_file(path, set_root=root, **kw)), daemon=True)
    t.start()
    t.join(timeout=10)
    assert result, f"inspect_file({path.name}) did not return within 10 s"
    return result[0]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge_png(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG file whose header claims ``width`` × ``height`` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
            + _chunk(b"IEND", b""))


# ------------------------------------------------------------------------------------------------ accepted formats


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "a.jpg"), ("PNG", "a.png"), ("TIFF", "a.tif"), ("WEBP", "a.webp")])
def test_supported_formats_are_accepted(set_dir: Path, fmt: str, name: str) -> None:
    path = set_dir / name
    Image.new("RGB", (320, 200), (10, 200, 90)).save(path, fmt)
    r = _check(path, set_dir)
    assert r.ok and r.format == fmt and (r.width, r.height) == (320, 200) and r.reason == ""


def test_detection_is_by_content_not_extension(set_dir: Path) -> None:
    path = set_dir / "holiday.png"  # really a JPEG
    Image.new("RGB", (64, 64)).save(path, "JPEG")
    assert _check(path, set_dir).format == "JPEG"
    noext = set_dir / "IMG_0001"
    Image.new("RGB", (64, 64)).save(noext, "PNG")
    assert _check(noext, set_dir).format == "PNG"


def test_real_camera_and_invalid_samples(photos_dir: Path) -> None:
    for sub in ("cameras", "invalid", "orientation", "gps", "xmp"):
        for path in sorted((photos_dir / sub).glob("*.jpg")):
            t0 = time.perf_counter()
            r = inspect_file(path, set_root=photos_dir)
            assert time.perf_counter() - t0 < 1.0, path.name
            # the "invalid" samples have broken or missing EXIF but intact pixels: they are importable JPEGs
            # (exif.read_exif records what is missing); a real problem must come with a reason
            assert r.ok or r.reason, path.name
            assert r.ok, f"{path.name}: {r.reason}"
            assert r.format == "JPEG"


def test_a_large_jpeg_is_checked_without_a_full_decode(tmp_path: Path) -> None:
    from tests.harness.images import make_jpeg

    path = make_jpeg(tmp_path / "big.jpg", size=(3000, 2000))
    r = inspect_file(path, set_root=tmp_path)
    assert r.ok and (r.width, r.height) == (3000, 2000)
    assert inspect_file(path, set_root=tmp_path, thorough=True).ok


# ------------------------------------------------------------------------------------------------ refusals


def test_zero_byte(set_dir: Path) -> None:
    (set_dir / "empty.jpg").touch()
    r = _check(set_dir / "empty.jpg", set_dir)
    assert not r.ok and r.code == "empty" and "zero-byte" in r.reason


def test_truncated_copy_of_a_real_jpeg(set_dir: Path, photos_dir: Path) -> None:
    data = (photos_dir / "gps" / "DSCN0010.jpg").read_bytes()
    (set_dir / "cut.jpg").write_bytes(data[: len(data) * 2 // 3])
    r = _check(set_dir / "cut.jpg", set_dir)
    assert not r.ok and r.code == "truncated" and "copy the photo again" in r.reason


def test_jpeg_with_trailer_after_eoi_is_still_accepted(set_dir: Path, photos_dir: Path) -> None:
    data = (photos_dir / "gps" / "DSCN0010.jpg").read_bytes()
    (set_dir / "trailer.jpg").write_bytes(data + b"SAMSUNG-TRAILER" * 20)
    assert _check(set_dir / "trailer.jpg", set_dir).ok


def test_truncated_png_and_tiff_and_webp(set_dir: Path) -> None:
    img = Image.effect_noise((400, 300), 64).convert("RGB")
    for fmt, name in (("PNG", "t.png"), ("TIFF", "t.tif"), ("WEBP", "t.webp")):
        full = set_dir / ("full_" + name)
        img.save(full, fmt)
        data = full.read_bytes()
        cut = set_dir / name
        cut.write_bytes(data[: len(data) // 2])
        r = _check(cut, set_dir)
        assert not r.ok and r.code == "truncated", (name, r)


def test_text_file_named_jpg(set_dir: Path) -> None:
    (set_dir / "photo.jpg").write_text("<!DOCTYPE html><html>404 Not Found</html>\n", encoding="utf-8")
    r = _check(set_dir / "photo.jpg", set_dir)
    assert not r.ok and r.code == "not_image"
    assert "text" in r.reason and "<!DOCTYPE html>" in r.reason and "ends in .jpg" in r.reason


def test_binary_non_image_named_jpg(set_dir: Path) -> None:
    (set_dir / "doc.jpg").write_bytes(b"%PDF-1.7\n" + os.urandom(200))
    r = _check(set_dir / "doc.jpg", set_dir)
    assert not r.ok and "PDF" in r.reason


def test_gif_is_refused_as_unsupported(set_dir: Path) -> None:
    Image.new("P", (10, 10)).save(set_dir / "anim.gif", "GIF")
    r = _check(set_dir / "anim.gif", set_dir)
    assert not r.ok and "GIF" in r.reason and "not supported" in r.reason


def test_huge_dimension_png_header_is_a_bomb(set_dir: Path) -> None:
    (set_dir / "bomb.png").write_bytes(_huge_png(100_000, 100_000))
    r = _check(set_dir / "bomb.png", set_dir)
    assert not r.ok and r.code == "bomb" and "decompression bomb" in r.reason


def test_configured_pixel_limit(set_dir: Path) -> None:
    Image.new("RGB", (1600, 1000)).save(set_dir / "big.png")
    r = _check(set_dir / "big.png", set_dir, max_pixels=1_000_000)
    assert not r.ok and r.code == "bomb" and "1,600,000" in r.reason and "ingest.max_image_pixels" in r.reason
    assert _check(set_dir / "big.png", set_dir, max_pixels=2_000_000).ok


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads a chmod-000 file: run the tests as a non-root user to cover this")
def test_unreadable_file(set_dir: Path) -> None:
    path = set_dir / "locked.jpg"
    Image.new("RGB", (8, 8)).save(path, "JPEG")
    path.chmod(0)
    try:
        r = _check(path, set_dir)
    finally:
        path.chmod(0o644)
    assert not r.ok and r.code == "unreadable" and "chmod" in r.reason


def test_named_pipe_is_refused_without_blocking(set_dir: Path) -> None:
    fifo = set_dir / "pipe.jpg"
    os.mkfifo(fifo)
    r = _check(fifo, set_dir)  # opening it for reading would block forever: _check bounds the wait
    assert not r.ok and r.code == "fifo" and "without opening" in r.reason


def test_symlink_to_a_pipe_is_refused_too(set_dir: Path) -> None:
    os.mkfifo(set_dir / "pipe")
    (set_dir / "link.jpg").symlink_to(set_dir / "pipe")
    assert _check(set_dir / "link.jpg", set_dir).code == "fifo"


def test_socket_file_is_refused(tmp_path: Path) -> None:
    # AF_UNIX paths are limited to ~108 bytes: use a short directory
    short = Path(os.environ.get("TMPDIR", "/tmp")) / f"amsock{os.getpid()}"
    short.mkdir(exist_ok=True)
    path = short / "s.jpg"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        r = _check(path, short)
    finally:
        sock.close()
        shutil.rmtree(short, ignore_errors=True)
    assert not r.ok and r.code == "socket"


def test_device_file_is_refused(tmp_path: Path) -> None:
    assert Path("/dev/null").exists()
    (tmp_path / "dev.jpg").symlink_to("/dev/null")
    r = _check(tmp_path / "dev.jpg", Path("/"))  # root "/" so the symlink check passes and the kind check is reached
    assert not r.ok and r.code == "device"


def test_directory_named_like_an_image(set_dir: Path) -> None:
    (set_dir / "folder.jpg").mkdir()
    r = _check(set_dir / "folder.jpg", set_dir)
    assert not r.ok and r.code == "directory"


def test_symlink_outside_the_set_is_refused_inside_is_accepted(tmp_path: Path, set_dir: Path) -> None:
    outside = tmp_path / "elsewhere.jpg"
    Image.new("RGB", (8, 8)).save(outside, "JPEG")
    (set_dir / "out.jpg").symlink_to(outside)
    r = _check(set_dir / "out.jpg", set_dir)
    assert not r.ok and r.code == "symlink_outside" and str(outside) in r.reason
    inside = set_dir / "real.jpg"
    Image.new("RGB", (8, 8)).save(inside, "JPEG")
    (set_dir / "alias.jpg").symlink_to("real.jpg")
    assert _check(set_dir / "alias.jpg", set_dir).ok
    (set_dir / "dangling.jpg").symlink_to(set_dir / "gone.jpg")
    assert _check(set_dir / "dangling.jpg", set_dir).code == "symlink_broken"


def test_missing_file(set_dir: Path) -> None:
    r = _check(set_dir / "nope.jpg", set_dir)
    assert not r.ok and r.code == "missing"


def test_heic_on_an_install_without_pillow_heif_names_the_fix(set_dir: Path) -> None:
    # pillow-heif is a dependency; an install that lost it must say so per file instead of failing obscurely.
    # A child process with the module made unimportable plays that broken install.
    import subprocess
    import sys

    box = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    (set_dir / "IMG_0001.HEIC").write_bytes(box + b"\x00" * 200)
    code = ("import sys; sys.modules['pillow_heif'] = None\n"
            "from amirtui.core.filetypes import inspect_file\n"
            f"r = inspect_file({str(set_dir / 'IMG_0001.HEIC')!r})\n"
            "print(r.ok, r.code, r.reason, sep='|')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() == f"False|heic_decoder_missing|{HEIC_HINT}", out.stderr


def test_tiff_based_raw_is_refused(set_dir: Path) -> None:
    Image.new("RGB", (16, 16)).save(set_dir / "DSC_0001.NEF", "TIFF")
    r = _check(set_dir / "DSC_0001.NEF", set_dir)
    assert not r.ok and r.code == "raw" and "export a JPEG" in r.reason


# ------------------------------------------------------------------------------------------------ walking


def test_iter_candidates_is_sorted_and_every_file_is_a_candidate_or_refused(set_dir: Path) -> None:
    for rel in ["b.jpg", "A.JPG", "c.png", "notes.txt", "IMG_0001.xmp", ".hidden.jpg", "sub/z.jpg", "sub/a.tif",
                ".cache/x.jpg", ".cache/y.jpg", "sub/deeper/k.webp", "noext", "trailing.jpg "]:
        p = set_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    (set_dir / "dir.jpg").mkdir()
    os.mkfifo(set_dir / "pipe.jpg")
    refused: list[tuple[Path, str]] = []
    got = [p.relative_to(set_dir).as_posix() for p in iter_candidates([set_dir], refused=refused)]
    # content decides: a .txt, a sidecar and a name with a trailing space are inspected, not silently left out
    assert got == ["A.JPG", "IMG_0001.xmp", "b.jpg", "c.png", "dir.jpg", "noext", "notes.txt", "pipe.jpg",
                   "trailing.jpg ", "sub/a.tif", "sub/z.jpg", "sub/deeper/k.webp"]
    why = {p.name: reason for p, reason in refused}
    assert set(why) == {".hidden.jpg", ".cache"}
    assert "hidden file" in why[".hidden.jpg"] and "rename it without the dot" in why[".hidden.jpg"]
    assert "hidden folder" in why[".cache"] and "2 file(s)" in why[".cache"]
    assert iter_candidates([set_dir]) == iter_candidates([set_dir])  # deterministic


def test_iter_candidates_takes_explicit_files_and_dedupes(set_dir: Path) -> None:
    (set_dir / "a.jpg").write_bytes(b"x")
    (set_dir / "readme.txt").write_bytes(b"x")
    got = iter_candidates([set_dir / "readme.txt", set_dir, set_dir / "a.jpg"])
    assert got == [set_dir / "readme.txt", set_dir / "a.jpg"]


def test_iter_candidates_does_not_follow_symlinked_folders(tmp_path: Path, set_dir: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"x")
    (set_dir / "link").symlink_to(outside)
    (set_dir / "loop").symlink_to(set_dir)
    refused: list[tuple[Path, str]] = []
    assert iter_candidates([set_dir], refused=refused) == []
    assert {p.name for p, _ in refused} == {"link", "loop"}
    assert all("not followed" in reason for _, reason in refused)


def test_a_symlink_loop_named_like_a_photo_is_refused_as_a_loop(set_dir: Path) -> None:
    (set_dir / "a.jpg").symlink_to(set_dir / "b.jpg")
    (set_dir / "b.jpg").symlink_to(set_dir / "a.jpg")
    r = _check(set_dir / "a.jpg", set_dir)
    assert not r.ok and r.code == "symlink_loop" and "loop" in r.reason
