"""``amirtui catalog fingerprint``: perceptual hashes of website photos that predate amirtui.

For every ``File_Name`` in the local mirror (fill it from the website with ``amirtui catalog pull``) that has no hash
yet — neither a photo amirtui published nor an earlier run of this command — the published **web image** is read
from the configured target (local, FTP, FTPS or SFTP), decoded small and hashed; the hash is stored in
``catalog_fingerprint``. Resumable: each name is committed on its own, so a second run continues where the first
stopped, and a name whose image cannot be read is recorded with its error (``--retry-errors`` tries those again).
"""

from __future__ import annotations

import ftplib
import io
import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from PIL import Image

from ..db.models import CatalogFingerprint, Fingerprint, Photo, database, utcnow
from ..fingerprint import phash
from ..fsnames import display_name
from .mirror import Mirror
from .targets import PublishError, build_paths

_YEAR_IN_NAME = re.compile(r"_((?:19|20)\d\d)_\d{3,}\.[A-Za-z]+$")


@dataclass
class FingerprintReport:
    """What a run did: names hashed, names that failed (with why), names already done."""

    hashed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    already: int = 0
    total: int = 0

    def text(self) -> str:
        """The summary line (and one line per failure, at most 20)."""
        lines = [f"catalog fingerprint: {self.hashed} hashed, {len(self.failed)} failed, {self.already} already done "
                 f"of {self.total} website photo(s)"]
        lines += [f"  {display_name(name)}: {why}" for name, why in self.failed[:20]]
        if len(self.failed) > 20:
            lines.append(f"  … {len(self.failed) - 20} more (see `catalog_fingerprint.error` in the review DB)")
        return "\n".join(lines)


def web_image_path(row: dict[str, Any], settings: Any) -> str:
    """Where a catalog row's web image lives on the target: from its public ``Path`` URL when that starts with
    ``publish.public_url_base`` (or is a file:// URL under the local site), else the standard layout
    ``<remote_base>/<year>/<Folder>/<File_Name>`` with the year from ``DateTime`` or the name's ``_YYYY_NNN``."""
    p = settings.publish
    url = str(row.get("Path") or "")
    base = p.public_url_base.rstrip("/")
    if base and url.startswith(base + "/"):
        rel = unquote(url[len(base) + 1:])
        return posixpath.normpath(posixpath.join(p.remote_base.strip("/"), rel)) if p.remote_base else rel
    if url.startswith("file://") and p.target == "local":
        local = unquote(urlparse(url).path)
        site = str(settings.site_dir.resolve())
        if local.startswith(site + "/"):
            return local[len(site) + 1:]
    name = str(row["File_Name"])
    when = str(row.get("DateTime") or "")
    year = when[:4] if when[:4].isdigit() else (m.group(1) if (m := _YEAR_IN_NAME.search(name)) else None)
    return build_paths(p.remote_base, year, str(row.get("Folder") or ""), name).web


def _hash_bytes(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as im:
        im.draft("RGB", (256, 256))  # a DCT-scaled decode: the hash needs 32×32 grey levels
        return phash(im.convert("RGB"))


def fingerprint_catalog(settings: Any, secrets: Any, *, retry_errors: bool = False, limit: int | None = None,
                        progress: Callable[[int, int, float], None] | None = None) -> FingerprintReport:
    """Hash every website photo of the mirror that has no hash yet; ``progress(done, total, rate)`` after each."""
    from .publisher import make_target

    rows = Mirror(settings.mirror_db_path, settings.publish.mysql.table).all_rows()
    own = {n.casefold() for (n,) in Fingerprint.select(Photo.file_name).join(Photo)
           .where(Photo.file_name.is_null(False)).tuples()}
    done_q = CatalogFingerprint.select(CatalogFingerprint.file_name)
    if retry_errors:
        done_q = done_q.where(CatalogFingerprint.phash.is_null(False))
    done = {n.casefold() for (n,) in done_q.tuples()}
    todo = [r for r in rows if str(r["File_Name"]).casefold() not in own | done]
    report = FingerprintReport(total=len(rows), already=len(rows) - len(todo))
    if limit is not None:
        todo = todo[:limit]
    if not todo:
        return report
    target = make_target(settings, secrets)
    target.connect()
    started = time.monotonic()
    try:
        for i, row in enumerate(todo, start=1):
            name = str(row["File_Name"])
            value, error = None, None
            try:
                value = _hash_bytes(target.read(web_image_path(row, settings)))
            except PublishError as exc:
                error = exc.detail
            except (OSError, EOFError, ValueError, ftplib.Error, Image.DecompressionBombError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            with database.atomic("IMMEDIATE"):
                CatalogFingerprint.insert(file_name=name, phash=value, error=error, computed_at=utcnow()).on_conflict(
                    conflict_target=[CatalogFingerprint.file_name],
                    update={CatalogFingerprint.phash: value, CatalogFingerprint.error: error,
                            CatalogFingerprint.computed_at: utcnow()}).execute()
            if error is None:
                report.hashed += 1
            else:
                report.failed.append((name, error))
            if progress is not None:
                progress(i, len(todo), i / max(1e-6, time.monotonic() - started))
    finally:
        target.close()
    return report
