"""Peewee models: the database is the truth (``data/review.db``).

Every table here is documented in docs/architecture.md. Rows are never deleted by the pipeline: photos keep their
history in :class:`StateChange`, released filename reservations keep ``released_at``.
"""

from __future__ import annotations

import datetime as dt
import json

import peewee as pw

#: Bound to a real SqliteDatabase by :func:`amirtui.core.db.open_db`.
database = pw.DatabaseProxy()


def utcnow() -> dt.datetime:
    """Timezone-naive UTC now (SQLite stores it as ISO text)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONField(pw.TextField):
    """A text column holding JSON (lists, dicts)."""

    def db_value(self, value):
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a file name with undecodable bytes (lone surrogates): \udcXX escapes are lossless
            text = json.dumps(value, ensure_ascii=True, sort_keys=True)
        return text

    def python_value(self, value):
        return None if value is None else json.loads(value)


class FsTextField(pw.TextField):
    """Text that may be a file name or path exactly as the filesystem gave it (``os.fsdecode``).

    A name that is not valid UTF-8 arrives as a str with lone surrogates (Python's surrogateescape), which SQLite
    cannot store as text: such a value is stored as a BLOB of its raw bytes and read back as the very same str, so
    the file can always be opened again. Valid UTF-8 names are stored as ordinary text (no schema change).
    Display such a value through :func:`amirtui.core.fsnames.display_name`, never raw.
    """

    def db_value(self, value):
        if value is None:
            return None
        value = str(value)
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogateescape")

    def python_value(self, value):
        if isinstance(value, (bytes, memoryview)):
            return bytes(value).decode("utf-8", "surrogateescape")
        return value


class BaseModel(pw.Model):
    """Common base: binds to the proxy database."""

    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value facts about the database itself (``schema_version``)."""

    key = pw.CharField(primary_key=True)
    value = pw.TextField()


class Run(BaseModel):
    """One execution of a long operation: import, pipeline, publish, recover. ``outcome`` is NULL while unfinished."""

    kind = pw.CharField()
    pid = pw.IntegerField()
    host = pw.CharField()
    started_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)
    outcome = pw.CharField(null=True)  # ok | failed | cancelled | crashed | rolled_back
    detail = pw.TextField(default="")


class PhotoSet(BaseModel):
    """A set: one or more source folders/files with the Subject, Location and Folder (category) for naming."""

    subject = pw.CharField()
    location = pw.CharField()
    folder = pw.CharField()
    sources = JSONField(default=list)  # absolute paths as given by the operator
    run = pw.ForeignKeyField(Run, null=True, backref="sets", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)


