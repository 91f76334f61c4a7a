"""Copy originals into staging and prove the copy is exact. Originals are sacred: opened read-only, never moved,
renamed or rewritten."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from .fsnames import display_path, staged_name

CHUNK = 1 << 20  # 1 MiB: big enough for throughput, small enough to stay cache-friendly


class CopyMismatch(Exception):
    """The staged copy does not match the original (size or hash). ``permanent``: the original itself changed since
    import (retrying cannot help); otherwise the copy went wrong on the way and a later try may succeed."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.permanent = permanent


#: OS errors that may go away by themselves (space freed, drive back, server answering): the row stays where it is
#: and a later run tries again. Any other error (permission, invalid name, a directory …) will not change by retrying.
TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EIO", "EAGAIN", "EINTR", "ETIMEDOUT", "ENOMEM", "EBUSY",
                                      "ENOTCONN", "ESTALE", "EHOSTDOWN", "ENETDOWN", "ENETUNREACH")
    if hasattr(errno, name)
)


def is_transient(exc: OSError) -> bool:
    """True when retrying the same copy later may succeed (disk full, I/O error, network share gone)."""
    return exc.errno in TRANSIENT_ERRNOS


def staging_dest(photo, settings) -> Path:
    """Where a row's verified copy lives: ``<incoming>/<set id>/<safe internal name>`` (see
    :func:`~amirtui.core.fsnames.staged_name`; the original's name may be anything a filesystem allows)."""
    return settings.incoming_dir / str(photo.set_id) / staged_name(photo.id, photo.original_name,
                                                                    getattr(photo, "image_format", None))


def hash_file(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size of a file, streamed."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def copy_verified(src: Path, dest: Path, *, expected_hash: str | None = None) -> tuple[str, int]:
    """Copy ``src`` to ``dest`` hashing on the way, then re-read the copy and compare size and sha256.

    The copy is written to a temp name and renamed into place only after it verified, so a crash never leaves a
    half-written file under the final name. ``expected_hash`` (recorded at import) also catches an original that
    changed since import. Returns ``(sha256, size)``. Raises :class:`CopyMismatch` or ``OSError`` (e.g. ENOSPC).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    size = 0
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            while chunk := fin.read(CHUNK):
                h.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        digest = h.hexdigest()
        if expected_hash and digest != expected_hash:
            raise CopyMismatch(f"{display_path(src)} changed since it was imported (hash differs); "
                               "import the set again")
        copy_hash, copy_size = hash_file(tmp)
        if copy_size != size or copy_hash != digest:
            raise CopyMismatch(f"staged copy of {display_path(src)} does not match the original "
                               f"(size {copy_size} vs {size})", permanent=False)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest, size
