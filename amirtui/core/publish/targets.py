"""Publish targets: where the web image and thumbnail go, and how remote paths are built safely.

Every target uploads the same way (see :meth:`BaseTarget.put_atomic`): write to a temporary name in the destination
directory, verify the size, then rename into place. An existing file at the destination is replaced only when the
caller says this row owns it; otherwise it is an error (someone else's photo must never be overwritten).

Remote directories are built only from sanitised tokens (:func:`sanitize_token`); the file itself is named exactly
like its catalog ``File_Name`` (:func:`remote_file_name` refuses, never rewrites, a name outside the one filename
alphabet of :mod:`amirtui.core.filenames`); the result is checked to stay inside ``remote_base``
(:func:`build_paths`), so a hostile folder or filename can never escape it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import AmirError
from ..filenames import name_problem, path_token


class PublishError(AmirError):
    """A publish step failed for one row (the row becomes publish_failed; others go on)."""

    title = "Publish failed"


class UnsafePath(PublishError):
    """A remote path would contain an unusable token or leave ``remote_base``."""

    title = "Unsafe remote path"


class RemoteConflict(PublishError):
    """A file already exists at the destination and does not belong to this row."""

    title = "Remote file already present"


class UploadVerifyFailed(PublishError):
    """The uploaded temporary file does not have the expected size."""

    title = "Upload incomplete"


class TransientError(PublishError):
    """A fault that may clear by itself (link dropped, server unreachable or restarting, MySQL gone away); retried by
    :mod:`amirtui.core.publish.retry`."""

    title = "Connection problem"


TMP_SUFFIX = ".amirtui-part"


def sanitize_token(value: str, *, what: str = "path token") -> str:
    """One remote directory component (year, folder) from ``value`` in the filename alphabet of
    :mod:`amirtui.core.filenames`: letters, digits, ``_ - .``, no leading dot, not empty.

    Anything else (slashes, ``..``, spaces, control characters) becomes ``_``; a token that is empty after cleaning
    raises :class:`UnsafePath` naming ``what``.
    """
    token = path_token(value)
    if not token or set(token) <= {"_", "."}:
        raise UnsafePath(
            f"the {what} {value!r} has nothing usable for a remote path",
            fix="give it a name with letters or digits (fix the row's Folder / filename / year)",
        )
    return token


def remote_file_name(file_name: str) -> str:
    """The remote file name: exactly the catalog ``File_Name``, never rewritten. A name outside the filename
    alphabet raises :class:`UnsafePath` with the reason (review refuses such renames before they get here)."""
    problem = name_problem(file_name)
    if problem:
        raise UnsafePath(f"{problem}: {file_name!r} cannot be published under its catalog File_Name",
                         fix="rename the row in review to a name made of letters, digits, '_', '-' and '.'")
    return file_name


@dataclass(frozen=True)
class RemotePaths:
    """Where one row's pair goes: absolute-in-target POSIX paths plus their paths relative to ``remote_base``."""

    web: str
    thumb: str
    web_rel: str
    thumb_rel: str


def _norm_base(remote_base: str) -> str:
    raw = str(remote_base).strip()
    rel = posixpath.normpath(raw.lstrip("/")) if raw.strip("/") else ""
    if rel == ".":
        rel = ""
    if ".." in rel.split("/"):
        raise UnsafePath(f"remote_base {remote_base!r} contains '..'", fix="set publish.remote_base to a plain path")
    # keep relative bases relative (FTP/SFTP users often log in to their home directory)
    return ("/" + rel if rel else "/") if raw.startswith("/") else rel


def build_paths(remote_base: str, year: str | int | None, folder: str, file_name: str) -> RemotePaths:
    """``<remote_base>/<year>/<folder>/<File_Name>`` and ``<remote_base>/<year>/thumbs/<folder>/<File_Name>``.

    Every component is sanitised; the result is verified to lie under ``remote_base``.
    """
    base = _norm_base(remote_base)
    y = sanitize_token(str(year) if year else "undated", what="year")
    f = sanitize_token(folder, what="folder")
    name = remote_file_name(file_name)
    web_rel = posixpath.join(y, f, name)
    thumb_rel = posixpath.join(y, "thumbs", f, name)
    out = []
    for rel in (web_rel, thumb_rel):
        full = posixpath.normpath(posixpath.join(base, rel)) if base else posixpath.normpath(rel)
        prefix = base.rstrip("/") + "/" if base else ""
        if base and not full.startswith(prefix) or full.startswith("../") or full == "..":
            raise UnsafePath(f"remote path {full!r} leaves remote_base {base!r}", fix="fix the row's Folder / filename")
        out.append(full)
    return RemotePaths(web=out[0], thumb=out[1], web_rel=web_rel, thumb_rel=thumb_rel)


