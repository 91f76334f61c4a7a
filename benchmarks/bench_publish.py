"""Publish benchmark: N approved rows from 24 MP sources → a real SFTP server (+ MariaDB when configured), on loopback
and through an emulated internet link.

**Link** (issue 19): the SFTP server sits behind :class:`tests.harness.tcp_proxy.ProxyProcess` — ``rtt`` round trip
(default 50 ms) and one ``bandwidth`` pipe per direction shared by every connection (default 20 MB/s). For each
``P`` in ``lanes`` (the publisher's ``publish.parallel_uploads``) it publishes the same rows and reports the wall time,
the **limit** = max(total bytes ÷ bandwidth, files × round trips of a bare upload × RTT ÷ P) and wall ÷ limit
(target ≤ 1.3 at the default P). A bare upload (paramiko ``putfo``: OPEN, pipelined WRITEs, CLOSE) needs 2 round
trips; ``bare_round_trips_measured`` checks that on the link. The baseline is the same rows one file at a time
without parallelism (P = 1, no batching); target: the default P ≥ 3× faster.

**Loopback** (kept from issue 9): rows/s; ``upload_phase_ratio`` = a bare ``putfo`` of the same bytes over one
connection ÷ the union of the upload steps' intervals; ``upsert_ms_per_row`` (target ≤ 5).

Renders are made once (cached under ``benchmarks/.cache/publish-renders/``) and handed to the publisher, so the
numbers measure publishing, not JPEG encoding; the render time per row is reported beside them.

Run: ``python -m benchmarks.bench_publish [rows]``; JSON goes to benchmarks/results/publish.json.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RTT, BANDWIDTH = 0.05, 20e6
BARE_ROUND_TRIPS = 2  # OPEN, then the CLOSE after the pipelined WRITEs (their replies overlap the close's)
TARGETS = {"link_ratio": 1.3, "speedup_vs_one_at_a_time": 3.0, "upload_phase_ratio": 0.8, "upsert_ms": 5}


def _mysql_factory():
    """A MySQLCatalog factory on a fresh test database (and the database, to drop), or (None, None) without
    AMIRTUI_TEST_MYSQL_URL."""
    url = os.environ.get("AMIRTUI_TEST_MYSQL_URL", "").strip()
    if not url:
        return None, None
    from amirtui.core.publish.mysql_catalog import MySQLCatalog, create_table
    from tests.harness.mysql import create_test_database, parse_url

    target = create_test_database(parse_url(url))
    with target.connect() as conn:
        create_table(conn, "photos_info_revamp")

    def make() -> MySQLCatalog:
        return MySQLCatalog(target.host, target.port, target.user, target.password, target.database,
                            "photos_info_revamp")
    return make, target


def _renders(sources: list[Path], settings) -> list:
    """The web/thumb pair of each source (made once, cached by source name and publish settings)."""
    from amirtui.core.imaging import PublishMeta, RenderedPair, render_publish_images

    p = settings.publish
    folder = ROOT / "benchmarks" / ".cache" / "publish-renders" / "{}x{}-{}x{}-q{}".format(*p.web_max, *p.thumb_max, p.jpeg_quality)
    folder.mkdir(parents=True, exist_ok=True)
    pairs = []
    for i, src in enumerate(sources):
        web, thumb = folder / f"{src.parent.name}-{src.stem}.web.jpg", folder / f"{src.parent.name}-{src.stem}.thumb.jpg"
        if not (web.is_file() and thumb.is_file()):
            pair = render_publish_images(src, PublishMeta(file_name=f"Bench_{i:04d}.JPG", caption="A heron.",
                                                          alt_text="A heron.", keywords=["heron"]), p)
            web.write_bytes(pair.web)
            thumb.write_bytes(pair.thumb)
        pairs.append(RenderedPair(web=web.read_bytes(), thumb=thumb.read_bytes(), web_size=(0, 0), thumb_size=(0, 0)))
    return pairs


def _publish_once(tmp: Path, tag: str, pairs: list, endpoint: tuple[str, int], server, known: Path, lanes: int,
                  batch: bool) -> dict:
    """A fresh home + DB with ``len(pairs)`` approved rows, published to ``endpoint`` over ``lanes`` lanes."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from amirtui.core.db.models import Photo, PublishStep
    from amirtui.core.publish import Publisher
    from amirtui.core.publish.sftp_target import SFTPTarget
    from tests.test_publish_support import make_approved

    home = tmp / tag
    home.mkdir()
    (home / "config.yaml").write_text("paths:\n  data_dir: data\n  logs_dir: logs\nollama:\n  enabled: false\n"
                                      f"publish:\n  remote_base: {tag}\n  parallel_uploads: {lanes}\n")
    settings = load_settings(home / "config.yaml")
    open_db(settings.db_path)
    catalog_factory, mysql_target = _mysql_factory()
    try:
        ids = make_approved(home / "src", len(pairs), size=(64, 48))
        by_id = dict(zip(ids, pairs))
        host, port = endpoint
        publisher = Publisher(settings, render=lambda photo, _s: by_id[photo.id], catalog_factory=catalog_factory,
                              target_factory=lambda: SFTPTarget(host, port, server.user, password=server.password,
                                                                known_hosts=known))
        publisher.batch_uploads = batch
        t0 = time.perf_counter()
        summary = publisher.run()
        wall = time.perf_counter() - t0
        assert len(summary.published) == len(pairs), summary.failed[:3]
        steps = {name: [s.detail["ms"] for s in PublishStep.select().where(
            (PublishStep.step == name) & (PublishStep.status == "done"))] for name in ("upload_web", "catalog")}
        spans = sorted((s.started_at, s.finished_at) for s in PublishStep.select().where(
            PublishStep.step.in_(["upload_web", "upload_thumb"]) & (PublishStep.status == "done")))
        assert Photo.select().where(Photo.state == "published").count() == len(pairs)
    finally:
        close_db()
        if mysql_target is not None:
            from tests.harness.mysql import drop_test_database

            drop_test_database(mysql_target)
    return {"wall_s": round(wall, 3), "upload_union_s": _union(spans), "catalog_ms": steps["catalog"],
            "catalog": "mariadb" if catalog_factory else "sqlite mirror (AMIRTUI_TEST_MYSQL_URL unset)"}


