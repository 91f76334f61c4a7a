"""Log files operators know: ``logs/latest_run.log`` (every event), ``logs/db_uploader.log`` (publish, one line per
row and step) and ``data/crash_runtime.log`` (unexpected exceptions with tracebacks). Every line passes through
:func:`amirtui.core.redact.redact`, so a secret can never reach a file, and through
:func:`amirtui.core.safe_text.escape_control`, so a log file never holds a raw control byte (a hostile file name
cannot forge a log line or send a terminal escape to whoever runs ``tail -f``). Log files are created 0600 in 0700
folders (:mod:`amirtui.core.private_files`).
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .private_files import make_private_dir, open_private
from .redact import redact
from .safe_text import escape_control

_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
_crash_path: Path | None = None
_crash_lock = threading.Lock()


class RedactingFormatter(logging.Formatter):
    """A formatter that masks secrets in the final text (message, arguments and tracebacks alike) and escapes
    control characters: the message becomes exactly one line; a traceback keeps its line breaks only."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_control(redact(record.message))  # mask first: a secret may hold a control char
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return escape_control(redact(super().formatException(ei)), keep="\n")

    def formatStack(self, stack_info: str) -> str:
        return escape_control(redact(super().formatStack(stack_info)), keep="\n")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file created 0600 (also each new file after a rollover), whatever the umask."""

    def _open(self):  # noqa: D401 - logging's hook
        return open_private(Path(self.baseFilename), "a", encoding=self.encoding or "utf-8")


def _handler(path: Path, max_bytes: int = 5_000_000, backups: int = 5) -> RotatingFileHandler:
    make_private_dir(path.parent)
    handler = PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(_FORMAT))
    handler._amirtui = True  # type: ignore[attr-defined]  # marks handlers we own, for re-setup
    return handler


def _reset(logger: logging.Logger) -> None:
    for h in list(logger.handlers):
        if getattr(h, "_amirtui", False):
            logger.removeHandler(h)
            h.close()


def setup_logging(logs_dir: Path, data_dir: Path, *, level: int = logging.INFO) -> None:
    """Attach the rotating file handlers and the crash hooks (idempotent: calling again re-targets the files)."""
    global _crash_path
    make_private_dir(data_dir)
    make_private_dir(logs_dir)
    run_logger = logging.getLogger("amirtui")
    _reset(run_logger)
    run_logger.setLevel(level)
    run_logger.addHandler(_handler(logs_dir / "latest_run.log"))
    publish_logger = logging.getLogger("amirtui.publish")
    _reset(publish_logger)
    publish_logger.addHandler(_handler(logs_dir / "db_uploader.log"))
    _crash_path = data_dir / "crash_runtime.log"
    _install_hooks()


def log_crash(kind: str, exc: BaseException, context: str = "") -> None:
    """Append an unexpected exception to ``data/crash_runtime.log``: timestamp, kind, context, traceback (redacted)."""
    path = _crash_path
    text = escape_control(redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))), keep="\n")
    head = escape_control(redact(f"{kind}{' — ' + context if context else ''}"))
    entry = f"=== {dt.datetime.now().isoformat(timespec='seconds')} {head}\n{text}\n"
    logging.getLogger("amirtui").error("%s: %s (%s) — traceback in crash_runtime.log", kind, exc, context or "no context")
    if path is None:
        return
    with _crash_lock:
        make_private_dir(path.parent)
        with open_private(path, "a") as fh:
            fh.write(redact(entry))


def masked_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` as text with secrets masked and control characters escaped (for a console)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return escape_control(redact(text), keep="\n")


def crash_log_path() -> Path | None:
    """Where crashes are written (None before :func:`setup_logging`)."""
    return _crash_path


_hooks_installed = False


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    previous_sys = sys.excepthook
    previous_thread = threading.excepthook

    def sys_hook(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            log_crash("unhandled exception", exc)
            if previous_sys is sys.__excepthook__:  # Python's own hook would print the secrets unmasked
                print(masked_traceback(exc), file=sys.stderr, end="")
                return
        previous_sys(exc_type, exc, tb)

    def thread_hook(args):
        if args.exc_value is not None:
            log_crash("thread crashed", args.exc_value, context=getattr(args.thread, "name", ""))
            if previous_thread is threading.__excepthook__ and sys.stderr is not None:
                print(f"Exception in thread {getattr(args.thread, 'name', '?')}:\n{masked_traceback(args.exc_value)}",
                      file=sys.stderr, end="")
                return
        previous_thread(args)

    sys.excepthook = sys_hook
    threading.excepthook = thread_hook
