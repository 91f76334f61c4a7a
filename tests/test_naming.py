"""Filenames: the old system's rules (issue 3, item 5; issue 13), continuation after catalog names, uniqueness,
length. The full reference corpus is in test_naming_corpus.py."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from amirtui.config import NamingConfig
from amirtui.core.filenames import name_problem
from amirtui.core.naming import (
    EmptyNamePart,
    NameIndex,
    NameParts,
    NameTooLong,
    TemplateError,
    camera_token,
    preview_name,
    render_name,
    slug,
    title_parts,
    validate_set_fields,
    year_token,
)

CFG = NamingConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PH-BXA", "PH-BXA"),
        ("9H-ABC", "9H-ABC"),
        ("A320-214", "A320-214"),
        ("737-800", "737-800"),
        ("ATR 72-600", "ATR_72-600"),
        ("DMC-FZ30", "DMC-FZ30"),
        ("Boeing 737-800 (PH-BXA)", "Boeing_737-800_PH-BXA"),
        ("Saint-Tropez", "Saint_Tropez"),  # an ordinary hyphenated word loses its hyphen
        ("Rock & Roll", "Rock_and_Roll"),
        ("Land's End", "Land_s_End"),
        ("  a__b   c  ", "a_b_c"),
        ("__x__", "x"),
        ("x/../y\\z", "x_y_z"),
        ("tab\tnew\nline", "tab_new_line"),
        ("-PH-BXA-", "PH-BXA"),
        ("Zürich Straße", "Zurich_Strasse"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_slug_follows_the_old_rules(text: str, expected: str) -> None:
    assert slug(text) == expected


def test_slug_without_transliteration_keeps_letters_but_stays_portable() -> None:
    assert slug("Zürich / Genève", transliterate=False) == "Zürich_Genève"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("new york", "New_York"), ("Land's End", "Land_S_End"), ("USA east", "USA_East"), ("iPhone", "IPhone")],
)
def test_location_parts_get_a_capital(text: str, expected: str) -> None:
    assert title_parts(slug(text)) == expected


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("NIKON CORPORATION", "NIKON D70", "NIKON_CORPORATION_NIKON_D70"),
        ("Canon", "Canon EOS 40D", "Canon_EOS_40D"),
        ("Canon Canon", "EOS 40D", "Canon_EOS_40D"),
        ("PENTAX Corporation ", "PENTAX K10D        ", "PENTAX_Corporation_PENTAX_K10D"),
        ("Panasonic", "DMC-FZ30", "Panasonic_DMC-FZ30"),
        ("SONY", "HDR-HC3", "SONY_HDR-HC3"),
        ("WWL     ", "ION230\x00F", "WWL_ION230_F"),
        ("Canon", "Canon", "Canon"),
        ("", "DiMAGE Z3", "DiMAGE_Z3"),
        (None, None, "Camera"),
        ("  ", "\x00\x00", "Camera"),
        (b"FUJIFILM\x00", "FinePix_E500", "FUJIFILM_FinePix_E500"),
    ],
)
def test_camera_token(make, model, expected: str) -> None:
    assert camera_token(make, model, "Camera") == expected


def test_camera_token_empty_uses_configured_default() -> None:
    assert camera_token("", "", "Unknown Camera") == "Unknown_Camera"


@pytest.mark.parametrize(
    ("dto", "dt_", "expected"),
    [
        ("2008:05:30 15:56:01", "2009:01:01 00:00:00", "2008"),
        ("", "2009:01:01 00:00:00", "2009"),
        (None, "2009:01:01", "2009"),
        ("    :  :     ", "garbage", "2031"),
        ("0000:00:00 00:00:00", None, "2031"),
        (None, None, "2031"),
    ],
)
def test_year_token(dto, dt_, expected: str) -> None:
    assert year_token(dto, dt_, today=dt.date(2031, 6, 1)) == expected


# ------------------------------------------------------------------------------------------------ names


def test_default_template_name() -> None:
    parts = NameParts("Eagle", "new york", "wildlife", "Canon_EOS_40D", "2020")
    assert render_name(parts, 7, CFG) == "Eagle_New_York_Wildlife_Photography_Canon_EOS_40D_2020_007.JPG"


@pytest.mark.parametrize(
    ("folder", "expected_middle"),
    [
        ("Aviation", "Aviation_Photography"),
        ("Aviation Photography", "Aviation_Photography"),
        ("street photography", "Street_Photography"),
        ("Macrophotography", "Macrophotography"),
        ("PHOTOGRAPHY", "PHOTOGRAPHY"),
        ("Photography of birds", "Photography_Of_Birds_Photography"),
    ],
)
def test_photography_is_never_said_twice(folder: str, expected_middle: str) -> None:
    name = render_name(NameParts("S", "L", folder, "Cam", "2020"), 1, CFG)
    assert name == f"S_L_{expected_middle}_Cam_2020_001.JPG"


def test_template_without_the_photography_literal_adds_no_suffix() -> None:
    cfg = NamingConfig(template="<Year>-<Subject>-<Folder>-<NNNN>.jpg", counter_width=4)
    assert render_name(NameParts("S", "L", "birds", "Cam", "2020"), 3, cfg) == "2020-S-Birds-0003.jpg"


@pytest.mark.parametrize("template", ["<Subject>.JPG", "<Subject>_<NNN>_<Year>.JPG", "<Subject>_<Foo>_<NNN>.JPG"])
def test_unusable_template_is_refused_clearly(template: str) -> None:
    with pytest.raises(TemplateError, match="naming.template"):
        NameIndex().next_name(NameParts("S", "L", "F", "C", "2020"), NamingConfig(template=template))


def test_first_name_starts_at_001_and_reserving_counts_up() -> None:
    index = NameIndex()
    parts = NameParts("Eagle", "Kenya", "Wildlife", "Canon_EOS_40D", "2020")
    names = [index.reserve(parts, CFG) for _ in range(3)]
    assert [n[-7:] for n in names] == ["001.JPG", "002.JPG", "003.JPG"]


def test_next_name_does_not_add() -> None:
    index = NameIndex()
    parts = NameParts("Eagle", "Kenya", "Wildlife", "Cam", "2020")
    assert index.next_name(parts, CFG) == index.next_name(parts, CFG)
    assert len(index) == 0


def test_continues_after_catalog_names_reusing_folder_casing() -> None:
    catalog = [
        "Eagle_Kenya_WILDLIFE_Photography_Canon_EOS_40D_2020_041.jpg",
        "Eagle_Kenya_Wildlife_Photography_Canon_EOS_40D_2020_012.JPG",
        "Eagle_Kenya_Wildlife_Photography_Canon_EOS_40D_2019_099.JPG",  # other year: separate counter
        "Eagle_Kenya_Wildlife_Photography_NIKON_D70_2020_500.JPG",  # other camera: separate counter
        "Lion_Kenya_Wildlife_Photography_Canon_EOS_40D_2020_300.JPG",  # other subject: separate counter
    ]
    index = NameIndex(catalog)
    parts = NameParts("Eagle", "kenya", "wildlife", "Canon_EOS_40D", "2020")
    assert index.reserve(parts, CFG) == "Eagle_Kenya_WILDLIFE_Photography_Canon_EOS_40D_2020_042.JPG"
    assert index.reserve(parts, CFG) == "Eagle_Kenya_WILDLIFE_Photography_Canon_EOS_40D_2020_043.JPG"
    other = NameParts("Eagle", "Kenya", "Wildlife", "Canon_EOS_40D", "2021")
    assert index.next_name(other, CFG).endswith("_2021_001.JPG")


def test_counter_goes_past_999() -> None:
    index = NameIndex(["A_B_C_Photography_Cam_2020_998.JPG"])
    parts = NameParts("A", "B", "C", "Cam", "2020")
    assert [index.reserve(parts, CFG)[-8:] for _ in range(3)] == ["_999.JPG", "1000.JPG", "1001.JPG"]
    assert index.next_name(parts, CFG) == "A_B_C_Photography_Cam_2020_1002.JPG"


def test_uniqueness_is_case_insensitive_and_steps_over_out_of_sequence_names() -> None:
    index = NameIndex(["a_b_c_photography_cam_2020_001.jpg"])
    assert "A_B_C_Photography_Cam_2020_001.JPG" in index
    name = index.next_name(NameParts("A", "B", "C", "Cam", "2020"), CFG)
    assert name.casefold() != "a_b_c_photography_cam_2020_001.jpg"
    index2 = NameIndex(["A_B_C_Photography_Cam_2020_001.JPG"])
    index2.add("A_B_C_Photography_Cam_2020_003.jpg".upper())  # a reservation with odd casing, out of sequence
    got = [index2.reserve(NameParts("A", "B", "C", "Cam", "2020"), CFG) for _ in range(2)]
    assert [g[-7:] for g in got] == ["004.JPG", "005.JPG"]


def test_same_inputs_in_same_order_give_same_names() -> None:
    catalog = [f"Bird_Kenya_Wildlife_Photography_Cam_2020_{i:03d}.JPG" for i in range(1, 50)]
    inputs = [NameParts(s, "Kenya", "Wildlife", "Cam", y) for s in ("Bird", "Lion", "Bird") for y in ("2020", "2021")]

    def run() -> list[str]:
        index = NameIndex(catalog)
        return [index.reserve(p, CFG) for p in inputs]

    assert run() == run()
    assert run()[0] == "Bird_Kenya_Wildlife_Photography_Cam_2020_050.JPG"


def test_rerun_after_rollback_gets_collision_free_names() -> None:
    """A rolled-back run's names are released; the rerun builds a new index without them and gets the same names."""
    catalog = ["Bird_Kenya_Wildlife_Photography_Cam_2020_007.JPG"]
    parts = NameParts("Bird", "Kenya", "Wildlife", "Cam", "2020")
    first = NameIndex(catalog)
    run1 = [first.reserve(parts, CFG) for _ in range(3)]
    # rollback released them: only the catalog is taken again
    second = NameIndex(catalog)
    run2 = [second.reserve(parts, CFG) for _ in range(3)]
    assert run1 == run2 and len({n.casefold() for n in run2 + catalog}) == 4
    # partial rollback: the first name stays reserved, the others were released
    third = NameIndex(catalog + run1[:1])
    run3 = [third.reserve(parts, CFG) for _ in range(2)]
    assert not {n.casefold() for n in run3} & {n.casefold() for n in catalog + run1[:1]}


