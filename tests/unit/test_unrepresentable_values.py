"""Values YAML can write but no page, feed, calendar or table can hold: a lone UTF-16 surrogate
("\\ud800", only an escape makes one) and a date in year 9999 or 0001 (a calendar, a schedule
or a search id runs past Python's dates). Each is rejected where front matter and group.yaml
are read, so check, build and publish say the same: which field, what is wrong, how to fix."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes.build import build
from minutes.cli import EXIT_INVALID, main
from minutes.document import parse_document
from minutes.group import parse_group
from minutes.problems import Rejected

KEY = "minutes/wg/2024-01-02-x.md"
BODY = "# Weekly sync\n\n- Notes on the roadmap.\n- More notes here.\n"
SCHEDULE = 'schedule:\n  weekday: monday\n  time: "08:00"\n  timezone: UTC\n  cadence: weekly\n'


def problems_of(data: str, parse=lambda data: parse_document(data, key=KEY)) -> list:
    with pytest.raises(Rejected) as caught:
        parse(data.encode())
    problems = caught.value.problems
    for problem in problems:   # every word of it can be printed, logged and stored as UTF-8
        (problem.message + problem.hint).encode("utf-8")
    return problems


@pytest.mark.parametrize("front, field, line", [
    ('title: "SIG \\ud800 OpenXLA"', "'title'", 2),
    ('summary: "a \\udfff b"', "'summary'", 2),
    ('tags: [ok, "x\\uD800"]', "'tags[2]'", 2),
    ('attendees:\n  - Ann\n  - "B\\ud800b"', "'attendees[2]'", 4),
    ('time: "10:00\\ud800"', "'time'", 2),
    ('timezone: "UTC\\ud800"', "'timezone'", 2),
    ('group: "wg\\ud800"', "'group'", 2),
    ('title: ok\n"ti\\ud800tle": x', "'a key'", 3),
    ('title: "smile \\ud83d\\ude00"', "'title'", 2),         # a pair written as two halves
    ('title: "long \\U0000d800"', "'title'", 2),
])
def test_a_lone_surrogate_in_front_matter_is_rejected_naming_the_field(front, field, line):
    [problem] = problems_of(f"---\n{front}\n---\n{BODY}")
    assert problem.code == "not-a-character"
    assert field in problem.message and "surrogate" in problem.message
    assert problem.line == line and "character itself" in problem.hint


def test_escapes_of_real_characters_are_still_read():
    doc = parse_document(f'---\ntitle: "Caf\\u00e9 \\U0001F600"\n---\n{BODY}'.encode(), key=KEY)
    assert doc.title == "Café \U0001F600"


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "1899-12-31", "2100-01-01"])
def test_a_front_matter_date_outside_the_years_of_file_names_is_rejected(date):
    [problem] = problems_of(f"---\ndate: {date}\ntimezone: Europe/Berlin\n---\n{BODY}",
                            lambda data: parse_document(data, key="minutes/wg/far.md"))
    assert problem.code == "date-invalid" and date in problem.message
    assert "1900-2099" in problem.message and problem.line == 2


@pytest.mark.parametrize("date", ["1900-01-01", "2099-12-31"])
def test_the_first_and_last_years_are_fine(date):
    doc = parse_document(f"---\ndate: {date}\n---\n{BODY}".encode(), key="minutes/wg/far.md")
    assert doc.date == dt.date.fromisoformat(date)


@pytest.mark.parametrize("text, field", [
    ('name: "W\\ud800G"\n', "'name'"),
    ('description: "x \\udc00"\n', "'description'"),
    ('links:\n  chat: "https://x.example/\\ud800"\n', "'links.chat'"),
])
def test_a_lone_surrogate_in_group_yaml_is_rejected_naming_the_field(text, field):
    [problem] = problems_of(text, lambda data: parse_group(data, key="minutes/wg/group.yaml"))
    assert problem.code == "not-a-character" and field in problem.message


@pytest.mark.parametrize("starts", ["9999-12-27", "0001-01-01"])
def test_a_schedule_starting_outside_the_years_of_meetings_is_rejected(starts):
    [problem] = problems_of(SCHEDULE + f"  starts: {starts}\n",
                            lambda data: parse_group(data, key="minutes/wg/group.yaml"))
    assert problem.code == "group-schedule" and problem.line == 6
    assert f"schedule.starts: {starts}" in problem.message and "1900-2099" in problem.message


def _sources(tmp_path):
    src = tmp_path / "src"
    (src / "wg").mkdir(parents=True)
    (src / "wg" / "2024-01-01-ok.md").write_text(BODY)
    (src / "wg" / "2024-01-02-x.md").write_text(f'---\ntitle: "SIG \\ud800"\n---\n{BODY}')
    (src / "wg" / "far.md").write_text(f"---\ndate: 9999-12-31\ntimezone: UTC\n---\n{BODY}")
    (src / "wg" / "group.yaml").write_text(SCHEDULE + "  starts: 9999-12-27\n")
    (src / "other").mkdir()
    (src / "other" / "group.yaml").write_text('name: "W\\ud800G"\n')
    (src / "other" / "2024-01-03-y.md").write_text(BODY)
    return src


def test_build_rejects_each_and_builds_the_rest(tmp_path):
    out = tmp_path / "site"
    result = build(_sources(tmp_path), out, site_url="https://m.example.org", workers=1)
    codes = {key: [p.code for p in problems] for key, problems in result.rejected.items()}
    assert codes == {"minutes/wg/2024-01-02-x.md": ["not-a-character"],
                     "minutes/wg/far.md": ["date-invalid"],
                     "minutes/wg/group.yaml": ["group-schedule"],
                     "minutes/other/group.yaml": ["not-a-character"]}
    assert (out / "wg" / "2024-01-01-ok" / "index.html").is_file()
    assert (out / "other" / "2024-01-03-y" / "index.html").is_file()


def test_check_says_what_build_says(tmp_path, capsys):
    assert main(["check", str(_sources(tmp_path))]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "wg/2024-01-02-x.md:2:1: error not-a-character: Front matter: 'title' holds" in out
    assert "wg/far.md:2:1: error date-invalid" in out
    assert "wg/group.yaml:6:1: error group-schedule: schedule.starts: 9999-12-27" in out
    assert "other/group.yaml:1:1: error not-a-character: group.yaml: 'name' holds" in out


@pytest.mark.parametrize("key, token", [
    ("minutes/wg/9999-12-31-x.md", "9999-12-31"),
    ("minutes/wg/1066.10.14-hastings.md", "1066.10.14"),
    ("minutes/wg/2100_01_01/notes.md", "2100_01_01"),
])
def test_a_file_name_dated_outside_the_years_says_so_not_no_date(key, token):
    """Not "no meeting date": the name has one, in a year no meeting can have (decision 89),
    with decision 84's code and words for the same year in front matter."""
    [problem] = problems_of(BODY, lambda data: parse_document(data, key=key))
    assert problem.code == "date-invalid" and f"'{token}'" in problem.message
    assert "1900-2099" in problem.message and "year" in problem.hint


def test_a_long_number_in_a_name_is_not_read_as_a_date():
    [problem] = problems_of(BODY, lambda data: parse_document(data, key="minutes/wg/ticket-30001231.md"))
    assert problem.code == "date-missing"


def test_check_and_build_name_the_year_of_a_file_name(tmp_path, capsys):
    (tmp_path / "src" / "wg").mkdir(parents=True)
    (tmp_path / "src" / "wg" / "9999-12-31-x.md").write_text(BODY)
    result = build(tmp_path / "src", tmp_path / "site", site_url="https://m.example.org", workers=1)
    [built] = result.rejected["minutes/wg/9999-12-31-x.md"]
    assert main(["check", str(tmp_path / "src")]) == EXIT_INVALID
    assert f"wg/9999-12-31-x.md:1:1: error date-invalid: {built.message}" in capsys.readouterr().out
