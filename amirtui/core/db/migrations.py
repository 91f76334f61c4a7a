"""Ordered schema migrations keyed by version. Each runs in its own transaction and bumps ``meta.schema_version``.

Rule for the next person: never edit a released migration. Add ``_v3`` and append it to ``MIGRATIONS``.
Migration 1 creates tables from the models; once a model gains a column, add that column in a new migration with
``playhouse.migrate`` and keep migration 1 creating the old shape (freeze it as SQL at that point).
"""

from __future__ import annotations

from typing import Callable

import peewee as pw

from . import models as m

_V1_MODELS = [m.Meta, m.Run, m.PhotoSet, m.Photo, m.StateChange, m.Reservation, m.PublishStep, m.Refusal]


def _v1(db: pw.SqliteDatabase) -> None:
    """Initial schema: sets, photos, history, reservations, runs, publish steps, refusals."""
    db.create_tables(_V1_MODELS, safe=True)


def _v2(db: pw.SqliteDatabase) -> None:
    """Taxonomy table; active reservations become UNIQUE on the case-folded name (released ones stay as history)."""
    db.create_tables([m.TaxonomyEntry], safe=True)
    db.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS reservation_active_name_key "
        "ON reservation (name_key) WHERE released_at IS NULL"
    )
    db.execute_sql("CREATE INDEX IF NOT EXISTS photo_set_state ON photo (set_id, state)")


def _v3(db: pw.SqliteDatabase) -> None:
    """metadata_quality: one line per caption attempt and its human outcome (idempotent: IF NOT EXISTS)."""
    db.create_tables([m.MetadataQuality], safe=True)


def _v4(db: pw.SqliteDatabase) -> None:
    """Perceptual fingerprints and series of photos; fingerprints of website photos that predate amirtui."""
    db.create_tables([m.Fingerprint, m.CatalogFingerprint], safe=True)


def _v5(db: pw.SqliteDatabase) -> None:
    """photo.time_trusted: can the capture hour be judged by (False for an edit time or a clock in another zone)?
    photo.title: the row's own title (NULL: the set's "Subject, Location", as every row had before).

    Migration 1 creates the photo table from the model, so a new database has the columns already: each is added only
    when missing (existing rows keep True and NULL: what the gate and publishing did before)."""
    have = {c.name for c in db.get_columns("photo")}
    if "time_trusted" not in have:
        db.execute_sql("ALTER TABLE photo ADD COLUMN time_trusted INTEGER NOT NULL DEFAULT 1")
    if "title" not in have:
        db.execute_sql("ALTER TABLE photo ADD COLUMN title VARCHAR(255)")


MIGRATIONS: list[Callable[[pw.SqliteDatabase], None]] = [_v1, _v2, _v3, _v4, _v5]
LATEST_VERSION = len(MIGRATIONS)


def schema_version(db: pw.SqliteDatabase) -> int:
    """The version stored in the DB (0 for an empty database)."""
    if not db.table_exists("meta"):
        return 0
    row = m.Meta.get_or_none(m.Meta.key == "schema_version")
    return int(row.value) if row else 0


def migrate(db: pw.SqliteDatabase, target: int = LATEST_VERSION) -> list[int]:
    """Apply every migration after the stored version up to ``target``; returns the versions applied."""
    if target > LATEST_VERSION:
        raise ValueError(f"schema version {target} is newer than this amirtui knows ({LATEST_VERSION})")
    current = schema_version(db)
    if current > LATEST_VERSION:
        raise RuntimeError(
            f"the database has schema version {current}, newer than this amirtui ({LATEST_VERSION}): upgrade amirtui"
        )
    applied: list[int] = []
    for version in range(current + 1, target + 1):
        with db.atomic("IMMEDIATE"):
            MIGRATIONS[version - 1](db)
            m.Meta.insert(key="schema_version", value=str(version)).on_conflict_replace().execute()
        applied.append(version)
    return applied
