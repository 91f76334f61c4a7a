"""Settings: documented defaults ← ``config.yaml`` ← ``AMIRTUI_*`` environment (``__`` nests: AMIRTUI_OLLAMA__PRIMARY_MODEL;
lists and maps are JSON: ``AMIRTUI_OLLAMA__HOSTS='[{"url": "http://gpu:11434"}]'``).

Secrets never live here: see :mod:`amirtui.secrets` (password-like keys and credentials in URLs are refused). A bad
value raises :class:`ConfigError` with one line per bad setting — key, origin (file or variable), what is wrong, an
example (:mod:`amirtui.config_sources`); the CLI turns that into exit code 2 before anything starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .config_sources import credential_problems, deep_merge, env_overlay, error_lines, file_origins
from .core.errors import ConfigError

_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token")
#: QR components the scorer knows (kept equal to amirtui.core.quality.qr.COMPONENT_SOURCE by a test).
QR_COMPONENTS = (
    "clip_aesthetic", "nima", "brisque", "piqe", "blur", "brightness", "contrast", "noise", "blockiness",
)


class Section(BaseModel):
    """Base for config sections: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathsConfig(Section):
    """Where amirtui keeps its files. Relative paths are relative to the config file's folder (else the cwd)."""

    data_dir: Path = Path("data")
    """Database, staging, model images, mirror catalog."""
    logs_dir: Path = Path("logs")
    """Rotating logs: latest_run.log, db_uploader.log."""
    incoming_dir: Path | None = None
    """Verified copies of the originals; default <data_dir>/incoming."""
    site_mirror_dir: Path | None = None
    """The local publish folder (target `local`); default <data_dir>/site."""
    import_root: Path | None = None
    """Where the set browser starts; default the home directory."""


class OllamaHost(Section):
    """One Ollama server and how many requests it may run at once."""

    url: str = "http://127.0.0.1:11434"
    parallel: int = Field(2, ge=1, le=64)


class OllamaOptions(Section):
    """Model options sent with every request."""

    temperature: float = Field(0.2, ge=0, le=2)
    num_ctx: int = Field(4096, ge=512)
    num_predict: int = Field(320, ge=16, le=4096)
    seed: int | None = 42


class OllamaConfig(Section):
    """Captioning through Ollama."""

    enabled: bool = True
    """False skips captioning: rows arrive in review as needs_work (no AI text)."""
    hosts: list[OllamaHost] = Field(default_factory=lambda: [OllamaHost()])
    primary_model: str = "qwen2.5vl:7b"
    fallback_model: str = "llava:7b"
    """Must differ from the primary (a 'fallback' equal to the primary is refused)."""
    request_timeout: float = Field(120.0, gt=0)
    """Seconds per request; the ollama client waits forever without it."""
    connect_timeout: float = Field(5.0, gt=0)
    idle_watchdog: float = Field(300.0, gt=0)
    """Seconds without any captioning progress before the stage logs the row in flight and recovers."""
    max_attempts: int = Field(3, ge=1)
    """Failures (across retries and crashes) before a row is quarantined."""
    keep_alive: str = "10m"
    image_max_px: int = Field(1024, ge=256, le=4096)
    image_quality: int = Field(85, ge=40, le=100)
    language: str = "en"
    options: OllamaOptions = Field(default_factory=OllamaOptions)
    verify: bool = True
    """After each caption, one more request asks the model whether the photo supports the text's claims (objects,
    counts, colours, actions, place names); unsupported claims make the row needs_work (``unsupported_claim``)."""
    verify_model: str = ""
    """Model for the verifier pass; empty means the primary model (no second model to load)."""

    @property
    def verifier_model(self) -> str:
        """The model the verifier pass uses (``verify_model`` or the primary)."""
        return self.verify_model or self.primary_model

    @model_validator(mode="after")
    def _distinct_models(self) -> "OllamaConfig":
        if self.fallback_model and self.fallback_model == self.primary_model:
            raise ValueError("fallback_model must differ from primary_model (or be empty to disable the fallback)")
        return self


