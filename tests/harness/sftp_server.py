"""A real SFTP server on loopback: asyncssh's built-in server, chrooted to a temp dir, in its own thread + loop.

It has a freshly generated ed25519 host key (``known_hosts_file`` writes the ``[127.0.0.1]:port`` line a
verifying client such as paramiko with ``RejectPolicy`` needs), password auth and public-key auth
(``make_client_key`` creates and authorizes a key). ``drop_after_bytes(n)`` aborts the SSH connection
mid-write once ``n`` bytes of file data have arrived (the next matching upload only); ``lose_rename_reply()`` does the
next rename and then aborts the connection before answering (the rename reached the server, its reply never came).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import asyncssh

from tests.harness.faults import take_matching_drop


class SftpTestServer:
    """asyncssh SFTP on 127.0.0.1:<port>; user ``user`` / ``password``; files live under ``root``."""

    def __init__(self, root: Path, *, user: str = "photographer", password: str = "s3cret-sftp") -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.user, self.password = user, password
        self.host = "127.0.0.1"
        self.port = 0
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.connections_total = 0
        self.authorized_keys: list[asyncssh.SSHKey] = []
        self._drops: list[tuple[int, str | None]] = []
        self._lost_replies = 0
        self._conns: set[asyncssh.SSHServerConnection] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None

    # ---- helpers for tests -------------------------------------------------------------------------------
    def known_hosts_file(self, path: str | Path) -> Path:
        """Write a known_hosts file trusting this server's host key as ``[127.0.0.1]:<port>``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = self.host_key.export_public_key("openssh").decode().split()
        path.write_text(f"[{self.host}]:{self.port} {line[0]} {line[1]}\n", encoding="ascii")
        return path

    def make_client_key(self, path: str | Path, *, authorize: bool = True) -> Path:
        """Write a new ed25519 private key (OpenSSH format, mode 0600) and, by default, authorize it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(path), "openssh")
        path.chmod(0o600)
        if authorize:
            with self._lock:
                self.authorized_keys.append(key.convert_to_public())
        return path

    def drop_after_bytes(self, n: int, match: str | None = None) -> None:
        """Abort the connection after ``n`` bytes of the next upload whose name matches ``match`` (glob or
        substring of the file name; None = any)."""
        with self._lock:
            self._drops.append((n, match))

    def lose_rename_reply(self, count: int = 1) -> None:
        """The next ``count`` renames happen, then the connection is aborted instead of answering."""
        with self._lock:
            self._lost_replies += count

    def _take_lost_reply(self) -> bool:
        with self._lock:
            if self._lost_replies:
                self._lost_replies -= 1
                return True
            return False

    def _take_drop(self, filename: str) -> int | None:
        with self._lock:
            return take_matching_drop(self._drops, filename)

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> SftpTestServer:
        """Start the loop thread and listen on a free loopback port; returns self once it accepts."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-test-server", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        return self

    async def _listen(self) -> None:
        harness = self

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                with harness._lock:
                    harness._conns.add(conn)
                    harness.connections_total += 1
                self._conn = conn

            def connection_lost(self, exc: Exception | None) -> None:
                with harness._lock:
                    harness._conns.discard(self._conn)

            def begin_auth(self, username: str) -> bool:
                return True  # every user must authenticate

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return username == harness.user and password == harness.password

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                with harness._lock:
                    keys = [k.public_data for k in harness.authorized_keys]
                return username == harness.user and key.public_data in keys

        class Sftp(_FaultySftp):
            def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
                super().__init__(chan, chroot=str(harness.root))
                self.harness = harness

        self._acceptor = await asyncssh.listen(self.host, 0, server_host_keys=[self.host_key],
                                               server_factory=Server, sftp_factory=Sftp, allow_scp=False,
                                               login_timeout=10, keepalive_interval=0)
        self.port = self._acceptor.get_port()

    async def _shutdown(self) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            conn.abort()  # abort, not close: a stuck client must not hold the shutdown up
        if self._acceptor is not None:
            await asyncio.wait_for(self._acceptor.wait_closed(), timeout=2)

    def stop(self) -> None:
        """Close the listener and every connection, stop the loop; returns within a couple of seconds."""
        if self._loop is None or not self._loop.is_running():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=3)
        except Exception:  # noqa: BLE001 - stopping must never fail a test; the thread is a daemon anyway
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=3)
        if not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> SftpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _FaultySftp(asyncssh.SFTPServer):
    """asyncssh's SFTP server with the ``drop_after_bytes`` write hook."""

    harness: SftpTestServer

    def open(self, path: bytes, pflags: int, attrs: Any):
        file_obj = super().open(path, pflags, attrs)
        if pflags & asyncssh.FXF_WRITE:
            limit = self.harness._take_drop(Path(path.decode(errors="replace")).name)
            if limit is not None:
                self._limits = {**getattr(self, "_limits", {}), id(file_obj): [limit, 0]}
        return file_obj

    def _lose_reply_after(self, result: Any) -> Any:
        if self.harness._take_lost_reply():
            self.connection.abort()  # the rename is done on disk; the client never hears so
            raise asyncssh.SFTPConnectionLost("reply lost (injected by the test harness)")
        return result

    def rename(self, oldpath: bytes, newpath: bytes):
        return self._lose_reply_after(super().rename(oldpath, newpath))

    def posix_rename(self, oldpath: bytes, newpath: bytes):
        return self._lose_reply_after(super().posix_rename(oldpath, newpath))

    def write(self, file_obj: Any, offset: int, data: bytes):
        limit = getattr(self, "_limits", {}).get(id(file_obj))
        if limit is None:
            return super().write(file_obj, offset, data)
        room = limit[0] - limit[1]
        if len(data) < room:
            limit[1] += len(data)
            return super().write(file_obj, offset, data)
        if room > 0:
            super().write(file_obj, offset, data[:room])
            file_obj.flush()
            limit[1] = limit[0]  # tripped: writes already queued behind this one must not land either
        self.connection.abort()  # the link dies mid-file: the client sees EOF / a closed socket
        raise asyncssh.SFTPConnectionLost("connection dropped by the test harness")


class SftpServerProcess:
    """The same server in its own process, for benchmarks: in-process it shares the GIL with the client under test
    (a real SFTP server is another process, usually another machine). Same attributes as :class:`SftpTestServer`."""

    def __init__(self, root: Path, known_hosts: Path) -> None:
        import subprocess
        import sys

        self.root, self.known_hosts = Path(root), Path(known_hosts)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.sftp_server", str(self.root), str(self.known_hosts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        line = self._proc.stdout.readline().split()  # "host port user password", once listening
        if len(line) != 4:
            self._proc.kill()
            raise RuntimeError("the SFTP server process did not start")
        self.host, port, self.user, self.password = line
        self.port = int(port)

    def stop(self) -> None:
        """Close its stdin (it exits) and reap it."""
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except Exception:
                self._proc.kill()


def _serve_until_stdin_closes(root: str, known_hosts: str) -> None:
    import sys

    server = SftpTestServer(Path(root)).start()
    server.known_hosts_file(known_hosts)
    print(server.host, server.port, server.user, server.password, flush=True)
    sys.stdin.read()  # the parent closes stdin to stop us
    server.stop()


if __name__ == "__main__":
    import sys

    _serve_until_stdin_closes(sys.argv[1], sys.argv[2])


__all__ = ["SftpTestServer", "SftpServerProcess"]
