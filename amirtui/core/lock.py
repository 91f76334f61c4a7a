"""Single-instance lock: two amirtui processes must never write the same data directory.

The lock file ``<data>/amirtui.lock`` holds ``pid host started``. It is taken with ``O_CREAT | O_EXCL`` (atomic on
local filesystems). A lock left by a dead process on this host is *stale*: it is reported and can be cleared.
"""

from __future__ import annotations

import errno
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import LockHeld


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock."""

    pid: int
    host: str
    started: float

    @property
    def alive(self) -> bool:
        """True when the holder is a live process on this host (a lock from another host is assumed alive)."""
        if self.host != socket.gethostname():
            return True
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies count as dead)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    try:  # a zombie (killed child not yet reaped) still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def read_lock(path: Path) -> LockInfo | None:
    """The lock's holder, or None when there is no (readable) lock file."""
    try:
        pid, host, started = path.read_text(encoding="utf-8").split()[:3]
        return LockInfo(int(pid), host, float(started))
    except (OSError, ValueError):
        return None


class InstanceLock:
    """The data directory's lock. Use as a context manager or call :meth:`acquire` / :meth:`release`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "amirtui.lock"
        self.held = False

    def acquire(self, *, clear_stale: bool = False) -> None:
        """Take the lock; raise :class:`LockHeld` when a live process has it, or a stale lock is not to be cleared."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                info = read_lock(self.path)
                if info is None or not info.alive:
                    who = f"pid {info.pid} on {info.host}" if info else "an unreadable lock file"
                    if clear_stale:
                        self.path.unlink(missing_ok=True)
                        continue
                    raise LockHeld(
                        f"stale lock {self.path} left by {who}, which is no longer running",
                        fix="run `amirtui recover --clear-lock` (or start with --clear-stale-lock) to clear it",
                    )
                raise LockHeld(
                    f"amirtui is already running on this data directory (pid {info.pid} on {info.host})",
                    fix="switch to that session (tmux attach) or stop it first; two instances must not share a DB",
                )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {socket.gethostname()} {time.time():.0f}\n")
            self.held = True
            return
        raise LockHeld(f"could not take the lock {self.path}", fix="check the data directory's permissions")

    def release(self) -> None:
        """Remove the lock if this process holds it."""
        if self.held:
            info = read_lock(self.path)
            if info and info.pid == os.getpid():
                self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> "InstanceLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
