"""The per-group iCalendar feed (/<group>/meetings.ics): RFC 5545 as calendar apps read it."""
from __future__ import annotations

import datetime as dt
import random
import re

import icalendar
import pytest

from minutes.ical import escape_text, event_uid, fold, group_calendar
from minutes.model import MeetingRecord

SITE = "https://minutes.example.org"
UTC = dt.timezone.utc


def record(day=dt.date(2022, 9, 20), slug="sig", group="openxla", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    base = MeetingRecord(group=group, meeting=segment, segment=segment, title=f"Meeting {segment}",
                         date=day, summary="What we decided.", content_html="<p>x</p>",
                         feed_id=f"tag:minutes.example.org,{day.year}:{group}/{segment}",
                         published=dt.datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
                         updated=dt.datetime(day.year, day.month, day.day, 19, 30, tzinfo=UTC))
    return base.with_changes(**changes)


def calendar(records, group="openxla") -> bytes:
    return group_calendar(records, site_url=SITE, group=group, title=f"{group} meetings")


def unfolded(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")[:-1]


def events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_a_calendar_app_reads_every_meeting_upcoming_and_past():
    past, upcoming = record(), record(day=dt.date(2030, 1, 15), slug="next", status="upcoming")
    data = calendar([upcoming, past, record(slug="secret", status="draft"), record(group="jax")])
    parsed = icalendar.Calendar.from_ical(data)
    assert parsed["VERSION"] == "2.0" and parsed["PRODID"].startswith("-//Minutes Pipeline//")
    found = events(data)
    assert [str(e["SUMMARY"]) for e in found] == [past.title, upcoming.title]   # oldest first
    assert [str(e["URL"]) for e in found] == [f"{SITE}{past.url_path}", f"{SITE}{upcoming.url_path}"]
    assert found[0]["DTSTART"].dt == dt.date(2022, 9, 20)
    assert "Agenda: " in str(found[1]["DESCRIPTION"]) and "Minutes: " in str(found[0]["DESCRIPTION"])
    assert str(found[0]["DESCRIPTION"]).startswith("What we decided.\n\n")


def test_uid_comes_from_the_feed_id_and_survives_edits_and_retitling():
    original = record()
    edited = original.with_changes(title="New title", summary="Changed", updated=dt.datetime(2023, 1, 1, tzinfo=UTC))
    assert event_uid(original, site_url=SITE) == event_uid(edited, site_url=SITE)
    assert event_uid(original, site_url=SITE).endswith("@minutes.example.org")
    other = record(slug="other")
    assert event_uid(other, site_url=SITE) != event_uid(original, site_url=SITE)
    [event] = events(calendar([edited]))
    assert str(event["UID"]) == event_uid(original, site_url=SITE)


def test_dtstamp_is_the_last_change_not_the_clock():
    [line] = [l for l in unfolded(calendar([record()])) if l.startswith("DTSTAMP")]
    assert line == "DTSTAMP:20220920T193000Z"
    assert calendar([record()]) == calendar([record()])
    bare = record(published=None, updated=None)
    assert "DTSTAMP:20220920T000000Z" in unfolded(calendar([bare]))


def test_time_and_zone_give_a_local_start_with_its_vtimezone():
    data = calendar([record(time="08:00", timezone="Europe/Berlin"),
                     record(day=dt.date(2022, 12, 6), slug="winter", time="08:00", timezone="Europe/Berlin")])
    lines = unfolded(data)
    assert "DTSTART;TZID=Europe/Berlin:20220920T080000" in lines
    assert lines.count("TZID:Europe/Berlin") == 1   # one VTIMEZONE per zone
    summer, winter = events(data)
    assert summer["DTSTART"].dt.utcoffset() == dt.timedelta(hours=2)
    assert winter["DTSTART"].dt.utcoffset() == dt.timedelta(hours=1)
    assert summer["DTSTART"].dt.astimezone(UTC) == dt.datetime(2022, 9, 20, 6, tzinfo=UTC)
    # The zone's transitions in 2022, in the local time being left (RFC 5545 3.6.5).
    assert "DTSTART:20220327T020000" in lines and "DTSTART:20221030T030000" in lines
    assert "TZOFFSETFROM:+0100" in lines and "TZOFFSETTO:+0200" in lines


def test_a_zone_without_daylight_saving_and_a_time_without_zone():
    tokyo = unfolded(calendar([record(time="21:30", timezone="Asia/Tokyo")]))
    assert "DTSTART;TZID=Asia/Tokyo:20220920T213000" in tokyo
    assert tokyo.count("BEGIN:STANDARD") == 1 and "BEGIN:DAYLIGHT" not in tokyo
    floating = unfolded(calendar([record(time="09:15")]))
    assert "DTSTART:20220920T091500" in floating and "BEGIN:VTIMEZONE" not in floating
    unknown = unfolded(calendar([record(time="09:15", timezone="Mars/Olympus")]))
    assert "DTSTART:20220920T091500" in unknown and "BEGIN:VTIMEZONE" not in unknown


def test_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_characters():
    long_title = "Ünïcödé " * 30 + "; commas, and \\ backslashes"
    data = calendar([record(title=long_title, summary="line one\nline two\r\n" + "ж" * 100)])
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")   # never cut inside a character
    [event] = events(data)
    assert str(event["SUMMARY"]) == long_title
    assert str(event["DESCRIPTION"]).startswith("line one\nline two\n" + "ж" * 100)


def test_text_escaping():
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    assert escape_text("bell\x07") == "bell "


@pytest.mark.parametrize("text", ["x" * 200, "é" * 120, "a" + "😀" * 60, ""])
def test_fold_round_trips(text):
    folded = fold("DESCRIPTION:" + text)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "DESCRIPTION:" + text


def test_order_of_records_does_not_change_the_bytes():
    records = [record(day=dt.date(2022, 1, 1) + dt.timedelta(days=7 * i), slug=f"m{i}") for i in range(12)]
    assert calendar(records) == calendar(random.Random(5).sample(records, len(records)))


def test_an_empty_group_is_still_a_valid_calendar():
    data = calendar([])
    assert icalendar.Calendar.from_ical(data)["VERSION"] == "2.0"
    assert not events(data)
    assert re.search(rb"X-WR-CALNAME:openxla meetings\r\n", data)


def test_uid_bytes_are_pinned_as_published_calendars_hold_them():
    """A calendar app keys its copy of an event by UID: a UID made another way (another digest:
    decision 82 changed the build's own digests beside this one) would duplicate every event in
    every subscribed calendar. The first 32 hex digits of sha256 of the feed id, at its host."""
    assert event_uid(record(), site_url=SITE) == "c9e69d77c0742839bfe2b673677e35fd@minutes.example.org"
    tagged = record().with_changes(feed_id="tag:lists.example.org,2022:wg/x")
    assert event_uid(tagged, site_url=SITE) == "c099c4493a1429ea3635e75c3d7983f4@lists.example.org"
