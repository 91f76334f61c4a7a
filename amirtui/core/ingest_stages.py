"""Pipeline stages 1–3: stage the original (verified copy), read EXIF, reserve the final filename and queue the row."""

from __future__ import annotations

import errno
import threading
from datetime import date
from pathlib import Path

from . import exif, naming
from .db import repo
from .db.models import Photo, Reservation, database
from .stage import Stage, StageContext
from .fsnames import display_name, display_path
from .staging import CopyMismatch, copy_verified, hash_file, is_transient, staging_dest
from .states import State


class StagingStage(Stage):
    """imported → staged: copy into ``data/incoming/<set id>/`` and verify size + sha256 against the import hash.

    A failure that retrying cannot change (the original changed since import, permission denied, an error the name
    itself causes) parks the row in ``failed`` with its reason at once; one that may pass (disk full, I/O error, a
    network share gone) leaves it ``imported`` for the next run, and after ``max_failures`` such runs it is parked
    too: no row stays in an input state that every run retries forever.
    """

    name = "stage"
    input_state = State.IMPORTED
    max_failures = 3

    def setup(self, ctx: StageContext) -> None:
        self.concurrency = ctx.settings.ingest.workers

    def process(self, photo_id: int, ctx: StageContext) -> None:
        photo = Photo.get_by_id(photo_id)
        src = Path(photo.original_path)
        shown = display_path(src)
        dest = staging_dest(photo, ctx.settings)
        if not src.is_file():
            if dest.is_file():  # the copy survived an earlier crash: verify it instead of the missing original
                digest, _ = hash_file(dest)
                if photo.content_hash is not None and digest == photo.content_hash:
                    repo.transition(photo_id, State.STAGED, reason="original gone; verified staged copy kept",
                                    run_id=ctx.run_id, bus=ctx.bus, staged_path=str(dest))
                    return
            repo.transition(photo_id, State.SOURCE_MISSING, reason=f"original {shown} is missing", run_id=ctx.run_id,
                            bus=ctx.bus,
                            last_error=f"original {shown} no longer exists; reconnect the drive and recover")
            return
        try:
            if photo.content_hash is None:  # not hashed at import (no same-size file known): size + mtime must hold
                st = src.stat()
                if st.st_size != photo.original_size or (
                        photo.original_mtime is not None and abs(st.st_mtime - photo.original_mtime) > 0.001):
                    raise CopyMismatch(f"{shown} changed since it was imported (size or time differs); "
                                       "import the set again")
            digest, _ = copy_verified(src, dest, expected_hash=photo.content_hash)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                msg = f"disk full while staging {shown}: free space in {dest.parent} and resume (nothing was lost)"
            else:
                msg = f"cannot stage {shown}: {exc.strerror or exc}"
            self._failed(photo_id, msg, ctx, permanent=not is_transient(exc))
            return
        except CopyMismatch as exc:
            self._failed(photo_id, display_name(str(exc)), ctx, permanent=exc.permanent)
            return
        repo.transition(photo_id, State.STAGED, reason="copied and verified", run_id=ctx.run_id, bus=ctx.bus,
                        staged_path=str(dest), content_hash=digest, attempts=0)

    def _failed(self, photo_id: int, msg: str, ctx: StageContext, *, permanent: bool) -> None:
        attempts = repo.record_failure(photo_id, self.name, msg)
        if permanent or attempts >= self.max_failures:
            why = msg if permanent else f"{msg} ({attempts} runs in a row)"
            repo.park_failed(photo_id, self.name, why, run_id=ctx.run_id, bus=ctx.bus)
            ctx.bus.error(f"id={photo_id} {why} — parked as failed", source=self.name)
        else:
            ctx.bus.error(f"id={photo_id} {msg} (left imported; the next run tries again)", source=self.name)


class ExifStage(Stage):
    """staged → exif_read: capture metadata from the staged copy, header only. Broken EXIF never stops a photo."""

    name = "exif"
    input_state = State.STAGED
    max_failures = 3

    def process(self, photo_id: int, ctx: StageContext) -> None:
        photo = Photo.get_by_id(photo_id)
        naming_cfg = ctx.settings.naming
        info = exif.read_exif(Path(photo.staged_path), default_camera=naming_cfg.default_camera,
                              transliterate=naming_cfg.transliterate)
        camera = info.camera  # made from the raw tags (an inner NUL separates words, as in the old generator)
        repo.transition(
            photo_id, State.EXIF_READ, reason="exif read" + (f" ({len(info.notes)} note(s))" if info.notes else ""),
            run_id=ctx.run_id, bus=ctx.bus,
            datetime_original=info.datetime_original, make=info.make, model=info.model, camera=camera, lens=info.lens,
            exposure=info.exposure, aperture=info.aperture, iso=info.iso, focal_length=info.focal_length,
            width=info.width, height=info.height, orientation=info.orientation, gps_lat=info.gps_lat,
            gps_lon=info.gps_lon, exif_notes=list(info.notes), time_trusted=info.time_trusted,
            year=naming.year_token(info.datetime_original, getattr(info, "datetime", None), date.today()),
        )


