"""Real-server test fixtures (pytest plugin): Ollama protocol, JPEGs, MariaDB, TCP proxy, FTP/FTPS, SFTP.

Registered from ``tests/conftest.py`` (``pytest_plugins = ["tests.harness.fixtures"]``). Every server binds
127.0.0.1 on a free port, starts in well under a second, and stops without hanging even when a test left a
client or handler stuck. Heavy imports (asyncssh, pyftpdlib, cryptography, pymysql) happen inside the
fixtures so test modules that do not use them pay nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.harness.ollama_server import OllamaServer

#: The model the ``ollama_server`` fixture installs (same name as the config default primary model).
DEFAULT_MODEL = "qwen2.5vl:7b"


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    """A started Ollama-protocol server on loopback with ``DEFAULT_MODEL`` installed (not loaded).

    Script it with ``add_model``, ``behave``, ``queue``; read ``requests`` and ``max_in_flight``.
    """
    server = OllamaServer().start()
    server.add_model(DEFAULT_MODEL, size_vram=6 * 2**30, size=6 * 2**30, context_length=8192)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound then released), for "connection refused" cases."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]





@pytest.fixture
def jpeg_factory(tmp_path: Path):
    """``jpeg_factory(name=None, **make_jpeg_options) -> Path``: real JPEGs with EXIF under ``tmp_path/jpegs``."""
    from tests.harness.images import JpegFactory

    return JpegFactory(tmp_path / "jpegs")
