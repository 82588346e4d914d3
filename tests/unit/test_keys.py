"""Keys -> meetings: the path rules of DESIGN.md, and every key that must be refused."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes import keys
from minutes.problems import Rejected


def codes(key: str) -> list[str]:
    with pytest.raises(Rejected) as caught:
        keys.parse_key(key)
    for problem in caught.value.problems:
        assert problem.hint, problem          # every rejection says how to fix it
    return [p.code for p in caught.value.problems]


@pytest.mark.parametrize("key, group, meeting, name, date, segment", [
    ("minutes/openxla/2022-09-20-sig-openxla.md", "openxla", "2022-09-20-sig-openxla", "",
     dt.date(2022, 9, 20), "2022-09-20-sig-openxla"),
    ("minutes/onnx-operators/001-20190710.md", "onnx-operators", "001-20190710", "",
     dt.date(2019, 7, 10), "2019-07-10-001"),
    ("minutes/onnx-compilers/sig-compiler-2023-04-04.md", "onnx-compilers",
     "sig-compiler-2023-04-04", "", dt.date(2023, 4, 4), "2023-04-04-sig-compiler"),
    ("minutes/rust-lang/2019.04.18.md", "rust-lang", "2019.04.18", "", dt.date(2019, 4, 18),
     "2019-04-18"),
    ("minutes/rust-lang/2019-04-18.md", "rust-lang", "2019-04-18", "", dt.date(2019, 4, 18),
     "2019-04-18"),
    ("minutes/sig-docs/2024/05/07/weekly.md", "sig-docs", "2024/05/07/weekly", "",
     dt.date(2024, 5, 7), "2024-05-07-weekly"),
    ("minutes/openxla/2022-09-20-community-meeting/NOTES.md", "openxla",
     "2022-09-20-community-meeting", "NOTES.md", dt.date(2022, 9, 20),
     "2022-09-20-community-meeting"),
    ("minutes/openxla/2022-09-20-community-meeting/[Public] Slides 2022.9.20.pdf", "openxla",
     "2022-09-20-community-meeting", "[Public] Slides 2022.9.20.pdf", dt.date(2022, 9, 20),
     "2022-09-20-community-meeting"),
    ("minutes/g/2024-01-09-planning/notes/monday.md", "g", "2024-01-09-planning/notes/monday",
     "", dt.date(2024, 1, 9), "2024-01-09-planning-notes-monday"),   # nearest dated folder
    ("minutes/g/Weird Name (final) ÄÖ.md", "g", "Weird Name (final) ÄÖ", "", None,
     "undated-weird-name-final"),
])
def test_keys_map_to_meetings(key, group, meeting, name, date, segment):
    parsed = keys.parse_key(key)
    assert (parsed.group, parsed.meeting, parsed.name, parsed.date) == (group, meeting, name, date)
    assert parsed.segment() == segment


def test_front_matter_date_can_stand_in_for_the_key_date():
    parsed = keys.parse_key("minutes/g/weekly.md")
    assert parsed.segment(dt.date(2024, 5, 7)) == "2024-05-07-weekly"


def test_event_keys_are_url_decoded_with_plus_for_space():
    raw = "minutes/openxla/2022-09-20-community-meeting/%5BPublic%5D+Slides+2022.9.20.pdf"
    assert keys.decode_event_key(raw) == \
        "minutes/openxla/2022-09-20-community-meeting/[Public] Slides 2022.9.20.pdf"


def test_a_key_outside_minutes_is_refused():
    assert codes("reports/g/2024-05-07.md") == ["key-outside-minutes"]
    assert codes("2024-05-07.md") == ["key-outside-minutes"]


@pytest.mark.parametrize("key", ["minutes/2024-05-07.md", "minutes/g//2024-05-07.md", "minutes/g/"])
def test_a_key_without_group_or_with_empty_segments_is_refused(key):
    assert codes(key) == ["key-shape"]


@pytest.mark.parametrize("group", sorted(keys.RESERVED_GROUPS - {"_drafts"}) + [
    "2024", "Sig-Docs", "sig docs", "sig.docs", "-sig", "x" * 64, "ünï", "a%2fb"])
def test_reserved_or_unsafe_groups_are_refused(group):
    assert "group-name" in codes(f"minutes/{group}/2024-05-07-x.md")


@pytest.mark.parametrize("key", [
    "minutes/g/../../x.md",
    "minutes/g/2024-05-07-x/../../../etc/passwd.md",
    "minutes/g/./2024-05-07-x.md",
    "minutes/g/%2e%2e/2024-05-07-x.md",
    "minutes/g/%2E%2E/%2e%2e/2024-05-07-x.md",
    "minutes/g/%252e%252e/2024-05-07-x.md",      # decoded twice somewhere downstream
    "minutes/g/..%2f..%2f2024-05-07-x.md",
    "minutes/g/..\\..\\2024-05-07-x.md",
])
def test_path_traversal_in_keys_is_refused(key):
    assert codes(key) == ["key-shape"]


@pytest.mark.parametrize("key", ["minutes/g/2024-05-07-a\nb.md", "minutes/g/2024-05-07-a\rb.md",
                                 "minutes/g/2024-05-07\x00.md", "minutes/g/2024-05-07\u2028.md"])
def test_control_characters_in_keys_are_refused(key):
    assert codes(key) == ["key-shape"]


@pytest.mark.parametrize("key", ["minutes/g/..2024-05-07.md", "minutes/g/2024-05-07-100%.md",
                                 "minutes/g/2024-05-07-x/a..b.pdf"])
def test_dots_and_percent_inside_a_name_are_fine(key):
    keys.parse_key(key)


def test_invalid_dates_are_found_for_a_precise_message():
    assert keys.find_date("2023-02-30-x") is None
    assert keys.invalid_date_in("minutes/g/2023-02-30-x.md") == "2023-02-30"
    assert keys.invalid_date_in("minutes/g/001-20190710.md") is None


def test_dates_inside_longer_numbers_are_not_dates():
    assert keys.find_date("issue-120220920123") is None
    assert keys.find_date("20220920").date == dt.date(2022, 9, 20)
    assert keys.find_date("2022_09_20").date == dt.date(2022, 9, 20)


def test_site_quote_encodes_one_segment():
    assert keys.site_quote("[Public] a/b+c.pdf") == "%5BPublic%5D%20a%2Fb%2Bc.pdf"


def test_only_safe_attachment_types_are_served():
    assert keys.attachment_type("Slides.PDF") == "application/pdf"
    assert keys.attachment_type("x.svg") is None      # SVG can carry script
    assert keys.attachment_type("x.html") is None
    assert keys.attachment_type("noext") is None
