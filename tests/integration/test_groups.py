"""group.yaml through the pipeline on moto: the upload triggers publish (the template's S3
filter), publish checks and stores it, index re-renders the group's pages, and the site is a
fresh `minutes build` of the same sources, whatever order the files came in."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from minutes.build import build
from tests.support.aws import minutes_text
from tests.support.soak import _first_difference, without_build_times

GROUP_KEY = "minutes/openxla/group.yaml"
GROUP = b"""name: SIG OpenXLA
description: The open community around the XLA compiler.
schedule: {weekday: tuesday, time: "08:00", timezone: America/Los_Angeles, cadence: biweekly, starts: 2022-09-20}
links: {chat: "https://discord.gg/openxla"}
"""
MEETINGS = {
    "minutes/openxla/2022-09-20-sync.md": minutes_text("September sync"),
    "minutes/openxla/2022-10-04-notes.md": b"- no heading\n- at all\n- here\n",
    "minutes/other/2022-10-01-sync.md": minutes_text("Other sync"),
}


def put(stack, key: str, body: bytes) -> None:
    stack.cloud.put_object("MinutesBucket", key, body)


def site_differences(stack) -> list[str]:
    """SiteBucket against a fresh build of what MinutesBucket holds (build times aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "site"
        for key, body in stack.source_objects().items():
            (src / key[len("minutes/"):]).parent.mkdir(parents=True, exist_ok=True)
            (src / key[len("minutes/"):]).write_bytes(body)
        settings = stack.settings("IndexFunction")
        build(src, out, site_url=settings.site_url,
              subscribe_url=settings.subscriptions_url or None, workers=1)
        expected = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    actual = stack.site_contents()
    problems = [f"missing: {k}" for k in sorted(expected.keys() - actual.keys())]
    problems += [f"extra: {k}" for k in sorted(actual.keys() - expected.keys())]
    problems += [f"differs: {k}\n{_first_difference(expected[k], actual[k])}"
                 for k in sorted(expected.keys() & actual.keys())
                 if without_build_times(expected[k]) != without_build_times(actual[k])]
    return problems


@pytest.mark.parametrize("group_first", [True, False])
def test_the_site_after_events_is_a_fresh_build(stack, group_first):
    if group_first:
        put(stack, GROUP_KEY, GROUP)
    for key, body in MEETINGS.items():
        put(stack, key, body)
    if not group_first:
        put(stack, GROUP_KEY, GROUP)
    stack.drain()
    report, text = stack.report(GROUP_KEY)
    assert report["status"] == "published" and report["url"].endswith("/openxla/")
    assert report["title"] == "SIG OpenXLA"
    page = stack.site_text("openxla/index.html")
    assert "<h1>SIG OpenXLA</h1>" in page and "Every other Tuesday" in page
    assert "SIG OpenXLA meeting 2022-10-04" in stack.site_text("openxla/2022-10-04-notes/index.html")
    assert "schedule-openxla@" in stack.site_text("openxla/meetings.ics")
    assert site_differences(stack) == []


def test_a_new_name_reaches_every_page_and_a_removed_file_restores_the_default(stack):
    for key, body in MEETINGS.items():
        put(stack, key, body)
    put(stack, GROUP_KEY, GROUP)
    stack.drain()
    put(stack, GROUP_KEY, GROUP.replace(b"SIG OpenXLA", b"OpenXLA Community"))
    stack.drain()
    assert "OpenXLA Community" in stack.site_text("openxla/2022-09-20-sync/index.html")
    assert "OpenXLA Community meeting 2022-10-04" in stack.site_text(
        "openxla/2022-10-04-notes/index.html")
    assert site_differences(stack) == []
    stack.cloud.delete_object("MinutesBucket", GROUP_KEY)
    stack.drain()
    report, _ = stack.report(GROUP_KEY)
    assert report["status"] == "removed"
    assert "<h1>openxla</h1>" in stack.site_text("openxla/index.html")
    assert "Openxla meeting 2022-10-04" in stack.site_text("openxla/2022-10-04-notes/index.html")
    assert site_differences(stack) == []


def test_a_bad_group_yaml_is_rejected_and_changes_nothing(stack):
    for key, body in MEETINGS.items():
        put(stack, key, body)
    put(stack, GROUP_KEY, GROUP)
    stack.drain()
    before = stack.site_contents()
    put(stack, GROUP_KEY, b"name: SIG\nschedule:\n  weekday: someday\n")
    stack.drain()
    report, text = stack.report(GROUP_KEY)
    assert report["status"] == "rejected"
    assert {p["code"] for p in report["problems"]} == {"group-schedule", "timezone-unknown"}
    assert "weekday" in text and "hint:" in text
    assert stack.site_contents() == before   # the last good group.yaml still holds


def test_a_duplicate_or_late_event_changes_nothing(stack):
    put(stack, "minutes/openxla/2022-09-20-sync.md", MEETINGS["minutes/openxla/2022-09-20-sync.md"])
    old = stack.put_event(GROUP_KEY, GROUP.replace(b"SIG OpenXLA", b"Old name"))
    new = stack.put_event(GROUP_KEY, GROUP)
    assert stack.invoke_publish(new)["status"] == "published"
    assert stack.invoke_publish(new)["status"] == "published"   # the same event again: answered
    assert stack.invoke_publish(old)["status"] == "stale"       # an older one: nothing changes
    stack.drain()
    assert "<h1>SIG OpenXLA</h1>" in stack.site_text("openxla/index.html")
