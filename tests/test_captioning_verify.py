"""The verifier pass against the loopback Ollama-protocol server (official ``ollama`` client), with scripted verdicts:
supported, not supported, malformed, timeout, an outage — rows end in the right state with their reasons, and the run
never stalls on the verifier."""

from __future__ import annotations

import re
import time

import pytest

from amirtui.core import review
from amirtui.core.captioning.qc_report import load_last
from amirtui.core.captioning.verify import OUTAGE_STRIKES
from amirtui.core.db.models import MetadataQuality
from amirtui.core.events import StageProgressed
from amirtui.core.review import NeedsOverride
from tests.test_captioning_stage import (
    CAPTIONS, FALLBACK, PRIMARY, fixed, lines, make_rows, make_settings, row, run_stage, with_fallback)


@pytest.fixture
def server(ollama_server):
    """The loopback Ollama-protocol server with primary and fallback installed."""
    return with_fallback(ollama_server)


_CLAIM_LINE = re.compile(r"^(\d+)\. \((\w+)\) (.+)$", re.MULTILINE)


def claims_of(request: dict) -> list[tuple[int, str, str]]:
    """(id, kind, text) of the claims a verifier request lists."""
    content = request["messages"][-1]["content"]
    return [(int(i), kind, text) for i, kind, text in _CLAIM_LINE.findall(content)]


def verdicts(judge):
    """A verifier reply builder: ``judge(claim_text) -> verdict`` for every claim the request lists."""
    def build(request: dict) -> dict:
        return {"verdicts": [{"id": i, "verdict": judge(text), "note": "scripted"} for i, _, text in
                             claims_of(request)]}
    return build


HERON = CAPTIONS[0]  # "A grey heron wades through the shallows of the lake in soft evening light."
CORMORANT = CAPTIONS[4]


def reserved(pid: int) -> int:
    """Give the row its filename reservation, as naming would (approve needs it)."""
    from amirtui.core.db import repo

    repo.reserve_name(row(pid).file_name, pid)
    return pid


def reasons(pid: int) -> dict[str, str]:
    return {code: detail for code, detail in row(pid).gate_reasons}


def test_supported_claims_prefill_the_row_and_the_request_carries_image_subject_and_claims(db, settings, bus, server):
    server.behave(PRIMARY, reply=fixed(*HERON))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)
    p = row(ids[0])
    assert p.state == "prefilled" and p.gate_reasons == [] and p.ai_model == PRIMARY

    [req] = server.verify_requests(PRIMARY)
    body = req.body
    assert body["messages"][-1]["images"] == server.caption_requests(PRIMARY)[0].body["messages"][-1]["images"]
    assert "Grey Heron" in body["messages"][-1]["content"]
    listed = [text for _, _, text in claims_of(body)]
    assert "heron wades through the shallows" in listed and body["stream"] is False and body["think"] is False
    assert body["format"]["properties"]["verdicts"]["minItems"] == len(listed)
    rec = MetadataQuality.get(MetadataQuality.photo == ids[0])
    assert rec.verify_status == "supported" and rec.chosen and rec.model == PRIMARY
    assert {v["claim"] for v in rec.verification["verdicts"]} == set(listed)


def test_unsupported_claims_ask_the_fallback_with_the_claims_named(db, settings, bus, server):
    server.behave(PRIMARY, reply=fixed(*HERON))
    server.behave(FALLBACK, reply=fixed(*CORMORANT))
    server.behave_verify(PRIMARY, reply=verdicts(lambda c: "not_supported" if "wades" in c else "supported"))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)

    p = row(ids[0])
    assert p.state == "prefilled" and p.ai_model == FALLBACK and p.caption == CORMORANT[0]
    ask = server.caption_requests(FALLBACK)[0].body["messages"]
    assert "heron wades through the shallows" in ask[-1]["content"]  # the failed claim, named — not a template
    assert ask[-2]["images"]  # the photo is still attached
    retry = lines(bus, "[RETRY]")[0]
    assert "claims not supported: heron wades through the shallows" in retry
    assert p.attempts == 0  # the primary answered: an unsupported claim is not a failed request
    recs = list(MetadataQuality.select().where(MetadataQuality.photo == ids[0]).order_by(MetadataQuality.attempt))
    assert [(r.role, r.verify_status, r.chosen) for r in recs] == [("primary", "unsupported", False),
                                                                    ("fallback", "supported", True)]


def test_claims_unsupported_by_both_models_make_the_row_needs_work_with_the_claims_in_review_and_qc(
        db, settings, bus, server):
    server.behave(PRIMARY, reply=fixed(*HERON))
    server.behave(FALLBACK, reply=fixed(*CORMORANT))
    server.behave_verify(PRIMARY, reply=verdicts(
        lambda c: "not_supported" if "wades" in c or "cormorant" in c else "cannot_tell"))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids)

    p = row(ids[0])
    assert p.state == "needs_work" and p.gate_status == "needs_work"
    detail = reasons(ids[0])["unsupported_claim"]
    assert "not supported by the photo" in detail and ("wades" in detail or "cormorant" in detail)
    shown = review.load_detail(ids[0]).gate_reasons  # what the reviewer reads
    assert any(r.startswith("unsupported_claim: not supported by the photo") for r in shown)
    with pytest.raises(NeedsOverride):
        review.approve(reserved(ids[0]))
    report = load_last(s.data_dir)
    assert report["summary"]["reasons"]["unsupported_claim"] == 1 and report["summary"]["verifier"]["unsupported"] == 1
    assert report["flagged"][0]["reasons"][0]["code"] == "unsupported_claim"