def temp_name(remote_path: str) -> str:
    """The temporary upload name in the same directory (deterministic, so a retry overwrites its own leftover)."""
    d, name = posixpath.split(remote_path)
    return posixpath.join(d, f".{name}{TMP_SUFFIX}")


@runtime_checkable
class Target(Protocol):
    """What the publisher needs from a destination. One instance = one connection, used by one thread at a time."""

    name: str

    def connect(self) -> None:
        """Open the connection (reused for many rows)."""

    def close(self) -> None:
        """Close the connection; safe to call twice."""

    def size(self, path: str) -> int | None:
        """Size of the remote file at ``path``, or None when it does not exist."""

    def put_atomic(self, path: str, data: bytes, *, may_replace: bool) -> None:
        """Upload ``data`` to ``path`` through a temp name + size check + rename (see :class:`BaseTarget`)."""


class BaseTarget:
    """The upload recipe shared by every target; subclasses implement the small primitives."""

    name = "base"

    # ---- primitives (override)
    def connect(self) -> None:  # pragma: no cover - trivial
        """Open the connection."""

    def close(self) -> None:  # pragma: no cover - trivial
        """Close the connection."""

    def size(self, path: str) -> int | None:
        """Remote file size or None."""
        raise NotImplementedError

    def read(self, path: str) -> bytes:
        """The remote file's bytes (used to recognise this row's own file after a lost reply)."""
        raise NotImplementedError

    def _mkdir_one(self, conn: object, directory: str) -> None:
        """Create one directory over ``conn`` (an existing one is fine)."""
        raise NotImplementedError

    def _makedirs(self, directory: str) -> None:
        """Create ``directory`` and its parents, skipping those this connection made or saw before."""
        known: set[str] = self._known_dirs  # type: ignore[attr-defined]  # set by each remote target, cleared on reconnect
        if not directory or directory in known:
            return
        parts = directory.split("/")
        todo = [d for d in ("/".join(parts[:i]) for i in range(1, len(parts) + 1)) if d and d not in known]

        def run(conn: object) -> None:
            for d in todo:
                self._mkdir_one(conn, d)
                known.add(d)

        self._call(run)  # type: ignore[attr-defined]  # remote targets retry on a fresh connection

    def _write(self, path: str, data: bytes) -> None:
        raise NotImplementedError

    def _delete(self, path: str) -> None:
        raise NotImplementedError

    def _rename(self, src: str, dst: str, *, replace: bool) -> None:
        raise NotImplementedError

    #: True when ``_rename(..., replace=False)`` itself refuses an existing destination (SFTPv3 rename does): the
    #: separate existence check before the upload is skipped, saving a round trip per file.
    rename_refuses_existing = False

    def _exists_error(self, path: str, existing: int | None) -> RemoteConflict:
        size = f" ({existing} bytes)" if existing is not None else ""
        return RemoteConflict(
            f"{self.name}: {path} already exists{size} and does not belong to this row",
            fix="check who published it; delete or rename that file on the server if it is stale, then publish again",
        )

    def holds_exactly(self, path: str, data: bytes, size: int | None = None) -> bool:
        """Whether the file at ``path`` has exactly ``data`` (same size, same sha256).

        This is how an upload whose rename reached the server but whose reply was lost is recognised: the file in
        place *is* this row's rendered file, so the step is finished rather than refused. Anything else — another
        size, other bytes — is someone else's file and is never overwritten.
        """
        size = self.size(path) if size is None else size
        if size != len(data):
            return False
        return hashlib.sha256(self.read(path)).digest() == hashlib.sha256(data).digest()

    def remove(self, path: str) -> bool:
        """Delete the file at ``path`` if it exists (idempotent); True when something was deleted."""
        if self.size(path) is None:
            return False
        self._delete(path)
        return True

    # ---- the recipe
    def put_atomic(self, path: str, data: bytes, *, may_replace: bool) -> None:
        """Upload to a temp name, verify its size, rename into place.

        An existing file at ``path`` is replaced only when ``may_replace`` (this row owns it); otherwise it is left
        untouched and :class:`RemoteConflict` is raised — unless it holds exactly ``data`` (see
        :meth:`holds_exactly`): then the upload is already done.
        """
        existing: int | None = None
        if not (self.rename_refuses_existing and not may_replace):
            existing = self.size(path)
            if existing is not None and not may_replace:
                if self.holds_exactly(path, data, existing):
                    return
                raise self._exists_error(path, existing)
        self._makedirs(posixpath.dirname(path))
        tmp = temp_name(path)
        self._write(tmp, data)
        got = self.size(tmp)
        if got != len(data):
            try:
                self._delete(tmp)
            except Exception:  # the link may be gone: the retry overwrites the same temp name anyway
                pass
            raise UploadVerifyFailed(
                f"{self.name}: uploaded {tmp} has {got} bytes, expected {len(data)}",
                fix="the transfer was cut short; publish again to retry this row",
            )
        try:
            self._rename(tmp, path, replace=may_replace or existing is not None)
        except PublishError:
            if self.rename_refuses_existing and not may_replace:
                verdict = self._after_refused_rename(path, tmp, data)
                if verdict is None:
                    return  # our own file, renamed into place by an attempt whose reply was lost
                if verdict is not False:
                    raise verdict from None
            raise

    def _after_refused_rename(self, path: str, tmp: str, data: bytes) -> PublishError | None | bool:
        """After a plain rename of ``tmp`` onto ``path`` was refused: None when ``path`` holds exactly ``data`` (an
        attempt whose reply was lost put it there), the conflict error when another file is there, False when
        nothing is there (the refusal had another reason)."""
        found = self.size(path)
        if found is None:
            return False
        try:  # the refusal was the "already exists" answer (or a lost reply)
            self._delete(tmp)
        except PublishError:  # already renamed away by the attempt whose reply was lost
            pass
        if self.holds_exactly(path, data, found):
            return None
        return self._exists_error(path, found)

    def put_many(self, items: list[tuple[str, bytes, bool]]) -> list[PublishError | None]:
        """Upload several ``(path, data, may_replace)`` files with :meth:`put_atomic`'s guarantees, one outcome per
        file (None = in place, else the row's error for that file). A broken link raises
        (:class:`TransientError`). This recipe does them one after another; a target whose protocol allows
        several files in flight per connection overrides it (SFTP)."""
        out: list[PublishError | None] = []
        for path, data, may_replace in items:
            try:
                self.put_atomic(path, data, may_replace=may_replace)
                out.append(None)
            except TransientError:  # the link, not this file: the caller retries the files not yet in place
                raise
            except PublishError as exc:
                out.append(exc)
        return out


