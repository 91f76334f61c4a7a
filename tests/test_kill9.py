"""The reliability suite: kill -9 a real headless run at ≥ 15 seeded-random points, recover, resume, check the promises.

The code under test runs as subprocesses exactly as an operator runs it (``python -m amirtui … run --headless``,
``… publish``, ``… recover --resume``) on real camera photos and generated JPEGs, with real PIQE scoring on cpu,
captioning through the official ``ollama`` client against the loopback Ollama-protocol server, and publishing to the
local target plus the SQLite mirror. The test watches the review DB read-only and sends SIGKILL when the DB shows
the Nth new transition into a state (or the Nth new start/finish of a publish step) — a point chosen by a seeded
random generator. The seed is printed; replay a failure with ``AMIRTUI_TEST_KILL_SEED=<seed>``.

After every kill: ``recover --status`` must see the crash, ``recover --resume`` must succeed, and the invariants
hold (originals unchanged, valid states, unique File_Names across queue and mirror, no reservation without a live or
published row, no remote file without its catalog row except rows the publisher will finish). At the end the work is
run to completion and every photo must be published exactly once.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers_headless import check_invariants, hash_tree

REAL = ["Canon_40D.jpg", "Canon_DIGITAL_IXUS_400.jpg", "Canon_PowerShot_S40.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg",
        "Panasonic_DMC-FZ30.jpg", "Kodak_CX7530.jpg", "Olympus_C8080WZ.jpg"]
MAKES = [("Canon", "Canon EOS 5D Mark IV"), ("NIKON CORPORATION", "NIKON D850"), ("FUJIFILM", "X-T4"), (None, None)]
CAPTION_STATES = ("prefilled", "needs_work", "quarantined")
PIPELINE_BEFORE = ["imported", "staged", "exif_read", "queued", "model_ready", "scored"]
TIMEOUT = 180.0  # a bound on any one subprocess: a hang fails the test instead of stalling CI


@dataclass
class Point:
    """Where to kill: the Nth new transition into ``target`` (a state) or the Nth new ``status`` of publish ``step``."""

    phase: str  # pipeline | approve | publish
    target: str
    n: int
    status: str = "started"

    def label(self) -> str:
        what = f"{self.target}#{self.n}" + (f" ({self.status})" if self.phase == "publish" else "")
        return f"{self.phase}:{what}"


def plan(rng: random.Random) -> list[Point]:
    """17 kill points across staging, EXIF, naming, model image, scoring, captioning, approval and every publish step."""
    pipeline = ["staged", "staged", "exif_read", "queued", "model_ready", "scored", "scored", "caption", "caption"]
    points = [Point("pipeline", t, rng.randint(1, 3)) for t in pipeline]
    points += [Point("approve", "approved", rng.randint(1, 4)) for _ in range(2)]
    steps = ["render", "upload_web", "upload_thumb", "catalog", "mirror", rng.choice(["upload_web", "catalog"])]
    points += [Point("publish", s, rng.randint(1, 2), rng.choice(["started", "done"])) for s in steps]
    # inside post-publish cleanup: the row's `published` commit is in, its working files are not yet removed
    points.append(Point("publish", "published", rng.randint(1, 2), "committed"))
    return points


class World:
    """One project home driven through subprocesses, watched read-only through its DB."""

    def __init__(self, home: Path, src: Path, ollama_url: str, log: Path) -> None:
        self.home, self.src, self.log = home, src, log
        self.config = home / "config.yaml"
        self.config.write_text(
            "paths:\n  data_dir: data\n  logs_dir: logs\n"
            "quality:\n  metrics: [piqe]\n  device: cpu\n"
            f"ollama:\n  hosts:\n    - url: {ollama_url}\n      parallel: 2\n  fallback_model: ''\n"
            "  request_timeout: 20\n  max_attempts: 3\n"
            "ingest:\n  workers: 2\n  confirm_new_taxonomy: false\n"
            "publish:\n  target: local\n  parallel_uploads: 1\n  web_max: [800, 600]\n  thumb_max: [300, 200]\n",
            encoding="utf-8",
        )
        self.db_path = home / "data" / "review.db"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AMIRTUI_")}
        self.env["PYTHONUNBUFFERED"] = "1"
        self.batches = 0

    # ---- running
    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "amirtui", "--config", str(self.config), *args]

    def run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"\n$ {' '.join(argv[2:])}\n")
            proc = subprocess.run(argv, cwd=self.home, env=self.env, stdout=subprocess.PIPE, stderr=fh, text=True,
                                  timeout=TIMEOUT)
            fh.write(proc.stdout)
        if check:
            assert proc.returncode == 0, f"{argv[2:]} exited {proc.returncode}; see {self.log}"
        return proc

    def run_until(self, argv: list[str], cond) -> bool:
        """Start ``argv``; SIGKILL it as soon as ``cond()`` holds. True if killed, False if it ended first."""
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write(f"\n$ {' '.join(argv[2:])}  (to be killed)\n")
            fh.flush()
            proc = subprocess.Popen(argv, cwd=self.home, env=self.env, stdout=fh, stderr=fh)
            deadline = time.monotonic() + TIMEOUT
            try:
                while time.monotonic() < deadline:
                    if cond():
                        os.kill(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=30)
                        fh.write("--- SIGKILL ---\n")
                        return True
                    if proc.poll() is not None:
                        return False
                    time.sleep(0.003)  # poll interval of the watcher, not a wait for an outcome
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
        raise AssertionError(f"{argv[2:]} neither reached its kill point nor ended within {TIMEOUT}s; see {self.log}")

    # ---- reading the DB (read-only, never through the app's connection)
    def q(self, sql: str, *args) -> list[tuple]:
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def scalar(self, sql: str, *args) -> int:
        rows = self.q(sql, *args)
        return (rows[0][0] or 0) if rows else 0

    def states(self) -> dict[str, int]:
        return dict(self.q("SELECT state, COUNT(*) FROM photo GROUP BY state"))

    def mirror_names(self) -> list[str]:
        mirror = self.home / "data" / "photos_info_revamp.db"
        if not mirror.exists():
            return []
        conn = sqlite3.connect(mirror)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'photos_info_revamp'").fetchone():
                return []  # killed between creating the mirror file and its table
            return [r[0] for r in conn.execute('SELECT "File_Name" FROM photos_info_revamp')]
        finally:
            conn.close()

    def site_files(self) -> list[Path]:
        site = self.home / "data" / "site"
        return sorted(p for p in site.rglob("*") if p.is_file()) if site.is_dir() else []

    # ---- work supply
    def add_batch(self, n: int, jpeg) -> None:
        """Import ``n`` more generated photos (a new set), so a kill point always has work to land in."""
        self.batches += 1
        d = self.src / f"batch_{self.batches}"
        d.mkdir(parents=True)
        for i in range(n):
            make, model = MAKES[i % len(MAKES)]
            jpeg(f"b{self.batches}_{i}.jpg", size=(640, 480), seed=1000 * self.batches + i, make=make, model=model)
            shutil.move(str(jpeg.directory / f"b{self.batches}_{i}.jpg"), d / f"IMG_{i:04d}.jpg")
        self.run(self.cmd("import", str(d), "--subject", f"Batch{self.batches}", "--location", "Delft",
                          "--folder", "Streets"))

    def approve_driver(self) -> list[str]:
        """An operator approving rows one after another (override where the gate said needs_work)."""
        code = (
            "import sys, time\n"
            "from amirtui.config import load_settings\n"
            "from amirtui.core.db import open_db\n"
            "from amirtui.core.db.models import Photo\n"
            "from amirtui.core import review\n"
            "from amirtui.core.db import repo\n"
            "s = load_settings(sys.argv[1]); open_db(s.db_path)\n"
            "ids = [p.id for p in Photo.select(Photo.id).where(Photo.state.in_(['prefilled','needs_work','quarantined']))"
            ".order_by(Photo.id)]\n"
            "for i in ids:\n"
            "    try:\n"
            "        review.approve(i, override=True, reason='kill9 operator')\n"
            "    except review.ReviewRefused as e:\n"
            "        print('refused', i, e, flush=True)\n"
            # review.approve joins gate_reasons as strings but the caption stage stores [code, message] pairs
            # (reported to the lead); approve the same way by hand until they agree
            "    except TypeError as e:\n"
            "        print('review.approve failed:', e, '- approving via repo.transition', flush=True)\n"
            "        p = Photo.get_by_id(i)\n"
            "        repo.transition(i, 'approved', actor='operator', reason='kill9 operator; gate override',\n"
            "                        expect=[p.state], gate_override=True)\n"
            "    time.sleep(0.03)  # an operator's pace, so a kill can land between decisions\n"
        )
        return [sys.executable, "-c", code, str(self.config)]


def _condition(world: World, point: Point):
    if point.phase == "publish" and point.target == "published":
        base = world.scalar("SELECT MAX(id) FROM state_change")
        return lambda: world.scalar(
            "SELECT COUNT(*) FROM state_change WHERE id > ? AND to_state = 'published'", base) >= point.n
    if point.phase == "publish":
        base = world.scalar("SELECT MAX(id) FROM publish_step")
        col = "id" if point.status == "started" else "id"
        status_sql = "" if point.status == "started" else " AND status = 'done'"
        return lambda: world.scalar(
            f"SELECT COUNT(*) FROM publish_step WHERE {col} > ? AND step = ?{status_sql}", base, point.target) >= point.n
    base = world.scalar("SELECT MAX(id) FROM state_change")
    targets = CAPTION_STATES if point.target == "caption" else (point.target,)
    marks = ",".join("?" for _ in targets)
    return lambda: world.scalar(
        f"SELECT COUNT(*) FROM state_change WHERE id > ? AND to_state IN ({marks})", base, *targets) >= point.n


def _ensure_work(world: World, point: Point, jpeg) -> None:
    """Make sure the point can be reached: new photos before a stage, reviewable rows before approval, approved rows
    before publishing (each prepared by uncut runs)."""
    st = world.states()
    if point.phase == "pipeline":
        target = "scored" if point.target == "caption" else point.target
        before = PIPELINE_BEFORE[: PIPELINE_BEFORE.index(target) + (1 if point.target == "caption" else 0)]
        if sum(st.get(s, 0) for s in before) < point.n + 1:
            world.add_batch(point.n + 2, jpeg)
    elif point.phase == "approve":
        if sum(st.get(s, 0) for s in CAPTION_STATES) < point.n + 1:
            world.add_batch(point.n + 2, jpeg)
            world.run(world.cmd("run", "--headless"))
    else:
        if sum(st.get(s, 0) for s in ("approved", "publishing", "publish_failed")) < point.n + 1:
            if sum(st.get(s, 0) for s in CAPTION_STATES) < point.n + 1:
                world.add_batch(point.n + 2, jpeg)
                world.run(world.cmd("run", "--headless"))
            world.run(world.approve_driver())


def _publish_cmd(world: World) -> list[str]:
    """The operator's publish command (continues half-published rows first-class)."""
    return world.cmd("--clear-stale-lock", "publish")


