"""The Ollama pool and its helpers against the loopback server: error kinds, streaming, runtime line, preflight,
Generate, and (when AMIRTUI_TEST_OLLAMA_URL is set) a real Ollama."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from amirtui.config import OllamaConfig
from amirtui.core.captioning.client import CaptionError, OllamaPool, format_runtime
from amirtui.core.captioning.generate import generate_row
from amirtui.core.captioning.prompts import PromptContext, build_messages
from amirtui.core.captioning.status import model_status, preflight_checks, runtime_line
from amirtui.core.db.models import Photo
from tests.test_captioning_stage import CAPTIONS, FALLBACK, PRIMARY, Replies, make_rows, make_settings, row, run_stage

GOOD = {"caption": CAPTIONS[0][0], "alt_text": CAPTIONS[0][1], "keywords": CAPTIONS[0][2]}


def pool_for(*urls: str, **changes) -> OllamaPool:
    cfg = dict(hosts=[{"url": u, "parallel": 2} for u in urls], primary_model=PRIMARY, fallback_model=FALLBACK,
               request_timeout=2, connect_timeout=1)
    cfg.update(changes)
    return OllamaPool(OllamaConfig(**cfg))


def messages() -> list[dict]:
    return build_messages(PromptContext(subject="Heron"), b"\xff\xd8 not really a jpeg")


def test_success_returns_a_validated_reply(ollama_server):
    ollama_server.behave(PRIMARY, reply=lambda r: GOOD)
    with pool_for(ollama_server.url) as pool:
        reply = pool.call(pool.chat_once(PRIMARY, messages(), photo_id=1))
    assert reply.caption == GOOD["caption"] and reply.keywords == GOOD["keywords"]


@pytest.mark.parametrize(
    "script,kind,text",
    [
        (dict(schema_violation=True), "schema", "breaks the schema"),
        (dict(malformed=True), "malformed", "not JSON"),
        (dict(error=(500, "llama runner process has terminated")), "server", "Ollama error 500"),
        (dict(error=(503, "server busy, please try again. maximum pending requests exceeded")), "busy", "503"),
        (dict(hang=3), "timeout", "no answer within 1s"),
    ],
)
def test_each_failure_has_its_kind_and_a_readable_reason(ollama_server, script, kind, text):
    ollama_server.queue(PRIMARY, **script)
    with pool_for(ollama_server.url, request_timeout=1) as pool:
        with pytest.raises(CaptionError) as err:
            pool.call(pool.chat_once(PRIMARY, messages()))
    assert err.value.kind == kind and text in str(err.value)


def test_404_model_names_the_pull_command(ollama_server):
    with pool_for(ollama_server.url) as pool, pytest.raises(CaptionError) as err:
        pool.call(pool.chat_once("missing:1b", messages()))
    assert err.value.kind == "not_found" and "ollama pull missing:1b" in str(err.value)


def test_stream_error_midway_is_a_stream_failure(ollama_server):
    ollama_server.queue(PRIMARY, stream_error_after=2, error=(500, "llama runner process has terminated"))
    with pool_for(ollama_server.url) as pool:
        with pytest.raises(CaptionError) as err:
            pool.call(pool.chat_once(PRIMARY, messages(), stream=True))
        assert err.value.kind == "stream" and "llama runner process has terminated" in str(err.value)
        ollama_server.behave(PRIMARY, reply=lambda r: GOOD)
        assert pool.call(pool.chat_once(PRIMARY, messages(), stream=True)).caption == GOOD["caption"]


def test_connection_refused_takes_the_host_out_once(unused_port, ollama_server):
    from amirtui.core.events import EventBus

    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.text()))
    ollama_server.behave(PRIMARY, reply=lambda r: GOOD)
    cfg = OllamaConfig(hosts=[{"url": f"http://127.0.0.1:{unused_port}", "parallel": 1},
                              {"url": ollama_server.url, "parallel": 1}], request_timeout=2, connect_timeout=1)
    with OllamaPool(cfg, bus) as pool:
        for _ in range(4):  # round robin would send some to the dead host: they must land on the live one
            assert pool.call(pool.chat_once(PRIMARY, messages())).caption == GOOD["caption"]
        assert [h.url for h in pool.alive_hosts()] == [ollama_server.url]
    down = [t for t in seen if "[HOST-DOWN]" in t]
    assert len(down) == 1 and "connection refused" in down[0]
    with OllamaPool(OllamaConfig(hosts=[{"url": f"http://127.0.0.1:{unused_port}"}], connect_timeout=1)) as pool:
        with pytest.raises(CaptionError) as err:
            pool.call(pool.chat_once(PRIMARY, messages()))
    assert err.value.kind == "no_host" and "connection refused" in str(err.value)


def test_model_that_refuses_think_is_asked_again_without_it(ollama_server):
    """Some servers answer 400 "does not support thinking" to the think field itself: retry without it."""
    calls = []

    def picky(request):
        calls.append("think" in request)
        return GOOD

    ollama_server.behave(PRIMARY, reply=picky)
    ollama_server.queue(PRIMARY, error=(400, f'"{PRIMARY}" does not support thinking'))
    with pool_for(ollama_server.url) as pool:
        assert pool.call(pool.chat_once(PRIMARY, messages())).caption == GOOD["caption"]
    bodies = [r.body for r in ollama_server.generation_requests(PRIMARY)]
    assert bodies[0]["think"] is False and "think" not in bodies[1]


# ---------------------------------------------------------------- runtime line and preflight


def test_runtime_line_gpu_cpu_and_partial_offload(ollama_server, settings):
    s = make_settings(settings, ollama_server.url)
    assert runtime_line(s) == f"Ollama runtime: model={PRIMARY} processor=GPU context=8192 vram=6.0GiB"
    ollama_server.add_model("cpu-only:3b", size=3 * 2**30, size_vram=0, context_length=4096)
    assert runtime_line(s, "cpu-only:3b") == "Ollama runtime: model=cpu-only:3b processor=CPU context=4096 vram=0.0GiB"
    ollama_server.add_model("half:13b", size=8 * 2**30, size_vram=4 * 2**30, context_length=2048)
    line = runtime_line(s, "half:13b")
    assert line.startswith("Ollama runtime: model=half:13b processor=GPU context=2048 vram=4.0GiB")
    assert "partial offload: 50%" in line
    # the warm-up request is an empty load request, as Ollama documents
    warm = [r for r in ollama_server.generation_requests(PRIMARY) if not r.body.get("messages")]
    assert warm and warm[0].body["keep_alive"] == "10m"


def test_format_runtime_is_pure():
    assert format_runtime("m", 2**30, 0, None) == "Ollama runtime: model=m processor=CPU context=? vram=0.0GiB"


def test_model_status_and_preflight_name_missing_models_and_dead_hosts(ollama_server, settings, unused_port):
    s = make_settings(settings, ollama_server.url, f"http://127.0.0.1:{unused_port}")
    live, dead = model_status(s)
    assert live.reachable and live.missing == [FALLBACK] and live.fixes == [f"ollama pull {FALLBACK}"]
    assert not dead.reachable and "connection refused" in dead.error
    checks = preflight_checks(s)
    levels = {c.name: c for c in checks}
    assert levels[f"ollama {ollama_server.url}"].level == "red"
    assert levels[f"ollama {ollama_server.url}"].fix == f"ollama pull {FALLBACK}"
    assert levels[f"ollama http://127.0.0.1:{unused_port}"].level == "red"
    assert "ollama serve" in levels[f"ollama http://127.0.0.1:{unused_port}"].fix
    ollama_server.add_model(FALLBACK)
    checks = {c.name: c for c in preflight_checks(make_settings(settings, ollama_server.url))}
    assert checks[f"ollama {ollama_server.url}"].level == "green"
    assert checks["ollama runtime"].found.startswith("Ollama runtime: model=")


# ---------------------------------------------------------------- Generate


def test_generate_nudges_away_from_the_set_and_keeps_manual_text(db, settings, bus, ollama_server):
    ollama_server.add_model(FALLBACK)
    replies = Replies()
    ollama_server.behave(PRIMARY, reply=replies)
    s = make_settings(settings, ollama_server.url)
    ids = make_rows(s, 3)
    run_stage(s, bus, ids)
    before = row(ids[0]).caption

    result = generate_row(ids[0], s, bus)
    assert result.ok and result.state == "prefilled" and result.model == PRIMARY
    p = row(ids[0])
    assert p.caption != before and p.ai_caption == p.caption
    last = ollama_server.caption_requests(PRIMARY)[-1].body
    prompt = last["messages"][-1]["content"]
    assert row(ids[1]).caption in prompt and before in prompt  # the nudge lists the set's other captions
    assert last["options"]["seed"] != 42  # a fresh seed, or the same image would give the same text

    manual = "The harbour heron of Lindau, a regular guest of the morning fishermen."
    Photo.update(caption=manual, text_source="manual").where(Photo.id == ids[0]).execute()
    kept = generate_row(ids[0], s, bus)
    assert kept.ok and kept.kept_manual and row(ids[0]).caption == manual
    assert row(ids[0]).ai_caption != manual
    replaced = generate_row(ids[0], s, bus, replace_manual=True)
    assert replaced.ok and row(ids[0]).caption != manual and row(ids[0]).text_source == "ai"


def test_generate_reports_why_it_could_not(db, settings, bus, unused_port):
    s = make_settings(settings, f"http://127.0.0.1:{unused_port}")
    ids = make_rows(s, 1)
    Photo.update(state="needs_work").where(Photo.id == ids[0]).execute()
    result = generate_row(ids[0], s, bus)
    assert not result.ok and "no Ollama host is answering" in result.error
    assert row(ids[0]).state == "needs_work"


# ---------------------------------------------------------------- a real Ollama


@pytest.mark.ollama_live
def test_stage_against_a_real_ollama(db, settings, bus):
    url = os.environ.get("AMIRTUI_TEST_OLLAMA_URL")
    if not url:
        pytest.skip("set AMIRTUI_TEST_OLLAMA_URL (and optionally AMIRTUI_TEST_OLLAMA_MODEL) to run against Ollama")
    model = os.environ.get("AMIRTUI_TEST_OLLAMA_MODEL", PRIMARY)
    s = make_settings(settings, url, primary_model=model, fallback_model="", request_timeout=300, parallel=1)
    ids = make_rows(s, 2)
    for i, pid in enumerate(ids):  # something a vision model can actually describe
        img = Image.new("RGB", (512, 384), (40, 90, 200))
        img.paste((240, 200, 40), (180, 110, 330, 260))
        img.save(row(pid).model_image_path, "JPEG")
    stage = run_stage(s, bus, ids)
    assert stage.runtime and stage.runtime.startswith(f"Ollama runtime: model={model} processor=")
    for pid in ids:
        p = row(pid)
        assert p.state in ("prefilled", "needs_work"), p.last_error
        assert p.ai_caption and p.ai_alt_text and len(p.ai_keywords) >= 5 and p.ai_model == model
