"""Shared fixtures: a temp data dir + settings, an open review DB, an event bus, the sample photos in tests/data/photos.

Real-server fixtures (MariaDB, FTP/FTPS, SFTP, the Ollama-protocol server, generated JPEGs) live in
``tests/harness`` and are loaded as a plugin below so every test module can use them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# pyiqa must never reach a hub or write into the user's cache during tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["TORCH_HOME"] = tempfile.mkdtemp(prefix="amirtui-torch-home-")
for _var in list(os.environ):  # a developer's AMIRTUI_* settings must not leak into tests
    if _var.startswith("AMIRTUI_") and not _var.startswith("AMIRTUI_TEST_"):
        del os.environ[_var]

pytest_plugins = ["tests.harness.fixtures"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Real camera JPEGs copied into the repo (licence notice in tests/data/photos/README.md), so a fresh clone tests all.
SAMPLE_PHOTOS = PROJECT_ROOT / "tests" / "data" / "photos"


@pytest.fixture
def photos_dir() -> Path:
    """The real camera JPEGs in tests/data/photos (part of the repository)."""
    assert SAMPLE_PHOTOS.is_dir(), f"sample photos missing at {SAMPLE_PHOTOS}: restore them with git checkout"
    return SAMPLE_PHOTOS


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty project home with a config.yaml pointing data/ and logs/ inside it."""
    (tmp_path / "config.yaml").write_text(
        "paths:\n  data_dir: data\n  logs_dir: logs\nquality:\n  metrics: [piqe]\n  device: cpu\n"
        "ollama:\n  enabled: false\n",
        encoding="utf-8",
    )
    return tmp_path


@pytest.fixture
def settings(home: Path):
    """Settings loaded from the temp home's config.yaml (the real loader)."""
    from amirtui.config import load_settings

    return load_settings(home / "config.yaml")


@pytest.fixture
def db(settings):
    """The review DB at <home>/data/review.db, migrated to the latest schema."""
    from amirtui.core.db import close_db, open_db

    database = open_db(settings.db_path)
    yield database
    close_db()


@pytest.fixture
def bus():
    """An event bus that also records every event it carries in ``bus.seen``."""
    from amirtui.core.events import EventBus

    b = EventBus()
    b.seen = []  # type: ignore[attr-defined]
    b.subscribe(b.seen.append)  # type: ignore[attr-defined]
    return b


@pytest.fixture
def series_home(tmp_path: Path):
    """A home whose config runs the offline stages only (no Ollama, PIQE), with the review DB open; its settings."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db

    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(
        "paths:\n  data_dir: data\n  logs_dir: logs\nquality:\n  metrics: [piqe]\n  device: cpu\n"
        "ollama:\n  enabled: false\ningest:\n  workers: 2\n  confirm_new_taxonomy: false\n", encoding="utf-8")
    settings = load_settings(home / "config.yaml")
    open_db(settings.db_path)
    yield settings
    close_db()
