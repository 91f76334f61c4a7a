"""SFTP target over paramiko, with the server's host key verified against known_hosts.

An unknown or changed host key is refused with its SHA256 fingerprint and the exact line to add to known_hosts after
the operator has compared the fingerprint with the server's (never AutoAddPolicy). Transfers use ``putfo`` (pipelined;
a plain ``write`` loop is ~60× slower) and the size is checked after close, because a pipelined write error can only
surface at ``close()``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import shlex
import socket
from pathlib import Path

import paramiko

from . import sftp_batch
from .retry import TransientError
from .targets import BaseTarget, PublishError, UploadVerifyFailed, temp_name


class HostKeyRefused(PublishError):
    """The SFTP server's host key is not in known_hosts (or differs from the one recorded)."""

    title = "Unknown SFTP host key"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:…`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _host_entry(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    """Refuse an unknown key, carrying the fingerprint and how to trust it."""

    def __init__(self, known_hosts: Path, port: int) -> None:
        self.known_hosts, self.port = known_hosts, port

    def missing_host_key(self, client, hostname, key):  # noqa: D102 - paramiko hook
        # paramiko already passes "[host]:port" for non-standard ports
        entry = hostname if hostname.startswith("[") else _host_entry(hostname, self.port)
        line = f"{entry} {key.get_name()} {key.get_base64()}"
        raise HostKeyRefused(
            f"SFTP server {entry} presented an unknown {key.get_name()} host key {fingerprint(key)} "
            f"(not in {self.known_hosts})",
            fix=(f"compare the fingerprint with the server's (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the "
                 f"server); if it matches, trust it with: echo {shlex.quote(line)} >> {shlex.quote(str(self.known_hosts))}"),
        )


class SFTPTarget(BaseTarget):
    """Upload over SFTP (paramiko). Password or key authentication; host key checked against ``known_hosts``."""

    name = "sftp"
    rename_refuses_existing = True  # SFTPv3 rename fails on an existing target: it is the ownership check

    def __init__(
        self,
        host: str,
        port: int | None,
        user: str,
        *,
        password: str | None = None,
        key_path: str | None = None,
        key_passphrase: str | None = None,
        known_hosts: Path | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.user = host, port or 22, user
        self._password, self._key_path, self._passphrase = password, key_path, key_passphrase
        self.known_hosts = Path(known_hosts) if known_hosts else Path.home() / ".ssh" / "known_hosts"
        self.timeout = timeout
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._known_dirs: set[str] = set()

    def connect(self) -> None:
        """Connect, verify the host key, authenticate and open the SFTP channel."""
        self.close()
        client = paramiko.SSHClient()
        if self.known_hosts.is_file():
            client.load_host_keys(str(self.known_hosts))
        client.set_missing_host_key_policy(_RefuseUnknown(self.known_hosts, self.port))
        try:
            client.connect(
                self.host, port=self.port, username=self.user, password=self._password,
                key_filename=self._key_path, passphrase=self._passphrase, timeout=self.timeout,
                banner_timeout=self.timeout, auth_timeout=self.timeout, channel_timeout=self.timeout,
                allow_agent=False, look_for_keys=False,
            )
        except HostKeyRefused:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyRefused(
                f"SFTP server {_host_entry(self.host, self.port)} presented {fingerprint(exc.key)}, but "
                f"{self.known_hosts} records a different key ({fingerprint(exc.expected_key)})",
                fix="the server key changed or someone is in the middle; confirm with the server admin, then remove "
                f"the old line with: ssh-keygen -R {shlex.quote(_host_entry(self.host, self.port))} -f {self.known_hosts}",
            ) from exc
        except paramiko.AuthenticationException as exc:
            client.close()
            raise PublishError(f"sftp://{self.user}@{self.host}:{self.port} refused the login: {exc}",
                               fix="check publish.user and AMIRTUI_SFTP_PASSWORD or AMIRTUI_SFTP_KEY_PATH") from exc
        except (OSError, paramiko.SSHException) as exc:
            client.close()
            raise TransientError(f"cannot reach sftp://{self.host}:{self.port}: {exc}",
                               fix="check publish.host/port and that the SSH server is up") from exc
        self._client = client
        self._sftp = client.open_sftp()
        self._sftp.get_channel().settimeout(self.timeout)
        self._known_dirs.clear()

    def close(self) -> None:
        """Close the SFTP channel and the SSH connection."""
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        for thing in (sftp, client):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass

    def _conn(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            self.connect()
        assert self._sftp is not None
        return self._sftp

    def _call(self, fn):
        try:
            return fn(self._conn())
        except (EOFError, socket.timeout, paramiko.SSHException, ConnectionError) as exc:
            self.close()
            raise TransientError(f"sftp link to {self.host}:{self.port} failed: {exc or type(exc).__name__}",
                               fix="publish again; the row continues from its last completed step") from exc
        except OSError as exc:
            # a plain OSError (IOError) is a server answer (permission, no such dir), not a dead link — but a
            # dead transport also shows up as OSError("Socket is closed"): drop the connection when it is not active
            if self._client is None or not self._client.get_transport() or not self._client.get_transport().is_active():
                self.close()
                raise TransientError(f"sftp link to {self.host}:{self.port} failed: {exc}",
                                     fix="publish again; the row continues from its last completed step") from exc
            raise PublishError(f"sftp {self.host}:{self.port}: {exc}",
                               fix="check the remote folder and permissions; publish again to retry") from exc

    def size(self, path: str) -> int | None:
        """``stat`` size, or None when the file does not exist."""
        def run(sftp: paramiko.SFTPClient) -> int | None:
            try:
                return sftp.stat(path).st_size
            except FileNotFoundError:
                return None
        return self._call(run)

    def read(self, path: str) -> bytes:
        """The remote file's bytes."""
        def run(sftp: paramiko.SFTPClient) -> bytes:
            buf = io.BytesIO()
            sftp.getfo(path, buf)
            return buf.getvalue()
        return self._call(run)

    def _mkdir_one(self, sftp: paramiko.SFTPClient, directory: str) -> None:
        try:
            sftp.stat(directory)
        except FileNotFoundError:
            try:
                sftp.mkdir(directory)
            except OSError:
                sftp.stat(directory)  # another connection made it meanwhile; anything else raises here

    def _write(self, path: str, data: bytes) -> None:
        # putfo pipelines the writes; confirm=False because put_atomic checks the size itself after close
        self._call(lambda sftp: sftp.putfo(io.BytesIO(data), path, file_size=len(data), confirm=False))

    def _delete(self, path: str) -> None:
        self._call(lambda sftp: sftp.remove(path))

    def put_atomic(self, path: str, data: bytes, *, may_replace: bool) -> None:
        """The same temp name → size check → rename recipe, with the requests pipelined (see
        :mod:`.sftp_batch`): three round trips instead of five."""
        err = self.put_many([(path, data, may_replace)])[0]
        if err is not None:
            raise err

    def put_many(self, items: list[tuple[str, bytes, bool]]) -> list[PublishError | None]:
        """Every file of ``items`` in flight at once on this connection (:func:`.sftp_batch.put_many`): open all,
        write + size-check + close all, rename all — three round trips for the batch. An existing destination is
        replaced only for ``may_replace`` (``posix-rename``); otherwise the plain rename refuses it, and the file in
        place is this row's own only if it holds exactly these bytes."""
        for directory in dict.fromkeys(posixpath.dirname(p) for p, _d, _r in items):
            self._makedirs(directory)
        jobs = [(temp_name(p), p, d, r) for p, d, r in items]
        raw = self._call(lambda sftp: sftp_batch.put_many(sftp, jobs))
        out: list[PublishError | None] = []
        for (tmp, path, data, may_replace), err in zip(jobs, raw):
            if err is None:
                out.append(None)
            elif isinstance(err, ValueError):  # the size check
                try:
                    self._delete(tmp)
                except PublishError:  # the retry overwrites the same temp name anyway
                    pass
                out.append(UploadVerifyFailed(f"{self.name}: uploaded {tmp} has {str(err)[5:]} bytes, expected "
                                              f"{len(data)}", fix="the transfer was cut short; publish again to retry this row"))
            elif getattr(err, "rename_refused", False) and not may_replace:
                verdict = self._after_refused_rename(path, tmp, data)
                out.append(None if verdict is None else verdict or self._server_error(err))
            else:
                out.append(self._server_error(err))
        return out

    def _server_error(self, err: BaseException) -> PublishError:
        return PublishError(f"sftp {self.host}:{self.port}: {err}",
                            fix="check the remote folder and permissions; publish again to retry")

    def _rename(self, src: str, dst: str, *, replace: bool) -> None:
        # posix_rename overwrites atomically (only for a file this row owns); the plain SFTPv3 rename refuses an
        # existing target, so a foreign file can never be replaced even if it appeared a moment ago
        if replace:
            self._call(lambda sftp: sftp.posix_rename(src, dst))
        else:
            self._call(lambda sftp: sftp.rename(src, dst))

    def __repr__(self) -> str:  # never show the password
        return f"SFTPTarget({self.user}@{self.host}:{self.port}, base dir via publisher)"


__all__ = ["SFTPTarget", "HostKeyRefused", "fingerprint"]
