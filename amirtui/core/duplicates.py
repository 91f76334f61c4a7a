"""Duplicate detection at import: the same bytes imported twice are reported (already queued / already published
with its name), not queued again.

Two files can only hold the same bytes when their sizes are equal, so only files whose size matches a live row (or
another file of the same import) are hashed at import. Every other file gets its sha256 while it is staged — the copy
is hashed anyway — so importing 1,000 new photos reads nothing twice and the pipeline starts at once.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .db.models import Photo
from .fsnames import display_path
from .staging import hash_file
from .states import State

# Rows that no longer hold their original: importing the same file again is how an operator retries a failed row.
_RELEASED = [State.ROLLED_BACK.value, State.REJECTED.value, State.FAILED.value]


def _describe(row: Photo) -> str:
    if row.state == State.PUBLISHED.value:
        return f"already published as {row.file_name}"
    return f"already queued as photo {row.id}" + (f" ({row.file_name})" if row.file_name else "")


def _live_rows_with_sizes(sizes: set[int]) -> dict[int, list[Photo]]:
    by_size: dict[int, list[Photo]] = defaultdict(list)
    ordered = sorted(sizes)
    for i in range(0, len(ordered), 500):  # stay far below SQLite's bound-variable limit
        chunk = ordered[i:i + 500]
        q = Photo.select(Photo.id, Photo.state, Photo.file_name, Photo.original_size, Photo.content_hash,
                         Photo.original_path).where(Photo.original_size.in_(chunk) & Photo.state.not_in(_RELEASED))
        for row in q.order_by(Photo.id):
            by_size[row.original_size].append(row)
    return by_size


def find_duplicates(paths: list[Path]) -> tuple[dict[Path, str], dict[Path, str]]:
    """Which of ``paths`` are already known. Returns ``(duplicates, digests)``: path → why it is a duplicate, and
    path → sha256 for every file that had to be hashed (the others are hashed when staged)."""
    sizes = {p: p.stat().st_size for p in paths}
    by_size = _live_rows_with_sizes(set(sizes.values()))
    counts = Counter(sizes.values())
    suspects = [p for p in paths if counts[sizes[p]] > 1 or sizes[p] in by_size]
    rows_to_hash = {r.id: r for p in suspects for r in by_size.get(sizes[p], []) if not r.content_hash}
    jobs = suspects + [Path(r.original_path) for r in rows_to_hash.values() if Path(r.original_path).is_file()]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:  # hashlib releases the GIL
        hashed = dict(zip(jobs, (h for h, _ in pool.map(hash_file, jobs))))
    digests = {p: hashed[p] for p in suspects}
    row_hash = {r.id: r.content_hash or hashed.get(Path(r.original_path)) for rows in by_size.values() for r in rows}
    duplicates: dict[Path, str] = {}
    seen: dict[str, Path] = {}
    for p in paths:
        digest = digests.get(p)
        if digest is None:
            continue  # no live row and no other file of this import has its size: it cannot be a duplicate
        match = next((r for r in by_size.get(sizes[p], []) if row_hash.get(r.id) == digest), None)
        if match is not None:
            duplicates[p] = _describe(match)
        elif digest in seen:
            duplicates[p] = f"same file as {display_path(seen[digest])} in this import"
        else:
            seen[digest] = p
    return duplicates, digests
