"""group.yaml: checked like minutes (codes, lines, hints), a deterministic schedule."""
from __future__ import annotations

import datetime as dt

import pytest

from minutes.group import GroupInfo, Schedule, default_name, is_group_file, parse_group
from minutes.problems import Rejected

KEY = "minutes/openxla/group.yaml"
GOOD = b"""name: SIG OpenXLA
description: >
  The open community around the XLA compiler:
  roadmaps, RFCs and design reviews.
schedule:
  weekday: tuesday
  time: "08:00"
  timezone: America/Los_Angeles
  cadence: biweekly
  starts: 2024-01-09
links:
  chat: https://discord.gg/openxla
  mailing_list: https://groups.google.com/a/openxla.org/g/openxla-discuss
  recordings: https://youtube.com/playlist?list=PL
"""


def rejected(data: bytes, key: str = KEY) -> list[tuple[str, int | None]]:
    with pytest.raises(Rejected) as caught:
        parse_group(data, key=key)
    for p in caught.value.problems:
        assert p.message and p.hint, p
    return [(p.code, p.line) for p in caught.value.problems]


def test_a_complete_group_file():
    info, problems = parse_group(GOOD, key=KEY)
    assert problems == []
    assert info == GroupInfo("openxla", "SIG OpenXLA",
                             "The open community around the XLA compiler: roadmaps, RFCs and "
                             "design reviews.",
                             Schedule(1, "08:00", "America/Los_Angeles", "biweekly",
                                      dt.date(2024, 1, 9)),
                             (("Chat", "https://discord.gg/openxla"),
                              ("Mailing list", "https://groups.google.com/a/openxla.org/g/openxla-discuss"),
                              ("Recordings", "https://youtube.com/playlist?list=PL")))
    assert info.schedule.describe() == "Every other Tuesday, 08:00 (America/Los Angeles)"
    assert info.schedule.rrule() == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"


def test_next_meetings_follow_the_newest_meeting_not_the_clock():
    info, _ = parse_group(GOOD, key=KEY)
    # 2024-03-05 is a meeting Tuesday (starts + 8 weeks): the next ones are two weeks apart.
    assert info.next_meetings(dt.date(2024, 3, 5)) == [
        dt.date(2024, 3, 19), dt.date(2024, 4, 2), dt.date(2024, 4, 16)]
    # An off-week date still lands on the group's weeks.
    assert info.next_meetings(dt.date(2024, 3, 10), 1) == [dt.date(2024, 3, 19)]
    # No meeting yet: from `starts`, inclusive.
    assert info.next_meetings(None, 1) == [dt.date(2024, 1, 9)]


@pytest.mark.parametrize("week, expected, rule", [
    ("first", [dt.date(2024, 6, 3), dt.date(2024, 7, 1)], "FREQ=MONTHLY;BYDAY=1MO"),
    ("third", [dt.date(2024, 5, 20), dt.date(2024, 6, 17)], "FREQ=MONTHLY;BYDAY=3MO"),
    ("last", [dt.date(2024, 5, 27), dt.date(2024, 6, 24)], "FREQ=MONTHLY;BYDAY=-1MO"),
])
def test_monthly_schedules(week, expected, rule):
    data = (f"name: WG\nschedule:\n  weekday: monday\n  time: '17:30'\n  timezone: UTC\n"
            f"  cadence: monthly\n  week: {week}\n").encode()
    info, _ = parse_group(data, key="minutes/wg/group.yaml")
    assert info.next_meetings(dt.date(2024, 5, 10), 2) == expected
    assert info.schedule.rrule() == rule


def test_weekly_without_starts():
    info, _ = parse_group(b"name: X\nschedule: {weekday: friday, time: '9:05', timezone: UTC}\n",
                          key="minutes/x/group.yaml")
    assert info.schedule.time == "09:05" and info.schedule.cadence == "weekly"
    assert info.next_meetings(dt.date(2024, 5, 10), 2) == [dt.date(2024, 5, 17), dt.date(2024, 5, 24)]


def test_every_problem_at_once_with_its_line():
    data = b"""name: [not, text]
descripton: typo
schedule:
  weekday: someday
  time: "25:00"
  timezone: Mars/Olympus
  cadence: daily
links:
  chat: javascript:alert(1)
"""
    assert sorted(rejected(data)) == sorted([
        ("group-field", 1), ("group-typo", 2), ("group-schedule", 4), ("group-schedule", 5),
        ("timezone-unknown", 6), ("group-schedule", 7), ("group-link", 9)])


@pytest.mark.parametrize("data, code", [
    (b"name: x\n  bad: indent\n", "group-yaml"),
    (b"- a list\n", "group-yaml"),
    (b"a: &x [1]\nb: *x\n", "group-yaml"),                 # aliases are refused
    (b"name: !!python/object:os.system x\n", "group-yaml"),   # safe loading only
    (b"\xff\xfe", "not-utf8"),
    (b"name: x\n" + b"#" * 70_000, "too-large"),
    (b"schedule: {weekday: monday, time: '10:00', timezone: UTC, cadence: biweekly}\n", "group-schedule"),
    (b"schedule: {weekday: monday, time: '10:00', timezone: UTC, starts: 2024-01-09}\n", "group-schedule"),
    (b"owner: me\n", "group-unknown-key"),
])
def test_bad_files_are_rejected_with_a_clear_code(data, code):
    assert code in [c for c, _ in rejected(data)]


def test_invalid_yaml_is_reported_on_its_own_line():
    # group.yaml has no '---' line above it, unlike front matter: the YAML's line is the file's
    assert rejected(b"name: SIG\ndescription: a: b\n") == [("group-yaml", 2)]


def test_a_bad_group_name_is_rejected():
    assert [c for c, _ in rejected(GOOD, key="minutes/assets/group.yaml")] == ["group-name"]


def test_without_a_name_the_folder_name_is_used_with_a_warning():
    info, problems = parse_group(b"description: Docs people.\n", key="minutes/sig-docs/group.yaml")
    assert info.name == default_name("sig-docs") == "Sig Docs"
    assert [p.code for p in problems] == ["group-name-missing"]


def test_which_keys_are_group_files():
    assert is_group_file("minutes/openxla/group.yaml")
    assert not is_group_file("minutes/openxla/2024-01-09-x/group.yaml")
    assert not is_group_file("minutes/group.yaml")
