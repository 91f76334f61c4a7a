"""The ``metadata_quality`` record mirrored to MySQL when the catalog is MySQL.

``amirtui db create-catalog`` creates the table (:func:`create_table`); every publish run pushes the records that
are new or changed since their last push (:func:`mirror_pending`, called through :func:`mirror_safely`, which never
fails a publish: a record not pushed now is pushed next time). Records are keyed by ``record_key`` (creation time,
photo id, attempt), so a reset review DB never overwrites older records.
"""

from __future__ import annotations

import json
from typing import Any

from ..db.models import MetadataQuality, Photo, database
from ..events import EventBus

TABLE = "metadata_quality"
BATCH = 200

_COLUMNS: list[tuple[str, str]] = [
    ("record_key", "VARCHAR(80) NOT NULL"), ("photo_id", "INT NOT NULL"), ("file_name", "VARCHAR(255) NULL"),
    ("attempt", "INT NOT NULL"), ("run_id", "INT NULL"), ("source", "VARCHAR(32) NULL"),
    ("model", "VARCHAR(255) NULL"), ("role", "VARCHAR(16) NULL"), ("prompt_version", "VARCHAR(64) NULL"),
    ("raw_sha256", "CHAR(64) NULL"), ("error", "TEXT NULL"), ("caption", "TEXT NULL"), ("alt_text", "TEXT NULL"),
    ("keywords", "TEXT NULL"), ("gate_status", "VARCHAR(16) NULL"), ("gate_reasons", "TEXT NULL"),
    ("verify_status", "VARCHAR(16) NULL"), ("verification", "MEDIUMTEXT NULL"), ("seconds", "DOUBLE NULL"),
    ("chosen", "TINYINT(1) NOT NULL DEFAULT 0"), ("outcome_state", "VARCHAR(32) NULL"), ("reasons", "TEXT NULL"),
    ("created_at", "DATETIME(6) NOT NULL"), ("human_decision", "VARCHAR(16) NULL"), ("human_at", "DATETIME(6) NULL"),
    ("final_caption", "TEXT NULL"), ("final_alt_text", "TEXT NULL"), ("final_keywords", "TEXT NULL"),
    ("human_edited", "TINYINT(1) NULL"), ("updated_at", "DATETIME(6) NOT NULL"),
]
_JSON = {"keywords", "gate_reasons", "verification", "reasons", "final_keywords"}


def create_table_sql() -> str:
    """``CREATE TABLE IF NOT EXISTS metadata_quality`` (utf8mb4, one UNIQUE key on ``record_key``)."""
    cols = ",\n  ".join(f"`{name}` {ddl}" for name, ddl in _COLUMNS)
    return (f"CREATE TABLE IF NOT EXISTS `{TABLE}` (\n  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n  {cols},\n"
            "  UNIQUE KEY `record_key` (`record_key`),\n  KEY `file_name` (`file_name`)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")


def create_table(conn: Any) -> None:
    """Create the table if it does not exist (idempotent)."""
    with conn.cursor() as cur:
        cur.execute(create_table_sql())
    conn.commit()


def _upsert_sql() -> str:
    names = [n for n, _ in _COLUMNS]
    cols = ", ".join(f"`{n}`" for n in names)
    updates = ", ".join(f"`{n}` = VALUES(`{n}`)" for n in names if n != "record_key")
    return (f"INSERT INTO `{TABLE}` ({cols}) VALUES ({', '.join(['%s'] * len(names))}) "
            f"ON DUPLICATE KEY UPDATE {updates}")


def record_key(rec: MetadataQuality) -> str:
    """The record's key across review DBs: creation time, photo id and attempt."""
    return f"{rec.created_at.isoformat()}|{rec.photo.id}|{rec.attempt}"


def _values(rec: MetadataQuality, file_name: str | None) -> tuple[Any, ...]:
    out = []
    for name, _ in _COLUMNS:
        if name == "record_key":
            value: Any = record_key(rec)
        elif name == "file_name":
            value = file_name
        elif name == "photo_id":
            value = rec.photo.id
        else:
            value = getattr(rec, name)
            if name in _JSON and value is not None:
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            elif isinstance(value, bool):
                value = int(value)
        out.append(value)
    return tuple(out)


def mirror_pending(conn: Any) -> int:
    """Push every record new or changed since its last push; returns how many were pushed. Raises on a DB error
    (the records stay pending)."""
    pending = (MetadataQuality.select(MetadataQuality, Photo.id, Photo.file_name).join(Photo)
               .where(MetadataQuality.mirrored_at.is_null() | (MetadataQuality.updated_at > MetadataQuality.mirrored_at))
               .order_by(MetadataQuality.id))
    recs = list(pending)
    sql = _upsert_sql()
    for i in range(0, len(recs), BATCH):
        batch = recs[i:i + BATCH]
        with conn.cursor() as cur:
            cur.executemany(sql, [_values(r, r.photo.file_name) for r in batch])
        conn.commit()
        with database.atomic("IMMEDIATE"):  # the pushed version, so a change made meanwhile is pushed next time
            for r in batch:
                MetadataQuality.update(mirrored_at=r.updated_at).where(MetadataQuality.id == r.id).execute()
    return len(recs)


def mirror_safely(catalog: Any, bus: EventBus | None = None) -> int | None:
    """:func:`mirror_pending` through a :class:`~amirtui.core.publish.mysql_catalog.MySQLCatalog`; a failure is one
    warning (with the fix) and None — publishing never fails over the record."""
    try:
        conn = catalog.connect()
        with conn.cursor() as cur:
            cur.execute(f"SHOW TABLES LIKE '{TABLE}'")
            exists = cur.fetchone() is not None
        if not exists:
            create_table(conn)
        n = mirror_pending(conn)
    except Exception as exc:  # noqa: BLE001 - any driver or DB failure: the records stay pending
        if bus is not None:
            bus.warning(f"metadata_quality not mirrored to MySQL ({type(exc).__name__}: {exc}); it is pushed at the "
                        "next publish — check the catalog connection or run `amirtui db create-catalog`",
                        source="publish")
        return None
    if bus is not None and n:
        bus.info(f"metadata_quality: {n} record(s) mirrored to MySQL", source="publish")
    return n


__all__ = ["TABLE", "create_table", "create_table_sql", "mirror_pending", "mirror_safely", "record_key"]
