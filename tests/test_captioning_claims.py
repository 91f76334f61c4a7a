"""Claim extraction for the verifier: what a caption says that the photo can confirm or contradict."""

from __future__ import annotations

from amirtui.core.captioning.claims import MAX_CLAIMS, extract_claims


def kinds(caption: str, alt: str | None = None, **kw) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for claim in extract_claims(caption, alt, **kw):
        out.setdefault(claim.kind, []).append(claim.text)
    return out


def test_counts_colours_actions_places_and_objects_are_found():
    got = kinds("Three red kayaks pass beneath the Rialto Bridge in Venice while gulls circle overhead.")
    assert got["count"] == ["Three red kayaks"]
    assert "kayaks pass beneath the Rialto Bridge" in got["action"]
    assert got["place"] == ["Rialto Bridge", "Venice"]
    got = kinds("A grey heron wades through the shallows as a cormorant dries its wings on a post.")
    assert got["colour"] == ["grey heron"]
    assert got["action"][:2] == ["heron wades through the shallows", "cormorant dries its wings"]
    assert "post" in got["object"]


def test_group_words_predicate_colours_and_ing_actions():
    assert kinds("A pair of kites hangs over the Isle of Skye.")["count"] == ["pair of kites"]
    assert "Isle of Skye" in kinds("A pair of kites hangs over the Isle of Skye.")["place"]
    assert kinds("The alpine peaks glow pink above the valley.")["colour"] == ["peaks glow pink"]
    assert "gulls circling above its stern" in kinds("A boat returns with gulls circling above its stern.")["action"]
    assert "object" not in kinds("A fishing boat.") or kinds("A fishing boat.")["object"] == ["fishing boat"]


def test_the_first_word_of_a_sentence_is_no_place_and_the_operators_facts_are_not_asked():
    assert "place" not in kinds("Reeds bend in the wind along the shore.")
    got = kinds("A grey heron stands on the harbour wall at Lindau on Lake Constance.",
                known=["Grey Heron", "Lake Constance", "Wildlife"])
    assert got["place"] == ["Lindau"]  # the Location is the photographer's own fact
    assert "grey heron" not in [c.lower() for c in got.get("colour", [])]  # so is the Subject


def test_claims_are_deterministic_deduplicated_and_bounded():
    caption = "Two swans glide past the stone harbour wall as the water turns gold."
    alt = "Two swans glide past a stone wall on calm golden water."
    first = extract_claims(caption, alt)
    assert first == extract_claims(caption, alt)  # same text, same claims, same order
    texts = [c.text.lower() for c in first]
    assert len(texts) == len(set(texts)) and texts.count("two swans") == 1  # the alt text repeats a count
    long = " ".join(f"A {c} boat {i} drifts past the {c} pier." for i, c in
                    enumerate(["red", "blue", "green", "white", "black", "yellow", "brown", "orange"]))
    assert len(extract_claims(long)) == MAX_CLAIMS


def test_text_without_checkable_claims_gives_none():
    assert extract_claims("", None) == []
    assert extract_claims("Quiet.", "Calm.") == []
