"""The file side of recovery: compare what the DB says against the disk, and repair it.

Only files amirtui made are ever removed (staged copies under the incoming dir, model images, render folders, temp
``.part`` files). Originals are never opened for writing and never deleted: every removal is checked to lie inside
amirtui's own data folders and not to be a row's original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .db import repo
from .db.models import Photo, Reservation, utcnow
from .errors import IllegalTransition
from .events import EventBus
from .staging import CopyMismatch, copy_verified, hash_file
from .states import State
from .workfiles import remove_path

#: Rows in these states need their staged copy; a lost one sends the row back to ``imported`` (re-staged).
PIPELINE_NEEDS_COPY = (State.STAGED, State.EXIF_READ, State.QUEUED, State.MODEL_READY, State.SCORED)
#: Rows a reviewer has worked on: a lost staged copy is re-made in place, so the review work is kept.
REVIEWED_NEEDS_COPY = (State.PREFILLED, State.NEEDS_WORK, State.QUARANTINED, State.APPROVED, State.PUBLISH_FAILED,
                       State.PUBLISHING)
#: Rows whose model image is no longer needed (the staged copy: see :mod:`amirtui.core.workfiles`).
FINISHED = (State.PUBLISHED, State.REJECTED, State.ROLLED_BACK, State.UNPUBLISHED)
#: The publish render folder is still needed in these states.
PUBLISH_WORK = (State.APPROVED, State.PUBLISHING, State.PUBLISH_FAILED, State.MODIFIED, State.REPUBLISHING)

_STAGED_NAME = re.compile(r"^(\d{6,})_")
REMOTE_TMP_SUFFIX = ".amirtui-part"  # same as publish.targets.TMP_SUFFIX (not imported: keeps publish optional)


@dataclass
class FileProblem:
    """One row whose files do not match the DB."""

    photo_id: int
    state: str
    kind: str  # staged_missing | staged_corrupt | source_missing | source_back | model_image_lost
    path: str
    original_ok: bool
    detail: str = ""

    def text(self) -> str:
        orig = "original intact" if self.original_ok else "original missing or changed"
        return f"photo {self.photo_id} ({self.state}): {self.kind.replace('_', ' ')} {self.path} — {orig}" + (
            f"; {self.detail}" if self.detail else "")


@dataclass
class DanglingReservation:
    """An active filename reservation no live or published row holds."""

    reservation_id: int
    name: str
    photo_id: int | None
    why: str


@dataclass
class FileFindings:
    """Everything the file scan found."""

    problems: list[FileProblem] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)  # model images / renders of finished rows: tidy, not a crash
    dangling_reservations: list[DanglingReservation] = field(default_factory=list)
    scanned_live: bool = False  # a live run was in progress: orphans were not looked for

    @property
    def any_problem(self) -> bool:
        """Something to repair (the TUI's crash screen shows when this is True)."""
        return bool(self.problems or self.orphans or self.dangling_reservations)

    def counts(self) -> dict[str, int]:
        """Counts per kind of finding."""
        out: dict[str, int] = {"orphan_files": len(self.orphans), "leftover_files": len(self.leftovers),
                               "dangling_reservations": len(self.dangling_reservations)}
        for p in self.problems:
            out[p.kind] = out.get(p.kind, 0) + 1
        return out

    def lines(self) -> list[str]:
        """Report lines (details capped so a big crash stays readable)."""
        out = [p.text() for p in self.problems[:50]]
        if len(self.problems) > 50:
            out.append(f"… and {len(self.problems) - 50} more row(s) with file problems")
        if self.orphans:
            out.append(f"{len(self.orphans)} temp file(s) without a row, e.g. {', '.join(str(p) for p in self.orphans[:3])}")
        if self.leftovers:
            out.append(f"{len(self.leftovers)} working file(s) of finished rows to tidy (removed by --resume):")
            out += [f"  {p}" for p in self.leftovers[:20]]
            if len(self.leftovers) > 20:
                out.append(f"  … and {len(self.leftovers) - 20} more")
        for d in self.dangling_reservations[:20]:
            out.append(f"reservation '{d.name}' held by {f'photo {d.photo_id}' if d.photo_id else 'no row'}: {d.why}")
        if self.scanned_live:
            out.append("a live run is in progress: temp files were not checked")
        return out


# ---------------------------------------------------------------- scanning


def _original_ok(photo: Photo) -> bool:
    """The original is where the DB recorded it, with its recorded size (the hash is verified when re-staging)."""
    p = Path(photo.original_path)
    try:
        return p.is_file() and (photo.original_size is None or p.stat().st_size == photo.original_size)
    except OSError:
        return False


def staging_dest(photo: Photo, settings) -> Path:
    """Where the staging stage puts this row's copy (the one rule is :func:`amirtui.core.staging.staging_dest`)."""
    from .staging import staging_dest as dest

    return dest(photo, settings)


def _check_row(photo: Photo, settings, deep: bool) -> FileProblem | None:
    state = State(photo.state)
    if state == State.IMPORTED:
        if not _original_ok(photo) and not staging_dest(photo, settings).is_file():
            return FileProblem(photo.id, state, "source_missing", photo.original_path, False,
                               "nothing to stage from")
        return None
    if state == State.SOURCE_MISSING:
        if _original_ok(photo):
            return FileProblem(photo.id, state, "source_back", photo.original_path, True, "it can be staged again")
        return None
    if state not in PIPELINE_NEEDS_COPY + REVIEWED_NEEDS_COPY:
        return None
    staged = Path(photo.staged_path) if photo.staged_path else None
    if staged is None or not staged.is_file():
        return FileProblem(photo.id, state, "staged_missing", str(staged or "(none recorded)"), _original_ok(photo))
    size = staged.stat().st_size
    if photo.original_size is not None and size != photo.original_size:
        return FileProblem(photo.id, state, "staged_corrupt", str(staged), _original_ok(photo),
                           f"{size} bytes, the original had {photo.original_size}")
    if deep and photo.content_hash and hash_file(staged)[0] != photo.content_hash:
        return FileProblem(photo.id, state, "staged_corrupt", str(staged), _original_ok(photo), "sha256 differs")
    if state == State.MODEL_READY and not (photo.model_image_path and Path(photo.model_image_path).is_file()):
        return FileProblem(photo.id, state, "model_image_lost", str(photo.model_image_path), True,
                           "it is written again from the staged copy")
    return None


def _orphans(settings) -> tuple[list[Path], list[Path]]:
    """(crash leftovers without a live row, working files of finished rows)."""
    rows = {p.id: p for p in Photo.select(Photo.id, Photo.state, Photo.model_image_path)}
    out: list[Path] = []
    tidy: list[Path] = []
    tmp = settings.ollama_tmp_dir
    if tmp.is_dir():
        wanted = {str(Path(p.model_image_path)) for p in rows.values()
                  if p.model_image_path and State(p.state) not in FINISHED}
        finished = {str(Path(p.model_image_path)) for p in rows.values()
                    if p.model_image_path and State(p.state) in FINISHED}
        for f in sorted(tmp.rglob("*")):
            if f.is_file() and str(f) not in wanted:
                (tidy if str(f) in finished else out).append(f)
    inc = settings.incoming_dir
    if inc.is_dir():
        for f in sorted(inc.rglob("*")):
            if not f.is_file():
                continue
            m = _STAGED_NAME.match(f.name)
            if f.name.endswith(".part"):
                out.append(f)
            elif m and (int(m.group(1)) not in rows or State(rows[int(m.group(1))].state) == State.ROLLED_BACK):
                out.append(f)
    work = settings.data_dir / "publish_tmp"
    if work.is_dir():
        for d in sorted(work.iterdir()):
            row = rows.get(int(d.name)) if d.name.isdigit() else None
            if row is None:
                out.append(d)
            elif State(row.state) not in PUBLISH_WORK:
                tidy.append(d)
    # staged copies of finished rows (a kill between the `published` commit and its cleanup leaves them): the same
    # rule the publisher's cleanup applies, so --resume finishes exactly what the cleanup would have done
    from .workfiles import DONE_STATES, staged_copy_removable

    done = Photo.select().where(Photo.state.in_([s.value for s in DONE_STATES]) & Photo.staged_path.is_null(False))
    seen = {str(p) for p in out + tidy}
    for p in done:
        if staged_copy_removable(p, settings) and p.staged_path not in seen:
            tidy.append(Path(p.staged_path))
    if settings.publish.target == "local" and settings.site_dir.is_dir():
        out += sorted(settings.site_dir.rglob(f"*{REMOTE_TMP_SUFFIX}"))  # an upload cut before its rename
    return out, tidy


def dangling_reservations() -> list[DanglingReservation]:
    """Active reservations that no live or published row holds."""
    out = []
    active = list(Reservation.select().where(Reservation.released_at.is_null()))
    ids = {r.photo_id for r in active if r.photo_id}
    photos = {p.id: p for p in Photo.select(Photo.id, Photo.state, Photo.file_name).where(Photo.id.in_(ids))} if ids else {}
    for res in active:
        photo = photos.get(res.photo_id)
        if photo is None:
            out.append(DanglingReservation(res.id, res.name, None, "no photo row holds it"))
        elif State(photo.state) in (State.REJECTED, State.ROLLED_BACK):
            out.append(DanglingReservation(res.id, res.name, photo.id, f"its photo is {photo.state}"))
        elif State(photo.state) != State.PUBLISHED and (photo.file_name or "").casefold() != res.name_key:
            out.append(DanglingReservation(res.id, res.name, photo.id, f"its photo is now named {photo.file_name}"))
    return out


def scan_files(settings, *, hash_ids: set[int], live: bool) -> FileFindings:
    """Check every unfinished row's files (sha256 for ``hash_ids``), orphan temp files (not while ``live``) and
    reservations."""
    findings = FileFindings(scanned_live=live)
    for photo in Photo.select().where(Photo.state.not_in([s.value for s in FINISHED])).order_by(Photo.id):
        problem = _check_row(photo, settings, deep=photo.id in hash_ids)
        if problem is not None:
            findings.problems.append(problem)
    if not live:
        findings.orphans, findings.leftovers = _orphans(settings)
    findings.dangling_reservations = dangling_reservations()
    return findings


# ---------------------------------------------------------------- repairs


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def _safe_to_remove(path: Path, settings) -> bool:
    """Only amirtui's own working files: under data/, incoming or the local site (temp uploads), never an original."""
    roots = [settings.data_dir, settings.incoming_dir, settings.ollama_tmp_dir, settings.site_dir]
    if not any(_inside(path, r) for r in roots):
        return False
    hit = Photo.select(Photo.id).where(Photo.original_path == str(path)).exists()
    return not hit


def remove_paths(paths: list[Path], settings=None, *, what: str = "orphan") -> list[str]:
    """Remove temp files / render folders; returns one action line per removal."""
    actions = []
    for p in paths:
        if settings is not None and not _safe_to_remove(p, settings):
            continue
        why = remove_path(p)
        actions.append(f"removed {what} {p}" if why is None else f"could not remove {p}: {why}")
    return actions


def _move(pid: int, state: State, to: State, reason: str, *, run_id: int, bus: EventBus | None, actor: str,
          **fields) -> str:
    try:
        repo.transition(pid, to, reason=reason, actor=actor, run_id=run_id, bus=bus, expect=[state], **fields)
    except IllegalTransition as exc:
        return f"photo {pid}: left {state} ({exc.detail})"
    return f"photo {pid}: {state} → {to} ({reason})"


def repair_rows(findings: FileFindings, settings, *, run_id: int, bus: EventBus | None, actor: str) -> list[str]:
    """Apply the file repairs of :func:`amirtui.core.recovery.resume`; returns action lines."""
    actions = []
    for prob in findings.problems:
        photo = Photo.get_by_id(prob.photo_id)
        state = State(photo.state)
        if state != State(prob.state):
            continue  # moved since the scan
        kw = dict(run_id=run_id, bus=bus, actor=actor)
        if prob.kind == "source_back":
            actions.append(_move(photo.id, state, State.IMPORTED, "original is back: stage it again",
                                 staged_path=None, attempts=0, last_error=None, error_stage=None, **kw))
        elif prob.kind == "model_image_lost":
            actions.append(_move(photo.id, state, State.QUEUED, "model image lost: write it again",
                                 model_image_path=None, **kw))
        elif prob.kind == "source_missing":
            actions.append(_move(photo.id, state, State.SOURCE_MISSING, f"original {photo.original_path} is missing",
                                 last_error=f"original {photo.original_path} no longer exists and no staged copy was "
                                            "made; reconnect the drive and run `amirtui recover --resume`", **kw))
        elif prob.original_ok and state in PIPELINE_NEEDS_COPY:
            if prob.kind == "staged_corrupt":
                actions += remove_paths([Path(prob.path)], settings)
            actions.append(_move(photo.id, state, State.IMPORTED, f"{prob.kind.replace('_', ' ')}: stage it again",
                                 staged_path=None, attempts=0, **kw))
        elif prob.original_ok:  # reviewed rows: re-make the copy in place, keep the review work
            dest = Path(photo.staged_path) if photo.staged_path else staging_dest(photo, settings)
            try:
                copy_verified(Path(photo.original_path), dest, expected_hash=photo.content_hash)
            except (OSError, CopyMismatch) as exc:
                actions.append(f"photo {photo.id}: could not re-stage from {photo.original_path}: {exc}")
                continue
            repo.update_fields(photo.id, staged_path=str(dest))
            actions.append(f"photo {photo.id}: staged copy re-made from the original ({state} kept)")
        elif state == State.PUBLISHING:
            actions.append(f"photo {photo.id}: staged copy and original both missing; left publishing for the "
                           "publisher to report")
        else:
            actions.append(_move(photo.id, state, State.SOURCE_MISSING,
                                 f"{prob.kind.replace('_', ' ')} and the original is missing or changed",
                                 last_error=f"neither the staged copy {prob.path} nor the original "
                                            f"{photo.original_path} is usable; reconnect the drive holding the "
                                            "original and run `amirtui recover --resume`", **kw))
    return actions


def release_dangling_reservations(items: list[DanglingReservation]) -> list[str]:
    """Release reservations that no live or published row holds (kept as history with the reason)."""
    actions = []
    for d in items:
        n = (Reservation.update(released_at=utcnow(), release_reason=f"recovery: {d.why}")
             .where((Reservation.id == d.reservation_id) & Reservation.released_at.is_null()).execute())
        if n:
            actions.append(f"released filename '{d.name}' ({d.why})")
    return actions


def rollback_files(photo: Photo, settings) -> list[str]:
    """Remove a rolled-back row's own working files: model image, staged copy, render folder. Never the original."""
    from .imaging import model_image_name

    actions = []
    candidates: list[Path] = []
    if photo.model_image_path and Path(photo.model_image_path).name == model_image_name(photo.id):
        candidates.append(Path(photo.model_image_path))
    staged = Path(photo.staged_path) if photo.staged_path else staging_dest(photo, settings)
    if _inside(staged, settings.incoming_dir) and str(staged) != photo.original_path:
        candidates.append(staged)
    candidates.append(settings.data_dir / "publish_tmp" / str(photo.id))
    for c in candidates:
        if c.exists() and _safe_to_remove(c, settings):
            actions += [a.replace("orphan ", "") for a in remove_paths([c], settings)]
    if photo.model_image_path:
        repo.update_fields(photo.id, model_image_path=None)
    return actions
