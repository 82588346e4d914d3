"""A group's meetings as an iCalendar feed (RFC 5545) at /<group>/meetings.ics (pure).

Calendar apps subscribe to it: upcoming meetings (an agenda, no minutes yet) and past ones, each
an event that links to its page. Deterministic like the feeds: DTSTAMP is the record's last
change, never the clock, so an unchanged group gives the same bytes.

- UID: derived from the meeting's feed id, which is minted once and never changes, so an event
  keeps its identity when the minutes are edited or retitled.
- DTSTART: a DATE when the time is unknown; a local time with TZID (and the VTIMEZONE that
  RFC 5545 requires for it, built from the tz database) when time and time zone are known; a
  floating local time when only the time is known. No end is invented: RFC 5545 reads a
  DATE start as the whole day and a DATE-TIME start without DTEND as an instant.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from typing import Iterable

from .feeds import absolute_url, entry_published, entry_updated
from .group import GroupInfo
from .lazy_re import lazy
from .model import MeetingRecord

PRODID = "-//Minutes Pipeline//Meeting minutes//EN"
FILE_NAME = "meetings.ics"
_CONTROL = lazy("[\x00-\x08\x0b-\x1f\x7f]")
_TIME = lazy(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def calendar_path(group: str) -> str:
    return f"/{group}/{FILE_NAME}"


def group_calendar(records: Iterable[MeetingRecord], *, site_url: str, group: str,
                   title: str, info: GroupInfo | None = None,
                   newest: dt.date | None = None) -> bytes:
    """VCALENDAR of the group's listed meetings (drafts never), oldest first; with a scheduled
    group.yaml, also its schedule as one recurring event from the first scheduled day after
    the newest meeting, so calendar apps show every next meeting (group.py)."""
    chosen = sorted((r for r in records if r.listed and r.group == group),
                    key=lambda r: (r.date, r.time or "", r.segment))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"NAME:{escape_text(title)}", f"X-WR-CALNAME:{escape_text(title)}",
             f"URL:{absolute_url(site_url, f'/{group}/')}",
             # RFC 7986, and the older name most clients read: how often to poll.
             "REFRESH-INTERVAL;VALUE=DURATION:PT12H", "X-PUBLISHED-TTL:PT12H"]
    scheduled = info.next_meetings(newest, 1) if info and info.schedule else []
    from zoneinfo import ZoneInfo   # only where a calendar is made: a rebuild often makes none
    zones = sorted({zone for r in chosen if (zone := _zone(r))}
                   | ({ZoneInfo(info.schedule.timezone)} if scheduled else set()), key=str)
    for zone in zones:
        years = [r.date.year for r in chosen if _zone(r) == zone]
        if scheduled and zone.key == info.schedule.timezone:
            years += [scheduled[0].year, scheduled[0].year + 1]
        lines += vtimezone(zone, min(years), max(years))
    for record in chosen:
        lines += _event(record, site_url=site_url)
    if scheduled:
        lines += _schedule_event(info, scheduled[0], site_url=site_url)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def _event(record: MeetingRecord, *, site_url: str) -> list[str]:
    url = absolute_url(site_url, record.url_path)
    kind = "Agenda" if record.status == "upcoming" else "Minutes"
    description = "\n\n".join(filter(None, [record.summary.strip(), f"{kind}: {url}"]))
    return ["BEGIN:VEVENT",
            f"UID:{event_uid(record, site_url=site_url)}",
            f"DTSTAMP:{_utc_stamp(entry_updated(record))}",
            f"CREATED:{_utc_stamp(entry_published(record))}",
            f"LAST-MODIFIED:{_utc_stamp(entry_updated(record))}",
            _dtstart(record),
            f"SUMMARY:{escape_text(record.title) or escape_text(f'{record.group} meeting')}",
            f"DESCRIPTION:{escape_text(description)}",
            f"URL:{url}",
            f"CATEGORIES:{escape_text(record.group)}",
            "STATUS:CONFIRMED",
            "TRANSP:TRANSPARENT",
            "END:VEVENT"]


def _schedule_event(info: GroupInfo, first: dt.date, *, site_url: str) -> list[str]:
    """The group's schedule as a recurring event. DTSTAMP is the first day (not the clock):
    the same group.yaml and meetings give the same bytes."""
    schedule = info.schedule
    host = urllib.parse.urlsplit(site_url).hostname or "localhost"
    local = f"{first.strftime('%Y%m%d')}T{schedule.time.replace(':', '')}00"
    url = absolute_url(site_url, f"/{info.group}/")
    return ["BEGIN:VEVENT",
            f"UID:schedule-{info.group}@{host}",
            f"DTSTAMP:{first.strftime('%Y%m%d')}T000000Z",
            f"DTSTART;TZID={schedule.timezone}:{local}",
            f"RRULE:{schedule.rrule()}",
            f"SUMMARY:{escape_text(info.name + ' meeting')}",
            f"DESCRIPTION:{escape_text(schedule.describe() + '. ' + url)}",
            f"URL:{url}",
            f"CATEGORIES:{escape_text(info.group)}",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT"]


def event_uid(record: MeetingRecord, *, site_url: str) -> str:
    """Stable for the life of the meeting: a hash of its feed id at the id's own host."""
    feed_id = record.feed_id or f"{record.group}/{record.meeting}"
    host = _tag_host(feed_id) or urllib.parse.urlsplit(site_url).hostname or "localhost"
    return f"{hashlib.sha256(feed_id.encode('utf-8')).hexdigest()[:32]}@{host}"


