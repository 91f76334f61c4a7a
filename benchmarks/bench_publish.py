"""Publish benchmark: N approved rows → the loopback SFTP server + MariaDB (when AMIRTUI_TEST_MYSQL_URL is set).

Reports rows/s for the whole publish; ``upload_phase_ratio`` = a bare paramiko ``putfo`` of the same bytes over one
connection ÷ the wall time of our upload phase (the union of all upload steps' intervals over the parallel lanes;
target ≥ 0.8); ``upload_efficiency`` = the same bare time ÷ the summed upload step time (per-connection cost of the
size check and the rename) and the catalog upsert cost in ms per row (target ≤ 5). Renders are made once up front and handed to the
publisher, so the numbers measure publishing, not JPEG encoding.

Run: ``python -m benchmarks.bench_publish [rows]`` from the project root; JSON goes to benchmarks/results/publish.json.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _mysql_factory(db_name_holder: list):
    """A MySQLCatalog factory on a fresh test database, or None when AMIRTUI_TEST_MYSQL_URL is unset."""
    url = os.environ.get("AMIRTUI_TEST_MYSQL_URL", "").strip()
    if not url:
        return None, None
    from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
    from tests.harness.mysql import create_test_database, parse_url

    target = create_test_database(parse_url(url))
    db_name_holder.append(target)
    with target.connect() as conn:
        create_table(conn, "photos_info_revamp")

    def make() -> MySQLCatalog:
        return MySQLCatalog(target.host, target.port, target.user, target.password, target.database,
                            "photos_info_revamp")
    return make, target


def run(rows: int = 100, size: tuple[int, int] = (3000, 2000)) -> dict:
    """Publish ``rows`` approved rows to loopback SFTP (+ MariaDB) and return the measurements."""
    import paramiko

    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from amirtui.core.db.models import Photo, PublishStep
    from amirtui.core.imaging import PublishMeta, render_publish_images
    from amirtui.core.publish import Publisher
    from amirtui.core.publish.sftp_target import SFTPTarget
    from tests.harness.sftp_server import SftpServerProcess
    from tests.test_publish_support import make_approved

    tmp = Path(tempfile.mkdtemp(prefix="amirtui-bench-publish-"))
    (tmp / "config.yaml").write_text("paths:\n  data_dir: data\n  logs_dir: logs\nollama:\n  enabled: false\n")
    settings = load_settings(tmp / "config.yaml")
    open_db(settings.db_path)
    # The server runs in its own process, as a real one does; in-process it competed with the uploaders for the GIL.
    known = tmp / "known_hosts"
    server = SftpServerProcess(tmp / "sftp-root", known)
    holder: list = []
    catalog_factory, mysql_target = _mysql_factory(holder)
    try:
        ids = make_approved(tmp / "src", rows, size=size)
        # render once up front (same bytes for the publisher and the bare baseline)
        pairs = {}
        for pid in ids:
            p = Photo.get_by_id(pid)
            pairs[pid] = render_publish_images(p.staged_path, PublishMeta(file_name=p.file_name, caption=p.caption,
                                                                         alt_text=p.alt_text, keywords=p.keywords),
                                               settings.publish)
        blobs = [b for pid in ids for b in (pairs[pid].web, pairs[pid].thumb)]

        # bare paramiko putfo over one connection
        client = paramiko.SSHClient()
        client.load_host_keys(str(known))
        client.connect(server.host, port=server.port, username=server.user, password=server.password,
                       allow_agent=False, look_for_keys=False)
        sftp = client.open_sftp()
        sftp.mkdir("bare")
        t0 = time.perf_counter()
        for i, blob in enumerate(blobs):
            sftp.putfo(io.BytesIO(blob), f"bare/{i}.jpg", file_size=len(blob), confirm=False)
        bare_s = time.perf_counter() - t0
        client.close()

        publisher = Publisher(
            settings, render=lambda photo, _s: pairs[photo.id],
            target_factory=lambda: SFTPTarget(server.host, server.port, server.user, password=server.password,
                                              known_hosts=known),
            catalog_factory=catalog_factory,
        )
        t0 = time.perf_counter()
        summary = publisher.run()
        wall = time.perf_counter() - t0
        assert len(summary.published) == rows, summary.failed[:3]

        def step_ms(name: str) -> list[float]:
            q = PublishStep.select().where((PublishStep.step == name) & (PublishStep.status == "done"))
            return [s.detail["ms"] for s in q]
        upload_s = (sum(step_ms("upload_web")) + sum(step_ms("upload_thumb"))) / 1000
        # wall time of the upload phase: the union of every upload step's interval across the parallel lanes
        spans = sorted((s.started_at, s.finished_at) for s in PublishStep.select().where(
            PublishStep.step.in_(["upload_web", "upload_thumb"]) & (PublishStep.status == "done")))
        union, cur_start, cur_end = 0.0, None, None
        for start, end in spans:
            if cur_end is None or start > cur_end:
                if cur_end is not None:
                    union += (cur_end - cur_start).total_seconds()
                cur_start, cur_end = start, end
            else:
                cur_end = max(cur_end, end)
        if cur_end is not None:
            union += (cur_end - cur_start).total_seconds()
        catalog_ms = step_ms("catalog")

        upsert_ms = None
        if catalog_factory is not None:  # the bare upsert + commit, without the publisher around it
            cat = catalog_factory()
            from amirtui.core.publish.catalog import COLUMNS

            t0 = time.perf_counter()
            for i in range(rows):
                cat.upsert({c: None for c in COLUMNS} | {"File_Name": f"bench_{i}.JPG", "Caption": "x" * 300})
            upsert_ms = (time.perf_counter() - t0) * 1000 / rows
            cat.close()
        mb = sum(len(b) for b in blobs) / 1e6
        result = {
            "rows": rows,
            "lanes": settings.publish.parallel_uploads,
            "catalog": "mariadb" if catalog_factory else "sqlite mirror only (AMIRTUI_TEST_MYSQL_URL unset)",
            "megabytes": round(mb, 2),
            "publish_wall_s": round(wall, 3),
            "rows_per_s": round(rows / wall, 1),
            "bare_putfo_s": round(bare_s, 3),
            "upload_steps_s": round(upload_s, 3),
            "upload_efficiency": round(bare_s / upload_s, 3),
            "upload_efficiency_target": 0.8,
            "upload_phase_wall_s": round(union, 3),
            "upload_phase_ratio": round(bare_s / union, 3),
            "catalog_step_ms_median": round(statistics.median(catalog_ms), 2),
            "upsert_ms_per_row": round(upsert_ms, 2) if upsert_ms is not None else None,
            "upsert_ms_target": 5,
        }
    finally:
        server.stop()
        close_db()
        if mysql_target is not None:
            from tests.harness.mysql import drop_test_database

            drop_test_database(mysql_target)
    out = ROOT / "benchmarks" / "results" / "publish.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 100), indent=2))
