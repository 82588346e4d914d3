"""group.yaml on the site (`minutes build`): names, description, schedule, links, the next
meetings (counted from the newest meeting, never the clock), the calendar's recurring event,
the archive's list of groups. Without a group.yaml the site is as it always was."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import html
import re

import icalendar
from dateutil.rrule import rrulestr

from minutes.build import build

GROUP = """name: SIG OpenXLA
description: The open community around the XLA compiler.
schedule:
  weekday: tuesday
  time: "08:00"
  timezone: America/Los_Angeles
  cadence: biweekly
  starts: 2022-09-20
links:
  chat: https://discord.gg/openxla
  recordings: https://youtube.com/playlist?list=PL
"""


def source(tmp_path: Path, *, group_yaml: str | None = GROUP) -> Path:
    src = tmp_path / "src"
    for rel, text in {"openxla/2022-09-20-sync.md": "# September sync\n\n- a\n- b\n- c\n",
                      "openxla/2022-10-04-notes.md": "- no heading\n- at all\n- here\n",
                      "other/2022-10-01-sync.md": "# Other sync\n\n- x\n- y\n- z\n"}.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    if group_yaml is not None:
        (src / "openxla" / "group.yaml").write_text(group_yaml)
    return src


def site(tmp_path: Path, **options) -> tuple[Path, object]:
    out = tmp_path / "site"
    result = build(source(tmp_path, **options), out, site_url="https://m.example.org", workers=1)
    return out, result


def h1(path: Path) -> str:
    return text(re.search(r"<h1[^>]*>(.*?)</h1>", path.read_text(), re.S).group(1))


def block(path: Path, css_class: str) -> str | None:
    """The markup of the first element with this class, up to its closing tag."""
    match = re.search(rf'<(\w+) class="{css_class}"[^>]*>(.*?)</\1>', path.read_text(), re.S)
    return match.group(2) if match else None


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()).replace(" ,", ",")


def times(fragment: str) -> list[str]:
    return re.findall(r'<time datetime="([^"]+)"', fragment)


def test_the_group_page_shows_what_group_yaml_says(tmp_path):
    out, result = site(tmp_path)
    assert not result.rejected
    page = out / "openxla" / "index.html"
    assert h1(page) == "SIG OpenXLA"
    assert text(block(page, "group-description")) == "The open community around the XLA compiler."
    assert "Every other Tuesday, 08:00 (America/Los Angeles)" in text(block(page, "group-about"))
    # Newest meeting 2022-10-04 (a meeting Tuesday): the next ones two weeks apart from it.
    assert times(block(page, "group-next-list")) == [
        "2022-10-18T08:00", "2022-11-01T08:00", "2022-11-15T08:00"]
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block(page, "group-links")) == [
        ("https://discord.gg/openxla", "Chat"), ("https://youtube.com/playlist?list=PL", "Recordings")]


def test_the_archive_lists_groups_with_their_next_meeting(tmp_path):
    out, _ = site(tmp_path)
    cards = re.findall(r"<li>(.*?)</li>", block(out / "index.html", "group-cards"), re.S)
    assert [text(re.search(r"<a[^>]*>(.*?)</a>", c).group(1)) for c in cards] == [
        "other", "SIG OpenXLA"]
    assert times(cards[0]) == [] and times(cards[1]) == ["2022-10-18T08:00"]


def test_a_made_up_title_uses_the_display_name(tmp_path):
    out, _ = site(tmp_path)
    assert h1(out / "openxla" / "2022-10-04-notes" / "index.html") == \
        "SIG OpenXLA meeting 2022-10-04"


def test_the_calendar_carries_the_schedule_as_a_recurring_event(tmp_path):
    out, _ = site(tmp_path)
    calendar = icalendar.Calendar.from_ical((out / "openxla" / "meetings.ics").read_bytes())
    (scheduled,) = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("schedule-")]
    start = scheduled.decoded("DTSTART")
    assert (start.replace(tzinfo=None), str(start.tzinfo)) == (
        dt.datetime(2022, 10, 18, 8, 0), "America/Los_Angeles")
    rule = rrulestr(scheduled["RRULE"].to_ical().decode(), dtstart=start)
    assert [d.date() for d in rule[:3]] == [dt.date(2022, 10, 18), dt.date(2022, 11, 1),
                                            dt.date(2022, 11, 15)]
    assert str(scheduled["SUMMARY"]) == "SIG OpenXLA meeting"
    assert str(calendar["X-WR-CALNAME"]) == "SIG OpenXLA meetings"


def test_builds_with_group_yaml_are_deterministic(tmp_path):
    first, _ = site(tmp_path / "a")
    second, _ = site(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_without_group_yaml_the_site_is_as_before(tmp_path):
    out, _ = site(tmp_path, group_yaml=None)
    assert h1(out / "openxla" / "index.html") == "openxla"
    assert block(out / "openxla" / "index.html", "group-about") is None
    assert block(out / "index.html", "groups") is None
    assert b"schedule-" not in (out / "openxla" / "meetings.ics").read_bytes()
    assert h1(out / "openxla" / "2022-10-04-notes" / "index.html") == "Openxla meeting 2022-10-04"


def test_a_bad_group_yaml_is_reported_and_the_group_shown_without_it(tmp_path):
    out, result = site(tmp_path, group_yaml="name: SIG\nschedule:\n  weekday: someday\n")
    assert [p.code for p in result.rejected["minutes/openxla/group.yaml"]] == [
        "group-schedule", "group-schedule", "timezone-unknown"]
    assert h1(out / "openxla" / "index.html") == "openxla"