def existing_names(settings, secrets=None) -> list[str]:
    """Names the counter must continue after: the queue, active reservations and every name the website has (the
    local mirror and, when ``publish.mysql.enabled``, the MySQL catalog). Raises
    :class:`~amirtui.core.naming_catalog.CatalogUnreadable` when a catalog source cannot be read: naming from a
    partial list could hand out a name the website already has."""
    from .naming_catalog import catalog_names

    # Rolled-back and rejected rows released their names: those names may be given again.
    released = [State.ROLLED_BACK.value, State.REJECTED.value]
    names = [p.file_name for p in Photo.select(Photo.file_name).where(
        Photo.file_name.is_null(False) & Photo.state.not_in(released))]
    names += repo.reserved_names()
    names += catalog_names(settings, secrets)
    return names


class QueueStage(Stage):
    """exif_read → queued: reserve the deterministic filename in the same transaction that queues the row.

    Names are given in set order (a row waits until every earlier row of its set is named or out of the pipeline),
    so the same inputs in the same order always give the same names.
    """

    name = "queue"
    input_state = State.EXIF_READ

    def setup(self, ctx: StageContext) -> None:
        from .naming_catalog import CatalogUnreadable

        self._lock = threading.Lock()
        self._unreadable: CatalogUnreadable | None = None
        try:
            self._index = naming.NameIndex(existing_names(ctx.settings),
                                           transliterate=ctx.settings.naming.transliterate)
        except CatalogUnreadable as exc:  # no names without the catalog: every row waits, with the reason
            self._unreadable = exc
            ctx.bus.error(f"naming paused: {exc}", source=self.name)

    def order_ok(self, photo_id: int, ctx: StageContext) -> bool:
        set_id, seq = Photo.select(Photo.set, Photo.seq).where(Photo.id == photo_id).tuples().get()
        earlier = Photo.select().where(
            (Photo.set == set_id) & (Photo.seq < seq)
            & Photo.state.in_([State.IMPORTED.value, State.STAGED.value])
            & (Photo.attempts == 0)  # a row that failed staging must not hold back the rest of its set
        )
        return not earlier.exists()

    def process(self, photo_id: int, ctx: StageContext) -> None:
        if self._unreadable is not None:  # stays exif_read; the next run reads the catalog again
            repo.record_failure(photo_id, self.name, f"not named: {self._unreadable}")
            return
        with self._lock:  # one namer at a time: the index is the in-memory mirror of the reservations table
            photo = Photo.get_by_id(photo_id)
            pset = photo.set
            parts = naming.NameParts(subject=pset.subject, location=pset.location, folder=pset.folder,
                                     camera=photo.camera or ctx.settings.naming.default_camera,
                                     year=photo.year or str(date.today().year))
            notes: list[str] = []
            try:
                name = self._index.next_name(parts, ctx.settings.naming, notes)
            except naming.NameTooLong as exc:  # a per-row reason, never a traceback
                repo.record_failure(photo_id, self.name, f"{exc.detail} — {exc.fix}")
                ctx.bus.error(f"id={photo_id} {photo.original_name}: {exc.detail}", source=self.name)
                return
            for note in notes:
                ctx.bus.warning(f"id={photo_id} {photo.original_name}: {note}", source=self.name)
            with database.atomic("IMMEDIATE"):
                # A crash may have left this row's reservation behind: reuse it rather than take a second name.
                prior = Reservation.get_or_none((Reservation.photo == photo_id) & Reservation.released_at.is_null())
                if prior is not None:
                    name = prior.name
                else:
                    repo.reserve_name(name, photo_id)
                repo.transition(photo_id, State.QUEUED, reason=f"named {name}", run_id=ctx.run_id, file_name=name)
            self._index.add(name)
        ctx.bus.info(f"id={photo_id} {display_path(photo.original_name)} → {name}", source=self.name)


