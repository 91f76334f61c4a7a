"""Implementations of the CLI subcommands (imported only after argument parsing)."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from .config import Settings, load_settings
from .core.events import Event, EventBus, RowChanged, StageProgressed

WRITING = {"tui", "import", "run", "publish", "recover", "db"}


def _console_printer(stream=sys.stderr):
    """An event listener that prints log-worthy events and a throttled stage-progress line."""
    last: dict[str, float] = {}

    def listener(event: Event) -> None:
        if isinstance(event, RowChanged) or event.level < logging.INFO:
            return  # one line per row per stage is too much for a terminal; it is in logs/latest_run.log
        if isinstance(event, StageProgressed):
            now = time.monotonic()
            if now - last.get(event.stage, 0) < 1.0 and event.done + event.failed < event.total:
                return
            last[event.stage] = now
        prefix = "" if event.level <= logging.INFO else f"{logging.getLevelName(event.level)}: "
        print(prefix + event.text(), file=stream, flush=True)

    return listener


def _prepare(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    from .core.logs import setup_logging

    setup_logging(settings.logs_dir, settings.data_dir)
    return settings


def dispatch(args: argparse.Namespace) -> int:
    """Run the chosen subcommand; raises AmirError for fatal problems (exit 2 in cli.main)."""
    command = args.command or "tui"
    settings = _prepare(args)
    if command == "recover" and args.clear_lock:
        return _clear_lock(settings)
    if command == "preflight":
        return _preflight(settings)
    if command == "models":
        return _models_fetch(settings)
    lock = None
    if command in WRITING and not (command == "db" and args.db_command == "backup"):
        from .core.lock import InstanceLock

        lock = InstanceLock(settings.data_dir)
        # Recovering from a crash is what `recover` is for: a lock left by a dead process must not stop it.
        clear = args.clear_stale_lock or command == "recover"
        if clear:
            from .core.lock import read_lock

            stale = read_lock(lock.path)
            if stale is not None and not stale.alive:
                print(f"cleared the stale lock of dead pid {stale.pid} on {stale.host}", file=sys.stderr)
        lock.acquire(clear_stale=clear)
    try:
        from .core.db import open_db

        open_db(settings.db_path)
        handler = {
            "tui": _tui, "import": _import, "run": _run, "publish": _publish, "recover": _recover,
            "validate": _validate, "db": _db,
        }[command]
        return handler(settings, args)
    finally:
        if lock is not None:
            lock.release()


def _bus() -> EventBus:
    bus = EventBus()
    bus.subscribe(_console_printer())
    return bus


def _tui(settings: Settings, args) -> int:
    from .tui.app import make_app

    # Preflight is the first screen: every check a run depends on, before anything starts (F2 reaches the queue).
    app = make_app(settings, start="preflight")
    app.run()
    return app.return_code or 0


def _import(settings: Settings, args) -> int:
    from .core.ingest import SetSpec, import_sets

    spec = SetSpec(sources=args.sources, subject=args.subject, location=args.location, folder=args.folder,
                   confirm_new=args.confirm_new)
    report = import_sets([spec], settings, _bus(), smoke=args.smoke)
    for res in report.sets:
        for path, reason in res.refused:
            print(f"refused {path}: {reason}", file=sys.stderr)
        for path, why in res.duplicates:
            print(f"skipped {path}: {why}", file=sys.stderr)
        for problem in res.problems:
            print(f"problem: {problem}", file=sys.stderr)
    if not report.ok:
        return 1
    print(f"imported {report.accepted} photo(s); run `amirtui run --headless` or open the TUI to process them")
    return 0


def _run(settings: Settings, args) -> int:
    from .core.pipeline import Pipeline

    if not args.headless:
        return _tui(settings, args)
    bus = _bus()
    pipeline = Pipeline(settings, bus)
    import signal

    def stop(signum, frame):  # SIGTERM / SIGHUP: finish the rows in flight, then stop — the next run resumes
        bus.warning(f"signal {signum}: finishing rows in flight, then stopping (resumable)", source="run")
        pipeline.cancel.set()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    result = pipeline.run()
    return 0 if result.outcome in ("ok", "cancelled") else 1


def _publish(settings: Settings, args) -> int:
    from .core.publish.publisher import Publisher
    from .secrets import load_secrets

    secrets = load_secrets(settings)
    publisher = Publisher(settings, secrets=secrets, bus=_bus())
    ids = publisher.eligible_ids()[: args.limit] if args.limit else None
    summary = publisher.run(ids, validate_after=True, secrets=secrets)
    print(summary.text())
    if not (summary.published or summary.failed or summary.skipped):  # say why, not just three zeros
        print("nothing to publish: no row is approved — approve rows in the review screen (amirtui, F2, key a)")
    for pid, step, error in summary.failed[:20]:
        print(f"  failed id={pid} at {step}: {error}", file=sys.stderr)
    if summary.validation is not None and not summary.validation.ok:
        for line in summary.validation.summary_lines():
            print(f"  {line}", file=sys.stderr)
    return 0 if not summary.failed else 1


def _recover(settings: Settings, args) -> int:
    from .core import recovery

    bus = _bus()
    if args.rollback:
        print(recovery.rollback(settings, bus).text())
    elif args.resume:
        print(recovery.resume(settings, bus).text())
    else:
        print(recovery.detect(settings).text())
    return 0


def _validate(settings: Settings, args) -> int:
    from .core.publish.validation import validate
    from .secrets import load_secrets

    report = validate(settings, load_secrets(settings), check_urls=not args.offline and settings.publish.verify_urls)
    for line in report.summary_lines():
        print(line)
    return 0 if report.ok else 1


def _db(settings: Settings, args) -> int:
    from .core.db import LATEST_VERSION, close_db, migrate, open_db, schema_version
    from .core.db.backup import backup_db, reset_db

    if args.db_command == "backup":
        print(f"backup written: {backup_db(settings.db_path)}")
    elif args.db_command == "migrate":
        db = open_db(settings.db_path, migrate_to=None)
        applied = migrate(db)
        print(f"schema version {schema_version(db)} (latest {LATEST_VERSION}); applied: {applied or 'nothing'}")
    elif args.db_command == "reset":
        if not args.yes:
            answer = input(f"Reset {settings.db_path}? A backup is written first. Type 'reset' to continue: ")
            if answer.strip() != "reset":
                print("cancelled; nothing changed")
                return 1
        close_db()
        backup = reset_db(settings.db_path)
        open_db(settings.db_path)
        print(f"database reset; backup at {backup}" if backup else "database created")
    elif args.db_command == "create-catalog":
        from .core.publish.mysql_catalog import MySQLCatalog, create_table
        from .secrets import load_secrets

        catalog = MySQLCatalog.from_settings(settings, load_secrets(settings).mysql_password)
        try:
            create_table(catalog.connect(), settings.publish.mysql.table)
        finally:
            catalog.close()
        print(f"catalog table ready: {catalog.where()}")
    return 0


def _preflight(settings: Settings) -> int:
    from .core.preflight import format_checks, run_checks
    from .secrets import load_secrets

    checks = run_checks(settings, load_secrets(settings))
    print(format_checks(checks))
    return 1 if any(c.level == "red" for c in checks) else 0


def _models_fetch(settings: Settings) -> int:
    from .core.quality.weights import fetch_weights

    last: dict[str, int] = {}

    def progress(metric: str, file_name: str, done: int, total: int | None) -> None:
        pct = int(done * 100 / total) if total else -1
        if last.get(file_name) != pct // 10:  # one line per 10 %
            last[file_name] = pct // 10
            print(f"{metric}: {file_name} {done / 2**20:.1f} MiB" + (f" ({pct}%)" if total else ""),
                  file=sys.stderr, flush=True)

    results = fetch_weights(settings, progress)
    for r in results:
        print(f"{r.metric}: {r.file_name} {r.status}" + (f" — {r.detail}" if r.detail else ""))
    return 0 if all(r.status in ("present", "downloaded") for r in results) else 1


def _clear_lock(settings: Settings) -> int:
    from .core.lock import InstanceLock, read_lock

    lock = InstanceLock(settings.data_dir)
    info = read_lock(lock.path)
    if info is None:
        print("no lock file; nothing to clear")
        return 0
    if info.alive:
        print(f"the lock belongs to a live process (pid {info.pid} on {info.host}); not cleared", file=sys.stderr)
        return 1
    lock.path.unlink(missing_ok=True)
    print(f"cleared stale lock of pid {info.pid} on {info.host}")
    return 0


