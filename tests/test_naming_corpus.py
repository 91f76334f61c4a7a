"""The labelled naming corpus: amirtui reproduces the old generator's names (hyphen tokens, camera strings, years,
counters, folder casing) and its documented deliberate differences. Expected values come from a reading of the old
generator's rules, written into tests/data/naming_corpus.jsonl by hand (see tests/naming_corpus.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.naming_corpus import actual, expected, load, score

ENTRIES = load()


def test_the_corpus_is_varied_and_has_hard_negatives() -> None:
    kinds = Counter(e["kind"] for e in ENTRIES)
    assert set(kinds) == {"slug", "location", "folder", "camera_exif", "camera_direct", "year", "name"}
    assert min(kinds.values()) >= 8
    dropped = [e for e in ENTRIES if e["kind"] == "slug" and "-" in e["text"] and "-" not in e["expected"]]
    kept = [e for e in ENTRIES if e["kind"] == "slug" and "-" in e["expected"]]
    assert len(dropped) >= 12 and len(kept) >= 25  # hyphens lost and kept, both well covered
    assert sum(1 for e in ENTRIES if e.get("deliberate")) >= 3
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_corpus_entry(entry) -> None:
    assert actual(entry) == expected(entry), entry["why"]


def test_corpus_match_rate_is_total() -> None:
    result = score(ENTRIES)
    assert result.rate == 1.0, result.misses