def _tag_host(feed_id: str) -> str | None:
    match = re.match(r"^tag:([^,]+),", feed_id)
    return match.group(1) if match else None


def _dtstart(record: MeetingRecord) -> str:
    day = record.date.strftime("%Y%m%d")
    time = _TIME.match(record.time or "")
    if not time:
        return f"DTSTART;VALUE=DATE:{day}"
    local = f"{day}T{time.group(1)}{time.group(2)}{time.group(3) or '00'}"
    zone = _zone(record)
    return f"DTSTART;TZID={zone.key}:{local}" if zone else f"DTSTART:{local}"


def _zone(record: MeetingRecord) -> ZoneInfo | None:
    if not record.timezone or not _TIME.match(record.time or ""):
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        return ZoneInfo(record.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None   # document.py checks the name; an unknown one leaves the time floating


def _utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


# --- VTIMEZONE from the tz database -------------------------------------------------------

def vtimezone(zone: ZoneInfo, first_year: int, last_year: int) -> list[str]:
    """The zone's offsets over the years its events use: the offset in force on 1 January of
    the first year, then every transition up to the end of the last year, each as a one-off
    observance (no RRULE, so a rule change in the tz database is rendered as it was)."""
    start = dt.datetime(first_year, 1, 1)
    end = dt.datetime(last_year + 1, 1, 1)
    before = _offsets(zone, start)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]
    lines += _observance(before, before, start)
    for moment, previous, current in _transitions(zone, start, end):
        lines += _observance(previous, current, moment)
    lines.append("END:VTIMEZONE")
    return lines


def _offsets(zone: ZoneInfo, local: dt.datetime):
    aware = local.replace(tzinfo=zone)
    return aware.utcoffset(), aware.dst(), aware.tzname()


def _transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime):
    """(local wall time just before the change, offsets before, offsets after), found by
    stepping through UTC a day at a time and bisecting each change to the second."""
    utc = dt.timezone.utc
    step = dt.timedelta(days=1)
    moment = (start - (_offsets(zone, start)[0] or dt.timedelta())).replace(tzinfo=utc)
    stop = end.replace(tzinfo=utc)
    current = _at(zone, moment)
    while moment < stop:
        following = _at(zone, moment + step)
        if following != current:
            low, high = moment, moment + step
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _at(zone, middle) == current else (low, middle)
            wall = (high + current[0]).replace(tzinfo=None)   # in the offset being left
            yield wall, current, _at(zone, high)
            current = _at(zone, high)
        moment += step


def _at(zone: ZoneInfo, instant: dt.datetime):
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()


def _observance(previous, current, wall: dt.datetime) -> list[str]:
    kind = "DAYLIGHT" if current[1] else "STANDARD"
    lines = [f"BEGIN:{kind}", f"DTSTART:{wall.strftime('%Y%m%dT%H%M%S')}",
             f"TZOFFSETFROM:{_offset(previous[0])}", f"TZOFFSETTO:{_offset(current[0])}"]
    if current[2]:
        lines.append(f"TZNAME:{escape_text(current[2])}")
    return lines + [f"END:{kind}"]


def _offset(delta: dt.timedelta | None) -> str:
    seconds = int((delta or dt.timedelta()).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


# --- content lines ------------------------------------------------------------------------

def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, ';' and ',' escaped, newlines as \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at `limit` octets (CRLF + space), never inside a UTF-8 sequence."""
    if len(line) <= limit and line.isascii():   # a character an octet: most lines, not encoded
        return line
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    parts, start, width = [], 0, limit
    while start < len(data):
        end = min(start + width, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:   # a continuation byte
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, width = end, limit - 1                          # the leading space counts
    return "\r\n ".join(parts)
