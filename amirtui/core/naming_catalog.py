"""The website's names that counters must continue after: the local mirror, and the MySQL catalog when enabled.

A name handed out twice collides on the website, so these sources are never optional: when one cannot be read,
:func:`catalog_names` raises :class:`CatalogUnreadable` (the naming stage then leaves its rows in ``exif_read`` with
the reason, and preflight shows a red line) instead of naming from a partial list.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .errors import AmirError

__all__ = ["CatalogUnreadable", "CatalogNameCache", "catalog_names", "catalog_holds", "names_check"]


class CatalogUnreadable(AmirError):
    """The mirror or the MySQL catalog could not be read, so names cannot be given safely."""

    title = "Catalog unreadable"


def _load_secrets(settings: Any) -> Any:
    # The pipeline's context carries no secrets; amirtui.secrets is a leaf module (env + 0600 file only).
    from ..secrets import load_secrets

    return load_secrets(settings)


def mirror_names(settings: Any) -> list[str]:
    """Every File_Name in the local mirror (none when it does not exist yet)."""
    from .publish.mirror import existing_file_names
    from .publish.targets import PublishError

    try:
        return existing_file_names(settings.mirror_db_path, settings.publish.mysql.table)
    except PublishError as exc:
        raise CatalogUnreadable(f"cannot read the names in the local mirror: {exc.detail}",
                                fix="restore data/photos_info_revamp.db from a backup, or run `amirtui catalog pull`"
                                ) from exc


def mysql_names(settings: Any, secrets: Any = None) -> list[str]:
    """Every File_Name in the MySQL catalog (``publish.mysql``)."""
    from .publish.mysql_catalog import MySQLCatalog, file_names
    from .publish.targets import PublishError

    if secrets is None:
        try:
            secrets = _load_secrets(settings)
        except AmirError as exc:  # e.g. a secrets file readable by others: no password, so no names
            raise CatalogUnreadable(f"cannot read the MySQL password: {exc.detail}", fix=exc.fix) from exc
    catalog = MySQLCatalog.from_settings(settings, getattr(secrets, "mysql_password", None))
    try:
        return file_names(catalog)
    except PublishError as exc:
        raise CatalogUnreadable(
            f"cannot read the names in the website catalog {catalog.where()}: {exc.detail}",
            fix=(exc.fix or "check publish.mysql.* and AMIRTUI_MYSQL_PASSWORD")
            + "; names are given only when the catalog can be read (the rows wait in exif_read)",
        ) from exc
    finally:
        catalog.close()


def catalog_names(settings: Any, secrets: Any = None) -> list[str]:
    """The mirror's names plus, when ``publish.mysql.enabled``, the MySQL catalog's. Raises
    :class:`CatalogUnreadable` when a source that counts cannot be read."""
    names = mirror_names(settings)
    if settings.publish.mysql.enabled:
        names += mysql_names(settings, secrets)
    return names


def catalog_holds(settings: Any, name: str, secrets: Any = None) -> bool:
    """True when the website (mirror, or MySQL when enabled) has a photo named ``name``, ignoring case — what a
    review rename is checked against. Raises :class:`CatalogUnreadable` like naming does when it cannot tell."""
    key = name.strip().casefold()
    return any(n.casefold() == key for n in catalog_names(settings, secrets))


class CatalogNameCache:
    """The website's names, read once and kept ``max_age`` seconds, for the review editor's check while typing.

    Reading 45,000 names per keystroke would lag the editor; a name published in the last minute by another tool is
    still caught when the rename is saved (that check reads the catalog afresh). A read that fails is not cached,
    so the next keystroke tries again."""

    def __init__(self, load: Callable[[], list[str]], max_age: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load, self._max_age, self._clock = load, max_age, clock
        self._keys: frozenset[str] | None = None
        self._at = 0.0
        self._lock = threading.Lock()  # the check runs in worker threads
        self.reads = 0
        """How many times the catalog was read (tests check that typing does not read it per keystroke)."""

    def holds(self, name: str) -> bool:
        """True when the website has ``name`` (ignoring case); raises :class:`CatalogUnreadable` like naming."""
        with self._lock:
            if self._keys is None or self._clock() - self._at > self._max_age:
                self.reads += 1
                self._keys = frozenset(n.casefold() for n in self._load())
                self._at = self._clock()
            keys = self._keys
        return name.strip().casefold() in keys


def names_check(settings: Any, secrets: Any, *, remote: bool = True) -> Any:
    """Preflight line: can the names that counters continue after be read? (``remote=False`` skips MySQL.)"""
    from .checks import GREEN, RED, Check

    try:
        mirror = mirror_names(settings)
        mysql = mysql_names(settings, secrets) if remote and settings.publish.mysql.enabled else None
    except CatalogUnreadable as exc:
        return Check("catalog names", RED, exc.detail, fix=exc.fix)
    found = f"{len(mirror)} name(s) in the local mirror"
    if mysql is not None:
        found += f" and {len(mysql)} in the MySQL catalog"
    return Check("catalog names", GREEN, found + ": counters continue after them")
