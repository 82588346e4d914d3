"""running_notes: one file, a dated heading per meeting, newest on top -> one meeting per section.
Recognition, dates (and the file's own day/month pattern), identity, time lines, build."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes import running_notes
from minutes.build import build
from minutes.check import check_file, format_text
from minutes.problems import Rejected

KEY = "minutes/sig-node/meeting-notes.md"
ARCHIVE = "minutes/sig-node/archive/meeting-notes-2024.md"


def notes_text(*days: str, header: str = "# SIG Node Meeting Notes\n\nJoin us on Zoom.\n") -> str:
    return header + "".join(f"\n## {day}\n\n- notes of {day}\n- more\n" for day in days)


def split(text: str, key: str = KEY):
    return running_notes.split(key, text.encode())


def dates(text: str, key: str = KEY) -> list[str]:
    return [s.date.isoformat() for s in split(text, key).sections]


# --- what is a running-notes file ------------------------------------------------------

def test_a_file_with_dated_headings_is_one_meeting_per_section():
    notes = split(notes_text("Dec 31, 2024", "Dec 24, 2024", "12/17/2024", "10 Dec 2024"))
    assert [s.date for s in notes.sections] == [dt.date(2024, 12, d) for d in (31, 24, 17, 10)]
    assert [s.line for s in notes.sections] == [5, 10, 15, 20]
    assert notes.sections[0].markdown == "## Dec 31, 2024\n\n- notes of Dec 31, 2024\n- more\n"


def test_text_above_the_first_dated_heading_is_the_header_not_a_meeting():
    notes = split(notes_text("Dec 31, 2024", "Dec 24, 2024"))
    assert notes.header == "# SIG Node Meeting Notes\n\nJoin us on Zoom."
    assert notes.title == "SIG Node Meeting Notes"
    assert all("Join us" not in s.markdown for s in notes.sections)


@pytest.mark.parametrize("text, key", [
    (notes_text("Dec 31, 2024", "Dec 24, 2024"), "minutes/g/2024-12-31-weekly.md"),  # dated key
    ("---\ndate: 2024-12-31\n---\n" + notes_text("Dec 31, 2024", "Dec 24, 2024"), KEY),
    ("# Notes\n\n## Agenda\n\n## Decisions\n", KEY),                     # no dates at all
    ("# Notes of the week\n\n- met on Dec 31, 2024\n", KEY),             # a date, not a heading's
])
def test_what_is_not_a_running_notes_file(text, key):
    assert running_notes.split(key, text.encode()) is None


def test_one_dated_heading_is_one_meeting_as_after_the_yearly_archive_move():
    notes = split(notes_text("Jan 7, 2025"))
    assert [s.meeting for s in notes.sections] == ["2025-01-07@notes"]
    # One dated heading per level: the highest level's is the meeting, the other stays in it.
    notes = split("# Notes\n\n## Dec 31, 2024\n\n### Dec 24, 2024\n")
    assert [s.date.isoformat() for s in notes.sections] == ["2024-12-31"]
    assert "### Dec 24, 2024" in notes.sections[0].markdown


def test_a_dated_heading_inside_a_code_block_is_not_a_meeting():
    text = notes_text("Dec 31, 2024", "Dec 24, 2024") + "\n```\n## Dec 17, 2024\n```\n"
    assert dates(text) == ["2024-12-31", "2024-12-24"]


def test_the_meeting_level_is_the_highest_level_with_two_dated_headings():
    text = "# Notes\n\n## Jan 9, 2024\n\n### Action items due Jan 16, 2024\n\n## Jan 2, 2024\n"
    notes = split(text)
    assert [s.date.isoformat() for s in notes.sections] == ["2024-01-09", "2024-01-02"]
    assert "Action items due Jan 16, 2024" in notes.sections[0].markdown


def test_bold_lines_that_open_with_a_date_are_meeting_headings_too():
    text = ("### 12/14/2021\n\nnotes\n\n### 11/30/2021\n\nnotes\n\n"
            "**_09/14/2021_** Async in Slack\n\n**_09/7/2021_**\n\n**Agenda**:\n\n- x\n")
    notes = split(text)
    assert [s.date.isoformat() for s in notes.sections] == ["2021-12-14", "2021-11-30",
                                                            "2021-09-14", "2021-09-07"]
    assert notes.sections[2].heading == "09/14/2021 Async in Slack"


def test_a_date_that_does_not_exist_is_text_of_the_section_above():
    assert dates(notes_text("Dec 31, 2024", "Feb 30, 2024", "Dec 24, 2024")) == [
        "2024-12-31", "2024-12-24"]


def test_thousands_of_sections_are_refused_not_published():
    text = notes_text(*[(dt.date(2000, 1, 1) + dt.timedelta(days=n)).isoformat() for n in range(600)])
    with pytest.raises(Rejected) as caught:
        split(text)
    assert caught.value.problems[0].code == "too-complex"


# --- dates that could be read two ways -------------------------------------------------

def test_a_day_over_12_elsewhere_in_the_file_decides_month_day():
    assert dates(notes_text("12/14/2021", "12/7/2021", "11/30/2021")) == [
        "2021-12-14", "2021-12-07", "2021-11-30"]


def test_a_first_number_over_12_elsewhere_in_the_file_decides_day_month():
    notes = split(notes_text("14/12/2021", "07/12/2021", "30/11/2021"))
    assert [s.date.isoformat() for s in notes.sections] == ["2021-12-14", "2021-12-07", "2021-11-30"]
    assert not any(s.problems for s in notes.sections)


def test_without_a_day_over_12_the_newest_on_top_order_decides():
    # month/day would read Jan 3, Dec 2, Nov 2: in no order; day/month is newest on top.
    notes = split(notes_text("01/03/2021", "12/02/2021", "11/02/2021"))
    assert [s.date.isoformat() for s in notes.sections] == ["2021-03-01", "2021-02-12", "2021-02-11"]
    assert not any(s.problems for s in notes.sections)


def test_a_date_that_stays_ambiguous_is_read_month_day_with_a_warning():
    notes = split(notes_text("03/04/2021", "02/01/2021"))   # both orders are newest on top
    assert [s.date.isoformat() for s in notes.sections] == ["2021-03-04", "2021-02-01"]
    problem = notes.sections[0].problems[0]
    assert (problem.code, problem.line) == ("date-ambiguous", 5) and not problem.is_error
    assert "March 4, 2021" in problem.message and "2021-" in problem.hint


# --- identity: group + date, never the file --------------------------------------------

def test_a_section_has_the_same_identity_in_any_file():
    running = split(notes_text("Jan 9, 2025", "Dec 31, 2024"))
    archived = split(notes_text("Dec 31, 2024", "Dec 24, 2024", header="# 2024\n"), ARCHIVE)
    one = running_notes.assemble_sections(running, site_host="h")[1].record
    two = running_notes.assemble_sections(archived, site_host="h")[0].record
    assert (one.group, one.meeting, one.segment, one.feed_id, one.url_path) == (
        two.group, two.meeting, two.segment, two.feed_id, two.url_path) == (
        "sig-node", "2024-12-31@notes", "2024-12-31", "tag:h,2024:sig-node/2024-12-31@notes",
        "/sig-node/2024-12-31/")


def test_two_meetings_on_one_date_count_from_the_bottom_so_a_new_one_renumbers_nothing():
    before = split(notes_text("Sep 21, 2021", "Sep 14, 2021"))
    after = split(notes_text("Sep 21, 2021", "Sep 21, 2021", "Sep 14, 2021"))
    assert [s.meeting for s in before.sections] == ["2021-09-21@notes", "2021-09-14@notes"]
    assert [s.meeting for s in after.sections] == ["2021-09-21-2@notes", "2021-09-21@notes",
                                                   "2021-09-14@notes"]
    assert after.sections[0].segment == "2021-09-21-2"


def test_the_holder_of_a_section_in_two_files_is_the_first_key():
    assert running_notes.holder({KEY, ARCHIVE}) == ARCHIVE


# --- time lines ------------------------------------------------------------------------

@pytest.mark.parametrize("lines, time, zone", [
    ("### 10:30am Pacific (18:30 UTC)", "10:30", "America/Los_Angeles"),
    ("### 6:00pm Pacific (1:00 UTC)", "18:00", "America/Los_Angeles"),
    ("**18:00 Pacific (01:00 UTC)**", "18:00", "America/Los_Angeles"),
    ("Time: 16:00 UTC", "16:00", "UTC"),
    ("9am Europe/Berlin", "09:00", "Europe/Berlin"),
    ("12pm ET", "12:00", "America/New_York"),
    ("Notes were taken.", None, None),
    ("Deadline at 7 UTC", None, None),
])
def test_the_time_and_zone_under_a_heading_are_read(lines, time, zone):
    text = f"## Dec 31, 2024\n\n{lines}\n\n- x\n\n## Dec 24, 2024\n\n- y\n"
    section = split(text).sections[0]
    assert (section.time, section.timezone) == (time, zone)
    record = running_notes.assemble_sections(split(text), site_host="h")[0].record
    assert (record.time, record.timezone) == (time, zone)


def test_a_time_deep_in_the_notes_is_not_the_meeting_time():
    text = "## Dec 31, 2024\n\n- a\n- b\n- c\n- d\n- call at 10:30am Pacific\n\n## Dec 24, 2024\n"
    assert split(text).sections[0].time is None


# --- sections -> meetings --------------------------------------------------------------

def test_problems_name_the_line_in_the_file():
    text = notes_text("Dec 31, 2024", "Dec 24, 2024") + "\nNext: YYYY-MM-DD\n"
    meetings = running_notes.assemble_sections(split(text), site_host="h")
    (problem,) = [p for p in meetings[1].problems if p.code == "placeholder"]
    assert problem.line == 15


def test_a_bad_section_rejects_the_upload_with_its_line():
    text = notes_text("Dec 31, 2024", "Dec 24, 2024") + "\n" + "> " * 200 + "deep\n"
    with pytest.raises(Rejected) as caught:
        running_notes.assemble_sections(split(text), site_host="h")
    assert caught.value.problems[0].code == "too-deep" and caught.value.problems[0].line == 15


def test_check_lists_what_each_section_became(tmp_path):
    path = tmp_path / "minutes" / "sig-node" / "meeting-notes.md"
    path.parent.mkdir(parents=True)
    path.write_text(notes_text("Dec 31, 2024", "Dec 24, 2024"))
    verdict = check_file(path)
    assert verdict.valid and verdict.meta["running_notes"]
    assert [m["url_path"] for m in verdict.meta["meetings"]] == ["/sig-node/2024-12-31/",
                                                                 "/sig-node/2024-12-24/"]
    text = format_text(verdict)
    assert "running notes, 2 meetings" in text
    assert "lines 1-4: the group's header (not a meeting)" in text
    assert "lines 5-9: 'Dec 31, 2024' -> 2024-12-31 /sig-node/2024-12-31/" in text


def test_build_publishes_a_section_held_by_two_files_once_from_the_first_key(tmp_path):
    src = tmp_path / "src"
    (src / "sig-node" / "archive").mkdir(parents=True)
    (src / "sig-node" / "meeting-notes.md").write_text(
        notes_text("Jan 9, 2025", "Dec 31, 2024").replace("notes of Dec 31", "draft of Dec 31"))
    (src / "sig-node" / "archive" / "meeting-notes-2024.md").write_text(
        notes_text("Dec 31, 2024", "Dec 24, 2024"))
    result = build(src, tmp_path / "site", site_url="https://m.example.org", workers=1)
    meetings = sorted(r.meeting for r in result.records)
    assert meetings == ["2024-12-24@notes", "2024-12-31@notes", "2025-01-09@notes"]
    page = (tmp_path / "site" / "sig-node" / "2024-12-31" / "index.html").read_text()
    assert "notes of Dec 31" in page and "draft of Dec 31" not in page