def _union(spans: list) -> float:
    """Seconds covered by the union of (start, end) intervals."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in spans:
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += (cur_end - cur_start).total_seconds()
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += (cur_end - cur_start).total_seconds()
    return round(total, 3)


def _bare_putfo(endpoint: tuple[str, int], server, known: Path, blobs: list[bytes], folder: str) -> float:
    """Seconds for a bare paramiko ``putfo`` of every blob, one after another, over one connection."""
    import paramiko

    client = paramiko.SSHClient()
    client.load_host_keys(str(known))
    client.connect(endpoint[0], port=endpoint[1], username=server.user, password=server.password,
                   allow_agent=False, look_for_keys=False)
    sftp = client.open_sftp()
    sftp.mkdir(folder)
    t0 = time.perf_counter()
    for i, blob in enumerate(blobs):
        sftp.putfo(io.BytesIO(blob), f"{folder}/{i}.jpg", file_size=len(blob), confirm=False)
    took = time.perf_counter() - t0
    client.close()
    return took


def _trust_port(known: Path, host: str, port: int, proxy_port: int) -> None:
    """The proxy forwards to the same server: record its host key under the proxy's port too."""
    lines = known.read_text().splitlines()
    entry = next(line for line in lines if line.startswith(f"[{host}]:{port} "))
    known.write_text("\n".join(lines + [entry.replace(f"]:{port} ", f"]:{proxy_port} ", 1)]) + "\n")