def test_too_long_name_is_a_clear_error() -> None:
    cfg = NamingConfig(max_length=60)
    parts = NameParts("A very long subject name indeed", "Somewhere far away", "Landscape", "Canon_EOS_40D", "2020")
    with pytest.raises(NameTooLong, match=r"over the limit of 60.*shorten the Subject"):
        NameIndex().next_name(parts, cfg)


def test_empty_part_is_refused_not_turned_into_a_double_underscore() -> None:
    with pytest.raises(EmptyNamePart, match="Location is empty"):
        NameIndex().next_name(NameParts("Eagle", " - ", "Wildlife", "Cam", "2020"), CFG)


def test_validate_set_fields_reports_each_problem() -> None:
    assert validate_set_fields("Eagle", "Kenya", "Wildlife", CFG) == []
    problems = validate_set_fields("", "!!!", "Wildlife", CFG)
    assert problems[0].startswith("Subject is empty")
    assert "Location '!!!' has no letters or digits" in problems[1]
    long = validate_set_fields("S" * 80, "L" * 40, "F", CFG, cameras=["NIKON_CORPORATION_NIKON_D70"])
    assert len(long) == 1 and "over the limit of 150" in long[0] and "shorten" in long[0]


def test_preview_name_for_the_set_form() -> None:
    index = NameIndex(["Eagle_Kenya_Wildlife_Photography_Camera_2020_010.JPG"])
    assert preview_name("Eagle", "Kenya", "wildlife", CFG, year="2020") == (
        "Eagle_Kenya_Wildlife_Photography_Camera_2020_001.JPG"
    )
    assert preview_name("Eagle", "Kenya", "wildlife", CFG, year="2020", index=index).endswith("_011.JPG")


