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
        ("naming:\n  counter_widht: 3\n", "unknown key in naming"),
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


# ---------------------------------------------------------------- errors a person can act on (issue 16 §7)


def cli(cfg: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "amirtui", "--config", str(cfg), *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize("var, value, key, wrong, example", [
    # the reported case: a list given as a plain string
    ("AMIRTUI_OLLAMA__HOSTS", "http://127.0.0.1:11555", "ollama.hosts", "expects a JSON list",
     "AMIRTUI_OLLAMA__HOSTS='[{\"url\": "),
    ("AMIRTUI_PUBLISH__PORT", "twenty-one", "publish.port", "valid integer", "AMIRTUI_PUBLISH__PORT=21"),
    ("AMIRTUI_PUBLISH__TARGET", "gopher", "publish.target", "'local', 'ftp', 'ftps' or 'sftp'",
     "AMIRTUI_PUBLISH__TARGET="),
    ("AMIRTUI_QUALITY__QR_WEIGHTS", "nima=1", "quality.qr_weights", "expects a JSON object",
     "AMIRTUI_QUALITY__QR_WEIGHTS='{"),
    ("AMIRTUI_QUALITY__QR_WEIGHTS", '{"sharpnes": 1}', "quality.qr_weights", "unknown QR component(s) sharpnes",
     "AMIRTUI_QUALITY__QR_WEIGHTS='{"),
    ("AMIRTUI_NAMING__COUNTER_WIDHT", "3", "naming.counter_widht", "unknown key in naming", "counter_width"),
    ("AMIRTUI_OLAMA__ENABLED", "false", "olama", "unknown key", "ollama"),
    ("AMIRTUI_PUBLISH__PORT__NUMBER", "21", "publish.port", "no sub-key", "AMIRTUI_PUBLISH__PORT"),
    ("AMIRTUI_PUBLISH__MYSQL__PASSWORD", "hunter22", "publish.mysql.password", "unknown key",
     "AMIRTUI_MYSQL_PASSWORD"),
])
def test_a_bad_environment_variable_is_one_line_with_key_origin_problem_and_example(tmp_path, var, value, key,
                                                                                     wrong, example):
    cfg = write(tmp_path / "config.yaml", "paths: {data_dir: data}\n")
    proc = cli(cfg, "db", "migrate", env_extra={var: value})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "pydantic" not in proc.stderr.lower()
    lines = [ln for ln in proc.stderr.splitlines() if key in ln]
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert f"{key} (from environment variable {var})" in line and wrong in line and example in line, line
    assert len(proc.stderr.strip().splitlines()) <= 2  # one heading at most, then the line
    assert not (tmp_path / "data").exists()
    assert "hunter22" not in proc.stderr


@pytest.mark.parametrize("yaml_text, key, wrong, example", [
    ("publish:\n  target: gopher\n", "publish.target", "'local', 'ftp', 'ftps' or 'sftp'", 'publish: {target: "'),
    ("publish:\n  port: x\n", "publish.port", "valid integer", "publish: {port: 21}"),
    ("ollama:\n  hosts:\n    - url: http://h\n      parallel: 0\n", "ollama.hosts.0.parallel",
     "greater than or equal to 1", "ollama: {hosts: [{parallel: 2}]}"),
])
def test_a_bad_file_setting_names_the_file_and_an_example_in_yaml(tmp_path, yaml_text, key, wrong, example):
    cfg = write(tmp_path / "config.yaml", yaml_text)
    proc = cli(cfg, "db", "migrate")
    assert proc.returncode == 2
    line = next(ln for ln in proc.stderr.splitlines() if key in ln)
    assert f"{key} (from config file {cfg})" in line and wrong in line and example in line, line
    import yaml

    pasted = yaml.safe_load(line.split(" — e.g. ", 1)[1])  # the example is valid YAML a person can paste
    node = pasted
    for part in key.split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    assert node is not None


def test_every_bad_setting_is_reported_at_once_file_and_environment(tmp_path):
    cfg = write(tmp_path / "config.yaml", "publish:\n  target: gopher\nnaming:\n  max_length: 5\n")
    proc = cli(cfg, "db", "migrate", env_extra={"AMIRTUI_PUBLISH__PORT": "x", "AMIRTUI_OLLAMA__HOSTS": "oops"})
    assert proc.returncode == 2
    assert "4 bad settings" in proc.stderr
    for key in ("publish.target (from config file", "naming.max_length (from config file",
                "publish.port (from environment variable AMIRTUI_PUBLISH__PORT)",
                "ollama.hosts (from environment variable AMIRTUI_OLLAMA__HOSTS)"):
        assert proc.stderr.count(key) == 1, proc.stderr


def test_lists_and_maps_from_the_environment_as_json(tmp_path, monkeypatch):
    cfg = write(tmp_path / "config.yaml", "ollama:\n  primary_model: a\n  fallback_model: b\n")
    monkeypatch.setenv("AMIRTUI_OLLAMA__HOSTS", '[{"url": "http://gpu-a:11434", "parallel": 3}, {"url": "http://gpu-b:11434"}]')
    monkeypatch.setenv("AMIRTUI_QUALITY__METRICS", '["piqe", "nima"]')
    monkeypatch.setenv("AMIRTUI_UI__KEYMAP", '{"review.approve": "a,space"}')
    monkeypatch.setenv("AMIRTUI_PUBLISH__WEB_MAX", "[1600, 1200]")
    monkeypatch.setenv("AMIRTUI_OLLAMA__OPTIONS__TEMPERATURE", "0.5")
    monkeypatch.setenv("AMIRTUI_MYSQL_PASSWORD", "not-a-setting")  # secrets and other tools' variables are not keys
    monkeypatch.setenv("AMIRTUI_VENV", "/somewhere")
    s = load_settings(cfg)
    assert [(h.url, h.parallel) for h in s.ollama.hosts] == [("http://gpu-a:11434", 3), ("http://gpu-b:11434", 2)]
    assert s.quality.metrics == ["piqe", "nima"] and s.ui.keymap == {"review.approve": "a,space"}
    assert s.publish.web_max == (1600, 1200) and s.ollama.options.temperature == 0.5
    assert s.ollama.primary_model == "a" and s.ollama.options.num_ctx == 4096  # file and default siblings kept


@pytest.mark.parametrize("where, text, env, key", [
    ("file", "ollama:\n  hosts:\n    - url: http://amir:Pw-9z1q@gpu:11434\n", {}, "ollama.hosts.0.url"),
    ("file", "publish:\n  public_url_base: https://ghp_Pw-9z1q@cdn.example.com/p\n", {}, "publish.public_url_base"),
    ("file", "publish:\n  public_url_base: https://cdn.example.com/p?sig=Pw-9z1q\n", {}, "publish.public_url_base"),
    ("env", "{}\n", {"AMIRTUI_OLLAMA__HOSTS": '[{"url": "https://u:Pw-9z1q@gpu"}]'}, "ollama.hosts.0.url"),
    ("env", "{}\n", {"AMIRTUI_PUBLISH__PUBLIC_URL_BASE": "https://x.org/?access_token=Pw-9z1q"},
     "publish.public_url_base"),
])
def test_credentials_in_any_url_setting_are_refused_without_echoing_them(tmp_path, where, text, env, key):
    cfg = write(tmp_path / "config.yaml", text)
    proc = cli(cfg, "preflight", env_extra=env)
    assert proc.returncode == 2, proc.stderr
    assert "Pw-9z1q" not in proc.stderr + proc.stdout
    line = next(ln for ln in proc.stderr.splitlines() if key in ln)
    origin = f"config file {cfg}" if where == "file" else f"environment variable {next(iter(env))}"
    assert f"(from {origin})" in line and "secrets file" in line, line
    assert not (tmp_path / "data").exists()


def test_a_url_without_credentials_is_fine(tmp_path):
    cfg = write(tmp_path / "config.yaml", "ollama:\n  hosts:\n    - url: http://gpu-box:11434\npublish:\n"
                "  public_url_base: https://example.com/photos?size=large\n")
    s = load_settings(cfg)
    assert s.ollama.hosts[0].url == "http://gpu-box:11434"