class CaptioningConfig(Section):
    """Rules for the captioning text (the metadata gate's tunables)."""

    max_keywords: int = Field(12, ge=1, le=100)
    """More keywords than this and the gate says ``keywords_too_many``."""


class QualityConfig(Section):
    """Quality scoring with pyiqa (imported lazily, weights never downloaded during a run)."""

    enabled: bool = True
    metrics: list[str] = Field(default_factory=lambda: ["piqe", "brisque", "nima", "laion_aes"])
    """pyiqa metric names; missing weights are skipped with a warning (PIQE needs none)."""
    weights_dir: Path = Path("data/weights")
    device: Literal["auto", "cpu", "cuda"] = "auto"
    score_max_px: int = Field(1024, ge=128, le=4096)
    """Images are decoded at this size for scoring (Pillow draft), not at full resolution."""
    workers: int = Field(1, ge=1, le=16)
    qr_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "clip_aesthetic": 0.23, "nima": 0.20, "blur": 0.17, "brightness": 0.17, "contrast": 0.13, "brisque": 0.10
        }
    )
    """The original system's QR mix, used when at least one of its learned metrics (LAION, NIMA, BRISQUE) ran."""
    qr_weights_offline: dict[str, float] = Field(
        default_factory=lambda: {
            "piqe": 0.30, "blur": 0.20, "brightness": 0.15, "noise": 0.15, "contrast": 0.10, "blockiness": 0.10
        }
    )
    """The QR mix when none of ``qr_weights``' learned metrics has weights here (no-weights metrics only)."""


    @field_validator("qr_weights", "qr_weights_offline")
    @classmethod
    def _known_components(cls, v: dict[str, float]) -> dict[str, float]:
        known = QR_COMPONENTS
        unknown = [k for k in v if k not in known]
        if unknown:
            raise ValueError(f"unknown QR component(s) {', '.join(unknown)}; known: {', '.join(known)}")
        if any(w < 0 for w in v.values()) or not any(w > 0 for w in v.values()):
            raise ValueError("weights must be ≥ 0 with at least one > 0")
        return v


class NamingConfig(Section):
    """Final filenames, compatible with the names already on the website."""

    template: str = "<Subject>_<Location>_<Folder>_Photography_<Camera>_<Year>_<NNN>.JPG"
    counter_width: int = Field(3, ge=1, le=6)
    max_length: int = Field(150, ge=40, le=255)
    default_camera: str = "Camera"
    transliterate: bool = True
    """Non-ASCII letters → ASCII (é → e). False keeps them."""
    camera_aliases: dict[str, str] = Field(default_factory=dict)
    """Canonical camera token → the token names use instead (e.g. a 50-character Kodak model → Kodak_CX7530);
    keys compared ignoring case. Empty by default, so names stay those of the old generator."""

    @field_validator("camera_aliases")
    @classmethod
    def _usable_aliases(cls, v: dict[str, str]) -> dict[str, str]:
        from .core.camera import alias_problems  # the camera rules own what a token may be

        problems = alias_problems(v)
        if problems:
            raise ValueError("; ".join(problems))
        return v


class IngestConfig(Section):
    """Import and staging."""

    max_image_pixels: int = Field(200_000_000, ge=1_000_000)
    """Pillow decompression-bomb limit: larger images are refused."""
    workers: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2), ge=1, le=16)
    """Parallel staging copies and model-image decodes; default half the cores (scoring and captioning need the
    rest)."""
    confirm_new_taxonomy: bool = True
    """A Folder or Location not yet known must be confirmed before it is used."""
    similar_name_threshold: float = Field(0.88, ge=0.5, le=1.0)
    """A new Folder/Location this similar to a known one (case- and accent-insensitive) asks "did you mean …?"."""


