"""The catalog and subject subcommands: ``amirtui catalog pull``, ``catalog fingerprint`` and ``suggest-subject``.

Split from :mod:`amirtui.commands` to keep each module small; imported only after argument parsing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .config import Settings
from .core.safe_text import escape_control


def catalog(settings: Settings, args) -> int:
    """``amirtui catalog pull|fingerprint``: read the website's names (or fingerprint its images) into the mirror."""
    from .core.publish.catalog_pull import pull_catalog
    from .secrets import load_secrets

    if args.catalog_command == "fingerprint":
        return _catalog_fingerprint(settings, args)

    if not settings.publish.mysql.enabled:
        print("note: publish.mysql.enabled is false; pulling from publish.mysql.* anyway (names in the mirror count "
              "for naming either way)", file=sys.stderr)
    from .core.publish.targets import PublishError

    try:
        report = pull_catalog(settings, load_secrets(settings))
    except PublishError as exc:
        print(f"amirtui: catalog pull failed: {exc.detail}", file=sys.stderr)
        if exc.fix:
            print(f"  fix: {exc.fix}", file=sys.stderr)
        return 1
    print(report.text())
    return 0


def _catalog_fingerprint(settings: Settings, args) -> int:
    from .core.publish.catalog_fingerprint import fingerprint_catalog
    from .core.publish.targets import PublishError
    from .secrets import load_secrets

    last = [0.0]

    def progress(done: int, total: int, rate: float) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 1.0:  # one line a second, like the run's progress lines
            last[0] = now
            eta = (total - done) / rate if rate > 0 else 0
            print(f"fingerprint: {done}/{total} done, {rate:.1f}/s, ETA {int(eta // 60)}:{int(eta % 60):02d}",
                  file=sys.stderr, flush=True)

    try:
        report = fingerprint_catalog(settings, load_secrets(settings), retry_errors=args.retry_errors,
                                     limit=args.limit, progress=progress)
    except PublishError as exc:
        print(f"amirtui: catalog fingerprint stopped: {exc.detail}" + (f"\n  fix: {exc.fix}" if exc.fix else ""),
              file=sys.stderr)
        return 1
    print(report.text())
    return 1 if report.failed else 0


def suggest_subject(settings: Settings, args) -> int:
    """``amirtui suggest-subject``: propose a Subject for a folder of photos from the model's look at a few of them."""
    from .core import filetypes
    from .core.captioning.subject import suggest

    photos = [p for p in filetypes.iter_candidates([Path(s) for s in args.sources])
              if filetypes.inspect_file(p, set_root=p.parent, max_pixels=settings.ingest.max_image_pixels).ok]
    if not photos:
        print("amirtui: no importable photo in " + ", ".join(escape_control(str(s)) for s in args.sources),
              file=sys.stderr)
        return 1
    got = suggest(photos, settings, folder=args.folder)
    if got.subject is None:
        print(f"no suggestion: {escape_control(got.note)}", file=sys.stderr)
        return 1
    print(f"suggested Subject: {escape_control(got.subject)}  ({escape_control(got.note)}); use it with "
          f"--subject \"{escape_control(got.subject)}\" or type your own")
    return 0
