"""Taxonomy core: validated, logged changes to folders, locations and the subject autofix list on a real temp DB."""

from __future__ import annotations

import logging

import pytest

from amirtui.core import taxonomy
from amirtui.core.db import repo
from amirtui.core.db.models import Photo, TaxonomyEntry
from amirtui.core.taxonomy import TaxonomyRefused
from tests.test_review_core import make_photo, make_set


def test_add_list_and_refuse_duplicates_ignoring_case(db, bus, caplog):
    caplog.set_level(logging.INFO, logger="amirtui.taxonomy")
    taxonomy.add("folder", "Birds", "Birds of the lake", bus=bus)
    taxonomy.add("folder", "mammals")
    assert [(e.key, e.display) for e in taxonomy.entries("folder")] == [("Birds", "Birds of the lake"),
                                                                        ("mammals", "mammals")]
    assert taxonomy.suggestions("folder") == ["Birds", "mammals"]
    with pytest.raises(TaxonomyRefused, match="Folder 'Birds' already exists"):
        taxonomy.add("folder", "BIRDS")
    assert "taxonomy: added folder 'Birds'" in caplog.text
    assert any("added folder 'Birds'" in e.text() for e in bus.seen)


@pytest.mark.parametrize("kind,key,value,why", [
    ("folder", "  ", "", "key is empty"),
    ("folder", "a/b", "", "contains '/'"),
    ("location", "!!!", "", "no letters or digits"),
    ("location", "x" * 61, "", "limit is 60"),
    ("subject_fix", "Heron", "Heron", "same word"),
    ("subject_fix", "Hreon", "", "fix is empty"),
    ("colour", "red", "", "unknown taxonomy kind"),
])
def test_invalid_changes_are_refused_with_a_reason(db, kind, key, value, why):
    with pytest.raises(TaxonomyRefused, match=why):
        taxonomy.add(kind, key, value)
    assert TaxonomyEntry.select().count() == 0


def test_rename_changes_future_names_only(db):
    taxonomy.add("folder", "Birds")
    s = make_set(folder="Birds")
    pid = make_photo(s, 1)
    old_name = Photo.get_by_id(pid).file_name
    entry, note = taxonomy.rename("folder", "birds", new_key="Waterbirds", new_value="Water birds")
    assert (entry.key, entry.value) == ("Waterbirds", "Water birds")
    assert "1 named row(s) keep the old folder" in note
    assert Photo.get_by_id(pid).file_name == old_name  # names already given never change
    assert repo.active_reservation(old_name).photo_id == pid
    assert taxonomy.suggestions("folder") == ["Waterbirds"]
    taxonomy.add("folder", "Mammals")
    with pytest.raises(TaxonomyRefused, match="'Mammals' already exists"):
        taxonomy.rename("folder", "Waterbirds", new_key="mammals")
    with pytest.raises(TaxonomyRefused, match="does not exist"):
        taxonomy.rename("location", "Nowhere", new_key="Somewhere")


def test_subject_autofix_whole_then_word_by_word(db):
    assert taxonomy.autofix_subject("Grey Hreon") == "Grey Hreon"  # no list: unchanged
    taxonomy.add("subject_fix", "hreon", "Heron")
    taxonomy.add("subject_fix", "Kingfsher", "Kingfisher")
    taxonomy.add("subject_fix", "blue tit", "Blue Tit")
    assert taxonomy.autofix_subject("HREON") == "Heron"
    assert taxonomy.autofix_subject("Grey hreon and kingfsher") == "Grey Heron and Kingfisher"
    assert taxonomy.autofix_subject("Blue tit") == "Blue Tit"
    assert taxonomy.autofix_subject("Hreons") == "Hreons"  # whole words only
    taxonomy.rename("subject_fix", "hreon", new_value="Grey Heron")
    assert taxonomy.autofix_subject("hreon") == "Grey Heron"
    taxonomy.remove("subject_fix", "HREON")
    assert taxonomy.autofix_subject("hreon") == "hreon"