class SeriesConfig(Section):
    """Series (bursts, brackets, re-framings) and near-duplicates of published photos, by perceptual hash."""

    enabled: bool = True
    series_distance: int = Field(18, ge=0, le=32)
    """Two photos of one set are in one series when their hashes differ by at most this many bits (of 64) …"""
    series_max_gap_s: float = Field(60.0, ge=0)
    """… and their capture times by at most this many seconds."""
    near_duplicate_distance: int = Field(12, ge=0, le=32)
    """A new photo this close to a published one is flagged as its near-duplicate (never blocked)."""


class MySQLConfig(Section):
    """The website's catalog database (password from AMIRTUI_MYSQL_PASSWORD or the secrets file)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "amirtui"
    database: str = "website"
    table: str = "photos_info_revamp"
    connect_timeout: float = 5.0

    @field_validator("table")
    @classmethod
    def _safe_table(cls, v: str) -> str:
        if not v.replace("_", "").isalnum():
            raise ValueError("table name may contain only letters, digits and underscores")
        return v


class PublishConfig(Section):
    """Where approved rows go."""

    target: Literal["local", "ftp", "ftps", "sftp"] = "local"
    host: str = "127.0.0.1"
    port: int | None = None
    user: str = ""
    remote_base: str = "photos"
    public_url_base: str = ""
    """e.g. https://example.com/photos — empty: file:// URLs of the local target."""
    known_hosts: Path | None = None
    """SFTP: known_hosts file to verify the server key against (default ~/.ssh/known_hosts)."""
    ftps_ca_file: Path | None = None
    """FTPS: a PEM file of the CA(s) to trust for the server certificate (a private or self-signed CA); default:
    the system's trusted CAs. The certificate is always verified, host name included."""
    web_max: tuple[int, int] = (1500, 1000)
    thumb_max: tuple[int, int] = (548, 365)
    jpeg_quality: int = Field(88, ge=40, le=100)
    watermark: str = ""
    strip_gps: bool = False
    parallel_uploads: int = Field(2, ge=1, le=16)
    """Rows published at once, each lane with its own connection (measured over a 50 ms link: docs/benchmarks.md)."""
    timeout: float = Field(30.0, gt=0)
    retries: int = Field(3, ge=0, le=20)
    """Transient faults (link dropped, server restarting, MySQL gone away) retried per step before the row fails."""
    retry_delay: float = Field(1.0, ge=0, le=60)
    """Seconds before the first retry; doubles for each further retry."""
    retry_max_delay: float = Field(10.0, ge=0, le=300)
    """Longest pause between two retries."""
    verify_urls: bool = False
    """HEAD each public URL after publish (needs public_url_base and network)."""
    mysql: MySQLConfig = Field(default_factory=MySQLConfig)


class ReviewConfig(Section):
    """Review queue behaviour."""

    page_size: int = Field(500, ge=50, le=10_000)
    confirm_bulk: bool = True


class UIConfig(Section):
    """Terminal UI."""

    preview: Literal["auto", "sixel", "tgp", "halfcell", "unicode", "off"] = "auto"
    preview_debounce_ms: int = Field(150, ge=0, le=2000)
    log_lines: int = Field(5000, ge=100)
    animations: bool = False
    keymap: dict[str, str] = Field(default_factory=dict)
    """binding id → keys, e.g. review.approve: "a,space"."""


def _yaml_source_path() -> Path | None:
    raw = os.environ.get("AMIRTUI_CONFIG_FILE")
    return Path(raw) if raw else None