class Photo(BaseModel):
    """One photo: a queue row from import to publish. AI text and final text are separate, each with provenance."""

    set = pw.ForeignKeyField(PhotoSet, backref="photos", on_delete="RESTRICT")
    run = pw.ForeignKeyField(Run, null=True, backref="photos", on_delete="SET NULL")  # the run that imported it
    state = pw.CharField(index=True, default="imported")
    seq = pw.IntegerField(default=0)  # order inside the set (deterministic naming order)

    # originals and staging
    original_path = FsTextField()  # exactly as the filesystem gave it (see FsTextField)
    original_name = FsTextField()
    original_size = pw.BigIntegerField(null=True)
    original_mtime = pw.FloatField(null=True)
    content_hash = pw.CharField(null=True, index=True)  # sha256 of the original bytes
    image_format = pw.CharField(null=True)  # JPEG, PNG, TIFF, WEBP, HEIF (from content, not extension)
    staged_path = pw.TextField(null=True)

    # EXIF (strings as the website shows them)
    datetime_original = pw.CharField(null=True)  # "YYYY:MM:DD HH:MM:SS"
    make = pw.CharField(null=True)
    model = pw.CharField(null=True)
    camera = pw.CharField(null=True)  # canonical token used in names
    lens = pw.CharField(null=True)
    exposure = pw.CharField(null=True)  # "1/250 sec"
    aperture = pw.CharField(null=True)  # "f/5.6"
    iso = pw.CharField(null=True)
    focal_length = pw.CharField(null=True)  # "50 mm"
    width = pw.IntegerField(null=True)  # after orientation
    height = pw.IntegerField(null=True)
    orientation = pw.IntegerField(null=True)
    gps_lat = pw.FloatField(null=True)
    gps_lon = pw.FloatField(null=True)
    exif_notes = JSONField(default=list)  # what was missing or broken
    time_trusted = pw.BooleanField(default=True)  # False: the capture hour cannot be judged by (see capture_clock)

    # naming
    file_name = pw.CharField(null=True)
    title = pw.CharField(null=True)  # the row's own dc:title; None = the set's "Subject, Location" (core/titles.py)
    year = pw.CharField(null=True)

    # quality
    scores = JSONField(default=dict)  # metric → {"value": float, "lower_better": bool}
    nima_score = pw.FloatField(null=True)
    brisque_score = pw.FloatField(null=True)
    clip_aesthetic_score = pw.FloatField(null=True)
    piqe_score = pw.FloatField(null=True)
    blur_score = pw.FloatField(null=True)
    brightness_score = pw.FloatField(null=True)
    contrast_score = pw.FloatField(null=True)
    qr = pw.FloatField(null=True)  # 0–10
    qc_band = pw.CharField(null=True)  # Top | Good | Average | Low | Very Low
    qr_metrics = JSONField(default=list)  # which metrics contributed to QR
    scoring_failed = pw.BooleanField(default=False)
    scoring_reason = pw.TextField(null=True)

    # model image and AI text (provenance kept)
    model_image_path = pw.TextField(null=True)
    ai_caption = pw.TextField(null=True)
    ai_alt_text = pw.TextField(null=True)
    ai_keywords = JSONField(null=True)
    ai_model = pw.CharField(null=True)
    ai_prompt_version = pw.CharField(null=True)
    ai_at = pw.DateTimeField(null=True)

    # final text (what is published); starts as a copy of the AI text
    caption = pw.TextField(null=True)
    alt_text = pw.TextField(null=True)
    keywords = JSONField(null=True)
    text_source = pw.CharField(null=True)  # ai | manual
    edited_at = pw.DateTimeField(null=True)

    # gate
    gate_status = pw.CharField(null=True)  # pass | needs_work
    gate_reasons = JSONField(default=list)
    gate_override = pw.BooleanField(default=False)

    # publish
    web_remote_path = pw.TextField(null=True)
    thumb_remote_path = pw.TextField(null=True)
    web_url = pw.TextField(null=True)
    thumb_url = pw.TextField(null=True)
    catalog_id = pw.IntegerField(null=True)
    published_at = pw.DateTimeField(null=True)

    # errors
    last_error = pw.TextField(null=True)
    error_stage = pw.CharField(null=True)
    attempts = pw.IntegerField(default=0)  # failures of the current stage (captioning: across crashes too)

    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)


class StateChange(BaseModel):
    """Audit history: every state transition of every photo, who made it, when and why."""

    photo = pw.ForeignKeyField(Photo, backref="history", on_delete="RESTRICT")
    from_state = pw.CharField()
    to_state = pw.CharField()
    at = pw.DateTimeField(default=utcnow)
    actor = pw.CharField(default="pipeline")  # pipeline | operator | recovery
    reason = pw.TextField(default="")
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")


class Reservation(BaseModel):
    """A filename held for a photo. Active reservations are UNIQUE on the case-folded name (partial index)."""

    name = pw.CharField()
    name_key = pw.CharField(index=True)  # casefold(name)
    photo = pw.ForeignKeyField(Photo, null=True, backref="reservations", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=utcnow)
    released_at = pw.DateTimeField(null=True)
    release_reason = pw.TextField(null=True)


class PublishStep(BaseModel):
    """One step of one photo's publish: render, upload_web, upload_thumb, catalog, mirror."""

    photo = pw.ForeignKeyField(Photo, backref="publish_steps", on_delete="RESTRICT")
    step = pw.CharField()
    status = pw.CharField()  # started | done | failed
    started_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)
    error = pw.TextField(null=True)
    detail = JSONField(default=dict)
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")


class Refusal(BaseModel):
    """A source file refused at import (not an image, truncated, bomb, pipe…) with its specific reason."""

    set = pw.ForeignKeyField(PhotoSet, backref="refusals", on_delete="RESTRICT")
    path = FsTextField()
    reason = pw.TextField()
    run = pw.ForeignKeyField(Run, null=True, on_delete="SET NULL")
    at = pw.DateTimeField(default=utcnow)


