"""Single-instance lock: two amirtui processes must never write the same data directory.

The lock is an ``flock`` on ``<data>/amirtui.lock``, held for the life of the process (the kernel drops it when the
process dies, however it dies). Taking it is one atomic step, so two processes can never both hold it; the file's
text (``pid host started``) only says *who* holds it, for messages. It is written while the lock is held, so an
empty or half-written file never means "free" by itself.

A file left by a dead process (a crash) is *stale*: reported, and taken over only with ``clear_stale`` (what
``recover --resume`` and ``--clear-stale-lock`` use). Removing the file on release is safe because a taker checks,
after locking, that the path still names the file it locked (otherwise it locked a removed file and tries again).
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import LockHeld
from .private_files import FILE_MODE, make_private_dir

LOCK_NAME = "amirtui.lock"


@dataclass(frozen=True)
class LockInfo:
    """Who holds (or held) a lock."""

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
    """What the lock file says about its holder, or None when there is no (readable, complete) lock file."""
    try:
        pid, host, started = path.read_text(encoding="utf-8").split()[:3]
        return LockInfo(int(pid), host, float(started))
    except (OSError, ValueError):
        return None


def is_locked(path: Path) -> bool:
    """True when some open file (this process's own included) holds the flock on ``path``; never changes it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own shared lock
    return False


def lock_state(data_dir: Path) -> tuple[str, LockInfo | None]:
    """``("free" | "held" | "stale", holder)`` of a data directory's lock, read-only (for preflight and
    ``recover --status``). ``stale`` = a file left by a process that is gone and no longer locks it."""
    path = Path(data_dir) / LOCK_NAME
    info = read_lock(path)
    if is_locked(path):
        return "held", info
    if info is not None and info.alive and info.host != socket.gethostname():
        return "held", info  # a lock from another host sharing this folder (its flock may not reach us)
    if info is not None and info.pid != os.getpid():
        return "stale", info
    return "free", info


class InstanceLock:
    """The data directory's lock. Use as a context manager or call :meth:`acquire` / :meth:`release`."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.held = False
        self._fd: int | None = None

    def _open_locked(self) -> int:
        """Open the lock file and take the flock, retrying when the file was replaced meanwhile; raise LockHeld
        when a live process holds it."""
        for _ in range(50):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            try:
                os.fchmod(fd, FILE_MODE)  # whatever the umask
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    info = read_lock(self.path)
                    who = f"pid {info.pid} on {info.host}" if info else "another process (starting up)"
                    raise LockHeld(
                        f"amirtui is already running on this data directory ({who})",
                        fix="switch to that session (tmux attach) or stop it first; two instances must not share a DB",
                    ) from None
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)  # the holder removed the file between our open and our lock: take the new one
        raise LockHeld(f"could not take the lock {self.path}", fix="check the data directory's permissions")

    def acquire(self, *, clear_stale: bool = False) -> None:
        """Take the lock; raise :class:`LockHeld` when a live process has it, or a stale lock is not to be cleared."""
        if self.held:
            return
        make_private_dir(self.path.parent)
        fd = self._open_locked()
        info = read_lock(self.path)
        if info is not None and info.pid != os.getpid():
            if info.host != socket.gethostname() and info.alive:
                os.close(fd)
                raise LockHeld(
                    f"amirtui on {info.host} (pid {info.pid}) uses this data directory",
                    fix="stop it there first; two instances must not share a DB",
                )
            if not clear_stale:
                os.close(fd)
                raise LockHeld(
                    f"stale lock {self.path} left by pid {info.pid} on {info.host}, which is no longer running",
                    fix="run `amirtui recover --clear-lock` (or start with --clear-stale-lock) to clear it",
                )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {socket.gethostname()} {time.time():.0f}\n".encode(), 0)
        os.fsync(fd)
        self._fd = fd
        self.held = True

    def release(self) -> None:
        """Remove the lock file and drop the lock if this process holds it."""
        if not self.held:
            return
        fd, self._fd = self._fd, None
        self.held = False
        info = read_lock(self.path)
        if info is not None and info.pid == os.getpid():
            self.path.unlink(missing_ok=True)  # while still locked: a taker re-checks the path after locking
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> "InstanceLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def clear_stale_lock(data_dir: Path) -> LockInfo | None:
    """Remove a stale lock file (atomically: only while holding the flock, only when its holder is dead).

    Returns the dead holder, or None when there was nothing stale. Raises :class:`LockHeld` for a live holder.
    """
    lock = InstanceLock(data_dir)
    if not lock.path.exists():
        return None
    fd = lock._open_locked()  # noqa: SLF001 - same module
    try:
        info = read_lock(lock.path)
        if info is not None and info.host != socket.gethostname() and info.alive:
            raise LockHeld(f"the lock belongs to amirtui on {info.host} (pid {info.pid}); not cleared",
                           fix="stop it there first")
        lock.path.unlink(missing_ok=True)
        return info
    finally:
        os.close(fd)
