"""A real pyftpdlib FTP / FTPS (explicit TLS) server on loopback, in a thread, with fault hooks.

``drop_after_bytes(n, match=...)`` makes the server close the data connection after ``n`` bytes of the next
matching STOR (the file is left truncated, the client sees the transfer fail); ``fail_rename(code=550)``
answers the next RNTO with that error; ``lose_rename_reply(hold=False)`` performs the next rename and then drops the
control connection instead of answering (with ``hold`` it first sets ``rename_done`` and waits for
``release_rename()``, so a test can kill the client while the reply is outstanding). Stopping never hangs: the serving thread polls a stop flag and closes
every connection itself (pyftpdlib's loop is not thread-safe, so nothing else touches it).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

from tests.harness.faults import take_matching_drop

logging.getLogger("pyftpdlib").setLevel(logging.WARNING)  # its per-command INFO lines drown test output


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1 / localhost: ``cafile`` is what a verifying client trusts."""

    certfile: Path
    keyfile: Path

    @property
    def cafile(self) -> Path:
        return self.certfile


def make_self_signed_cert(directory: Path, common_name: str = "127.0.0.1") -> TlsFiles:
    """Write a fresh EC P-256 key and a self-signed cert (SAN 127.0.0.1 + localhost) valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())  # EC: key generation in ~1 ms, RSA takes ~100
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    files = TlsFiles(directory / "cert.pem", directory / "key.pem")
    files.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    files.keyfile.chmod(0o600)
    return files


@dataclass(frozen=True)
class PrivateCA:
    """A private CA (``cafile``) and a server certificate it signed (``server``, for the test server)."""

    cafile: Path
    server: TlsFiles


def make_private_ca(directory: Path, *, name: str = "amirtui test CA", hosts: tuple[str, ...] = ("127.0.0.1",
                                                                                                 "localhost")
                    ) -> PrivateCA:
    """Write a fresh CA (self-signed, CA:true) and a leaf certificate it signed for ``hosts`` (SAN; CA:false,
    serverAuth): what an operator with a private CA has. ``cafile`` is what ``publish.ftps_ca_file`` names."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h) for h in hosts]
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cafile = directory / "ca.pem"
    cafile.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server = TlsFiles(directory / "server.pem", directory / "server.key")
    server.certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server.keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    server.keyfile.chmod(0o600)
    return PrivateCA(cafile, server)


class _DropMixin:
    """Data-channel side of ``drop_after_bytes``: stores at most n bytes, then closes the connection."""

    _drop_at: int | None = None
    _drop_checked = False

    def handle_read(self) -> None:
        harness: FtpTestServer = self.cmd_channel.harness  # type: ignore[attr-defined]
        if not self._drop_checked and self.receive and self.file_obj is not None:  # type: ignore[attr-defined]
            self._drop_checked = True
            self._drop_at = harness._take_drop(Path(self.file_obj.name).name)  # type: ignore[attr-defined]
        if self._drop_at is None:
            return super().handle_read()  # type: ignore[misc]
        try:
            chunk = self.recv(self.ac_in_buffer_size)  # type: ignore[attr-defined]
        except OSError:
            return self.handle_error()  # type: ignore[attr-defined]
        room = self._drop_at - self.tot_bytes_received  # type: ignore[attr-defined]
        if chunk and room > 0:
            self.file_obj.write(chunk[:room])  # type: ignore[attr-defined]
        self.tot_bytes_received += min(len(chunk), max(room, 0))  # type: ignore[attr-defined]
        if len(chunk) >= room:
            self.transfer_finished = False
            self._resp = ("426 Connection closed; transfer aborted.", logging.getLogger("pyftpdlib").info)
            self.close()  # type: ignore[attr-defined]

    handle_read_event = handle_read


class _FaultyDTP(_DropMixin, DTPHandler):
    pass


class _FaultyHandlerMixin:
    """Control-channel side: ``fail_rename`` and a record of completed uploads."""

    harness: FtpTestServer

    def ftp_RNTO(self, path: str):
        failure = self.harness._take_rename_failure()
        if failure is not None:
            self._rnfr = None
            self.respond(f"{failure} Rename failed (injected by the test harness).")  # type: ignore[attr-defined]
            return None
        lost = self.harness._take_lost_reply()
        if lost is not None and self._rnfr:  # type: ignore[attr-defined]
            src, self._rnfr = self._rnfr, None  # type: ignore[attr-defined]
            self.run_as_current_user(self.fs.rename, src, path)  # type: ignore[attr-defined]
            self.harness.rename_done.set()
            if lost:  # hold: the serving loop waits here, so the reply stays outstanding until released
                self.harness._release.wait(30)
            self.close()  # type: ignore[attr-defined]  # the link dies before "250 Renaming ok." is sent
            return None
        return super().ftp_RNTO(path)  # type: ignore[misc]

    def on_file_received(self, file: str) -> None:
        with self.harness._lock:
            self.harness.received.append(Path(file))