def test_index_of_45000_names_builds_fast() -> None:
    """Sanity bound only (the real speed target lives in benchmarks/): 45k names must not take seconds."""
    names = [f"Subject{i % 900}_Place{i % 37}_Folder_Photography_Cam_{2000 + i % 20}_{i:03d}.JPG" for i in range(45_000)]
    t0 = time.perf_counter()
    index = NameIndex(names)
    index.next_name(NameParts("Subject1", "Place1", "Folder", "Cam", "2001"), CFG)
    assert time.perf_counter() - t0 < 2.0


# ------------------------------------------------------------------------------------------------ properties

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40
)  # any Unicode incl. controls, separators, dots, emoji
_PORTABLE = re.compile(r"^[A-Za-z0-9_-]*$")


@hsettings(max_examples=300, deadline=None)
@given(_text)
def test_slug_is_always_a_portable_filename_part(text: str) -> None:
    s = slug(text)
    assert _PORTABLE.match(s), s
    assert ".." not in s and "/" not in s and "\\" not in s
    assert not s.startswith(("_", "-")) and not s.endswith(("_", "-"))
    assert "__" not in s
    assert slug(s) == "" or name_problem(s) == ""  # inside the one filename alphabet


@hsettings(max_examples=200, deadline=None)
@given(_text)
def test_untransliterated_slug_has_no_separators_or_controls(text: str) -> None:
    s = slug(text, transliterate=False)
    assert all(c.isalnum() or c in "_-" for c in s), s
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in s)


