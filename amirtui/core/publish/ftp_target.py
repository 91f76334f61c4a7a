"""FTP and FTPS (explicit TLS, data channel protected) targets over :mod:`ftplib`.

One instance holds one control connection, reused across rows. A broken link (timeout, reset, EOF) closes it; the next
call reconnects, so one dropped transfer fails one row, not the run.
"""

from __future__ import annotations

import ftplib
import io
import posixpath
import ssl
from pathlib import Path

from .retry import TransientError
from .targets import BaseTarget, PublishError

_LINK_ERRORS = (OSError, EOFError, ftplib.error_temp, ftplib.error_proto)


class FTPTarget(BaseTarget):
    """Upload over FTP, or FTPS when ``tls`` (AUTH TLS + PROT P).

    ``ssl_context`` lets tests (and self-signed servers the operator trusts) pass a context with a pinned CA.
    """

    def __init__(
        self,
        host: str,
        port: int | None,
        user: str,
        password: str | None,
        *,
        tls: bool = False,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.user = host, port or 21, user
        self._password = password or ""
        self.tls, self.timeout = tls, timeout
        self.ssl_context = ssl_context
        self.name = "ftps" if tls else "ftp"
        self._ftp: ftplib.FTP | None = None
        self._known_dirs: set[str] = set()

    # ------------------------------------------------------------ connection
    def connect(self) -> None:
        """Log in (and switch to TLS + binary mode). Raises :class:`PublishError` with what to check."""
        self.close()
        try:
            if self.tls:
                ftp: ftplib.FTP = ftplib.FTP_TLS(context=self.ssl_context or ssl.create_default_context(),
                                                 timeout=self.timeout)
            else:
                ftp = ftplib.FTP(timeout=self.timeout)
            ftp.connect(self.host, self.port)
            ftp.login(self.user, self._password)
            if self.tls:
                ftp.prot_p()  # type: ignore[attr-defined]  # encrypt file data too, not only the login
            ftp.voidcmd("TYPE I")  # SIZE is only reliable in binary mode
        except ssl.SSLCertVerificationError as exc:
            raise PublishError(
                f"ftps://{self.host}:{self.port} presented a certificate that is not trusted: "
                f"{exc.verify_message or exc}",
                fix="if the server uses a private or self-signed CA, name that CA's PEM file in publish.ftps_ca_file; "
                    "check publish.host matches the certificate's name; never turn verification off",
            ) from exc
        except ftplib.error_perm as exc:
            raise PublishError(
                f"{self.name}://{self.user}@{self.host}:{self.port} refused the login: {exc}",
                fix="check publish.user and AMIRTUI_FTP_PASSWORD",
            ) from exc
        except (OSError, EOFError, ftplib.error_temp) as exc:  # refused, reset, 421 busy: may clear by itself
            raise TransientError(
                f"cannot reach {self.name}://{self.host}:{self.port}: {exc}",
                fix="check publish.host/port and that the server is up" + (" and speaks explicit TLS" if self.tls else ""),
            ) from exc
        self._ftp = ftp
        self._known_dirs.clear()

    def close(self) -> None:
        """Say QUIT (best effort) and drop the connection."""
        ftp, self._ftp = self._ftp, None
        if ftp is not None:
            try:
                ftp.quit()
            except Exception:
                ftp.close()

    def _conn(self) -> ftplib.FTP:
        if self._ftp is None:
            self.connect()
        assert self._ftp is not None
        return self._ftp

    def _call(self, fn):
        """Run ``fn(ftp)``; on a broken link drop the connection so the next row reconnects."""
        try:
            return fn(self._conn())
        except _LINK_ERRORS as exc:
            self.close()
            raise TransientError(f"{self.name} link to {self.host}:{self.port} failed: {exc}",
                               fix="publish again; the row continues from its last completed step") from exc

    # ------------------------------------------------------------ primitives
    def size(self, path: str) -> int | None:
        """SIZE of ``path`` (None when the server answers 550: no such file)."""
        def run(ftp: ftplib.FTP) -> int | None:
            try:
                return ftp.size(path)
            except ftplib.error_perm:
                return None
        return self._call(run)

    def read(self, path: str) -> bytes:
        """The remote file's bytes (RETR)."""
        def run(ftp: ftplib.FTP) -> bytes:
            buf = io.BytesIO()
            ftp.retrbinary(f"RETR {path}", buf.write, blocksize=256 * 1024)
            return buf.getvalue()
        return self._call(run)

    def _mkdir_one(self, ftp: ftplib.FTP, directory: str) -> None:
        try:
            ftp.mkd(directory)
        except ftplib.error_perm as exc:
            # 550 "exists" is fine; anything else shows up on the STOR with a clearer message
            if not str(exc).startswith("550"):
                raise

    def _write(self, path: str, data: bytes) -> None:
        def run(ftp: ftplib.FTP) -> None:
            ftp.storbinary(f"STOR {path}", io.BytesIO(data), blocksize=256 * 1024)
        try:
            self._call(run)
        except ftplib.error_perm as exc:
            raise PublishError(f"{self.name}: the server refused to store {path}: {exc}",
                               fix="check write permission under publish.remote_base") from exc

    def _delete(self, path: str) -> None:
        self._call(lambda ftp: ftp.delete(path))

    def _rename(self, src: str, dst: str, *, replace: bool) -> None:
        def run(ftp: ftplib.FTP) -> None:
            if not replace:
                ftp.rename(src, dst)
                return
            # RNTO onto an existing file replaces it atomically on most servers (the old file stays live until the
            # new one is in place); some answer 550 instead: then delete our own old copy and rename
            try:
                ftp.rename(src, dst)
            except ftplib.error_perm:
                try:
                    ftp.delete(dst)
                except ftplib.error_perm:
                    pass
                ftp.rename(src, dst)
        try:
            self._call(run)
        except ftplib.error_perm as exc:
            raise PublishError(
                f"{self.name}: renaming {posixpath.basename(src)} to {dst} was refused: {exc}",
                fix="check permissions on the server folder; publish again to retry (the upload is redone)",
            ) from exc


def ftps_context(ca_file: Path | None) -> ssl.SSLContext:
    """The TLS context for FTPS: the server certificate and host name are always verified, against the system's
    CAs or, with ``publish.ftps_ca_file``, against that file's CA(s) only."""
    if ca_file is None:
        return ssl.create_default_context()
    if not Path(ca_file).is_file():
        raise PublishError(f"publish.ftps_ca_file {ca_file} does not exist",
                           fix="point it at the PEM file of the CA that signed the server's certificate")
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except ssl.SSLError as exc:
        raise PublishError(f"publish.ftps_ca_file {ca_file} is not a PEM CA certificate: {exc}",
                           fix="export the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)") from exc
