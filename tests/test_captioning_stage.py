"""CaptionStage against the loopback Ollama-protocol server, through the official ``ollama`` client.

Rows are real DB rows with real (small) model-image JPEGs; each test scripts the server and asserts what the operator
would see: the row's state and text, the reasons, and the exact log tags.
"""

from __future__ import annotations

import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from amirtui.config import OllamaConfig
from amirtui.core.captioning.prompts import PROMPT_VERSION
from amirtui.core.captioning.qc_report import load_last
from amirtui.core.captioning.stage import CaptionStage, CaptioningUnavailable
from amirtui.core.db.models import Photo, PhotoSet
from amirtui.core.stage import StageContext
from tests.harness.ollama_server import OllamaServer

PRIMARY, FALLBACK = "qwen2.5vl:7b", "llava:7b"

# every caption refers to the set's Subject (Grey Heron): text about something else is subject_mismatch (issue 12)
CAPTIONS = [
    ("A grey heron wades through the shallows of the lake in soft evening light.",
     "A tall grey bird with a long neck stands in shallow water near reeds.",
     ["grey heron", "lake", "wading bird", "reeds", "evening light"]),
    ("Two swans glide past the stone harbour wall as a heron watches from the steps.",
     "Two white swans swim beside a stone wall while a grey bird stands on the steps.",
     ["swans", "harbour wall", "golden water", "birds", "Lindau"]),
    ("A heron waits on the jetty as a fishing boat returns with gulls circling above its stern.",
     "A small red boat approaches a wooden jetty where a grey bird stands.",
     ["fishing boat", "jetty", "gulls", "harbour", "lake life"]),
    ("A heron hunts where the reeds bend in the wind under a heavy grey sky.",
     "Tall brown reeds lean to one side around a grey bird at the edge of the water.",
     ["reeds", "wind", "shoreline", "grey sky", "autumn"]),
    ("A cormorant dries its wings on a post while a heron fishes below it.",
     "A dark bird with spread wings perches on a wooden post above a grey heron.",
     ["cormorant", "drying wings", "wooden post", "lake", "waterbird"]),
    ("A heron flies low over the sailing boats moored beneath the lighthouse of the old port.",
     "A grey bird flies over white sailing boats in a harbour with a lighthouse behind.",
     ["sailing boats", "moorings", "lighthouse", "old port", "marina"]),
    ("A crested grebe carries its chick past a heron standing in the calm bay.",
     "A water bird swims with a striped chick on its back past a tall grey bird.",
     ["great crested grebe", "chick", "calm bay", "family", "spring"]),
    ("A heron flies home as the alpine peaks glow pink above the far shore of the lake at dusk.",
     "Snowy mountains with a pink tint rise behind a wide lake and a flying bird.",
     ["alps", "alpenglow", "mountain range", "far shore", "panorama"]),
]


class Replies:
    """A reply builder giving each request the next distinct, gate-passing caption."""

    def __init__(self, rows=CAPTIONS) -> None:
        self._rows = itertools.cycle(rows)
        self._lock = threading.Lock()

    def __call__(self, request: dict) -> dict:
        with self._lock:
            cap, alt, kws = next(self._rows)
        return {"caption": cap, "alt_text": alt, "keywords": kws}


def fixed(caption: str, alt: str, kws: list[str]):
    return lambda request: {"caption": caption, "alt_text": alt, "keywords": kws}


def with_fallback(ollama_server: OllamaServer) -> OllamaServer:
    """The loopback server with the fallback installed too, both answering distinct gate-passing captions."""
    ollama_server.add_model(FALLBACK, size_vram=4 * 2**30, size=4 * 2**30, family="llama")
    replies = Replies()
    ollama_server.behave(PRIMARY, reply=replies)
    ollama_server.behave(FALLBACK, reply=replies)
    return ollama_server


@pytest.fixture
def server(ollama_server: OllamaServer) -> OllamaServer:
    return with_fallback(ollama_server)


def make_settings(settings, *urls: str, parallel: int = 2, **changes):
    cfg = dict(enabled=True, hosts=[{"url": u, "parallel": parallel} for u in urls], primary_model=PRIMARY,
               fallback_model=FALLBACK, request_timeout=5, connect_timeout=1, idle_watchdog=30, max_attempts=3)
    cfg.update(changes)
    return settings.model_copy(update={"ollama": OllamaConfig(**cfg)})


