"""``amirtui models fetch``: nothing to do when files are present, a clear failure without network, and a real
HTTP download (from a loopback mirror) that lands where the offline loader looks, with progress."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

import pytest

from amirtui.core.quality import fetch_weights, metric_status


@pytest.fixture
def brisque_settings(settings, tmp_path):
    settings.quality.weights_dir = tmp_path / "weights"
    settings.quality.metrics = ["piqe", "brisque"]
    return settings


@pytest.fixture
def mirror(tmp_path):
    """A loopback HTTP server serving ``tmp_path/mirror`` (a real server, like a local weights mirror)."""
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a, **k: None  # keep the test output quiet
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_present_files_mean_nothing_to_do(brisque_settings):
    target = brisque_settings.weights_dir / "hub" / "pyiqa" / "brisque_svm_weights.pth"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"already here")
    results = fetch_weights(brisque_settings, pyiqa_base_url="http://127.0.0.1:9/never-contacted")
    assert [(r.metric, r.file_name, r.status) for r in results] == [("brisque", "brisque_svm_weights.pth", "present")]
    assert target.read_bytes() == b"already here"


def test_offline_fetch_fails_fast_with_the_url_and_leaves_no_partial_file(brisque_settings, unused_port):
    started = time.monotonic()
    results = fetch_weights(brisque_settings, pyiqa_base_url=f"http://127.0.0.1:{unused_port}", timeout=5)
    assert time.monotonic() - started < 5
    (r,) = results
    assert r.status == "failed" and f"127.0.0.1:{unused_port}/brisque_svm_weights.pth" in r.detail
    assert "network" in r.detail
    assert not list(brisque_settings.weights_dir.rglob("*brisque*"))
    assert metric_status(brisque_settings, load=False)[1].status == "missing"


def test_fetch_downloads_with_progress_into_the_weights_dir(brisque_settings, mirror):
    root, url = mirror
    payload = bytes(range(256)) * 8192  # 2 MiB: more than one progress step
    (root / "brisque_svm_weights.pth").write_bytes(payload)
    seen: list[tuple[str, str, int, int | None]] = []
    results = fetch_weights(brisque_settings, lambda *a: seen.append(a), pyiqa_base_url=url)
    assert [r.status for r in results] == ["downloaded"]
    target: Path = brisque_settings.weights_dir / "hub" / "pyiqa" / "brisque_svm_weights.pth"
    assert target.read_bytes() == payload
    assert seen[0] == ("brisque", "brisque_svm_weights.pth", 0, len(payload)) and seen[-1][2] == len(payload)
    assert [s.status for s in metric_status(brisque_settings, load=False)] == ["ready", "ready"]
    # a second fetch has nothing to do
    assert [r.status for r in fetch_weights(brisque_settings, pyiqa_base_url=url)] == ["present"]


def test_unknown_metric_is_named_not_guessed(settings):
    settings.quality.metrics = ["topiq_nr"]
    (r,) = fetch_weights(settings)
    assert r.status == "unknown" and "topiq_nr" in r.detail
