"""A lost terminal: the App's SIGHUP handling (a dropped SSH session must not kill the process mid-row).

Textual installs no SIGHUP handler. Ours stops new work, lets the rows in flight finish (each is one transaction)
and exits; the next start resumes. A mixin of :class:`~amirtui.tui.app.AmirApp`, which provides ``_cancel_work``,
``_pipeline_idle``, ``publish_running``, ``settings`` and ``exit``."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

log = logging.getLogger("amirtui.tui")


class HangupMixin:
    """SIGHUP: stop new work, finish the rows in flight, release the lock and leave (exit status 129)."""

    _old_sighup: Any = None
    hung_up: bool = False

    def _install_sighup(self) -> None:
        """Textual installs no SIGHUP handler, so a dropped SSH session would kill the process mid-row. Ours stops
        new work, lets the rows in flight finish (each is one transaction) and exits: the next start resumes."""
        import asyncio

        try:  # the loop's handler wakes the event loop at once (a plain signal.signal one waits for the next tick)
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
            self._old_sighup = True
        except (RuntimeError, ValueError, NotImplementedError):  # not the main thread / no signals here
            self._old_sighup = None

    def _remove_sighup(self) -> None:
        import asyncio

        if self._old_sighup:
            try:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            except RuntimeError:
                pass

    def _on_sighup(self) -> None:
        self.hung_up = True
        self._cancel_work()
        log.warning("SIGHUP: terminal lost; finishing the rows in flight, then exiting (resumable)")
        threading.Thread(target=self._leave_after_hangup, name="amirtui-hangup", daemon=True).start()
        self.exit()

    def _leave_after_hangup(self, grace: float = 10.0) -> None:
        """Textual's shutdown can block for ever restoring a terminal that no longer exists (its writer queue
        waits on a dead pty). Once the rows in flight are finished (every one its own transaction) and the normal
        exit had ``grace`` seconds, release our lock and leave: nothing is lost, the next start resumes."""
        self._pipeline_idle.wait(300)
        deadline = time.monotonic() + 300
        while self.publish_running and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(grace)
        from ..core.lock import read_lock

        lock = self.settings.data_dir / "amirtui.lock"
        info = read_lock(lock)
        if info is not None and info.pid == os.getpid():
            lock.unlink(missing_ok=True)
        log.warning("SIGHUP: work stopped cleanly; the terminal is gone, exiting without restoring it")
        logging.shutdown()
        os._exit(129)  # 128 + SIGHUP, as a shell reports it
