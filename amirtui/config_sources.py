"""Where each setting came from, and errors a person can act on.

:func:`env_overlay` reads ``AMIRTUI_<SECTION>__<KEY>`` variables itself (instead of pydantic-settings) so that every
value keeps its origin: a bad setting is reported as one line naming the key, where it came from (the config file or
the variable), what is wrong and an example of a right value (:func:`error_lines`). Lists and maps are JSON in the
environment (``AMIRTUI_OLLAMA__HOSTS='[{"url": "http://gpu-box:11434", "parallel": 2}]'``).

:func:`credential_problems` refuses credentials in any URL-valued setting (``http://user:pass@host``,
``?token=…``): a password in ``ollama.hosts[].url`` or ``public_url_base`` would otherwise travel into the review
DB, reports and the console. Secrets belong in the secrets file (:mod:`amirtui.secrets`).
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from typing import Any, Mapping

from pydantic import BaseModel

from .core.safe_text import escape_control

PREFIX = "AMIRTUI_"
#: Examples for keys whose default is empty or not a good illustration (dotted key → value).
EXAMPLES: dict[str, Any] = {
    "secrets_file": "~/.config/amirtui/secrets.env",
    "paths.incoming_dir": "/srv/photos/incoming",
    "paths.site_mirror_dir": "/var/www/photos",
    "paths.import_root": "~/Pictures",
    "publish.port": 21,
    "publish.user": "photographer",
    "publish.host": "ftp.example.com",
    "publish.public_url_base": "https://example.com/photos",
    "publish.known_hosts": "~/.ssh/known_hosts",
    "publish.ftps_ca_file": "~/.config/amirtui/site-ca.pem",
    "publish.watermark": "© Amir",
    "ollama.hosts": [{"url": "http://127.0.0.1:11434", "parallel": 2}],
    "ollama.fallback_model": "llava:7b",
    "ui.keymap": {"review.approve": "a,space"},
    "quality.qr_weights": {"nima": 0.5, "piqe": 0.5},
}


# ---------------------------------------------------------------- the environment, with origins


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X`` (the part that decides how an environment string is read)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_json(annotation: Any) -> bool:
    """Lists, tuples, maps and sections are given as JSON in the environment."""
    ann = _unwrap(annotation)
    return _is_model(ann) or typing.get_origin(ann) in (list, tuple, dict, set) or ann in (list, tuple, dict, set)


def _field(model: type[BaseModel], name: str):
    return model.model_fields.get(name)


def env_overlay(settings_cls: type[BaseModel], environ: Mapping[str, str] | None = None
                ) -> tuple[dict[str, Any], dict[tuple[str, ...], str], list[str]]:
    """The settings given in the environment as nested data, each key path's variable name, and problems.

    A variable without ``__`` is a setting only when it names a top-level key (``AMIRTUI_SECRETS_FILE``); others
    (``AMIRTUI_MYSQL_PASSWORD``, ``AMIRTUI_CONFIG_FILE``, ``AMIRTUI_TEST_*``) belong to someone else. With ``__``,
    an unknown section or key is an error (a typo must not be silently ignored).
    """
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    problems: list[str] = []
    for var in sorted(environ):
        if not var.startswith(PREFIX):
            continue
        parts = [p.lower() for p in var[len(PREFIX):].split("__")]
        top = settings_cls.model_fields.get(parts[0])
        if len(parts) == 1 and (top is None or top.exclude):
            continue
        model: type[BaseModel] | None = settings_cls
        path: list[str] = []
        annotation: Any = None
        for i, part in enumerate(parts):
            info = _field(model, part) if model is not None else None
            if info is None or info.exclude:
                where = ".".join(path) or "the top level"
                known = ", ".join(sorted(k for k, f in model.model_fields.items() if not f.exclude)) if model else ""
                secretish = any(w in part for w in ("password", "passwd", "passphrase", "secret", "token"))
                hint = (" — secrets are AMIRTUI_MYSQL_PASSWORD, AMIRTUI_FTP_PASSWORD, AMIRTUI_SFTP_PASSWORD, "
                        "AMIRTUI_SFTP_KEY_PASSPHRASE (environment or the 0600 secrets file)") if secretish else \
                    f" — known keys: {known}"
                problems.append(f"{'.'.join(path + [part])} (from environment variable {var}): unknown key in "
                                f"{where}{hint}")
                break
            path.append(part)
            annotation = info.annotation
            inner = _unwrap(annotation)
            if i < len(parts) - 1:
                if not _is_model(inner):
                    problems.append(f"{'.'.join(path)} (from environment variable {var}): is a single value, it has "
                                    f"no sub-key {parts[i + 1]!r} — set {PREFIX}{'__'.join(p.upper() for p in path)}"
                                    f" instead")
                    break
                model = inner
        else:
            raw = environ[var]
            value: Any = raw
            if _is_json(annotation):
                try:
                    value = json.loads(raw)
                except ValueError:
                    key = ".".join(path)
                    kind = "JSON object (a map)" if _is_model(_unwrap(annotation)) or typing.get_origin(
                        _unwrap(annotation)) is dict else "JSON list"
                    problems.append(f"{key} (from environment variable {var}): expects a {kind}, got "
                                    f"{_shown(raw)} — e.g. {var}='{json.dumps(example_for(key, settings_cls))}'")
                    continue
            _put(data, path, value)
            origins[tuple(path)] = f"environment variable {var}"
    return data, origins, problems


def _put(data: dict[str, Any], path: list[str], value: Any) -> None:
    node = data
    for part in path[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[path[-1]] = value


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``; sections merge key by key (an env override keeps the file's sibling keys)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def file_origins(data: Any, source: str, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Every key path present in the config file's data → the file's name."""
    out: dict[tuple[str, ...], str] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            path = prefix + (str(k),)
            out[path] = source
            out.update(file_origins(v, source, path))
    return out


