"""Captioning faults that are not the row's fault (issue 14 §4): a model that is not installed is a configuration
error reported once and never charged to rows; a thinking model's reasoning block or an answer in the ``thinking``
field is parsed, not counted as invalid JSON. Against the loopback Ollama-protocol server with the official client."""

from __future__ import annotations

import pytest

from amirtui.core.captioning.client import OllamaPool
from amirtui.core.captioning.schema import ReplyInvalid, answer_text, parse_reply
from tests.test_captioning_stage import (
    CAPTIONS, FALLBACK, PRIMARY, fixed, lines, make_rows, make_settings, row, run_stage, with_fallback)


@pytest.fixture
def server(ollama_server):
    """The loopback Ollama-protocol server with primary and fallback installed."""
    return with_fallback(ollama_server)


REASONING = 'The photo shows a bird. I should answer with {"caption": ...} as JSON. Let me check the keywords.'


# ---------------------------------------------------------------- thinking models


@pytest.mark.parametrize("script", [
    dict(think_block=REASONING), dict(answer_in_thinking=True)], ids=["think-block", "answer-in-thinking"])
def test_a_thinking_models_answer_is_used_not_counted_as_invalid_json(db, settings, bus, server, script):
    server.behave(PRIMARY, **script)
    s = make_settings(settings, server.url)
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    for pid in ids:
        p = row(pid)
        assert p.state == "prefilled" and p.ai_model == PRIMARY and p.attempts == 0
        assert p.caption in {c for c, _, _ in CAPTIONS} and "think" not in p.caption.lower()
    assert not lines(bus, "[RETRY]") and not server.caption_requests(FALLBACK)


@pytest.mark.parametrize("script", [dict(think_block=REASONING), dict(answer_in_thinking=True)],
                         ids=["think-block", "answer-in-thinking"])
def test_streamed_thinking_answers_parse_too(ollama_server, settings, script):
    cap, alt, kws = CAPTIONS[2]
    ollama_server.behave(PRIMARY, reply=fixed(cap, alt, kws), **script)
    s = make_settings(settings, ollama_server.url, fallback_model="")
    with OllamaPool(s.ollama) as pool:
        reply = pool.call(pool.chat_once(PRIMARY, [{"role": "user", "content": "caption"}], stream=True))
    assert (reply.caption, reply.alt_text, reply.keywords) == (cap, alt, kws)


def test_reasoning_without_an_answer_is_still_invalid():
    with pytest.raises(ReplyInvalid) as err:
        parse_reply("<think>I will describe the heron", "")  # cut off mid-reasoning: there is no answer
    assert err.value.kind == "malformed"
    with pytest.raises(ReplyInvalid):
        parse_reply("", "I looked at it and decided it is a heron.")  # thinking without any JSON object
    # a template that opened the block for the model leaves only the closing tag; a fence around the JSON is packaging
    assert answer_text('reasoning here</think>\n```json\n{"a": 1}\n```') == '{"a": 1}'
    assert answer_text("", 'think {"draft": true} more thought {"a": {"b": 2}}') == '{"a": {"b": 2}}'


# ---------------------------------------------------------------- models that are not installed


def test_fallback_not_installed_is_reported_once_disabled_and_never_charged(db, settings, bus, ollama_server):
    # the fixture installs only the primary; the fallback named in config does not exist on the host
    ollama_server.behave(PRIMARY, error=(500, "llama runner process has terminated"))
    s = make_settings(settings, ollama_server.url, max_attempts=3)
    ids = make_rows(s, 3)
    run_stage(s, bus, ids)
    config = lines(bus, "[CONFIG]")
    assert len(config) == 1 and f"fallback model '{FALLBACK}' is not installed" in config[0]
    assert f"ollama pull {FALLBACK}" in config[0]
    assert not ollama_server.caption_requests(FALLBACK) and not lines(bus, "[RETRY]")
    for pid in ids:  # only the primary's real failure counts
        assert (row(pid).state, row(pid).attempts) == ("scored", 1)


def test_fallback_uninstalled_mid_run_404_is_one_report_and_no_attempt(db, settings, bus, server):
    server.behave(PRIMARY, error=(500, "llama runner process has terminated"))
    s = make_settings(settings, server.url, max_attempts=2, parallel=1)
    ids = make_rows(s, 4)
    run_stage(s, bus, ids, before=lambda _: server.remove_model(FALLBACK))  # setup still saw it installed
    config = lines(bus, "[CONFIG]")
    assert len(config) == 1 and "the fallback is off for the rest of this run" in config[0]
    assert {(row(p).state, row(p).attempts) for p in ids} == {("scored", 1)}  # not 2, and nobody quarantined
    assert not lines(bus, "[QUARANTINE]")
    # after the first 404 nobody asks the missing model again (requests already on their way are the only ones)
    assert len(server.generation_requests(FALLBACK)) <= 2


def test_verify_model_not_installed_turns_the_verifier_off_with_one_line(db, settings, bus, server):
    s = make_settings(settings, server.url, verify_model="minicpm-v:8b")
    ids = make_rows(s, 2)
    run_stage(s, bus, ids)
    off = lines(bus, "[VERIFY-OFF]")
    assert len(off) == 1 and "ollama pull minicpm-v:8b" in off[0]
    assert {row(p).state for p in ids} == {"prefilled"}
    assert all(dict(row(p).gate_reasons).get("not_verified") for p in ids)


def test_preflight_is_red_with_the_pull_command_for_a_missing_verifier_model(ollama_server, settings):
    from amirtui.core.captioning.status import preflight_checks

    s = make_settings(settings, ollama_server.url, fallback_model="", verify_model="minicpm-v:8b")
    [host] = [c for c in preflight_checks(s) if c.name.startswith("ollama http")]
    assert host.level == "red" and "minicpm-v:8b" in host.found and host.fix == "ollama pull minicpm-v:8b"
    off = make_settings(settings, ollama_server.url, fallback_model="", verify_model="minicpm-v:8b", verify=False)
    assert [c.level for c in preflight_checks(off) if c.name.startswith("ollama http")] == ["green"]
