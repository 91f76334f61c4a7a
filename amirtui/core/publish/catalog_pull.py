"""``amirtui catalog pull``: copy the website catalog's rows into the local mirror.

For a site that existed before amirtui: after a pull the mirror holds every ``File_Name`` of the website (with the
columns the mirror keeps and the MySQL ids), so naming continues after them even with MySQL switched off, and
validation can compare the two. Rows already in the mirror are updated to MySQL's values; mirror rows MySQL does not
have are left alone (they may be published rows of a mirror-only setup). Running it twice changes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .mirror import Mirror, bulk_upsert
from .mysql_catalog import MySQLCatalog, all_rows


@dataclass(frozen=True)
class PullReport:
    """What one pull did."""

    source: str
    rows: int
    added: int
    changed: int
    seconds: float

    def text(self) -> str:
        """One line for the console."""
        return (f"pulled {self.rows} row(s) from {self.source}: {self.added} new, {self.changed} updated, "
                f"{self.rows - self.added - self.changed} unchanged ({self.seconds:.1f} s)")


def pull_catalog(settings: Any, secrets: Any = None, *, catalog: MySQLCatalog | None = None,
                 mirror: Mirror | None = None) -> PullReport:
    """Copy every MySQL catalog row into the mirror (one transaction). Raises ``PublishError`` with the fix when
    MySQL cannot be read or the mirror cannot be written."""
    t0 = time.perf_counter()
    own = catalog is None
    catalog = catalog or MySQLCatalog.from_settings(settings, getattr(secrets, "mysql_password", None))
    mirror = mirror or Mirror(settings.mirror_db_path, settings.publish.mysql.table)
    try:
        rows = all_rows(catalog)
    finally:
        if own:
            catalog.close()
    added, changed = bulk_upsert(mirror, rows)
    return PullReport(source=catalog.where(), rows=len(rows), added=added, changed=changed,
                      seconds=time.perf_counter() - t0)
