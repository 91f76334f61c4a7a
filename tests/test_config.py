"""Config layering (defaults ← YAML ← environment) and each kind of config error, through the real CLI too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from amirtui.config import load_settings
from amirtui.core.errors import ConfigError
from amirtui.secrets import load_secrets


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_then_yaml_then_env(tmp_path, monkeypatch):
    cfg = write(tmp_path / "config.yaml", "publish:\n  target: ftp\n  remote_base: site\nnaming:\n  max_length: 120\n")
    s = load_settings(cfg)
    assert s.publish.target == "ftp" and s.publish.remote_base == "site"  # YAML beats defaults
    assert s.naming.counter_width == 3  # untouched default
    monkeypatch.setenv("AMIRTUI_PUBLISH__TARGET", "sftp")
    monkeypatch.setenv("AMIRTUI_NAMING__MAX_LENGTH", "90")
    s = load_settings(cfg)
    assert s.publish.target == "sftp" and s.naming.max_length == 90  # environment beats YAML
    assert s.publish.remote_base == "site"  # a sibling YAML key survives a nested env override


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    cfg = write(tmp_path / "config.yaml", "paths:\n  data_dir: d\n")
    s = load_settings(cfg)
    assert s.db_path == tmp_path / "d" / "review.db"
    assert s.ollama_tmp_dir == tmp_path / "d" / "ollama_tmp"


def test_shipped_config_yaml_is_valid():
    s = load_settings(Path(__file__).resolve().parent.parent / "config.yaml")
    assert s.publish.target == "local" and s.publish.mysql.table == "photos_info_revamp"


@pytest.mark.parametrize(
    "yaml_text, expected",
    [
        ("publish:\n  target: gopher\n", "publish.target"),
        ("naming:\n  counter_widht: 3\n", "naming.counter_widht: unknown key"),
        ("ollama:\n  primary_model: a\n  fallback_model: a\n", "fallback_model must differ"),
        ("quality:\n  device: tpu\n", "quality.device"),
        ("quality:\n  qr_weights: {sharpnes: 1.0}\n", "unknown QR component(s) sharpnes"),
        ("publish:\n  mysql:\n    table: 'x; drop'\n", "publish.mysql.table"),
        ("ollama:\n  hosts:\n    - url: http://h\n      parallel: 0\n", "ollama.hosts.0.parallel"),
        ("publish: [1, 2\n", "not valid YAML"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("publish:\n  mysql:\n    password: hunter22\n", "secrets never belong in config.yaml"),
    ],
)
def test_each_kind_of_config_error_names_the_key(tmp_path, yaml_text, expected):
    cfg = write(tmp_path / "config.yaml", yaml_text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert expected in str(err.value)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.yaml")


def test_bad_config_exits_2_before_anything_starts(tmp_path):
    cfg = write(tmp_path / "config.yaml", "paths:\n  data_dir: data\npublish:\n  target: gopher\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    proc = subprocess.run([sys.executable, "-m", "amirtui", "--config", str(cfg), "db", "backup"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2
    assert "publish.target" in proc.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_secrets_from_env_and_0600_file(tmp_path, monkeypatch):
    secret_file = write(tmp_path / "secrets.env", "AMIRTUI_MYSQL_PASSWORD=s3cr3t-db\nAMIRTUI_FTP_PASSWORD='ftp-pw'\n")
    secret_file.chmod(0o600)
    s = load_settings(write(tmp_path / "config.yaml", "{}\n"))
    sec = load_secrets(s)
    assert sec.mysql_password == "s3cr3t-db" and sec.ftp_password == "ftp-pw"
    assert "s3cr3t" not in repr(sec)
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", "from-env")
    assert load_secrets(s).mysql_password == "from-env"  # the environment wins


def test_secrets_file_readable_by_others_is_refused(tmp_path):
    secret_file = write(tmp_path / "secrets.env", "AMIRTUI_MYSQL_PASSWORD=x\n")
    secret_file.chmod(0o644)
    s = load_settings(write(tmp_path / "config.yaml", "{}\n"))
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secrets(s)


def test_config_knows_the_same_qr_components_as_the_scorer():
    from amirtui.config import QR_COMPONENTS
    from amirtui.core.quality.qr import COMPONENT_SOURCE

    assert set(QR_COMPONENTS) == set(COMPONENT_SOURCE)
