"""Import sets: validate every set before any write, detect images by content, refuse bad files with a specific
reason, skip files already queued or published (same sha256), and create queue rows in state ``imported``.

Every file under a set's sources ends as a queue row or a ``refusal`` row with its reason (hidden files and folders,
unreadable or symlinked folders and duplicates included), also when nothing in the set is importable. Names are
kept exactly as the filesystem gives them (see :class:`~amirtui.core.db.models.FsTextField`) and shown escaped.

The staging copy, EXIF and filename reservation happen afterwards in the pipeline stages
(:mod:`amirtui.core.ingest_stages`), so an import of 1,000 photos returns in seconds and the work overlaps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from . import filetypes, naming, taxonomy
from .db import repo
from .fsnames import display_name, display_path, storable_text
from .db.models import Photo, PhotoSet, Refusal, StateChange, TaxonomyEntry, database
from .events import EventBus, FileAccepted, FileRefused, LogLine
from .duplicates import find_duplicates
from .states import State

log = logging.getLogger("amirtui.ingest")


@dataclass
class SetSpec:
    """What the operator selected: source folders/files and the naming fields."""

    sources: list[Path]
    subject: str
    location: str
    folder: str
    confirm_new: bool = False
    """Accept a Folder / Location not yet in the taxonomy (it is then added and logged)."""


@dataclass
class SetResult:
    """What happened to one set."""

    spec: SetSpec
    set_id: int | None = None
    accepted: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    formats: dict[Path, str] = field(default_factory=dict)
    """Content format (JPEG, PNG, TIFF, WEBP, HEIF) of each accepted file."""
    refusals_recorded: bool = False
    """True once the refused files and duplicates are rows in ``refusal`` (also when the set imported nothing)."""

    def summary(self) -> str:
        """One line per set for the log and the TUI."""
        return (
            f"set '{self.spec.subject} / {self.spec.location} / {self.spec.folder}': {len(self.accepted)} queued, "
            f"{len(self.refused)} refused, {len(self.duplicates)} already known"
        )

    def accounted(self) -> int:
        """Files this set's import decided about: queued + refused + already known (every file ends in one)."""
        return len(self.accepted) + len(self.refused) + len(self.duplicates)


@dataclass
class ImportReport:
    """Result of :func:`import_sets`: per-set results; ``ok`` is False when validation stopped the import."""

    sets: list[SetResult]
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return not any(s.problems for s in self.sets)

    @property
    def accepted(self) -> int:
        return sum(len(s.accepted) for s in self.sets)


def known_taxonomy(kind: str) -> set[str]:
    """Case-folded keys of known folders or locations."""
    return {t.key.casefold() for t in TaxonomyEntry.select(TaxonomyEntry.key).where(TaxonomyEntry.kind == kind)}


NO_IMPORTABLE = "no importable image in this set"


def validate_set(spec: SetSpec, settings) -> tuple[list[str], list[Path], list[tuple[Path, str]]]:
    """Check one set without writing anything: problems, accepted image paths, refused (path, reason).

    Every file under the set's sources ends in ``accepted`` or ``refused`` (hidden files, unreadable folders and
    symlinked folders included), so nothing is skipped silently."""
    problems, accepted, refused, _formats = _validate_set(spec, settings)
    return problems, accepted, refused


def _validate_set(spec: SetSpec, settings) -> tuple[list[str], list[Path], list[tuple[Path, str]], dict[Path, str]]:
    problems = list(naming.validate_set_fields(spec.subject, spec.location, spec.folder, settings.naming))
    for src in spec.sources:
        if not Path(src).exists():
            problems.append(f"source {display_path(src)} does not exist")
    for kind, value in (("folder", spec.folder), ("location", spec.location)):
        if not value.strip() or value.strip().casefold() in known_taxonomy(kind):
            continue
        close = taxonomy.similar(kind, value, settings.ingest.similar_name_threshold)
        if close and not spec.confirm_new:
            # A near miss of a known entry ("Brids" for "Birds") is asked about before a new entry is created,
            # whatever confirm_new_taxonomy says: a typo would otherwise start a new series of filenames.
            problems.append(f"new {kind} '{value.strip()}' is not in the taxonomy — did you mean "
                            + " or ".join(f"'{k}'" for k, _ in close[:3])
                            + "? Use the known one, or confirm the new one to add it")
        elif not spec.confirm_new and settings.ingest.confirm_new_taxonomy:
            problems.append(f"new {kind} '{value.strip()}' is not in the taxonomy yet: confirm it to add it")
    accepted: list[Path] = []
    refused: list[tuple[Path, str]] = []
    formats: dict[Path, str] = {}
    if not problems:
        for path in filetypes.iter_candidates([Path(s) for s in spec.sources], refused=refused):
            root = next((Path(s) for s in spec.sources if _is_within(path, Path(s))), path.parent)
            inspection = filetypes.inspect_file(
                path, set_root=root if root.is_dir() else root.parent, max_pixels=settings.ingest.max_image_pixels
            )
            if inspection.ok:
                accepted.append(path)
                formats[path] = inspection.format or ""
            else:
                refused.append((path, inspection.reason))
        if not accepted:
            problems.append(NO_IMPORTABLE + (f" ({len(refused)} file(s) refused)" if refused else ""))
    return problems, accepted, refused, formats


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.absolute().relative_to(root.absolute())
        return True
    except ValueError:
        return path.absolute() == root.absolute()


