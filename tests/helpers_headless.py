"""Shared helpers for the recovery, kill -9 and fault tests: build a queue with the real stages, fake a crashed run,
and check the invariants an operator relies on after any crash."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from amirtui.core.db.models import Photo, Reservation, Run
from amirtui.core.states import State

LIVE_EXCLUDED = (State.ROLLED_BACK.value, State.REJECTED.value)


def sha256(path: Path) -> str:
    """sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (the originals, before and after)."""
    return {str(p): sha256(p) for p in sorted(Path(root).rglob("*")) if p.is_file()}


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped), for a fake crashed run."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout.strip())


def crash_run(kind: str = "pipeline", pid: int | None = None) -> Run:
    """An unfinished run owned by a dead process: what a kill -9 leaves."""
    import socket

    return Run.create(kind=kind, pid=pid or dead_pid(), host=socket.gethostname())


def check_invariants(*, mirror_names: list[str] | None = None) -> list[str]:
    """The promises after any crash + recover: valid states, unique File_Names, no reservation without a live or
    published row. Returns the broken promises (empty when all hold)."""
    problems: list[str] = []
    valid = {s.value for s in State}
    rows = list(Photo.select())
    for p in rows:
        if p.state not in valid:
            problems.append(f"photo {p.id} has an invalid state {p.state!r}")
    live = [p for p in rows if p.state not in LIVE_EXCLUDED and p.file_name]
    seen: dict[str, int] = {}
    for p in live:
        key = p.file_name.casefold()
        if key in seen:
            problems.append(f"File_Name {p.file_name} used by photos {seen[key]} and {p.id}")
        seen[key] = p.id
    if mirror_names is not None:
        folded = [n.casefold() for n in mirror_names]
        if len(set(folded)) != len(folded):
            problems.append("the mirror holds a File_Name twice")
    by_id = {p.id: p for p in rows}
    for r in Reservation.select().where(Reservation.released_at.is_null()):
        p = by_id.get(r.photo_id)
        if p is None or p.state in LIVE_EXCLUDED:
            problems.append(f"reservation {r.name} is held by {'no row' if p is None else f'a {p.state} row'}")
    keys = [r.name_key for r in Reservation.select().where(Reservation.released_at.is_null())]
    if len(set(keys)) != len(keys):
        problems.append("two active reservations share a name")
    return problems
