"""Preflight checks for publishing: the target answers with the configured credentials and accepts a write (into a
temp name, removed again), and the MySQL catalog connects and has its table."""

from __future__ import annotations

import os
from typing import Any

from ..checks import GREEN, RED, YELLOW, Check


def _describe(settings: Any) -> str:
    p = settings.publish
    if p.target == "local":
        return f"local folder {settings.site_dir}"
    return f"{p.target} {p.user + '@' if p.user else ''}{p.host}{':' + str(p.port) if p.port else ''}"


def target_check(settings: Any, secrets: Any) -> Check:
    """Connect to the publish target and write + delete a small file under remote_base."""
    from .publisher import make_target

    where = _describe(settings)
    target = make_target(settings, secrets)
    probe = f"{settings.publish.remote_base.strip('/')}/.amirtui-preflight-{os.getpid()}"
    try:
        target.connect()
        target.put_atomic(probe, b"amirtui preflight write test\n", may_replace=True)
        target._delete(probe)  # noqa: SLF001 - the probe is ours; the public API only publishes
    except Exception as exc:  # noqa: BLE001 - shown to the operator with the fix
        fix = getattr(exc, "fix", "") or "check publish.host/port/user and the password in AMIRTUI_*_PASSWORD"
        return Check("publish target", RED, f"{where}: {getattr(exc, 'detail', None) or exc}", fix=fix)
    finally:
        try:
            target.close()
        except Exception:
            pass
    return Check("publish target", GREEN, f"{where}: connected, write test ok")


def catalog_check(settings: Any, secrets: Any) -> Check:
    """MySQL connect + table present (or the local mirror when MySQL is off)."""
    m = settings.publish.mysql
    if not m.enabled:
        return Check("catalog", YELLOW if settings.publish.target != "local" else GREEN,
                     f"MySQL off: the local mirror {settings.mirror_db_path} is the catalog",
                     fix="set publish.mysql.enabled: true to update the website's database")
    from .mysql_catalog import MySQLCatalog

    catalog = MySQLCatalog.from_settings(settings, getattr(secrets, "mysql_password", None))
    try:
        conn = catalog.connect()
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES LIKE %s", (m.table,))
            present = cur.fetchone() is not None
    except Exception as exc:  # noqa: BLE001
        return Check("catalog", RED, str(getattr(exc, "detail", None) or exc),
                     fix=getattr(exc, "fix", "") or "check publish.mysql.* and AMIRTUI_MYSQL_PASSWORD")
    finally:
        catalog.close()
    if not present:
        return Check("catalog", RED, f"MySQL {catalog.where()}: table {m.table} does not exist",
                     fix="run `amirtui db create-catalog` (or fix publish.mysql.table)")
    return Check("catalog", GREEN, f"MySQL {catalog.where()}: connected, table present")


def drift_check(settings: Any, secrets: Any) -> Check | None:
    """Website catalog vs the local mirror (only when MySQL is on): yellow with the count when they disagree."""
    if not settings.publish.mysql.enabled:
        return None
    from .drift import compare, summary
    from .mirror import Mirror
    from .mysql_catalog import MySQLCatalog

    catalog = MySQLCatalog.from_settings(settings, getattr(secrets, "mysql_password", None))
    try:
        drifts = compare(catalog.all_rows(), Mirror(settings.mirror_db_path, settings.publish.mysql.table).all_rows())
    except Exception as exc:  # noqa: BLE001 - the catalog line above already says why MySQL cannot be read
        return Check("catalog drift", YELLOW, f"not compared: {getattr(exc, 'detail', None) or exc}",
                     fix="fix the catalog line above, then run amirtui validate")
    finally:
        catalog.close()
    if not drifts:
        return Check("catalog drift", GREEN, summary(drifts))
    return Check("catalog drift", YELLOW, summary(drifts),
                 fix="`amirtui validate` lists each row with its fix (catalog pull to accept the website's version, "
                     "republish to restore amirtui's)")


def publish_checks(settings: Any, secrets: Any) -> list[Check]:
    """The publish checks, in display order."""
    checks = [target_check(settings, secrets), catalog_check(settings, secrets)]
    drift = drift_check(settings, secrets) if checks[-1].level == GREEN else None
    return checks + ([drift] if drift is not None else [])