def _spread(sets: list[list[Path]], n: int) -> list[list[Path]]:
    """Pick ``n`` files spread across the sets (round-robin, evenly spaced inside each set)."""
    chosen: list[list[Path]] = [[] for _ in sets]
    quota = [0] * len(sets)
    remaining = n
    while remaining > 0 and any(quota[i] < len(s) for i, s in enumerate(sets)):
        for i, s in enumerate(sets):
            if remaining and quota[i] < len(s):
                quota[i] += 1
                remaining -= 1
    for i, s in enumerate(sets):
        if quota[i]:
            step = len(s) / quota[i]
            chosen[i] = [s[int(k * step)] for k in range(quota[i])]
    return chosen


def import_sets(specs: list[SetSpec], settings, bus: EventBus, *, smoke: int | None = None) -> ImportReport:
    """Validate all sets, then create their rows. Nothing is written when any set has a problem."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.ingest.max_image_pixels  # one decompression-bomb limit everywhere
    from .taxonomy import autofix_subject

    results = [SetResult(spec=s) for s in specs]
    for res in results:
        fixed = autofix_subject(res.spec.subject)
        if fixed != res.spec.subject:  # the taxonomy's misspelling list (e.g. "Kestral" → "Kestrel")
            bus.info(f"subject '{res.spec.subject}' corrected to '{fixed}' (taxonomy autofix)", source="import")
            res.spec.subject = fixed
        res.problems, res.accepted, res.refused, res.formats = _validate_set(res.spec, settings)
    report = ImportReport(sets=results)
    if not report.ok:
        for res in results:
            for p in res.problems:
                bus.error(f"{res.spec.subject}: {display_name(p)}", source="import")
        _record_refusals_of_empty_sets(report, bus)
        return report
    if smoke:
        for res, picked in zip(results, _spread([r.accepted for r in results], smoke)):
            res.accepted = picked
    all_paths = [p for r in results for p in r.accepted]
    duplicates, digests = find_duplicates(all_paths)
    run = repo.start_run("import", detail=f"{len(specs)} set(s), {len(all_paths)} file(s)")
    report.run_id = run.id
    for res in results:
        rows = []
        for path in list(res.accepted):
            known = duplicates.get(path)
            if known:
                res.accepted.remove(path)
                res.duplicates.append((path, known))
                bus.emit(LogLine(message=f"skipped {display_path(path)}: {known}", source="import",
                                 level=logging.WARNING))
                continue
            try:
                st = path.stat()
            except OSError as exc:  # vanished (or became unreadable) between validation and now
                res.accepted.remove(path)
                res.refused.append((path, f"the file disappeared during the import ({exc.strerror}): import again"))
                continue
            rows.append((path, digests.get(path), st.st_size, st.st_mtime))
        _write_set(res, rows, run.id, bus)
        bus.info(res.summary(), source="import")
    repo.finish_run(run.id, "ok", detail="; ".join(r.summary() for r in results))
    return report


def _record_refusals_of_empty_sets(report: ImportReport, bus: EventBus) -> None:
    """An import stopped because a set has no importable file still records why each of its files was refused:
    a set row holding no photos, its ``refusal`` rows, and an import run ending ``failed``."""
    empty = [r for r in report.sets if r.refused and any(p.startswith(NO_IMPORTABLE) for p in r.problems)]
    if not empty:
        return
    run = repo.start_run("import", detail=f"{len(report.sets)} set(s), nothing importable")
    report.run_id = run.id
    for res in empty:
        with database.atomic("IMMEDIATE"):
            pset = _create_set(res.spec, run.id)
            res.set_id = pset.id
            _create_refusals(res, pset, run.id)
        _emit_refusals(res, bus)
    repo.finish_run(run.id, "failed", detail="; ".join(f"{r.summary()} — {'; '.join(r.problems)}" for r in empty))


def _create_set(spec: SetSpec, run_id: int) -> PhotoSet:
    return PhotoSet.create(
        subject=spec.subject.strip(), location=spec.location.strip(), folder=spec.folder.strip(),
        sources=[str(Path(s).absolute()) for s in spec.sources], run=run_id,
    )


def _create_refusals(res: SetResult, pset: PhotoSet, run_id: int) -> None:
    for path, reason in res.refused:
        Refusal.create(set=pset, path=str(path), reason=storable_text(reason), run=run_id)
    for path, known in res.duplicates:
        Refusal.create(set=pset, path=str(path), reason=storable_text(f"a duplicate: {known}"), run=run_id)
    res.refusals_recorded = True


def _emit_refusals(res: SetResult, bus: EventBus) -> None:
    for path, reason in res.refused:
        bus.emit(FileRefused(path=str(path), reason=reason, set_id=res.set_id or 0, level=logging.WARNING))


def _write_set(res: SetResult, rows: list[tuple[Path, str | None, int, float]], run_id: int, bus: EventBus) -> None:
    spec = res.spec
    accepted: list[FileAccepted] = []
    with database.atomic("IMMEDIATE"):
        for kind, value in (("folder", spec.folder.strip()), ("location", spec.location.strip())):
            if value.casefold() not in known_taxonomy(kind):
                TaxonomyEntry.create(kind=kind, key=value, value=value)
                log.info("taxonomy: new %s '%s' added (confirmed at import)", kind, value)
        pset = _create_set(spec, run_id)
        res.set_id = pset.id
        for seq, (path, digest, size, mtime) in enumerate(rows):
            photo = Photo.create(
                set=pset, run=run_id, seq=seq, state=State.IMPORTED.value, original_path=str(path.absolute()),
                original_name=path.name, original_size=size, original_mtime=mtime, content_hash=digest,
                image_format=res.formats.get(path) or None,
            )
            StateChange.create(photo=photo, from_state="", to_state=State.IMPORTED.value, reason="imported", run=run_id)
            accepted.append(FileAccepted(path=str(path), photo_id=photo.id, set_id=pset.id))
        _create_refusals(res, pset, run_id)
    for event in accepted:  # emitted after the commit: listeners may read the rows
        bus.emit(event)
    _emit_refusals(res, bus)