def make_rows(settings, n: int, *, exif="2023:05:14 18:42:10") -> list[int]:
    pset = PhotoSet.create(subject="Grey Heron", location="Lake Constance", folder="Wildlife")
    tmp = settings.ollama_tmp_dir
    tmp.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(n):
        path = tmp / f"model_{pset.id}_{i}.jpg"
        Image.new("RGB", (96, 64), ((i * 40) % 256, 90, 200 - i * 10)).save(path, "JPEG", quality=85)
        photo = Photo.create(set=pset, state="scored", seq=i, original_path=f"/photos/IMG_{4000 + i}.JPG",
                             original_name=f"IMG_{4000 + i}.JPG", datetime_original=exif, model="Canon EOS 5D Mark IV",
                             file_name=f"Grey_Heron_Lake_Constance_Wildlife_Photography_Canon_2023_{i + 1:03d}.JPG",
                             model_image_path=str(path))
        ids.append(photo.id)
    return ids


def run_stage(settings, bus, ids, *, stage=None, before=None) -> CaptionStage:
    """What the runner does: setup, process every id from `concurrency` threads, teardown."""
    stage = stage or CaptionStage()
    ctx = StageContext(settings=settings, bus=bus, run_id=None)
    stage.setup(ctx)
    if before:
        before(stage)
    try:
        with ThreadPoolExecutor(max_workers=stage.concurrency) as ex:
            list(ex.map(lambda pid: stage.process(pid, ctx), ids))
    finally:
        stage.teardown(ctx)
    return stage


def lines(bus, tag: str = "") -> list[str]:
    return [e.text() for e in bus.seen if tag in e.text()]


def row(pid: int) -> Photo:
    return Photo.get_by_id(pid)


# ---------------------------------------------------------------- success


def test_success_prefills_rows_with_provenance_and_one_structured_request(db, settings, bus, server):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 3)
    stage = run_stage(s, bus, ids)

    for pid in ids:
        p = row(pid)
        assert p.state == "prefilled", (p.gate_reasons, p.last_error)
        assert p.caption == p.ai_caption and p.alt_text == p.ai_alt_text and p.keywords == p.ai_keywords
        assert p.text_source == "ai" and p.ai_model == PRIMARY and p.ai_prompt_version == PROMPT_VERSION
        assert p.gate_status == "pass" and p.attempts == 0 and p.ai_at is not None
    assert len({row(pid).caption for pid in ids}) == 3

    reqs = server.caption_requests(PRIMARY)
    assert len(reqs) == 3  # one caption request per photo
    assert len(server.verify_requests(PRIMARY)) == 3  # and one verifier request (ollama.verify defaults on)
    body = reqs[0].body
    assert body["stream"] is False and body["think"] is False and body["keep_alive"] == "10m"
    assert body["format"]["properties"].keys() >= {"caption", "alt_text", "keywords"}
    assert body["options"]["temperature"] == 0.2 and body["options"]["num_predict"] == 320
    assert body["options"]["seed"] == 42
    user = body["messages"][-1]
    assert user["images"] and "Grey Heron" in user["content"]
    assert not server.generation_requests(FALLBACK)
    assert stage.runtime and stage.runtime.startswith(f"Ollama runtime: model={PRIMARY} processor=GPU context=8192")
    assert lines(bus, "Ollama runtime: ")


# ---------------------------------------------------------------- primary failures → fallback


@pytest.mark.parametrize(
    "script,expected_reason",
    [
        (dict(schema_violation=True), "breaks the schema"),
        (dict(malformed=True), "not JSON"),
        (dict(error=(500, "llama runner process has terminated")), "Ollama error 500: llama runner process"),
        (dict(hang=3.0), "no answer within 1s"),
    ],
    ids=["schema-invalid", "malformed", "500", "hang"],
)
def test_primary_failure_goes_to_fallback_with_retry_log(db, settings, bus, server, script, expected_reason):
    s = make_settings(settings, server.url, request_timeout=1)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids, before=lambda _: server.queue(PRIMARY, **script))  # after the warm-up request

    p = row(ids[0])
    assert p.state == "prefilled" and p.ai_model == FALLBACK
    retry = lines(bus, "[RETRY]")
    assert len(retry) == 1
    assert f"[RETRY] id={ids[0]} primary '{PRIMARY}' failed (" in retry[0] and expected_reason in retry[0]
    assert retry[0].endswith(f"; trying fallback '{FALLBACK}'")
    assert lines(bus, "[RETRY-OK]") == [f"caption: [RETRY-OK] id={ids[0]} fallback '{FALLBACK}' succeeded"]
    assert p.last_error.startswith(f"{PRIMARY}: ") and expected_reason in p.last_error  # kept for the reviewer
    assert p.attempts == 0  # the stage succeeded: the failure count starts again


def test_missing_primary_model_stops_captioning_once_without_charging_or_quarantining(db, settings, bus, server):
    server.remove_model(PRIMARY)
    s = make_settings(settings, server.url, max_attempts=1)
    ids = make_rows(s, 3)
    with pytest.raises(CaptioningUnavailable) as err:
        run_stage(s, bus, ids)
    assert f"ollama pull {PRIMARY}" in str(err.value) and "stay 'scored'" in str(err.value)
    for pid in ids:  # nothing asked, nothing charged: after `ollama pull` the next run captions them
        assert (row(pid).state, row(pid).attempts) == ("scored", 0)
    assert not server.caption_requests()