def run(rows: int = 100, *, rtt: float = RTT, bandwidth: float = BANDWIDTH, lanes: tuple[int, ...] = (1, 2, 4, 8),
        baseline: bool = True, loopback: bool = True, out_dir: Path | None = None) -> dict:
    """Publish ``rows`` rows on loopback and through the emulated link; returns (and writes) the measurements."""
    from amirtui.config import Settings, load_settings
    from benchmarks.common import SIZE_24MP, cached_jpegs, machine
    from tests.harness.sftp_server import SftpServerProcess
    from tests.harness.tcp_proxy import ProxyProcess

    tmp = Path(tempfile.mkdtemp(prefix="amirtui-bench-publish-"))
    (tmp / "c.yaml").write_text("paths:\n  data_dir: data\n")
    settings = load_settings(tmp / "c.yaml")
    default_p = Settings().publish.parallel_uploads
    lanes = tuple(sorted(set(lanes) | {default_p}))
    t0 = time.perf_counter()
    pairs = _renders(cached_jpegs(rows, SIZE_24MP), settings)
    render_s = time.perf_counter() - t0
    blobs = [b for pair in pairs for b in (pair.web, pair.thumb)]
    total = sum(len(b) for b in blobs)
    known = tmp / "known_hosts"
    server = SftpServerProcess(tmp / "sftp-root", known)
    proxy = ProxyProcess(server.host, server.port, rtt=rtt, bandwidth=bandwidth)
    _trust_port(known, server.host, server.port, proxy.port)
    result: dict = {"machine": machine(), "targets": TARGETS, "rows": rows, "files": len(blobs),
                    "source": f"{SIZE_24MP[0]}x{SIZE_24MP[1]} generated JPEGs", "megabytes": round(total / 1e6, 2),
                    "render_s_per_row_or_cached": round(render_s / rows, 3), "default_parallel_uploads": default_p}
    try:
        if loopback:
            bare = _bare_putfo((server.host, server.port), server, known, blobs, "bare-loop")
            loop = _publish_once(tmp, "loop", pairs, (server.host, server.port), server, known, default_p, True)
            result["loopback"] = {
                "lanes": default_p, "publish_wall_s": loop["wall_s"], "rows_per_s": round(rows / loop["wall_s"], 1),
                "bare_putfo_s": round(bare, 3), "upload_phase_wall_s": loop["upload_union_s"],
                "upload_phase_ratio": round(bare / loop["upload_union_s"], 3), "catalog": loop["catalog"],
                "catalog_step_ms_median": round(statistics.median(loop["catalog_ms"]), 2)}
            result["upsert_ms_per_row"] = _upsert_ms(rows)
        few = blobs[:10]
        bare_link = _bare_putfo((proxy.host, proxy.port), server, known, few, "bare-link")
        link: dict = {"rtt_s": rtt, "bandwidth_mb_s": bandwidth / 1e6, "bare_round_trips_assumed": BARE_ROUND_TRIPS,
                      "bare_round_trips_measured": round((bare_link - sum(map(len, few)) / bandwidth)
                                                         / (len(few) * rtt), 2), "by_lanes": {}}
        for p in lanes:
            limit = max(total / bandwidth, len(blobs) * BARE_ROUND_TRIPS * rtt / p)
            r = _publish_once(tmp, f"link{p}", pairs, (proxy.host, proxy.port), server, known, p, True)
            link["by_lanes"][p] = {"wall_s": r["wall_s"], "limit_s": round(limit, 3),
                                   "ratio": round(r["wall_s"] / limit, 3)}
        if baseline:
            r = _publish_once(tmp, "link-seq", pairs, (proxy.host, proxy.port), server, known, 1, False)
            link["one_file_at_a_time_wall_s"] = r["wall_s"]
        best = link["by_lanes"][default_p]
        result["link"] = link
        result["link_wall_s"], result["link_limit_s"], result["link_ratio"] = (best["wall_s"], best["limit_s"],
                                                                               best["ratio"])
        result["speedup_vs_one_at_a_time"] = (round(link["one_file_at_a_time_wall_s"] / best["wall_s"], 2)
                                              if baseline else None)
    finally:
        proxy.stop()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    result["holds"] = {
        "link_ratio": result["link_ratio"] <= TARGETS["link_ratio"],
        "speedup_vs_one_at_a_time": None if not baseline else result["speedup_vs_one_at_a_time"] >= 3.0,
        "upload_phase_ratio": result["loopback"]["upload_phase_ratio"] >= 0.8 if loopback else None,
        "upsert_ms": None if result.get("upsert_ms_per_row") is None else result["upsert_ms_per_row"] <= 5,
    }
    out = (out_dir or ROOT / "benchmarks" / "results") / "publish.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _upsert_ms(rows: int) -> float | None:
    """The bare MariaDB upsert + commit in ms per row, without the publisher around it (None without MariaDB)."""
    factory, target = _mysql_factory()
    if factory is None:
        return None
    from amirtui.core.publish.catalog import COLUMNS
    from tests.harness.mysql import drop_test_database

    try:
        cat = factory()
        t0 = time.perf_counter()
        for i in range(rows):
            cat.upsert({c: None for c in COLUMNS} | {"File_Name": f"bench_{i}.JPG", "Caption": "x" * 300})
        took = (time.perf_counter() - t0) * 1000 / rows
        cat.close()
    finally:
        drop_test_database(target)
    return round(took, 2)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_publish")
    ap.add_argument("rows", nargs="?", type=int, default=100)
    ap.add_argument("--lanes", default="1,2,4,8", help="parallel_uploads values to measure on the link")
    ap.add_argument("--rtt", type=float, default=RTT)
    ap.add_argument("--bandwidth", type=float, default=BANDWIDTH, help="bytes/s")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--no-loopback", action="store_true")
    a = ap.parse_args()
    print(json.dumps(run(a.rows, rtt=a.rtt, bandwidth=a.bandwidth, lanes=tuple(int(x) for x in a.lanes.split(",")),
                         baseline=not a.no_baseline, loopback=not a.no_loopback), indent=2))