_word = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda t: slug(t) != ""
)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_word, _word, _word, st.sampled_from(["Cam", "Canon_EOS_40D"]),
                          st.sampled_from(["2019", "2020"])), min_size=1, max_size=25))
def test_different_inputs_never_get_the_same_reserved_name(rows) -> None:
    index = NameIndex(["Bird_Kenya_Wildlife_Photography_Cam_2020_001.JPG"])
    seen: set[str] = {"bird_kenya_wildlife_photography_cam_2020_001.jpg"}
    for subject, location, folder, camera, year in rows:
        name = index.reserve(NameParts(subject, location, folder, camera, year), CFG)
        assert name.casefold() not in seen
        assert "/" not in name and ".." not in name and not any(ord(c) < 32 for c in name)
        assert name_problem(name) == ""  # every generated name is publishable byte for byte
        seen.add(name.casefold())


# ------------------------------------------------------------------------------------------------ issue 13 rules


def test_only_exactly_three_digit_tails_count() -> None:
    index = NameIndex(["A_B_C_Photography_Cam_2020_05.JPG", "A_B_C_Photography_Cam_2020_0042.JPG",
                       "A_B_C_Photography_Cam_2020_x12.JPG"])
    assert index.next_name(NameParts("A", "B", "C", "Cam", "2020"), CFG) == "A_B_C_Photography_Cam_2020_001.JPG"


def test_series_folder_casing_includes_the_photography_part() -> None:
    index = NameIndex(["Bridge_Paris_cities_photography_Cam_2020_017.JPG"])
    assert index.next_name(NameParts("Bridge", "Paris", "Cities", "Cam", "2020"), CFG) == (
        "Bridge_Paris_cities_photography_Cam_2020_018.JPG")


def test_transliterated_name_continues_the_non_ascii_series_and_never_equals_it() -> None:
    existing = ["Zürich_Altstadt_Cities_Photography_Cam_2020_007.JPG", "Zurich_Altstadt_Cities_Photography_Cam_2020_003.JPG"]
    index = NameIndex(existing)
    assert "Zurich_Altstadt_Cities_Photography_Cam_2020_007.JPG" in index  # same after transliteration: taken
    got = index.reserve(NameParts("Zürich", "Altstadt", "Cities", "Cam", "2020"), CFG)
    assert got == "Zurich_Altstadt_Cities_Photography_Cam_2020_008.JPG"
    # with transliteration off the two spellings are separate series
    raw = NamingConfig(transliterate=False)
    assert NameIndex(existing, transliterate=False).next_name(
        NameParts("Zürich", "Altstadt", "Cities", "Cam", "2020"), raw).endswith("_008.JPG")
    assert NameIndex(existing[1:], transliterate=False).next_name(
        NameParts("Zürich", "Altstadt", "Cities", "Cam", "2020"), raw) == (
        "Zürich_Altstadt_Cities_Photography_Cam_2020_001.JPG")


def test_a_typed_camera_goes_through_the_same_canonicalisation() -> None:
    index = NameIndex(["A_B_C_Photography_Canon_EOS_R5_Mark_II_2020_009.JPG"])
    for typed in ("Canon EOS R5m2", "EOS R5 Mark II", "canon_canon_EOS_R5_mark_2"):
        assert index.next_name(NameParts("A", "B", "C", typed, "2020"), CFG).endswith("Canon_EOS_R5_Mark_II_2020_010.JPG")