def test_primary_uninstalled_mid_run_is_reported_once_and_rows_wait_uncharged(db, settings, bus, server):
    s = make_settings(settings, server.url, parallel=1, max_attempts=1)
    ids = make_rows(s, 4)
    run_stage(s, bus, ids, before=lambda _: server.remove_model(PRIMARY))  # after setup's listing said it was there
    assert {(row(p).state, row(p).attempts) for p in ids} == {("scored", 0)}  # not quarantined at max_attempts=1
    config = lines(bus, "[CONFIG]")
    assert len(config) == 1 and f"ollama pull {PRIMARY}" in config[0] and "captioning stops" in config[0]
    assert not lines(bus, "[QUARANTINE]") and not server.caption_requests(FALLBACK)


def test_gate_blocked_primary_text_tries_the_fallback(db, settings, bus, server):
    server.behave(PRIMARY, reply=fixed("This image shows a grey heron standing in the shallow lake water.",
                                       "A tall grey bird stands in shallow water near reeds.",
                                       ["heron", "lake", "reeds", "bird", "water"]))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    p = row(ids[0])
    assert p.state == "prefilled" and p.ai_model == FALLBACK
    assert "(gate: filler_phrase)" in lines(bus, "[RETRY]")[0]
    assert p.attempts == 0  # an answer that was gated is not a failed request


def test_fallback_failure_logs_retry_fail_and_leaves_row_for_next_run(db, settings, bus, server):
    server.behave(PRIMARY, error=(500, "runner crashed"))
    server.behave(FALLBACK, malformed=True)
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    p = row(ids[0])
    assert p.state == "scored" and p.attempts == 2 and "not JSON" in p.last_error
    assert len(lines(bus, "[RETRY]")) == 1
    assert lines(bus, "[RETRY-FAIL]")[0].startswith(f"caption: [RETRY-FAIL] id={ids[0]} fallback '{FALLBACK}' failed")
    report = load_last(s.data_dir)
    assert report["summary"]["left_for_next_run"] == 1


def test_quarantine_after_max_attempts_and_never_loops(db, settings, bus, server):
    server.behave(PRIMARY, error=(500, "runner crashed"))
    server.behave(FALLBACK, error=(500, "runner crashed too"))
    s = make_settings(settings, server.url, max_attempts=3)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)  # run 1: primary + fallback fail → 2 attempts
    assert row(ids[0]).state == "scored" and row(ids[0]).attempts == 2
    server.reset()
    server.behave(PRIMARY, error=(500, "runner crashed"))
    server.behave(FALLBACK, error=(500, "runner crashed too"))
    run_stage(s, bus, ids)  # run 2: the primary's failure is the 3rd → quarantined, fallback not asked again
    p = row(ids[0])
    assert p.state == "quarantined" and p.attempts == 3
    assert "captioning failed 3 times" in p.gate_reasons[0][1] and "runner crashed" in p.gate_reasons[0][1]
    assert len(server.generation_requests(PRIMARY)) >= 1 and not [
        r for r in server.generation_requests(FALLBACK) if r.body.get("messages")]
    assert lines(bus, "[QUARANTINE]")


def test_crashed_attempts_count_and_quarantine_without_a_request(db, settings, bus, server):
    s = make_settings(settings, server.url, max_attempts=3)
    ids = make_rows(s, 1)
    Photo.update(attempts=3, last_error="process killed mid-request").where(Photo.id == ids[0]).execute()
    run_stage(s, bus, ids)
    assert row(ids[0]).state == "quarantined"
    assert not [r for r in server.generation_requests() if r.body.get("messages")]


# ---------------------------------------------------------------- hosts


def test_connection_refused_everywhere_sends_rows_to_review_without_text(db, settings, bus, unused_port):
    s = make_settings(settings, f"http://127.0.0.1:{unused_port}")
    ids = make_rows(s, 2)
    stage = run_stage(s, bus, ids)
    assert "no Ollama host reachable" in stage.skip_reason and "connection refused" in stage.skip_reason
    for pid in ids:
        p = row(pid)
        assert p.state == "needs_work" and p.gate_reasons[0][0] == "no_ai_text"
    assert any("ollama serve" in t for t in lines(bus))


def test_disabled_captioning_sends_rows_to_review_as_no_ai_text(db, settings, bus):
    s = make_settings(settings, "http://127.0.0.1:9", enabled=False)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    assert row(ids[0]).state == "needs_work"
    assert row(ids[0]).gate_reasons == [["no_ai_text", "no AI text: captioning is disabled (ollama.enabled: false)"]]