def _check(world: World, originals: dict[str, str], *, final: bool) -> None:
    assert hash_tree(world.src) == originals, "an original changed"
    from amirtui.core.db import close_db, open_db

    open_db(world.db_path)
    try:
        problems = check_invariants(mirror_names=world.mirror_names())
    finally:
        close_db()
    assert problems == [], problems
    mirror = {n.casefold() for n in world.mirror_names()}
    unfinished = {r[0].casefold() for r in world.q(
        "SELECT file_name FROM photo WHERE state IN ('publishing', 'publish_failed', 'approved') AND file_name IS NOT NULL")}
    published = [r[0] for r in world.q("SELECT file_name FROM photo WHERE state = 'published'")]
    for name in published:
        assert name.casefold() in mirror, f"published {name} has no mirror row"
    for f in world.site_files():
        assert not f.name.endswith(".amirtui-part"), f"temp upload {f} left after recover"
        if f.name.casefold() not in mirror:
            assert not final and f.name.casefold() in unfinished, f"remote file {f} has no catalog row"
    # every working file of a published row is gone (a kill inside post-publish cleanup left them to recovery)
    data = world.home / "data"
    for pid, staged, model in world.q("SELECT id, staged_path, model_image_path FROM photo WHERE state = 'published'"):
        assert not (data / "publish_tmp" / str(pid)).exists(), f"render folder of published photo {pid} left"
        assert not (model and Path(model).exists()), f"model image of published photo {pid} left: {model}"
        if staged and (data / "incoming") in Path(staged).parents:
            assert not Path(staged).exists(), f"staged copy of published photo {pid} left: {staged}"


