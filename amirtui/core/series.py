"""Series and near-duplicates: which photos of a set belong together, and which look like a photo already online.

A **series** is a group of photos of one set whose perceptual hashes are within ``series.series_distance`` bits and
whose capture times are within ``series.series_max_gap_s`` seconds of a neighbour (bursts, brackets, the same scene
re-framed). Photos without a capture time join a neighbour only when they are next to it in file order. Series are
recomputed for a set whenever one of its photos gets a fingerprint, so review sees them as rows arrive.

A **near-duplicate of the website** is a new photo whose hash is within ``series.near_duplicate_distance`` bits of a
published one (published by amirtui, or fingerprinted from the website by ``amirtui catalog fingerprint``). It is
flagged with the existing ``File_Name`` before review — never blocked: the operator decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .db.models import CatalogFingerprint, Fingerprint, Photo, database, utcnow
from .fingerprint import HashIndex, hamming
from .states import State

if TYPE_CHECKING:  # pragma: no cover
    from ..config import SeriesConfig

#: Photo states whose files are on the website (their hashes are the near-duplicate index).
ONLINE_STATES: tuple[str, ...] = (State.PUBLISHED.value,)


@dataclass(frozen=True)
class SeriesInfo:
    """One photo's place in its series."""

    key: str
    position: int
    count: int
    photo_ids: tuple[int, ...]  # the whole series, in capture order


def capture_time(value: str | None) -> dt.datetime | None:
    """``YYYY:MM:DD HH:MM:SS`` from EXIF as a datetime, or None when absent or not a real time."""
    if not value:
        return None
    try:
        return dt.datetime.strptime(value.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def published_index() -> HashIndex:
    """The hashes of every photo on the website, keyed by File_Name (amirtui's published rows + the website's own)."""
    own = (
        Fingerprint.select(Photo.file_name, Fingerprint.phash)
        .join(Photo)
        .where(Photo.state.in_(ONLINE_STATES), Photo.file_name.is_null(False))
        .tuples()
    )
    website = CatalogFingerprint.select(CatalogFingerprint.file_name, CatalogFingerprint.phash).where(
        CatalogFingerprint.phash.is_null(False)
    ).tuples()
    seen: dict[str, tuple[str, int]] = {}
    for name, value in list(website) + list(own):  # amirtui's own hash wins for a name it published
        seen[name.casefold()] = (name, value)
    return HashIndex(seen.values())


def record(photo_id: int, value: int, cfg: "SeriesConfig", index: HashIndex | None = None) -> Fingerprint:
    """Store a photo's hash, flag a near-duplicate of the website, and regroup its set's series."""
    near_name, near_dist = None, None
    hits = index.nearest(value, cfg.near_duplicate_distance) if index is not None else []
    if hits:  # the nearest one is what review shows side by side
        near_name, near_dist = hits[0]
    with database.atomic("IMMEDIATE"):
        Fingerprint.insert(
            photo=photo_id, phash=value, near_file_name=near_name, near_distance=near_dist, computed_at=utcnow()
        ).on_conflict(
            conflict_target=[Fingerprint.photo],
            update={Fingerprint.phash: value, Fingerprint.near_file_name: near_name,
                    Fingerprint.near_distance: near_dist, Fingerprint.computed_at: utcnow()},
        ).execute()
    set_id = Photo.select(Photo.set).where(Photo.id == photo_id).scalar()
    regroup(set_id, cfg)
    return Fingerprint.get(Fingerprint.photo == photo_id)


def group(members: Iterable[tuple[int, int, int, dt.datetime | None]], distance: int, max_gap_s: float) -> list[list[int]]:
    """Photo ids grouped into series. ``members``: (photo id, seq, hash, capture time). Groups of one are left out.

    Sorted by capture time (unknown times keep file order), each photo is compared with those after it within the
    time gap — a sliding window, so a set of thousands costs milliseconds.
    """
    rows = sorted(members, key=lambda r: (r[3] is None, r[3] or dt.datetime.min, r[1], r[0]))
    parent = {r[0]: r[0] for r in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    timed = [r for r in rows if r[3] is not None]
    for i, (pid, _, h, t) in enumerate(timed):
        for qid, _, h2, t2 in timed[i + 1:]:
            if (t2 - t).total_seconds() > max_gap_s:
                break
            if hamming(h, h2) <= distance:
                parent[find(qid)] = find(pid)
    # Photos without a time: only their file-order neighbours can be their series (a burst copied without EXIF).
    by_seq = sorted(rows, key=lambda r: (r[1], r[0]))
    for a, b in zip(by_seq, by_seq[1:]):
        if (a[3] is None or b[3] is None) and hamming(a[2], b[2]) <= distance:
            parent[find(b[0])] = find(a[0])
    groups: dict[int, list[int]] = {}
    for pid, *_ in rows:  # rows are in capture order, so each group is too
        groups.setdefault(find(pid), []).append(pid)
    return [g for g in groups.values() if len(g) > 1]


def regroup(set_id: int, cfg: "SeriesConfig") -> int:
    """Recompute the series of one set from its fingerprints; returns how many series it has.

    Read, group and write happen in one write transaction: model-image workers record the frames of one burst in
    parallel, and a regroup that wrote what it had read before another frame's regroup committed put back a stale
    count (a 3-frame series left as 2 + 1; seen in a CI run)."""
    with database.atomic("IMMEDIATE"):
        rows = list(
            Fingerprint.select(Photo.id, Photo.seq, Fingerprint.phash, Photo.datetime_original, Fingerprint.series_key,
                               Fingerprint.series_pos, Fingerprint.series_count)
            .join(Photo).where(Photo.set == set_id).tuples()
        )
        members = [(pid, seq, h, capture_time(when)) for pid, seq, h, when, *_ in rows]
        groups = group(members, cfg.series_distance, cfg.series_max_gap_s)
        placed: dict[int, tuple[str, int, int]] = {}
        for g in groups:
            key = f"S{set_id}-{min(g)}"
            for pos, pid in enumerate(g, start=1):
                placed[pid] = (key, pos, len(g))
        for pid, *_rest, key, pos, count in rows:
            want = placed.get(pid, (None, None, None))
            if want != (key, pos, count):
                Fingerprint.update(series_key=want[0], series_pos=want[1], series_count=want[2]).where(
                    Fingerprint.photo == pid).execute()
    return len(groups)


def series_of(photo_id: int) -> SeriesInfo | None:
    """The series a photo belongs to, or None."""
    fp = Fingerprint.get_or_none(Fingerprint.photo == photo_id)
    if fp is None or not fp.series_key:
        return None
    ids = tuple(
        pid for (pid,) in Fingerprint.select(Fingerprint.photo)
        .where(Fingerprint.series_key == fp.series_key).order_by(Fingerprint.series_pos).tuples()
    )
    return SeriesInfo(fp.series_key, fp.series_pos, fp.series_count, ids)


def near_duplicate(photo_id: int) -> tuple[str, int] | None:
    """(File_Name, bits apart) of the published photo this one looks like, or None."""
    fp = Fingerprint.get_or_none(Fingerprint.photo == photo_id)
    if fp is None or fp.near_file_name is None:
        return None
    return fp.near_file_name, fp.near_distance
