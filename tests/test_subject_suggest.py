"""Subject suggestion for a set, against the loopback Ollama-protocol server with the official client."""

from __future__ import annotations

import json

import pytest

from amirtui.config import Settings
from amirtui.core.captioning.subject import MAX_IMAGES, suggest, weakness
from tests.harness.fixtures import DEFAULT_MODEL


def _settings(url: str, tmp_path, timeout: float = 5.0) -> Settings:
    s = Settings(base_dir=tmp_path)
    s.ollama.hosts[0].url = url
    s.ollama.primary_model = DEFAULT_MODEL
    s.ollama.request_timeout = timeout
    s.ollama.connect_timeout = 1.0
    return s


@pytest.fixture
def set_photos(photos_dir):
    return sorted((photos_dir / "gps").glob("*.jpg"))  # nine real photos


def test_a_specific_subject_is_suggested_from_at_most_six_photos_of_the_set(ollama_server, tmp_path, set_photos):
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": "  Common   Tern "})
    got = suggest(set_photos, _settings(ollama_server.url, tmp_path), folder="Birds")
    assert got.subject == "Common Tern"
    request = ollama_server.generation_requests(DEFAULT_MODEL)[-1]
    images = [img for m in request.body["messages"] for img in (m.get("images") or [])]
    assert 1 <= len(images) <= MAX_IMAGES < len(set_photos)
    assert request.body["stream"] is False and isinstance(request.body["format"], dict)


@pytest.mark.parametrize("answer", ["bird", "Birds", "landscape", "a photo", "Nature scene"])
def test_a_generic_answer_is_refused_with_the_reason_and_nothing_is_suggested(ollama_server, tmp_path, set_photos,
                                                                              answer):
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: {"subject": answer})
    got = suggest(set_photos, _settings(ollama_server.url, tmp_path), folder="Birds")
    assert got.subject is None
    assert "refused" in got.note and answer.strip().split()[-1].lower() in got.note.lower()


def test_a_malformed_answer_gives_a_note_not_a_crash(ollama_server, tmp_path, set_photos):
    ollama_server.behave(DEFAULT_MODEL, malformed=True)
    got = suggest(set_photos, _settings(ollama_server.url, tmp_path))
    assert got.subject is None and "not the JSON" in got.note


def test_a_hanging_server_times_out_with_a_note(ollama_server, tmp_path, set_photos):
    ollama_server.behave(DEFAULT_MODEL, hang=10)
    got = suggest(set_photos, _settings(ollama_server.url, tmp_path, timeout=0.5))
    assert got.subject is None and "unavailable" in got.note


def test_no_server_or_a_missing_model_gives_a_note(unused_port, ollama_server, tmp_path, set_photos):
    got = suggest(set_photos, _settings(f"http://127.0.0.1:{unused_port}", tmp_path))
    assert got.subject is None and "unavailable" in got.note
    s = _settings(ollama_server.url, tmp_path)
    s.ollama.primary_model = "not-installed:1b"
    got = suggest(set_photos, s)
    assert got.subject is None and "404" in got.note


def test_a_reasoning_block_before_the_json_is_not_the_answer(ollama_server, tmp_path, set_photos):
    ollama_server.behave(DEFAULT_MODEL, reply=lambda req: "<think>terns have forked tails</think>"
                                                          + json.dumps({"subject": "Arctic Tern"}))
    assert suggest(set_photos, _settings(ollama_server.url, tmp_path)).subject == "Arctic Tern"


@pytest.mark.parametrize("subject, folder, weak", [
    ("Common Tern", "Birds", False), ("Boeing 737-800", "Aircraft", False), ("Pad Thai", "Food", False),
    ("Eiffel Tower", "Architecture", False), ("bird", "", True), ("Flowers", "", True), ("Aircraft", "Aircraft", True),
    ("the sky", "", True), ("Street", "Streets", True),
])
def test_weak_subjects_are_told_apart_from_specific_ones(subject, folder, weak):
    assert (weakness(subject, folder) is not None) is weak
