"""Implementations of the CLI subcommands (imported only after argument parsing)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from .commands_catalog import catalog, suggest_subject
from .config import Settings, load_settings
from .core.events import Event, EventBus, RowChanged, StageProgressed
from .core.safe_text import escape_control

WRITING = {"tui", "import", "run", "publish", "unpublish", "republish", "recover", "db", "catalog"}


def _console_printer(stream=None):
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
        print(prefix + event.text(), file=stream or sys.stderr, flush=True)  # sys.stderr now: the CLI's safe stream

    return listener


def _prepare(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    # Everything amirtui creates (review DB, staged originals, logs, reports, backups) is the owner's alone,
    # whatever the umask of the shell; published files are made readable explicitly by the local target.
    os.umask(0o077)
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
    reporting = command == "recover" and not (args.resume or args.rollback)  # `recover [--status]` only reports
    if command in WRITING and not reporting and not (command == "db" and args.db_command == "backup"):
        from .core.lock import InstanceLock, lock_state

        lock = InstanceLock(settings.data_dir)
        # Recovering from a crash is what `recover` is for: a lock left by a dead process must not stop it.
        clear = args.clear_stale_lock or command == "recover"
        state, stale = lock_state(settings.data_dir)
        lock.acquire(clear_stale=clear)
        if clear and state == "stale" and stale is not None:
            print(f"cleared the stale lock of dead pid {stale.pid} on {stale.host}", file=sys.stderr)
    try:
        from .core.db import open_db

        open_db(settings.db_path)
        handler = {
            "tui": _tui, "import": _import, "run": _run, "publish": _publish, "recover": _recover,
            "unpublish": _unpublish, "republish": _republish, "export": _export,
            "validate": _validate, "db": _db, "catalog": catalog, "suggest-subject": suggest_subject,
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
    # refusals, duplicates and problems were printed once already, as the import's events (escaped)
    for res in report.sets:
        if res.refusals_recorded and not report.ok:
            print(res.summary() + " (refusals recorded in the database)", file=sys.stderr)
    if not report.ok:
        if not args.confirm_new and _new_taxonomy(settings, spec):
            print("  fix: check the spelling, or add --confirm-new to accept the new Folder/Location", file=sys.stderr)
        return 1
    print(f"imported {report.accepted} photo(s); run `amirtui run --headless` or open the TUI to process them")
    return 0


#: `amirtui run --headless` exit codes (README "Run outcomes and exit codes").
RUN_EXIT = {"ok": 0, "failed": 1, "partial": 3, "cancelled": 4}


def _new_taxonomy(settings: Settings, spec) -> bool:
    """True when the import waits for a Folder or Location to be confirmed (what --confirm-new does)."""
    if not settings.ingest.confirm_new_taxonomy:
        return False
    from .core.ingest import known_taxonomy

    return any(value.strip() and value.strip().casefold() not in known_taxonomy(kind)
               for kind, value in (("folder", spec.folder), ("location", spec.location)))


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
    print(result.headline())
    return RUN_EXIT.get(result.outcome, 1)


def _publish(settings: Settings, args) -> int:
    from .core.events import PublishStepDone
    from .core.publish.publisher import Publisher
    from .secrets import load_secrets

    secrets = load_secrets(settings)
    bus = _bus()
    shown: set[tuple[int, str]] = set()  # failures the console already printed as events: printed once only
    bus.subscribe(lambda e: shown.add((e.photo_id, e.step)) if isinstance(e, PublishStepDone) and not e.ok else None)
    publisher = Publisher(settings, secrets=secrets, bus=bus)
    ids = publisher.eligible_ids()[: args.limit] if args.limit else None
    summary = publisher.run(ids, validate_after=True, secrets=secrets)
    print(summary.text())
    if not (summary.published or summary.failed or summary.skipped):  # say why, not just three zeros
        print("nothing to publish: no row is approved — approve rows in the review screen (amirtui, F2, key a)")
    for pid, step, error in [f for f in summary.failed if (f[0], f[1]) not in shown][:20]:
        print(f"  failed id={pid} at {step}: {escape_control(error)}", file=sys.stderr)
    if summary.validation is not None and not summary.validation.ok:
        for line in summary.validation.summary_lines():
            print(f"  {line}", file=sys.stderr)
    return 0 if not summary.failed else 1


def _unpublish(settings: Settings, args) -> int:
    from .core.publish.unpublish import Unpublisher
    from .secrets import load_secrets

    summary = Unpublisher(settings, secrets=load_secrets(settings), bus=_bus()).run(args.file_names or None)
    print(summary.text())
    for name in summary.unpublished:
        print(f"  unpublished {name} (its name stays reserved)")
    for name, why in summary.skipped:
        print(f"  skipped {name}: {why}", file=sys.stderr)
    for name, step, error in summary.failed:
        print(f"  failed {name} at {step}: {error} — run amirtui unpublish again to continue", file=sys.stderr)
    if not (args.file_names or summary.unpublished or summary.failed):
        print("nothing to continue: name the File_Names to unpublish")
    refused = [n for n, why in summary.skipped if why != "already unpublished"]  # twice is fine: idempotent
    return 0 if not summary.failed and not refused else 1


def _republish(settings: Settings, args) -> int:
    from .core.db.models import Photo
    from .core.publish.publisher import Publisher
    from .core.publish.unpublish import find_rows
    from .core.review_published import request_republish
    from .secrets import load_secrets

    rows, skipped = find_rows(args.file_names)
    for name, why in skipped:
        print(f"  skipped {name}: {why}", file=sys.stderr)
    ids = []
    for p in rows:
        if p.state == "unpublishing":
            print(f"  skipped {p.file_name}: its unpublish is in progress", file=sys.stderr)
            continue
        request_republish(p.id, reason="republish requested (amirtui republish)")
        ids.append(p.id)
    if not ids:
        return 1
    secrets = load_secrets(settings)
    summary = Publisher(settings, secrets=secrets, bus=_bus()).run(ids, validate_after=True, secrets=secrets)
    print(summary.text().replace("published", "republished", 1))
    for pid, step, error in summary.failed:
        print(f"  failed {Photo.get_by_id(pid).file_name} at {step}: {error}", file=sys.stderr)
    return 0 if not summary.failed and not skipped else 1


def _recover(settings: Settings, args) -> int:
    from .core import recovery

    bus = _bus()
    if args.rollback:
        print(recovery.rollback(settings, bus).text())
    elif args.resume:
        print(recovery.resume(settings, bus).text())
    else:
        print(recovery.detect(settings, mark=False).text())  # --status only reports: no run is marked, nothing moves
        from .core.lock import lock_state

        state, info = lock_state(settings.data_dir)
        if state == "stale" and info is not None:  # reported, never removed here
            print(f"a stale lock of dead pid {info.pid} on {info.host} is left: `amirtui recover --resume` or "
                  "`amirtui recover --clear-lock` removes it")
    return 0


def _validate(settings: Settings, args) -> int:
    from .core.publish.publisher import make_target
    from .core.publish.validation import validate
    from .secrets import load_secrets

    secrets = load_secrets(settings)
    report = validate(settings, secrets, check_urls=not args.offline and settings.publish.verify_urls,
                      target=make_target(settings, secrets))
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
        from .core.captioning import quality_mirror
        from .core.publish.mysql_catalog import MySQLCatalog, create_table
        from .secrets import load_secrets

        catalog = MySQLCatalog.from_settings(settings, load_secrets(settings).mysql_password)
        try:
            create_table(catalog.connect(), settings.publish.mysql.table)
            quality_mirror.create_table(catalog.connect())
        finally:
            catalog.close()
        print(f"catalog table ready: {catalog.where()} (and {quality_mirror.TABLE} beside it)")
    return 0


def _export(settings: Settings, args) -> int:
    """``amirtui export quality``: JSON lines on stdout (ASCII-escaped: model text never reaches a terminal raw)."""
    import json

    from .core.captioning.record import export_rows

    n = 0
    out = sys.stdout
    for row in export_rows(args.since):
        out.write(json.dumps(row, ensure_ascii=True, sort_keys=True) + "\n")
        n += 1
    out.flush()
    since = f" since {args.since.isoformat(sep=' ')}" if args.since else ""
    print(f"exported {n} caption attempt(s){since}", file=sys.stderr)
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
    from .core.errors import LockHeld
    from .core.lock import clear_stale_lock, lock_state

    state, info = lock_state(settings.data_dir)
    if state == "free":
        print("no lock file; nothing to clear" if info is None else "the lock is free; nothing to clear")
        return 0
    if state == "held":
        who = f"pid {info.pid} on {info.host}" if info else "a running process"
        print(f"the lock belongs to a live process ({who}); not cleared", file=sys.stderr)
        return 1
    try:
        dead = clear_stale_lock(settings.data_dir)
    except LockHeld as exc:
        print(f"{exc.detail}; not cleared", file=sys.stderr)
        return 1
    print(f"cleared stale lock of pid {dead.pid} on {dead.host}" if dead else "nothing to clear")
    return 0
