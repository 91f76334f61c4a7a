"""Post-run validation (``amirtui validate`` and automatically after a publish run).

Checks that every published row is in the catalog(s) by ``File_Name`` with the fields it was published with, that its
files exist on the target with the size that was uploaded (local, FTP, FTPS or SFTP: :mod:`.remote_files`) and answer
HTTP 200 on HEAD when URL checks are on, that the queue, the mirror and MySQL agree, and that no working file of a
finished row is left (:mod:`amirtui.core.workfiles`). Writes a report file under ``logs/`` and returns each problem
with its fix.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db.models import Photo
from ..redact import redact
from ..safe_text import escape_control
from ..states import LIVE, State
from ..workfiles import leftover_files
from .catalog import build_row, differences
from .drift import compare
from .mirror import Mirror
from .mysql_catalog import MySQLCatalog
from .remote_files import check_files
from .targets import BaseTarget, LocalTarget

log = logging.getLogger("amirtui.publish")

FINISHED = (State.PUBLISHED.value, State.REJECTED.value, State.ROLLED_BACK.value, State.UNPUBLISHED.value)


@dataclass
class Problem:
    """One thing validation found wrong, with the row it concerns and what to do about it."""

    kind: str
    detail: str
    fix: str
    photo_id: int | None = None
    file_name: str | None = None

    def line(self) -> str:
        """One summary line: what, which row, the fix."""
        who = f"id={self.photo_id} {self.file_name} " if self.photo_id else ""
        return f"[{self.kind}] {who}{self.detail} — fix: {self.fix}"


@dataclass
class ValidationReport:
    """Everything validation checked and found."""

    checked: int = 0
    files_checked: int = 0
    urls_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    report_path: Path | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def summary_lines(self) -> list[str]:
        """A headline plus one line per problem (what is wrong and its fix)."""
        head = (f"validation: {self.checked} published rows checked, {self.files_checked} files, {self.urls_checked} URLs, "
                f"{len(self.problems)} problem(s)")
        return [head, *(p.line() for p in self.problems)]


def _head_ok(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 200 (file:// → the file exists); else the reason."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        path = Path(urllib.request.url2pathname(parts.path))
        return None if path.is_file() else f"{path} does not exist"
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http(s) URL (set publish.public_url_base)"
    req = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only, checked above
            return None if resp.status == 200 else f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"no answer ({getattr(exc, 'reason', exc)})"


def _check_row(p: Photo, expected: dict[str, Any], stored: dict[str, Any] | None, where: str,
               problems: list[Problem]) -> None:
    if stored is None:
        problems.append(Problem(f"{where}_missing", f"published but absent from the {where}",
                                f"restore the {where} row (re-run publish after amirtui recover sends the row back)",
                                p.id, p.file_name))
        return
    if p.catalog_id is not None and stored.get("id") != p.catalog_id:
        problems.append(Problem(f"{where}_id", f"{where} id {stored.get('id')} differs from the queue's {p.catalog_id}",
                                "the mirror must keep the MySQL id: re-run publish for this row", p.id, p.file_name))
    diff = differences(expected, stored)
    if diff:
        problems.append(Problem(f"{where}_mismatch", f"{where} differs in {', '.join(diff)}",
                                f"someone edited the {where} row: `amirtui republish {p.file_name}` restores it",
                                p.id, p.file_name))


def _stale_files(settings: Any, problems: list[Problem]) -> None:
    for p in Photo.select().where(Photo.state.in_(FINISHED)):
        for label, path in leftover_files(p, settings):
            problems.append(Problem("stale_file", f"{label} {path} is still there for a {p.state} row",
                                    f"delete {path} (the row is finished; amirtui recover --resume cleans these)",
                                    p.id, p.file_name))


def validate(settings: Any, secrets: Any, *, check_urls: bool, catalog: MySQLCatalog | None = None,
             mirror: Mirror | None = None, target: BaseTarget | None = None) -> ValidationReport:
    """Validate every published row against the mirror (and MySQL when enabled) and its files on ``target`` (the
    configured one: pass ``make_target(settings, secrets)``; the local target needs none); write
    ``logs/validation_*.txt``."""
    report = ValidationReport()
    if target is None and settings.publish.target == "local":
        target = LocalTarget(settings.site_dir)
    problems = report.problems
    mirror = mirror or Mirror(settings.mirror_db_path, settings.publish.mysql.table)
    own_catalog = catalog is None and settings.publish.mysql.enabled
    if own_catalog:
        catalog = MySQLCatalog.from_settings(settings, getattr(secrets, "mysql_password", None))
    try:
        website: list[dict[str, Any]] | None = None
        if catalog is not None:
            try:
                website = catalog.all_rows()
            except Exception as exc:  # report it; the mirror checks still run
                problems.append(Problem("mysql_unreachable", redact(str(exc)),
                                        "check the MySQL server and credentials, then run amirtui validate again"))
                catalog = None
        mirror_names = mirror.all_file_names()
        published = list(Photo.select().where(Photo.state == State.PUBLISHED.value).order_by(Photo.id))
        report.checked = len(published)
        for p in published:
            expected = build_row(p, folder=p.set.folder, location=p.set.location, web_url=p.web_url or "",
                                 thumb_url=p.thumb_url or "")
            if p.catalog_id is None:
                problems.append(Problem("no_catalog_id", "published without a catalog id",
                                        "re-run publish for this row", p.id, p.file_name))
            _check_row(p, expected, mirror.fetch(p.file_name), "mirror", problems)  # the website: drift below
            if check_urls:
                for url in (p.web_url, p.thumb_url):
                    if not url:
                        continue
                    report.urls_checked += 1
                    why = _head_ok(url, settings.publish.timeout)
                    if why:
                        problems.append(Problem("url", f"{url} does not answer: {why}",
                                                "check the upload and publish.public_url_base", p.id, p.file_name))
        # queue ↔ catalog agreement: a catalog row for a queue row that is not published means an interrupted publish
        by_name = {p.file_name: p for p in Photo.select().where(Photo.file_name.in_(list(mirror_names)))}
        for name in mirror_names:
            p = by_name.get(name)
            if p is not None and State(p.state) not in LIVE:
                problems.append(Problem("status", f"in the catalog but the queue says {p.state}",
                                        "run amirtui publish again to finish this row", p.id, name))
        if website is not None:  # the website catalog against the mirror: changed outside amirtui, one-sided rows
            ids = {p.file_name: p.id for p in Photo.select(Photo.id, Photo.file_name).where(Photo.file_name.is_null(False))}
            for d in compare(website, mirror.all_rows()):
                problems.append(Problem(f"drift_{d.kind}", d.detail, d.fix, ids.get(d.file_name), d.file_name))
        if target is not None:
            def add(kind: str, detail: str, fix: str, p: Photo | None) -> None:
                problems.append(Problem(kind, detail, fix, p.id if p else None, p.file_name if p else None))
            report.files_checked = check_files(target, published, add)
        else:
            problems.append(Problem("files_not_checked", f"no {settings.publish.target} connection was given",
                                    "run amirtui validate (it connects with the configured target)"))
        _stale_files(settings, problems)
    finally:
        if own_catalog and catalog is not None:
            catalog.close()
    _write_report(settings, report)
    return report


def _write_report(settings: Any, report: ValidationReport) -> None:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    logs = settings.logs_dir
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"validation_{stamp}.txt"
    lines = report.summary_lines()
    text = redact("\n".join(escape_control(line) for line in lines) + "\n")  # a log file: no raw control bytes
    path.write_text(text, encoding="utf-8")
    (logs / "validation_latest.txt").write_text(text, encoding="utf-8")
    report.report_path = path
    for line in lines:
        log.log(logging.INFO if report.ok else logging.WARNING, "%s", line)
