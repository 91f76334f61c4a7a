"""Naming benchmark: the reference corpus, naming against a big catalog, and ``amirtui catalog pull``.

- ``corpus``: the share of tests/data/naming_corpus.jsonl amirtui reproduces (target 1.0 — every entry).
- ``naming``: a local mirror holding ``existing`` names (default 50,000, shaped like the website's), then the naming
  stage's whole path — read the queue, reservations and mirror, build the index (``QueueStage.setup``) and name
  ``new`` rows (default 100) through the real DB transactions. Target: ≤ 1 s.
- ``pull``: ``pull_rows`` rows (default 50,000, every catalog column filled) in a MariaDB catalog copied into an
  empty mirror, then pulled again (idempotent: 0 new, 0 updated). Target: first pull ≤ 10 s. Needs
  ``AMIRTUI_TEST_MYSQL_URL``; skipped (``pull`` is None) without it.

Run: ``python -m benchmarks.bench_naming [existing] [new] [pull_rows]``; JSON goes to benchmarks/results/naming.json.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SUBJECTS = ["Eagle", "Boeing 737-800 PH-BXA", "ATR 72-600", "Lion", "Old Bridge", "Tram", "Harbour", "Cathedral"]
LOCATIONS = ["kenya", "Schiphol", "malta", "Amsterdam", "new york", "Zürich", "Porto"]
FOLDERS = ["wildlife", "aviation", "cities", "street photography", "landscape"]
CAMERAS = ["Canon_EOS_R5_Mark_II", "Canon_EOS_40D", "NIKON_CORPORATION_NIKON_D70", "SONY_ILCE_7RM3"]


def catalog_names(n: int) -> list[str]:
    """``n`` distinct names made by the rules themselves, spread over many series like the website's."""
    from amirtui.config import NamingConfig
    from amirtui.core.naming import NameParts, render_name

    cfg = NamingConfig()
    out, i = [], 0
    while len(out) < n:
        s = SUBJECTS[i % len(SUBJECTS)] + ("" if i < len(SUBJECTS) else f" {i}")  # one series per i
        parts = NameParts(s, LOCATIONS[i % 7], FOLDERS[i % 5], CAMERAS[i % 4], str(2005 + i % 20))
        for counter in range(1, 51):
            out.append(render_name(parts, counter, cfg))
        i += 1
    return out[:n]


def _settings(tmp: Path):
    from amirtui.config import load_settings

    (tmp / "config.yaml").write_text("paths:\n  data_dir: data\n  logs_dir: logs\nollama:\n  enabled: false\n")
    return load_settings(tmp / "config.yaml")


def bench_naming(existing: int, new: int) -> dict:
    """Mirror of ``existing`` names; time QueueStage.setup + naming ``new`` rows through the DB."""
    from amirtui.core.db import close_db, open_db, repo
    from amirtui.core.db.models import Photo, PhotoSet
    from amirtui.core.events import EventBus
    from amirtui.core.ingest_stages import QueueStage
    from amirtui.core.publish.catalog import COLUMNS
    from amirtui.core.publish.mirror import Mirror, bulk_upsert
    from amirtui.core.stage import StageContext
    from amirtui.core.states import State

    tmp = Path(tempfile.mkdtemp(prefix="amirtui-bench-naming-"))
    settings = _settings(tmp)
    open_db(settings.db_path)
    try:
        names = catalog_names(existing)
        bulk_upsert(Mirror(settings.mirror_db_path), [{c: None for c in COLUMNS} | {"id": k + 1, "File_Name": n}
                                                      for k, n in enumerate(names)])
        ids = []
        for k in range(new):  # rows continuing the busiest series, a few in brand-new series
            pset = PhotoSet.create(subject=SUBJECTS[k % 3], location=LOCATIONS[k % 3], folder=FOLDERS[k % 3])
            p = Photo.create(set=pset, seq=0, original_path=f"/x/{k}.jpg", original_name=f"{k}.jpg", staged_path="/x")
            repo.transition(p.id, State.STAGED)
            repo.transition(p.id, State.EXIF_READ, camera=CAMERAS[k % 4], year=str(2005 + k % 20))
            ids.append(p.id)
        ctx = StageContext(settings=settings, bus=EventBus())
        stage = QueueStage()
        t0 = time.perf_counter()
        stage.setup(ctx)
        t_setup = time.perf_counter() - t0
        for pid in ids:
            stage.process(pid, ctx)
        wall = time.perf_counter() - t0
        named = [p.file_name for p in Photo.select().where(Photo.id.in_(ids))]
        taken = {n.casefold() for n in names}
        return {
            "existing": existing, "new": new, "setup_s": round(t_setup, 3), "wall_s": round(wall, 3),
            "per_row_ms": round((wall - t_setup) / max(1, new) * 1000, 2),
            "all_named": all(named) and len(named) == new,
            "collisions": sum(1 for n in named if n and n.casefold() in taken),
            "target_s": 1.0, "holds": wall <= 1.0,
        }
    finally:
        close_db()