class Settings(BaseSettings):
    """All settings. Build with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="AMIRTUI_", env_nested_delimiter="__", extra="forbid")

    secrets_file: Path | None = None
    """A 0600 file of KEY=value lines (AMIRTUI_MYSQL_PASSWORD=…); refused when readable by others."""
    paths: PathsConfig = Field(default_factory=PathsConfig)
    ollama: OllamaConfig = Field(default_factory=OllamaConfig)
    captioning: CaptioningConfig = Field(default_factory=CaptioningConfig)
    quality: QualityConfig = Field(default_factory=QualityConfig)
    naming: NamingConfig = Field(default_factory=NamingConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    publish: PublishConfig = Field(default_factory=PublishConfig)
    series: SeriesConfig = Field(default_factory=SeriesConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    ui: UIConfig = Field(default_factory=UIConfig)

    # Resolved at load time (not config keys).
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings merges the environment over the YAML itself (to know each value's origin) and passes the
        # result as init kwargs, which beat the defaults
        return (init_settings,)

    # ------------------------------------------------------------ resolved paths
    def resolve(self, p: Path) -> Path:
        """A configured path made absolute against the config file's folder."""
        p = Path(os.path.expanduser(str(p)))
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def data_dir(self) -> Path:
        return self.resolve(self.paths.data_dir)

    @property
    def logs_dir(self) -> Path:
        return self.resolve(self.paths.logs_dir)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "review.db"

    @property
    def mirror_db_path(self) -> Path:
        return self.data_dir / "photos_info_revamp.db"

    @property
    def incoming_dir(self) -> Path:
        return self.resolve(self.paths.incoming_dir) if self.paths.incoming_dir else self.data_dir / "incoming"

    @property
    def site_dir(self) -> Path:
        return self.resolve(self.paths.site_mirror_dir) if self.paths.site_mirror_dir else self.data_dir / "site"

    @property
    def ollama_tmp_dir(self) -> Path:
        return self.data_dir / "ollama_tmp"

    @property
    def weights_dir(self) -> Path:
        return self.resolve(self.quality.weights_dir)


def _find_secret_keys(data: Any, prefix: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}{k}"
            if any(word in str(k).lower() for word in _SECRET_WORDS):
                found.append(key)
            found.extend(_find_secret_keys(v, key + "."))
    return found


def load_settings(config_path: Path | str | None = None) -> Settings:
    """Load settings from ``config_path`` (or $AMIRTUI_CONFIG_FILE, or ./config.yaml if present) plus environment.

    Raises :class:`ConfigError` naming the key and what is wrong.
    """
    path = Path(config_path) if config_path else _yaml_source_path()
    if path is None and Path("config.yaml").is_file():
        path = Path("config.yaml")
    data: dict[str, Any] = {}
    source = "defaults + environment"
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist", fix="pass an existing file with --config")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML: {exc}", fix="fix the syntax at the line shown") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path} must hold a mapping of sections (paths:, ollama:, …)")
        data = loaded
        source = str(path)
        secret_keys = _find_secret_keys(data)
        if secret_keys:
            raise ConfigError(
                f"{path} holds secret key(s) {', '.join(secret_keys)}: secrets never belong in config.yaml",
                fix="remove them and set AMIRTUI_MYSQL_PASSWORD / AMIRTUI_FTP_PASSWORD / AMIRTUI_SFTP_PASSWORD in the "
                "environment or in a 0600 secrets file (secrets_file:)",
            )
    origins = file_origins(data, f"config file {path}") if path is not None else {}
    env_data, env_origins, problems = env_overlay(Settings)
    origins.update(env_origins)
    merged = deep_merge(data, env_data)
    credentials = credential_problems(merged, origins)
    problems += credentials
    base_dir = (path.parent if path is not None else Path.cwd()).resolve()
    settings = None
    if not credentials:  # the other settings are still checked, so one run shows every bad one
        try:
            settings = Settings(**merged, base_dir=base_dir)
        except ValidationError as exc:
            problems += error_lines(exc.errors(), origins, Settings)
        except (TypeError, ValueError) as exc:  # e.g. a top-level value that is not a mapping
            problems.append(f"{source}: {exc}")
    if problems:
        count = f"{len(problems)} bad settings:\n  " if len(problems) > 1 else ""
        raise ConfigError(count + "\n  ".join(problems))
    assert settings is not None
    return settings