class TaxonomyEntry(BaseModel):
    """Controlled vocabulary: known folders and locations, and the subject autofix list (misspelling → fix)."""

    kind = pw.CharField()  # folder | location | subject_fix
    key = pw.CharField()
    value = pw.CharField(default="")  # display name, or the fix for subject_fix
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("kind", "key"), True),)


class Fingerprint(BaseModel):
    """A photo's perceptual hash and its series (bursts, brackets, re-framings of one scene within its set).

    ``near_file_name`` is a published photo (of this app or the website) whose hash is within the near-duplicate
    threshold: flagged for the operator before review, never blocking. Kept after publish: the website's index.
    """

    photo = pw.ForeignKeyField(Photo, unique=True, backref="fingerprints", on_delete="CASCADE")
    phash = pw.BigIntegerField()  # 64-bit DCT hash, signed (SQLite integer)
    series_key = pw.CharField(null=True, index=True)  # "S<set>-<first photo id>"; NULL = not part of a series
    series_pos = pw.IntegerField(null=True)  # 1-based, in capture order
    series_count = pw.IntegerField(null=True)
    near_file_name = pw.CharField(null=True)
    near_distance = pw.IntegerField(null=True)
    computed_at = pw.DateTimeField(default=utcnow)


class CatalogFingerprint(BaseModel):
    """The hash of a website photo that predates amirtui (``amirtui catalog fingerprint``), keyed by File_Name."""

    file_name = pw.CharField(primary_key=True)
    phash = pw.BigIntegerField(null=True)  # NULL with ``error`` set when the web image could not be read
    error = pw.TextField(null=True)
    computed_at = pw.DateTimeField(default=utcnow)


class MetadataQuality(BaseModel):
    """The proof table: one line per caption attempt of a row (model, prompt version, hash of the raw output, parsed
    fields, gate verdict, verifier verdicts), and later the human outcome (decision, final text, edited or not).

    ``role`` is primary | fallback for a model request, ``none`` for an outcome reached without one (no host,
    captioning off, quarantined). ``session`` groups one captioning stage run (the QC report is built from it).
    Mirrored to MySQL's ``metadata_quality`` table when the catalog is MySQL (rows with ``mirrored_at`` older than
    ``updated_at``)."""

    photo = pw.ForeignKeyField(Photo, backref="quality_records", on_delete="RESTRICT")
    attempt = pw.IntegerField()  # 1, 2, … per photo, across runs and Generate
    session = pw.CharField(index=True)
    run_id = pw.IntegerField(null=True)
    source = pw.CharField(default="caption")  # caption | generate
    model = pw.CharField(null=True)
    role = pw.CharField(default="primary")
    prompt_version = pw.CharField(null=True)
    raw_sha256 = pw.CharField(null=True)
    error = pw.TextField(null=True)  # the request's failure ("kind: detail"), NULL when the model answered
    caption = pw.TextField(null=True)
    alt_text = pw.TextField(null=True)
    keywords = JSONField(null=True)
    gate_status = pw.CharField(null=True)  # pass | needs_work (NULL: no text to judge)
    gate_reasons = JSONField(default=list)  # [[code, detail], …] of the gate
    verify_status = pw.CharField(null=True)  # supported | unsupported | not_verified | NULL (not asked)
    verification = JSONField(null=True)  # model, claims, verdicts, error, seconds
    seconds = pw.FloatField(null=True)
    chosen = pw.BooleanField(default=False)  # this attempt's text became the row's AI text
    outcome_state = pw.CharField(null=True)  # the row's state after the stage (on the chosen / last record)
    reasons = JSONField(default=list)  # every reason the row got (gate + unsupported_claim / not_verified)
    created_at = pw.DateTimeField(default=utcnow)
    human_decision = pw.CharField(null=True)  # approved | rejected | NULL (pending)
    human_at = pw.DateTimeField(null=True)
    final_caption = pw.TextField(null=True)
    final_alt_text = pw.TextField(null=True)
    final_keywords = JSONField(null=True)
    human_edited = pw.BooleanField(null=True)  # the final text differs from this attempt's text
    updated_at = pw.DateTimeField(default=utcnow, index=True)
    mirrored_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("photo", "attempt"), True),)


ALL_MODELS: list[type[BaseModel]] = [Meta, Run, PhotoSet, Photo, StateChange, Reservation, PublishStep, Refusal,
                                     TaxonomyEntry, MetadataQuality, Fingerprint, CatalogFingerprint]
