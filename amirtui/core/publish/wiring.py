"""Publish wiring: the publish log file, the target built from settings, public URLs and the default render."""

from __future__ import annotations

import logging
import urllib.parse
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from ..db.models import Photo
from .targets import BaseTarget, LocalTarget, PublishError

log = logging.getLogger("amirtui.publish")




def ensure_publish_log(logs_dir: Path) -> None:
    """Attach ``<logs_dir>/db_uploader.log`` to the ``amirtui.publish`` logger unless a handler already writes it."""
    path = (logs_dir / "db_uploader.log").resolve()
    for h in log.handlers:
        if getattr(h, "baseFilename", None) == str(path):
            return
    from ..logs import RedactingFormatter  # the same redacting format as every other log file

    for h in list(log.handlers):  # a handler this helper made for another home (tests, a second project)
        if getattr(h, "_amirtui_publisher", False):
            log.removeHandler(h)
            h.close()
    logs_dir.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)-7s %(message)s"))
    handler._amirtui = True  # type: ignore[attr-defined]  # lets logs.setup_logging replace it
    handler._amirtui_publisher = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def make_target(settings: Any, secrets: Any = None) -> BaseTarget:
    """The configured target (``publish.target``) with its password from :mod:`amirtui.secrets`."""
    p = settings.publish
    if p.target == "local":
        return LocalTarget(settings.site_dir)
    if p.target in ("ftp", "ftps"):
        from .ftp_target import FTPTarget, ftps_context

        context = ftps_context(settings.resolve(p.ftps_ca_file) if p.ftps_ca_file else None) \
            if p.target == "ftps" else None
        return FTPTarget(p.host, p.port, p.user, getattr(secrets, "ftp_password", None), tls=p.target == "ftps",
                         timeout=p.timeout, ssl_context=context)
    from .sftp_target import SFTPTarget

    return SFTPTarget(
        p.host, p.port, p.user, password=getattr(secrets, "sftp_password", None),
        key_path=getattr(secrets, "sftp_key_path", None), key_passphrase=getattr(secrets, "sftp_key_passphrase", None),
        known_hosts=settings.resolve(p.known_hosts) if p.known_hosts else None, timeout=p.timeout,
    )


def public_url(settings: Any, target: BaseTarget, full_path: str, rel_path: str) -> str:
    """Public URL of a published file: ``public_url_base`` + path under remote_base; else file:// (local target)
    or the remote path itself."""
    base = settings.publish.public_url_base
    if base:
        return base.rstrip("/") + "/" + urllib.parse.quote(rel_path)
    if isinstance(target, LocalTarget):
        return target.file_url(full_path)
    return full_path


def default_render(photo: Photo, settings: Any) -> Any:
    """Render the web image + thumbnail of a photo with :func:`amirtui.core.imaging.render_publish_images`."""
    from ..imaging import PublishMeta, render_publish_images

    source = next((Path(p) for p in (photo.staged_path, photo.original_path) if p and Path(p).is_file()), None)
    if source is None:
        raise PublishError(
            f"neither the staged copy ({photo.staged_path}) nor the original ({photo.original_path}) exists",
            fix="reconnect the drive holding the originals, or run amirtui recover to re-stage the row",
        )
    from ..titles import photo_title

    meta = PublishMeta(file_name=photo.file_name, title=photo_title(photo),
                       caption=photo.caption or "", alt_text=photo.alt_text or "", keywords=list(photo.keywords or []))
    return render_publish_images(source, meta, settings.publish)
