"""Secrets (passwords, key paths) come only from the environment or a 0600 secrets file — never from config.yaml.

The secrets file holds ``KEY=value`` lines with the same names as the environment variables. It is refused when
group or others can read it. Every loaded secret is registered with :mod:`amirtui.core.redact` so it can never be
formatted into a log line.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields
from pathlib import Path

from .core.errors import ConfigError
from .core.redact import register_secret

#: attribute → environment variable (and secrets-file key)
ENV_NAMES = {
    "mysql_password": "AMIRTUI_MYSQL_PASSWORD",
    "ftp_password": "AMIRTUI_FTP_PASSWORD",
    "sftp_password": "AMIRTUI_SFTP_PASSWORD",
    "sftp_key_path": "AMIRTUI_SFTP_KEY_PATH",
    "sftp_key_passphrase": "AMIRTUI_SFTP_KEY_PASSPHRASE",
}


@dataclass(frozen=True, repr=False)
class Secrets:
    """Credentials for the publish target and the catalog. ``repr`` never shows values."""

    mysql_password: str | None = None
    ftp_password: str | None = None
    sftp_password: str | None = None
    sftp_key_path: str | None = None
    sftp_key_passphrase: str | None = None

    def __repr__(self) -> str:
        present = [f.name for f in fields(self) if getattr(self, f.name)]
        return f"Secrets(set={present})"


def _parse_file(path: Path) -> dict[str, str]:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"secrets file {path} is readable by other users (mode {stat.filemode(mode)})",
            fix=f"run: chmod 600 {path}",
        )
    values: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ConfigError(f"{path} line {lineno}: expected KEY=value", fix="one KEY=value per line")
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        if key not in ENV_NAMES.values():
            raise ConfigError(
                f"{path} line {lineno}: unknown key {key}", fix=f"use one of {', '.join(ENV_NAMES.values())}"
            )
        values[key] = value.strip().strip('"').strip("'")
    return values


def load_secrets(settings) -> Secrets:
    """Read secrets from the environment, then the secrets file (``settings.secrets_file`` or ``<base>/secrets.env``)."""
    file_values: dict[str, str] = {}
    path = settings.resolve(settings.secrets_file) if settings.secrets_file else settings.base_dir / "secrets.env"
    if settings.secrets_file and not path.is_file():
        raise ConfigError(f"secrets_file {path} does not exist", fix="create it with mode 600 or remove the key")
    if path.is_file():
        file_values = _parse_file(path)
    values = {}
    for attr, env in ENV_NAMES.items():
        value = os.environ.get(env) or file_values.get(env)
        register_secret(value if "path" not in attr else None)
        values[attr] = value
    return Secrets(**values)