# ---------------------------------------------------------------- errors a person can act on


def _shown(value: Any, limit: int = 80) -> str:
    from .core.redact import redact

    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = escape_control(redact(text))
    text = text if len(text) <= limit else text[:limit] + "…"
    return repr(text) if isinstance(value, str) else text


def example_for(key: str, settings_cls: type[BaseModel]) -> Any:
    """A right value for the dotted ``key``: a hand-written example, else the documented default."""
    if key in EXAMPLES:
        return EXAMPLES[key]
    parts = [p for p in key.split(".") if not p.isdigit()]
    node: Any = settings_cls.model_construct().model_dump(mode="json")
    for part in parts:
        if isinstance(node, list) and node:  # a list of sections (ollama.hosts): its first item shows the shape
            node = node[0]
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def _yaml_example(loc: tuple[str, ...], value: Any) -> str:
    """``publish: {port: 21}`` / ``ollama: {hosts: [{parallel: 2}]}``: valid YAML for the key at ``loc``."""
    text = json.dumps(value, ensure_ascii=False)
    for part in reversed(loc):
        text = f"[{text}]" if part.isdigit() else f"{{{part}: {text}}}"
    return text[1:-1] if text.startswith("{") else text


def _env_example(key: str, value: Any) -> str:
    parts = [p for p in key.split(".") if not p.isdigit()]
    var = PREFIX + "__".join(p.upper() for p in parts)
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) or isinstance(value, bool) else value
    if isinstance(value, (list, dict)):
        return f"{var}='{shown}'"
    return f"{var}={shown}"


def origin_of(loc: tuple[str, ...], origins: dict[tuple[str, ...], str]) -> str:
    """Where the value at ``loc`` came from: the longest key path recorded for it, or one below it."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return origins[loc[:n]]
    below = sorted({v for k, v in origins.items() if k[: len(loc)] == loc})
    return " and ".join(below) if below else "the defaults"


def error_lines(errors: list[dict[str, Any]], origins: dict[tuple[str, ...], str],
                settings_cls: type[BaseModel]) -> list[str]:
    """One line per pydantic error: key (origin): what is wrong (got …) — e.g. a right value."""
    lines = []
    for err in errors:
        loc = tuple(str(p) for p in err["loc"])
        key = ".".join(loc) or "(top level)"
        origin = origin_of(loc, origins)
        if err["type"] == "extra_forbidden":
            parent = ".".join(loc[:-1]) or "the top level"
            lines.append(f"{key} (from {origin}): unknown key in {parent} — check the spelling against config.yaml's "
                         f"documented keys")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        got = f" (got {_shown(err.get('input'))})" if err["type"] not in ("missing",) and not isinstance(
            err.get("input"), dict) else ""
        example_key = ".".join(p for p in loc if not p.isdigit())
        example = example_for(example_key, settings_cls)
        if isinstance(example, dict) and len(example) > 2:  # a whole section: its first keys show the shape
            example = dict(list(example.items())[:2])
        if example is None or example == "" or example == [] or example == {}:
            hint = ""
        elif origin.startswith("environment"):
            hint = f" — e.g. {_env_example(example_key, example)}"
        else:
            hint = f" — e.g. {_yaml_example(loc, example)}"
        lines.append(f"{key} (from {origin}): {msg}{got}{hint}")
    return lines


# ---------------------------------------------------------------- credentials in URLs

_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://(?P<userinfo>[^/?#@]*)@", re.IGNORECASE)
_SECRET_PARAM = re.compile(r"[?&;](?P<name>[^=&;#]*(?:pass|pwd|secret|token|key|auth|sig)[^=&;#]*)=", re.IGNORECASE)


def credential_problems(data: Any, origins: dict[tuple[str, ...], str], prefix: tuple[str, ...] = ()) -> list[str]:
    """Lines for every URL-valued setting that carries credentials (user info, or a password/token parameter)."""
    out: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += credential_problems(v, origins, prefix + (str(k),))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            out += credential_problems(v, origins, prefix + (str(i),))
    elif isinstance(data, str) and "://" in data:
        key = ".".join(prefix)
        where = origin_of(prefix, origins)
        m = _URL_USERINFO.match(data.strip())
        p = _SECRET_PARAM.search(data)
        if m or p:
            what = "a user name and password" if m and ":" in m.group("userinfo") else \
                "credentials before '@'" if m else f"a secret parameter {p.group('name')!r}"
            clean = _URL_USERINFO.sub(lambda mm: mm.group(0).split("//")[0] + "//", data.strip()).split("?")[0]
            out.append(f"{key} (from {where}): the URL holds {what}; credentials never belong in the configuration "
                       f"(they would reach logs, the review DB and reports) — give the URL without them, e.g. "
                       f"{escape_control(clean)}, and put passwords in the 0600 secrets file (secrets.env)")
    return out


__all__ = ["env_overlay", "deep_merge", "file_origins", "error_lines", "credential_problems", "origin_of",
           "example_for"]