class LocalTarget(BaseTarget):
    """A folder tree on this machine (the embedded default target: the app works with no servers)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _p(self, path: str) -> Path:
        p = (self.root / path.lstrip("/")).resolve()
        root = self.root.resolve()
        if p != root and root not in p.parents:  # defence in depth: build_paths already checked
            raise UnsafePath(f"{path!r} leaves the local site folder {root}")
        return p

    def connect(self) -> None:
        """Create the root folder (readable by a web server, like everything published)."""
        if not self.root.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            os.chmod(self.root, 0o755)

    def close(self) -> None:
        """Nothing to close."""

    def size(self, path: str) -> int | None:
        """File size or None."""
        p = self._p(path)
        return p.stat().st_size if p.is_file() else None

    def read(self, path: str) -> bytes:
        """The file's bytes."""
        return self._p(path).read_bytes()

    def _makedirs(self, directory: str) -> None:
        d = self._p(directory)
        missing, p = [], d
        while not p.exists():
            missing.append(p)
            p = p.parent
        d.mkdir(parents=True, exist_ok=True)
        for made in missing:  # published = public: readable by a web server whatever amirtui's private umask
            os.chmod(made, 0o755)

    def _write(self, path: str, data: bytes) -> None:
        p = self._p(path)
        with open(p, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o644)  # the published file is public (amirtui's own files are 0600)
            os.fsync(fh.fileno())

    def _delete(self, path: str) -> None:
        self._p(path).unlink(missing_ok=True)

    def _rename(self, src: str, dst: str, *, replace: bool) -> None:
        os.replace(self._p(src), self._p(dst))  # atomic on POSIX

    def file_url(self, path: str) -> str:
        """A ``file://`` URL of a published file (used when no public_url_base is configured)."""
        return self._p(path).as_uri()