class FtpTestServer:
    """pyftpdlib on 127.0.0.1:<port> with one user whose home is ``root``; ``tls=True`` for explicit FTPS."""

    def __init__(self, root: Path, *, user: str = "photographer", password: str = "s3cret-ftp",
                 tls: TlsFiles | None = None) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.user, self.password, self.tls = user, password, tls
        self.host = "127.0.0.1"
        self.port = 0
        self.received: list[Path] = []
        self._drops: list[tuple[int, str | None]] = []
        self._rename_failures: list[int] = []
        self._lost_replies: list[bool] = []
        self.rename_done = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: FTPServer | None = None

    # ---- fault hooks (thread-safe; each applies once) ------------------------------------------------------
    def drop_after_bytes(self, n: int, match: str | None = None) -> None:
        """Close the data connection after ``n`` bytes of the next STOR whose file name matches ``match``
        (a glob like ``"*.JPG"`` or a substring; None = any file)."""
        with self._lock:
            self._drops.append((n, match))

    def fail_rename(self, code: int = 550) -> None:
        """Answer the next RNTO with ``code`` (the file stays under its old name)."""
        with self._lock:
            self._rename_failures.append(code)

    def lose_rename_reply(self, *, hold: bool = False) -> None:
        """Do the next rename, then drop the control connection without answering (``hold``: first set
        ``rename_done`` and wait until ``release_rename()``)."""
        with self._lock:
            self._lost_replies.append(hold)
            self.rename_done.clear()
            self._release.clear()

    def release_rename(self) -> None:
        """Let a held rename's connection drop (see ``lose_rename_reply``)."""
        self._release.set()

    def _take_lost_reply(self) -> bool | None:
        with self._lock:
            return self._lost_replies.pop(0) if self._lost_replies else None

    def _take_drop(self, filename: str) -> int | None:
        with self._lock:
            return take_matching_drop(self._drops, filename)

    def _take_rename_failure(self) -> int | None:
        with self._lock:
            return self._rename_failures.pop(0) if self._rename_failures else None

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FtpTestServer:
        """Bind a free loopback port and serve in a daemon thread; returns self."""
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self.root), perm="elradfmwMT")
        if self.tls is None:
            handler = type("Handler", (_FaultyHandlerMixin, FTPHandler), {"dtp_handler": _FaultyDTP})
        else:
            from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler

            # MRO: TLS_DTPHandler, SSLConnectionMixin, _FaultyDTP, _DropMixin, DTPHandler — the TLS layer
            # still does the handshake and decryption, the drop logic sees plain bytes below it
            dtp = type("TlsDTP", (TLS_DTPHandler, _FaultyDTP), {})
            handler = type("Handler", (_FaultyHandlerMixin, TLS_FTPHandler), {
                "dtp_handler": dtp, "certfile": str(self.tls.certfile), "keyfile": str(self.tls.keyfile),
                "tls_control_required": True, "tls_data_required": True})
        handler.authorizer = authorizer
        handler.harness = self
        handler.banner = "amirtui test FTP ready."
        handler.auth_failed_timeout = 0.05  # pyftpdlib waits 3 s before a 530; tests of bad logins need not
        handler.timeout = 30  # an abandoned client is dropped instead of holding a thread-less slot forever
        self._server = FTPServer((self.host, 0), handler)
        self.port = self._server.address[1]
        self._thread = threading.Thread(target=self._serve, name="ftp-test-server", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        server = self._server
        assert server is not None
        try:
            while not self._stop.is_set():  # one poll per turn: the stop flag is seen within ~20 ms
                server.ioloop.loop(timeout=0.02, blocking=False)
        finally:
            server.close_all()

    def stop(self) -> None:
        """Stop serving and close every connection; returns within a fraction of a second."""
        self._stop.set()
        self._release.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def __enter__(self) -> FtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["FtpTestServer", "TlsFiles", "PrivateCA", "make_self_signed_cert", "make_private_ca"]
