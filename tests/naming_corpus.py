"""The labelled naming corpus (``tests/data/naming_corpus.jsonl``): inputs → the name the old generator gives.

Every expected value was written from a reading of the old generator's newest rules (``utils/file_namer.py`` of the
website's previous pipeline), not from amirtui's output; entries marked ``deliberate`` are amirtui's documented
differences (docs/decisions.md). Used by ``tests/test_naming_corpus.py`` and ``benchmarks/bench_naming.py``.

Kinds: ``slug`` (a Subject), ``location``, ``folder`` (with the ``_Photography`` rule), ``camera_exif`` (Make +
Model), ``camera_direct`` (a camera string typed or stored), ``year``, ``name`` (a whole name after ``existing``
names). ``{current_year}`` and ``{default}`` in an expected value stand for the current year and the default camera.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amirtui.config import NamingConfig
from amirtui.core.camera import camera_token, canonical_camera
from amirtui.core.naming import NameIndex, NameParts, render_name
from amirtui.core.naming_slug import slug, title_parts, year_value

CORPUS = Path(__file__).parent / "data" / "naming_corpus.jsonl"
#: The old generator's default camera, so "nothing usable" cases compare with what it wrote.
DEFAULT_CAMERA = "Canon_EOS_R5_Mark_II"
CFG = NamingConfig(default_camera=DEFAULT_CAMERA)


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The corpus entries, in file order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def expected(entry: dict[str, Any]) -> str:
    """The entry's expected value with its placeholders filled in."""
    return entry["expected"].replace("{current_year}", str(dt.date.today().year)).replace("{default}", DEFAULT_CAMERA)


def actual(entry: dict[str, Any], cfg: NamingConfig = CFG) -> str:
    """What amirtui makes of the entry's inputs."""
    kind = entry["kind"]
    if kind == "slug":
        return slug(entry["text"])
    if kind == "location":
        return title_parts(slug(entry["text"]))
    if kind == "folder":  # the Folder with its suffix, as it sits in a name
        name = render_name(NameParts("S", "L", entry["text"], "C", "2000"), 1, cfg)
        return name[len("S_L_"):-len("_C_2000_001.JPG")]
    if kind == "camera_exif":
        return canonical_camera(camera_token(entry["make"], entry["model"], cfg.default_camera), cfg.default_camera)
    if kind == "camera_direct":
        return canonical_camera(entry["camera"], cfg.default_camera)
    if kind == "year":
        return year_value(entry["year"])
    if kind == "name":
        index = NameIndex(entry["existing"])
        parts = NameParts(entry["subject"], entry["location"], entry["folder"], entry["camera"], entry["year"])
        return index.next_name(parts, cfg)
    raise ValueError(f"unknown corpus kind {kind!r} in {entry['id']}")


@dataclass(frozen=True)
class Score:
    """Corpus result: how many entries matched, and the misses as (id, expected, got)."""

    total: int
    matched: int
    misses: list[tuple[str, str, str]]

    @property
    def rate(self) -> float:
        return self.matched / self.total if self.total else 0.0


def score(entries: list[dict[str, Any]] | None = None) -> Score:
    """Run every entry; a crash counts as a miss (with the exception as the result)."""
    entries = load() if entries is None else entries
    misses = []
    for e in entries:
        try:
            got = actual(e)
        except Exception as exc:  # noqa: BLE001 - a crash is a miss to report, not a reason to stop scoring
            got = f"{type(exc).__name__}: {exc}"
        if got != expected(e):
            misses.append((e["id"], expected(e), got))
    return Score(total=len(entries), matched=len(entries) - len(misses), misses=misses)