@pytest.mark.timeout(900)
def test_kill9_at_seeded_points_then_recover_and_finish(tmp_path, photos_dir, jpeg_factory, ollama_server, capsys):
    seed = int(os.environ.get("AMIRTUI_TEST_KILL_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"kill -9 suite seed: {seed} (replay with AMIRTUI_TEST_KILL_SEED={seed})")
    rng = random.Random(seed)
    ollama_server.behave("qwen2.5vl:7b", latency=0.08)  # a captioning step long enough to be killed inside

    home = tmp_path / "home"
    home.mkdir()
    src = tmp_path / "originals"
    (src / "set1").mkdir(parents=True)
    for name in REAL:
        shutil.copy(photos_dir / "cameras" / name, src / "set1" / name)
    for i in range(14):
        make, model = MAKES[i % len(MAKES)]
        jpeg_factory(f"g{i}.jpg", size=(640, 480), seed=i, make=make, model=model)
        shutil.move(str(jpeg_factory.directory / f"g{i}.jpg"), src / "set1" / f"DSC_{i:04d}.jpg")
    world = World(home, src, ollama_server.url, tmp_path / "kill9.log")
    world.run(world.cmd("import", str(src / "set1"), "--subject", "Tulip", "--location", "Keukenhof",
                        "--folder", "Flowers"))
    assert world.scalar("SELECT COUNT(*) FROM photo") == 22

    kills: list[str] = []
    for point in plan(rng):
        _ensure_work(world, point, jpeg_factory)
        originals = hash_tree(src)
        argv = {"pipeline": world.cmd("--clear-stale-lock", "run", "--headless"), "approve": world.approve_driver(),
                "publish": _publish_cmd(world)}[point.phase]
        killed = world.run_until(argv, _condition(world, point))
        if not killed:
            print(f"  {point.label()}: the run ended before the point (no kill)")
            continue
        kills.append(f"{point.label()} states={world.states()}")
        print(f"  killed at {kills[-1]}")
        if point.phase != "approve":  # the approval driver records no run: nothing for detection to call crashed
            status = world.run(world.cmd("--clear-stale-lock", "recover", "--status"))
            assert "crashed: run" in status.stdout and "needs attention" in status.stdout, status.stdout
        world.run(world.cmd("--clear-stale-lock", "recover", "--resume"))
        _check(world, originals, final=False)
        assert "crashed" not in {r[0] for r in world.q("SELECT outcome FROM run")}

    assert len(kills) >= 15, f"only {len(kills)} kill points were reached (seed {seed})"

    # Finish everything uncut: the run must complete and every photo be published exactly once.
    originals = hash_tree(src)
    world.run(world.cmd("--clear-stale-lock", "run", "--headless"))
    world.run(world.approve_driver())
    world.run(_publish_cmd(world))
    _check(world, originals, final=True)
    states = world.states()
    assert set(states) == {"published"}, f"not everything was published: {states} (seed {seed})"
    names = world.mirror_names()
    assert len(names) == states["published"] == len({n.casefold() for n in names})
    assert len(world.site_files()) == 2 * len(names)  # web + thumb each, nothing else
    assert world.scalar("SELECT COUNT(*) FROM run WHERE outcome IS NULL") == 0


@pytest.mark.timeout(300)
def test_kill9_while_the_rename_reply_is_outstanding_then_publish_finishes(tmp_path, ftp_server):
    """The rename of the first upload reaches the FTP server, which holds its reply; the publisher is killed while it
    waits. The file is in place under its final name, the step unfinished: recovery and the next publish must finish
    the row (it is the row's own file), with one file pair per row and nothing else on the server."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from tests.test_publish_support import files_under, make_approved

    home = tmp_path / "home"
    home.mkdir()
    world = World(home, tmp_path / "originals", "http://127.0.0.1:9", tmp_path / "kill9_rename.log")
    world.config.write_text(
        "paths:\n  data_dir: data\n  logs_dir: logs\nollama:\n  enabled: false\n"
        f"publish:\n  target: ftp\n  host: {ftp_server.host}\n  port: {ftp_server.port}\n  user: {ftp_server.user}\n"
        "  parallel_uploads: 1\n  retries: 0\n  timeout: 20\n  web_max: [800, 600]\n  thumb_max: [300, 200]\n",
        encoding="utf-8")
    world.env["AMIRTUI_FTP_PASSWORD"] = ftp_server.password
    settings = load_settings(world.config)
    open_db(settings.db_path)
    try:
        ids = make_approved(tmp_path / "originals", 2)
    finally:
        close_db()
    originals = hash_tree(tmp_path / "originals")

    ftp_server.lose_rename_reply(hold=True)
    try:
        killed = world.run_until(_publish_cmd(world), ftp_server.rename_done.is_set)
    finally:
        ftp_server.release_rename()
    assert killed, "the publisher ended before its first rename"
    web = world.q("SELECT web_remote_path IS NULL, state FROM photo WHERE id = ?", ids[0])
    assert web == [(1, "publishing")]
    on_server = files_under(ftp_server.root)
    assert len(on_server) == 1 and not on_server[0].endswith(".amirtui-part")  # renamed: the reply was what got lost
    assert world.q("SELECT status FROM publish_step WHERE photo_id = ? AND step = 'upload_web'", ids[0]) == [("started",)]

    status = world.run(world.cmd("--clear-stale-lock", "recover", "--status"))
    assert "crashed: run" in status.stdout and "needs attention" in status.stdout, status.stdout
    world.run(world.cmd("--clear-stale-lock", "recover", "--resume"))
    after = world.run(world.cmd("recover", "--status")).stdout
    assert "needs attention" not in after and "next: `amirtui publish` finishes the 1 row left mid-publish" in after

    world.run(_publish_cmd(world))
    assert world.states() == {"published": 2}
    files = files_under(ftp_server.root)
    assert len(files) == 4 and not [f for f in files if "amirtui-part" in f]
    assert sorted(world.mirror_names()) == sorted(r[0] for r in world.q("SELECT file_name FROM photo"))
    assert world.run(world.cmd("validate", "--offline")).returncode == 0
    assert hash_tree(tmp_path / "originals") == originals


def _edit_driver(world: World, version: int) -> list[str]:
    """An operator editing the caption of every published row (they become modified: to republish)."""
    code = (
        "import sys\n"
        "from amirtui.config import load_settings\n"
        "from amirtui.core.db import open_db\n"
        "from amirtui.core.db.models import Photo\n"
        "from amirtui.core import review_edit\n"
        "s = load_settings(sys.argv[1]); open_db(s.db_path)\n"
        "for p in Photo.select().where(Photo.state == 'published').order_by(Photo.id):\n"
        f"    review_edit.save_edits(p.id, caption=f'Version {version} of photo {{p.id}}: the lake at dawn.')\n"
    )
    return [sys.executable, "-c", code, str(world.config)]


def _lifecycle_check(world: World) -> None:
    """After any kill + recover: every row on the website has complete files, the catalog (the mirror) is never
    ahead of the files, every catalog row's files exist, and no temp upload is left."""
    from amirtui.core.xmp import read_xmp

    site = world.home / "data" / "site"
    mirror = world.home / "data" / "photos_info_revamp.db"
    conn = sqlite3.connect(mirror)
    try:
        listed = {r[0]: r[1] for r in conn.execute('SELECT "File_Name", "Caption" FROM photos_info_revamp')}
    finally:
        conn.close()
    for f in world.site_files():
        assert not f.name.endswith(".amirtui-part"), f"temp upload {f} left after recover"
    rows = world.q("SELECT id, state, file_name, caption, web_remote_path, thumb_remote_path FROM photo")
    for pid, state, name, caption, web, thumb in rows:
        if name in listed:  # the catalog lists it: both files must be there, complete
            for path in (web, thumb):
                data = (site / path).read_bytes()
                assert data.endswith(b"\xff\xd9"), f"photo {pid} ({state}): {path} is not a complete JPEG"
            if listed[name] == caption:  # the catalog already has the new text: so must both files
                for path in (web, thumb):
                    got = read_xmp((site / path).read_bytes())["caption"]
                    assert got == caption, f"photo {pid} ({state}): catalog ahead of {path}"
        elif state in ("published", "modified", "republishing"):
            raise AssertionError(f"photo {pid} is {state} but has no catalog row")


@pytest.mark.timeout(600)
def test_kill9_inside_republish_and_unpublish_then_recover_and_finish(tmp_path):
    """Seeded kill points inside republish (every step) and unpublish (every step), each followed by recover and
    the invariants of :func:`_lifecycle_check`; at the end every row is either published with its newest text or
    unpublished with nothing of it left on the website."""
    from amirtui.config import load_settings
    from amirtui.core.db import close_db, open_db
    from tests.test_publish_support import make_approved

    seed = int(os.environ.get("AMIRTUI_TEST_KILL_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"lifecycle kill -9 seed: {seed} (replay with AMIRTUI_TEST_KILL_SEED={seed})")
    rng = random.Random(seed)
    home = tmp_path / "home"
    home.mkdir()
    world = World(home, tmp_path / "originals", "http://127.0.0.1:9", tmp_path / "kill9_lifecycle.log")
    world.config.write_text(world.config.read_text().replace("ollama:\n", "ollama:\n  enabled: false\n", 1),
                            encoding="utf-8")
    settings = load_settings(world.config)
    open_db(settings.db_path)
    try:
        make_approved(tmp_path / "originals", 8, size=(1200, 800))
    finally:
        close_db()
    originals = hash_tree(tmp_path / "originals")
    world.run(_publish_cmd(world))
    assert world.states() == {"published": 8}

    republish = [Point("publish", s, rng.randint(1, 2), rng.choice(["started", "done"]))
                 for s in ("render", "upload_web", "upload_thumb", "catalog", "mirror")]
    kills = []
    for version, point in enumerate(republish, start=2):
        world.run(_edit_driver(world, version))
        assert world.states().get("modified", 0) >= 2
        if world.run_until(_publish_cmd(world), _condition(world, point)):
            kills.append(f"republish:{point.label()}")
            status = world.run(world.cmd("--clear-stale-lock", "recover", "--status"))
            assert "crashed: run" in status.stdout, status.stdout
            world.run(world.cmd("--clear-stale-lock", "recover", "--resume"))
        _lifecycle_check(world)
        world.run(_publish_cmd(world))  # finish this version before the next edit
        assert world.states() == {"published": 8}
        _lifecycle_check(world)

    names = [r[0] for r in world.q("SELECT file_name FROM photo ORDER BY id")]
    steps = ["unpublish_catalog", "unpublish_mirror", "delete_web", "delete_thumb"]
    for i, step in enumerate(steps):
        point = Point("publish", step, 1, rng.choice(["started", "done"]))
        argv = world.cmd("--clear-stale-lock", "unpublish", names[2 * i], names[2 * i + 1])
        if world.run_until(argv, _condition(world, point)):
            kills.append(f"unpublish:{point.label()}")
            world.run(world.cmd("--clear-stale-lock", "recover", "--resume"))
            _lifecycle_check(world)
            status = world.run(world.cmd("recover", "--status")).stdout
            assert "needs attention" not in status, status
            if world.states().get("unpublishing"):
                assert "`amirtui unpublish` finishes the" in status, status
        world.run(world.cmd("--clear-stale-lock", "unpublish"))  # continues whatever was interrupted
        world.run(world.cmd("--clear-stale-lock", "unpublish", names[2 * i], names[2 * i + 1]))  # idempotent
        _lifecycle_check(world)
    print("  kills:", *kills, sep="\n    ")
    assert len(kills) >= 7, f"only {len(kills)} of 9 kill points were reached (seed {seed})"

    assert world.states() == {"unpublished": 8}
    assert world.site_files() == [] and world.mirror_names() == []
    reserved = {r[0].casefold() for r in world.q("SELECT name FROM reservation WHERE released_at IS NULL")}
    assert reserved == {n.casefold() for n in names}  # every name that was public stays reserved
    assert hash_tree(tmp_path / "originals") == originals