def bench_pull(rows: int) -> dict | None:
    """MariaDB catalog of ``rows`` rows → empty mirror (timed), then again (idempotent)."""
    url = os.environ.get("AMIRTUI_TEST_MYSQL_URL", "").strip()
    if not url:
        return None
    from amirtui.core.publish.catalog import COLUMNS
    from amirtui.core.publish.catalog_pull import pull_catalog
    from amirtui.core.publish.mirror import Mirror
    from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
    from tests.harness.mysql import create_test_database, drop_test_database, parse_url

    target = create_test_database(parse_url(url))
    try:
        with target.connect() as conn:
            create_table(conn, "photos_info_revamp")
            cols = [c for c in COLUMNS]
            sql = (f"INSERT INTO photos_info_revamp ({', '.join(f'`{c}`' for c in cols)}) "
                   f"VALUES ({', '.join(['%s'] * len(cols))})")
            text = "A long caption about the scene, the light and the place, as the website shows it. " * 3
            values = []
            for k, name in enumerate(catalog_names(rows)):
                row = {c: f"{c} {k}" for c in cols} | {
                    "File_Name": name, "DateTime": "2020-05-01 10:00:00", "Width": 1024, "Height": 683,
                    "Caption": text, "alt_text": text[:120], "Keywords": "a, b, c", "QR": 7.25, "nima_score": 5.1,
                    "blur_score": 0.8, "brightness_score": 0.5, "contrast_score": 0.4, "brisque_score": 20.0,
                    "clip_aesthetic_score": 6.0}
                values.append([row[c] for c in cols])
            with conn.cursor() as cur:
                for i in range(0, len(values), 5000):
                    cur.executemany(sql, values[i:i + 5000])
            conn.commit()
        tmp = Path(tempfile.mkdtemp(prefix="amirtui-bench-pull-"))
        settings = _settings(tmp)
        catalog = MySQLCatalog(target.host, target.port, target.user, target.password, target.database,
                               "photos_info_revamp")
        mirror = Mirror(settings.mirror_db_path)
        first = pull_catalog(settings, catalog=catalog, mirror=mirror)
        second = pull_catalog(settings, catalog=catalog, mirror=mirror)
        catalog.close()
        return {
            "rows": rows, "first_s": round(first.seconds, 2), "again_s": round(second.seconds, 2),
            "first_added": first.added, "again_added": second.added, "again_changed": second.changed,
            "mirror_rows": mirror.count(), "target_s": 10.0,
            "holds": first.seconds <= 10.0 and first.added == rows and second.added == second.changed == 0,
        }
    finally:
        drop_test_database(target)


def run(existing: int = 50_000, new: int = 100, pull_rows: int = 50_000, *, out_dir: Path | None = None) -> dict:
    """All three measurements; writes naming.json under ``out_dir`` (default benchmarks/results)."""
    from tests.naming_corpus import score

    corpus = score()
    result = {
        "corpus": {"entries": corpus.total, "matched": corpus.matched, "rate": round(corpus.rate, 4),
                   "misses": corpus.misses, "target": 1.0, "holds": corpus.rate == 1.0},
        "naming": bench_naming(existing, new),
        "pull": bench_pull(pull_rows),
    }
    out = (out_dir or ROOT / "benchmarks" / "results") / "naming.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(run(*args), indent=2, ensure_ascii=False))
