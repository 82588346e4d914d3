"""Uploads whose YAML holds a value no page or table can hold (a lone surrogate "\\ud800", a
date in year 9999) through publish on moto: each is rejected and reported to the scribe as any
invalid upload is, nothing is published, and later uploads to the group still publish (before,
PublishFunction raised in the Meetings table's put, or on every later upload to the group)."""
from __future__ import annotations

import pytest

from tests.support.aws import SAMPLE_KEY, sample_minutes

GROUP_KEY = "minutes/openxla/group.yaml"
SCHEDULE = 'schedule:\n  weekday: monday\n  time: "08:00"\n  timezone: UTC\n  cadence: weekly\n'
BODY = "# SIG OpenXLA\n\n- Notes on the roadmap.\n- More notes here.\n"
LATER = "minutes/openxla/2022-10-04-later.md"


def assert_rejected_and_told(stack, key: str, verdict: dict, code: str, field: str) -> None:
    assert verdict["status"] == "rejected"
    report, text = stack.report(key)
    assert report["status"] == "rejected"
    assert [(p["code"], p["severity"]) for p in report["problems"]] == [(code, "error")]
    assert field in report["problems"][0]["message"] and report["problems"][0]["hint"]
    assert field in text and "hint:" in text
    assert [n.attributes["status"] for n in stack.scribe_notices()] == ["rejected"]


@pytest.mark.parametrize("front, field", [('title: "SIG \\ud800 OpenXLA"', "'title'"),
                                          ('time: "10:00\\ud800"', "'time'"),
                                          ('attendees: [Ann, "B\\ud800"]', "'attendees[2]'")])
def test_a_lone_surrogate_in_front_matter_is_rejected_and_reported(stack, front, field):
    verdict = stack.publish(SAMPLE_KEY, f"---\n{front}\n---\n{BODY}".encode())
    assert_rejected_and_told(stack, SAMPLE_KEY, verdict, "not-a-character", field)
    assert stack.site_keys() == set()
    assert stack.table("MeetingsTable").scan()["Items"] == []


@pytest.mark.parametrize("group_yaml, code, field", [
    (SCHEDULE + "  starts: 9999-12-27\n", "group-schedule", "schedule.starts: 9999-12-27"),
    ('name: "W\\ud800G"\n', "not-a-character", "'name'"),
])
def test_a_bad_group_yaml_is_rejected_and_the_group_still_publishes(stack, group_yaml, code, field):
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    stack.scribe_notices()
    before = stack.site_contents()
    verdict = stack.publish(GROUP_KEY, group_yaml.encode())
    stack.drain()
    assert_rejected_and_told(stack, GROUP_KEY, verdict, code, field)
    assert stack.site_contents() == before
    assert stack.publish(LATER, BODY.encode())["status"] == "published"
    stack.drain()
    assert any("2022-10-04-later" in key for key in stack.site_keys())


def test_a_meeting_dated_9999_is_rejected_and_reported(stack):
    key = "minutes/openxla/far.md"
    verdict = stack.publish(key, f"---\ndate: 9999-12-31\n---\n{BODY}".encode())
    assert_rejected_and_told(stack, key, verdict, "date-invalid", "9999-12-31")
    assert stack.site_keys() == set()