def test_two_hosts_one_dies_mid_run_the_other_finishes_every_row(db, settings, bus, server):
    dying = OllamaServer().start()
    try:
        dying.add_model(PRIMARY)
        dying.add_model(FALLBACK)
        dying.behave(PRIMARY, latency=0.6, reply=Replies())
        s = make_settings(settings, server.url, dying.url, parallel=2)
        ids = make_rows(s, 8)

        def kill_when_busy(stage):
            def killer():
                deadline = threading.Event()
                for _ in range(100):  # bounded: up to 5 s for the dying host to get a request in flight
                    if dying.in_flight > 0:
                        break
                    deadline.wait(0.05)
                dying.stop()
            threading.Thread(target=killer, daemon=True).start()

        stage = run_stage(s, bus, ids, before=kill_when_busy)
        assert stage.concurrency == 2 * 4  # two threads per host slot: prep and writes overlap requests
        states = {row(pid).state for pid in ids}
        assert states == {"prefilled"}, [(row(p).state, row(p).last_error) for p in ids]
        down = lines(bus, "[HOST-DOWN]")
        assert len(down) == 1 and dying.url in down[0]
        assert len([r for r in server.generation_requests(PRIMARY) if r.body.get("messages")]) >= 6
    finally:
        dying.stop()


def test_rows_are_spread_across_hosts_up_to_their_parallel_limits(db, settings, bus, server):
    other = OllamaServer().start()
    try:
        other.add_model(PRIMARY)
        other.add_model(FALLBACK)
        replies = Replies()
        for srv in (server, other):
            srv.behave(PRIMARY, latency=0.3, reply=replies)
        s = make_settings(settings, server.url, other.url, parallel=2)
        ids = make_rows(s, 8)
        run_stage(s, bus, ids)
        assert {row(p).state for p in ids} == {"prefilled"}
        a = len(server.caption_requests(PRIMARY))
        b = len(other.caption_requests(PRIMARY))
        assert a + b == 8 and a >= 2 and b >= 2
        assert server.max_in_flight <= 2 and other.max_in_flight <= 2
    finally:
        other.stop()


# ---------------------------------------------------------------- watchdog, manual text, duplicates, QC


def test_idle_watchdog_logs_the_row_in_flight_and_recovers(db, settings, bus, server):
    s = make_settings(settings, server.url, request_timeout=30, idle_watchdog=0.5)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids, before=lambda _: server.queue(PRIMARY, hang=10))
    dog = lines(bus, "[WATCHDOG]")
    assert dog and f"id={ids[0]} model '{PRIMARY}'" in dog[0]
    p = row(ids[0])
    assert p.state == "prefilled" and p.ai_model == FALLBACK
    assert "idle watchdog" in lines(bus, "[RETRY]")[0]


def test_manual_text_is_never_overwritten(db, settings, bus, server):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    manual = "The old heron of Lindau harbour, known to every fisherman on the quay."
    Photo.update(caption=manual, alt_text="A grey heron stands on a harbour wall beside moored boats.",
                 keywords=["heron", "Lindau", "harbour", "quay", "fishermen"], text_source="manual").where(
        Photo.id == ids[0]).execute()
    run_stage(s, bus, ids)
    p = row(ids[0])
    assert p.caption == manual and p.text_source == "manual"
    assert p.ai_caption and p.ai_caption != manual and p.state == "prefilled"


def test_duplicate_captions_in_a_set_become_needs_work_and_are_in_the_qc_report(db, settings, bus, server):
    same = fixed(*CAPTIONS[0])
    server.behave(PRIMARY, reply=same)
    server.behave(FALLBACK, reply=same)
    s = make_settings(settings, server.url)
    ids = make_rows(s, 3)
    run_stage(s, bus, ids)
    states = sorted(row(p).state for p in ids)
    assert states == ["needs_work", "needs_work", "prefilled"]
    flagged = [row(p) for p in ids if row(p).state == "needs_work"]
    assert all("duplicate_in_set" in [c for c, _ in p.gate_reasons] for p in flagged)
    report = json.loads((Path(s.data_dir) / "prefill_qc_last.json").read_text())
    assert report["summary"]["rows"] == 3 and report["summary"]["flagged"] == 2
    assert report["summary"]["duplicates"]["duplicate_in_set"] >= 2
    assert {f["id"] for f in report["flagged"]} == {p.id for p in flagged}
    assert report["flagged"][0]["reasons"][0]["code"]


def test_missing_model_image_sends_the_row_back_to_be_made_again(db, settings, bus, server):
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    Path(row(ids[0]).model_image_path).unlink()
    run_stage(s, bus, ids)
    assert row(ids[0]).state == "queued"