@pytest.mark.parametrize("script,why", [
    (dict(malformed=True), "not JSON"),
    (dict(reply=lambda r: {"verdicts": [{"id": 1, "verdict": "probably"}]}), "not one of"),
    (dict(hang=3.0), "no answer within 1s"),
    (dict(error=(500, "llama runner process has terminated")), "Ollama error 500"),
], ids=["malformed", "bad-verdict", "timeout", "server-error"])
def test_a_verifier_failure_never_blocks_the_row_it_gets_a_not_verified_note(db, settings, bus, server, script, why):
    s = make_settings(settings, server.url, request_timeout=1)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids, before=lambda _: server.queue_verify(PRIMARY, **script))
    p = row(ids[0])
    assert p.state == "prefilled" and p.gate_status == "pass" and p.ai_model == PRIMARY  # not blocked, no fallback
    note = reasons(ids[0])["not_verified"]
    assert why in note and note.startswith("claims not checked against the photo")
    assert p.attempts == 0 and not server.caption_requests(FALLBACK)
    assert any(r.startswith("not_verified: ") for r in review.load_detail(ids[0]).gate_reasons)
    review.approve(reserved(ids[0]))  # a note, not a block: no override needed
    report = load_last(s.data_dir)
    assert report["summary"]["verifier"]["not_verified"] == 1 and report["flagged"][0]["id"] == ids[0]


def test_a_verifier_outage_switches_it_off_once_and_the_run_does_not_stall(db, settings, bus, server):
    server.behave_verify(PRIMARY, hang=30)
    s = make_settings(settings, server.url, request_timeout=0.5, parallel=1)
    ids = make_rows(s, 8)
    t0 = time.monotonic()
    stage = run_stage(s, bus, ids)
    elapsed = time.monotonic() - t0
    assert {row(p).state for p in ids} == {"prefilled"}
    assert all("not_verified" in reasons(p) for p in ids)
    off = lines(bus, "[VERIFY-OFF]")
    assert len(off) == 1 and f"{OUTAGE_STRIKES} verifier requests in a row failed" in off[0]
    # the rest never wait on it (requests already on their way when it switched off are the only extra ones)
    assert OUTAGE_STRIKES <= len(server.verify_requests(PRIMARY)) <= OUTAGE_STRIKES + stage.concurrency - 1
    assert not lines(bus, "[HOST-DOWN]")  # verifier timeouts do not take the captioning host out
    assert elapsed < 8 * 0.5 + 5  # bounded by a few timeouts, not one per row


def test_verify_off_sends_no_verifier_request_and_verify_model_is_used_when_set(db, settings, bus, server):
    s = make_settings(settings, server.url, verify=False)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    assert not server.verify_requests() and {row(p).state for p in ids} == {"prefilled"}

    s2 = make_settings(settings, server.url, verify_model=FALLBACK)
    more = make_rows(s2, 2)
    run_stage(s2, bus, more)
    assert len(server.verify_requests(FALLBACK)) == 2 and not server.verify_requests(PRIMARY)


def test_verifier_time_is_on_the_run_board_and_in_the_log(db, settings, bus, server):
    server.behave_verify(PRIMARY, latency=0.2)
    s = make_settings(settings, server.url)
    ids = make_rows(s, 3)
    run_stage(s, bus, ids)
    board = [e for e in bus.seen if isinstance(e, StageProgressed) and e.stage == "verify"]
    assert board and board[-1].done == 3 and board[-1].failed == 0 and board[-1].rate > 0
    [summary] = lines(bus, "verifier: ")
    per_request = float(re.search(r"([\d.]+) s per request", summary).group(1))
    assert 0.2 <= per_request < 2.0


def test_manual_text_is_not_blocked_by_claims_about_the_ai_text(db, settings, bus, server):
    server.behave_verify(PRIMARY, reply=verdicts(lambda c: "not_supported"))
    server.behave_verify(FALLBACK, reply=verdicts(lambda c: "not_supported"))
    s = make_settings(settings, server.url)
    ids = make_rows(s, 1)
    from amirtui.core.db.models import Photo

    manual = "The old heron of Lindau harbour, known to every fisherman on the quay."
    Photo.update(caption=manual, alt_text="A grey heron stands on a harbour wall beside moored boats.",
                 keywords=["heron", "Lindau", "harbour", "quay", "fishermen"], text_source="manual").where(
        Photo.id == ids[0]).execute()
    run_stage(s, bus, ids)
    assert row(ids[0]).state == "prefilled" and row(ids[0]).caption == manual


def test_the_idle_watchdog_also_recovers_a_hung_verifier_request(db, settings, bus, server):
    s = make_settings(settings, server.url, request_timeout=30, idle_watchdog=0.5)
    ids = make_rows(s, 1)
    run_stage(s, bus, ids, before=lambda _: server.queue_verify(PRIMARY, hang=10))
    dog = lines(bus, "[WATCHDOG]")
    assert dog and f"id={ids[0]} model '{PRIMARY}'" in dog[0]
    p = row(ids[0])
    assert p.state == "prefilled" and "idle watchdog" in reasons(ids[0])["not_verified"]
