"""Command line: ``amirtui`` (the TUI) and the headless subcommands. Heavy modules are imported inside each command
so that ``amirtui --help`` answers instantly (no torch, pyiqa or Textual at start-up).

Exit codes: 0 ok, 1 the operation failed (e.g. a red preflight line, rows that failed to publish), 2 a fatal
start-up problem (bad config, lock held).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from .core.errors import AmirError
from .core.redact import redact
from .core.safe_text import escape_control


class SafeStream(io.TextIOBase):
    """stdout/stderr of the headless commands: every write has its secrets masked and its control characters
    escaped (line breaks, tabs and carriage returns kept), so no printed file name or server answer can drive the
    terminal. Values from files, EXIF, servers or the model are escaped where they are formatted too; this is the
    net under them."""

    def __init__(self, raw) -> None:
        self.raw = raw

    def write(self, s: str) -> int:
        self.raw.write(escape_control(redact(s), keep="\n\t\r"))
        return len(s)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


def _is_tui(args: argparse.Namespace) -> bool:
    return args.command in (None, "tui") or (args.command == "run" and not getattr(args, "headless", False))


def _since(value: str):
    """``--since``: an ISO date or date-time (UTC)."""
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    # records keep naive UTC times: an explicit offset is converted, a plain date/time is taken as UTC
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="amirtui", description="Photo sets → reviewed, captioned, published catalog.")
    p.add_argument("--config", type=Path, help="config file (default ./config.yaml, or $AMIRTUI_CONFIG_FILE)")
    p.add_argument("--clear-stale-lock", action="store_true", help="remove a lock left by a dead amirtui process")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("tui", help="start the terminal UI (the default)")
    imp = sub.add_parser("import", help="import one set headless: amirtui import DIR... --subject S --location L --folder F")
    imp.add_argument("sources", nargs="+", type=Path)
    imp.add_argument("--subject", required=True)
    imp.add_argument("--location", required=True)
    imp.add_argument("--folder", required=True)
    imp.add_argument("--confirm-new", action="store_true", help="accept a Folder/Location not yet in the taxonomy")
    imp.add_argument("--smoke", type=int, metavar="N", help="take only N images spread across the set")
    run = sub.add_parser("run", help="run the pipeline over everything pending")
    run.add_argument("--headless", action="store_true", help="no UI: log lines and a progress line on stderr")
    sub.add_parser("preflight", help="check models, weights, servers, disk and lock; exit 1 on a red line")
    pub = sub.add_parser("publish", help="publish approved rows (and continue half-published ones)")
    pub.add_argument("--limit", type=int, help="publish at most N rows")
    unp = sub.add_parser("unpublish", help="take published photos off the website (catalog row, web image, thumbnail)")
    unp.add_argument("file_names", nargs="*", metavar="FILE_NAME",
                     help="File_Names to unpublish (none: continue interrupted unpublishes)")
    rep = sub.add_parser("republish", help="upload published photos again with their current text (drift, lost files)")
    rep.add_argument("file_names", nargs="+", metavar="FILE_NAME")
    rec = sub.add_parser("recover", help="show or repair what a crash left behind")
    g = rec.add_mutually_exclusive_group()
    g.add_argument("--status", action="store_true", help="report only (the default)")
    g.add_argument("--resume", action="store_true", help="repair files and continue unfinished work")
    g.add_argument("--rollback", action="store_true", help="roll back unfinished runs (never touches published rows)")
    g.add_argument("--clear-lock", action="store_true", help="clear a stale single-instance lock")
    val = sub.add_parser("validate", help="check published rows against the catalog, files and URLs")
    val.add_argument("--offline", action="store_true", help="skip the HTTP checks of public URLs")
    db = sub.add_parser("db", help="database maintenance")
    dbs = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    dbs.add_parser("backup", help="write a consistent timestamped copy of data/review.db")
    reset = dbs.add_parser("reset", help="back up, then start with an empty review DB")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dbs.add_parser("migrate", help="apply pending schema migrations")
    dbs.add_parser("create-catalog", help="create the MySQL catalog table if it does not exist")
    cat = sub.add_parser("catalog", help="the website catalog (MySQL) and the local mirror")
    cats = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    cats.add_parser("pull", help="copy the website catalog's rows (File_Names and the mirror's columns) into the "
                                 "local mirror, so names continue after them; safe to repeat")
    fp = cats.add_parser("fingerprint", help="hash the website's published web images (photos that predate amirtui) "
                                             "so near-duplicates of them are flagged; resumable")
    fp.add_argument("--retry-errors", action="store_true", help="try again the images that could not be read")
    fp.add_argument("--limit", type=int, help="hash at most this many this time")
    sug = sub.add_parser("suggest-subject", help="ask the vision model for a set's Subject (a suggestion; nothing is "
                                                 "changed)")
    sug.add_argument("sources", nargs="+", type=Path, metavar="DIR", help="the set's folders or files")
    sug.add_argument("--folder", default="", help="the set's Folder (a suggestion equal to it is refused as generic)")
    exp = sub.add_parser("export", help="export records: amirtui export quality [--since DATE] > file.jsonl")
    exps = exp.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    q = exps.add_parser("quality", help="one JSON line per caption attempt with its gate, verifier and human outcome")
    q.add_argument("--since", type=_since, metavar="DATE",
                   help="only attempts made at or after DATE (UTC), e.g. 2026-11-01 or 2026-11-01T18:00")
    models = sub.add_parser("models", help="quality-metric weights")
    ms = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ms.add_parser("fetch", help="download the configured metrics' weights into the weights dir (needs network)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``amirtui`` console script."""
    args = _parser().parse_args(argv)
    if _is_tui(args):  # Textual writes terminal sequences itself; the TUI escapes what it displays
        return _main(args)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        return _main(args)
    finally:
        sys.stdout, sys.stderr = saved


def _main(args: argparse.Namespace) -> int:
    try:
        from . import commands

        return commands.dispatch(args)
    except AmirError as exc:
        print(f"amirtui: {exc.title}: {exc.detail}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {exc.fix}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("amirtui: interrupted — the database is consistent; run again to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        if "database is locked" in str(exc):
            return _locked(args, exc)
        return _crashed(args, exc)


def _locked(args: argparse.Namespace, exc: Exception) -> int:
    from .config import load_settings
    from .core.recovery import locked_message

    try:
        db_path = load_settings(args.config).db_path
    except AmirError:
        db_path = None
    holder = locked_message(db_path) if db_path else str(exc)
    print(f"amirtui: {holder}", file=sys.stderr)
    return 2


def _crashed(args: argparse.Namespace, exc: Exception) -> int:
    """An unexpected exception: the traceback goes to data/crash_runtime.log and the console, secrets masked."""
    from .core.logs import crash_log_path, log_crash, masked_traceback

    log_crash("command crashed", exc, context=f"amirtui {args.command or 'tui'}")
    print(masked_traceback(exc), file=sys.stderr, end="")
    where = crash_log_path()
    saved = f"; the traceback is saved in {where}" if where else ""
    print(f"amirtui: unexpected error {type(exc).__name__}{saved} — the database is consistent; please report it",
          file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
