"""A group.yaml stored in the Meetings table before today's rules refused it (decision 84:
`starts: 9999-12-27`, a lone surrogate in its description) is read back tolerantly: the group is
shown as without group.yaml, as a fresh `minutes build` of the same sources shows it (build
rejects that file), with a logged warning naming the group and the fix. Before, every later
publish to the group crashed (OverflowError in the schedule's dates)."""
from __future__ import annotations

import json
import logging

import pytest

from tests.integration.test_groups import GROUP_KEY, put, site_differences
from tests.support.aws import minutes_text

GOOD = (b'name: SIG OpenXLA\nschedule: {weekday: monday, time: "08:00", timezone: UTC, '
        b'cadence: weekly, starts: 2022-09-19}\n')
STORED_BAD = {
    "year 9999": (GOOD.replace(b"2022-09-19", b"9999-12-27"),
                  lambda info: info["schedule"].update(starts="9999-12-27")),
    "year 1066": (GOOD.replace(b"2022-09-19", b"1066-10-15"),
                  lambda info: info["schedule"].update(starts="1066-10-15")),
    "a lone surrogate": (GOOD + b'description: "About \\ud800"\n',
                         lambda info: info.update(description="About \ud800")),
}


def store_as_before_decision_84(stack, body: bytes, damage) -> None:
    """What the pipeline stored from such a file before decision 84: the upload as accepted,
    the Meetings table's item holding its value (written here, as today's publish refuses)."""
    put(stack, GROUP_KEY, GOOD)
    stack.drain()
    table = stack.table("MeetingsTable")
    item = table.get_item(Key={"group": "#groups", "meeting": "openxla"})["Item"]
    info = json.loads(item["info"])
    damage(info)
    table.update_item(Key={"group": "#groups", "meeting": "openxla"},
                      UpdateExpression="SET info = :info",
                      ExpressionAttributeValues={":info": json.dumps(info, sort_keys=True)})
    stack.put(GROUP_KEY, body)   # the source as it was uploaded (no event: it was handled)


@pytest.mark.parametrize("case", sorted(STORED_BAD))
def test_a_stored_group_today_refused_does_not_break_later_publishes(stack, case, caplog):
    body, damage = STORED_BAD[case]
    put(stack, "minutes/openxla/2022-09-19-sync.md", minutes_text("September sync"))
    stack.drain()
    store_as_before_decision_84(stack, body, damage)
    caplog.set_level(logging.WARNING)
    verdict = stack.publish("minutes/openxla/2022-10-03-later.md", minutes_text("October sync"))
    assert verdict["status"] == "published"
    stack.drain()
    assert "<h1>openxla</h1>" in stack.site_text("openxla/index.html")
    assert site_differences(stack) == []
    warned = [r.getMessage() for r in caplog.records if "group.yaml" in r.getMessage()]
    assert warned and all("openxla" in m and "upload" in m for m in warned)


@pytest.mark.parametrize("case", sorted(STORED_BAD))
def test_a_corrected_upload_replaces_the_stored_group_and_retitles(stack, case):
    """Minutes without a heading take the group's name: one published under the stored name,
    one while the stored group was ignored (the default name); the corrected upload retitles
    both, as a fresh build titles them."""
    headless = b"- no heading\n- at all\n- here\n"
    put(stack, "minutes/openxla/2022-09-19-notes.md", headless)
    stack.drain()
    store_as_before_decision_84(stack, *STORED_BAD[case])
    assert stack.publish("minutes/openxla/2022-10-03-notes.md", headless)["status"] == "published"
    stack.drain()
    assert "Openxla meeting 2022-10-03" in stack.site_text("openxla/2022-10-03-notes/index.html")
    put(stack, GROUP_KEY, GOOD.replace(b"SIG OpenXLA", b"OpenXLA"))
    stack.drain()
    assert stack.report(GROUP_KEY)[0]["status"] == "published"
    assert "<h1>OpenXLA</h1>" in stack.site_text("openxla/index.html")
    for day in ("2022-09-19", "2022-10-03"):
        assert f"OpenXLA meeting {day}" in stack.site_text(f"openxla/{day}-notes/index.html")
    assert site_differences(stack) == []
