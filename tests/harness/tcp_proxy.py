"""A loopback TCP forwarder that tests put in front of a real server to break the link on purpose.

``cut()`` closes every live connection (a server restart or a dropped link, as the client sees it);
``block()`` closes the listening socket so new connections are *refused* (server down / unreachable) and
``unblock()`` listens again on the same port; ``stall()`` keeps sockets open but stops moving bytes (a
black-holed network: clients only notice through their own timeouts). The real server is never touched.

With ``rtt`` and/or ``bandwidth`` it is also a *link emulator* (benchmarks and one test publish "over the internet"):
every chunk is delayed by half the round trip in each direction, and each direction is one FIFO pipe of
``bandwidth`` bytes/s shared by every connection through the proxy (as a real uplink is) — a chunk leaves when the
pipe has carried the ones before it, then travels ``rtt / 2``. Reads are not throttled (the proxy buffers), so the
sender's TCP window never limits: the model is a fat, long pipe with the given serialisation rate.
"""

from __future__ import annotations

import collections
import socket
import threading
import time


class _Pipe:
    """One direction of the emulated link: serialisation at ``bandwidth`` bytes/s (shared), then ``delay`` seconds."""

    def __init__(self, delay: float, bandwidth: float | None) -> None:
        self.delay, self.bandwidth = delay, bandwidth
        self._free_at = 0.0
        self._lock = threading.Lock()

    def arrival(self, nbytes: int) -> float:
        """The monotonic time at which ``nbytes`` read now reach the other end."""
        now = time.monotonic()
        if not self.bandwidth:
            return now + self.delay
        with self._lock:
            start = max(now, self._free_at)
            self._free_at = start + nbytes / self.bandwidth
            return self._free_at + self.delay


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``(target_host, target_port)``; one thread per direction per connection."""

    def __init__(self, target_host: str, target_port: int, *, rtt: float = 0.0,
                 bandwidth: float | None = None) -> None:
        self.target = (target_host, target_port)
        self.rtt, self.bandwidth = rtt, bandwidth
        self._pipes = {"up": _Pipe(rtt / 2, bandwidth), "down": _Pipe(rtt / 2, bandwidth)}
        self.host = "127.0.0.1"
        self.port = 0
        self.connections_total = 0
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._blocked = threading.Event()
        self._stopping = threading.Event()
        self._accept_thread: threading.Thread | None = None

    @property
    def live_connections(self) -> int:
        """How many client connections are open through the proxy right now."""
        with self._lock:
            return len(self._live) // 2

    def start(self) -> TcpProxy:
        """Listen on a free loopback port and start accepting; returns self."""
        self._listen()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._accept_thread.start()
        return self

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # unblock() re-binds the same port at once
        sock.bind((self.host, self.port))
        sock.listen(64)
        sock.settimeout(0.05)  # the accept loop polls so block()/stop() take effect promptly
        self.port = sock.getsockname()[1]
        self._listener = sock

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None or self._blocked.is_set():
                self._stopping.wait(0.02)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._blocked.is_set():  # raced with block(): this one must not get through either
                client.close()
                continue
            self._open(client)

    def _open(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:  # the real server is down: the client sees its connection closed at once
            client.close()
            return
        for sock in (client, upstream):
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._live.update((client, upstream))
            self.connections_total += 1
        shaped = bool(self.rtt or self.bandwidth)
        for src, dst, way in ((client, upstream, "up"), (upstream, client, "down")):
            if shaped:
                threading.Thread(target=self._shaped_pump, args=(src, dst, self._pipes[way]), daemon=True,
                                 name="tcp-proxy-link").start()
            else:
                threading.Thread(target=self._pump, args=(src, dst), daemon=True, name="tcp-proxy-pump").start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while not self._flowing.wait(0.05):  # stalled: hold the bytes, keep the sockets open
                    if self._stopping.is_set() or src not in self._live:
                        return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._close_pair(src, dst)

    def _shaped_pump(self, src: socket.socket, dst: socket.socket, pipe: _Pipe) -> None:
        """Read as fast as bytes come; a second thread sends each chunk at its emulated arrival time."""
        queue: collections.deque = collections.deque()
        ready = threading.Condition()

        def sender() -> None:
            try:
                while True:
                    with ready:
                        while not queue:
                            ready.wait()
                        due, data = queue.popleft()
                    if data is None:
                        return
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    while not self._flowing.wait(0.05):
                        if self._stopping.is_set() or src not in self._live:
                            return
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                self._close_pair(src, dst)

        thread = threading.Thread(target=sender, daemon=True, name="tcp-proxy-link-send")
        thread.start()
        try:
            while True:
                data = src.recv(65536)
                with ready:
                    queue.append((pipe.arrival(len(data)), data or None))
                    ready.notify()
                if not data:
                    break
        except OSError:
            with ready:
                queue.append((0.0, None))
                ready.notify()

    def _close_pair(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._live.discard(sock)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    # ---- fault controls --------------------------------------------------------------------------------
    def cut(self) -> int:
        """Close every live connection now (both sides); returns how many client connections were cut."""
        with self._lock:
            socks = list(self._live)
        self._close_pair(*socks)
        return len(socks) // 2

    def block(self) -> None:
        """Refuse new connections (ECONNREFUSED) until ``unblock()``; live connections are left alone."""
        self._blocked.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            try:  # shutdown, not just close: it stops listening at once even while accept() is running
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()

    def unblock(self) -> None:
        """Listen again on the same port."""
        if self._listener is None:
            self._listen()
        self._blocked.clear()

    def stall(self) -> None:
        """Keep every connection open but stop forwarding bytes (new ones connect, then hear nothing)."""
        self._flowing.clear()

    def resume(self) -> None:
        """Forward bytes again after ``stall()``."""
        self._flowing.set()

    def stop(self) -> None:
        """Close the listener and every connection; returns promptly."""
        self._stopping.set()
        self._flowing.set()
        self.block()
        self.cut()
        if self._accept_thread:
            self._accept_thread.join(timeout=2)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ProxyProcess:
    """A :class:`TcpProxy` in its own process (benchmarks: in-process its pump threads would share the GIL with the
    client being measured, as a real network never does). ``host``/``port`` once listening; ``stop()`` ends it."""

    def __init__(self, target_host: str, target_port: int, *, rtt: float = 0.0, bandwidth: float | None = None) -> None:
        import subprocess
        import sys
        from pathlib import Path

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.harness.tcp_proxy", target_host, str(target_port), str(rtt),
             str(bandwidth or 0)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=str(Path(__file__).resolve().parents[2]))
        line = self._proc.stdout.readline().split()
        if len(line) != 2:
            self._proc.kill()
            raise RuntimeError("the proxy process did not start")
        self.host, self.port = line[0], int(line[1])

    def stop(self) -> None:
        """Close its stdin (it exits) and reap it."""
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except Exception:  # noqa: BLE001 - a stuck proxy must not hang the benchmark
                self._proc.kill()


__all__ = ["ProxyProcess", "TcpProxy"]


if __name__ == "__main__":  # python -m tests.harness.tcp_proxy HOST PORT RTT BANDWIDTH; stops when stdin closes
    import sys

    _host, _port, _rtt, _bw = sys.argv[1:5]
    _proxy = TcpProxy(_host, int(_port), rtt=float(_rtt), bandwidth=float(_bw) or None).start()
    print(_proxy.host, _proxy.port, flush=True)
    sys.stdin.read()
    _proxy.stop()
