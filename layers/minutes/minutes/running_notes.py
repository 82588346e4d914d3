"""Running-notes files: one Markdown file, one dated heading per meeting, newest on top.

Many groups keep one shared document (`## Dec 31, 2024`, `### 12/14/2021`, `## 28 Nov 2023`)
and archive it once a year. Such a file is a set of meetings, one per dated section.

Recognised when (docs/decisions.md 23): the key carries no date (no date in the path, none in
front matter), and a heading opens with a date. A dated key is one meeting, whatever its
headings say. Text above the first dated heading is the group's header.

A section's identity does not depend on the file holding it (the yearly archive move puts the
same sections in another file): it is the group plus `<yyyy-mm-dd>@notes`, `-2`, `-3` for a
second and third meeting on one date, counted from the bottom (oldest first, so a new section on
top never renumbers the old ones). Its URL segment is the date (`/<group>/2024-12-31/`).
Pure: no AWS.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from . import frontmatter, keys
from .document import Document, parse_document, read_text
from .meeting import Assembled, assemble_documents
from .model import MeetingRecord
from .problems import Problem, Rejected, error, warning

SUFFIX = keys.NOTES_SUFFIX  # marks a running-notes meeting in the Meetings table and feed ids
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A line that is only bold text, then a few words: what Google Docs exports make of a heading
# (`**_09/14/2021_** Async in Slack`). It counts as a heading when it opens with a date.
_BOLD_LINE = re.compile(r"^\*\*(?P<inner>[^*\n]{4,80}?)\*\*(?P<rest>[^\n]{0,60})$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_MON = r"(?P<{0}>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
# The first date in a heading, after a few words at most ("Tuesday, ", "Meeting notes ") or
# stray characters (`\`1Oct 29, 2024`). a/b/yyyy is month/day or day/month, decided per file.
_HEADING_DATE = re.compile(
    r"^[^0-9]{0,40}?(?<![a-z])(?:\d(?=[a-z]))?(?:"
    r"(?P<iso>(?:19|20)\d\d)-(?P<im>\d\d)-(?P<id>\d\d)"
    r"|" + _MON.format("mon") + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)"
    r"|(?P<d3>\d{1,2})(?:st|nd|rd|th)?\s+" + _MON.format("mon3") + r",?\s+(?P<y3>(?:19|20)\d\d)"
    r"|(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y2>(?:19|20)\d\d)"
    r")(?!\d)", re.IGNORECASE)
# `10:30am Pacific (18:30 UTC)`, `6:00pm PT`, `16:00 UTC`, `9am Europe/Berlin`
_TIME = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)?\s*"
    r"(?P<zone>[A-Z][A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?|pacific|eastern|central|mountain"
    r"|[PECM][SD]?T|UTC|GMT|CES?T|BST)\b", re.IGNORECASE)
_ZONES = {"pacific": "America/Los_Angeles", "pt": "America/Los_Angeles",
          "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
          "eastern": "America/New_York", "et": "America/New_York", "est": "America/New_York",
          "edt": "America/New_York", "central": "America/Chicago", "ct": "America/Chicago",
          "cst": "America/Chicago", "cdt": "America/Chicago", "mountain": "America/Denver",
          "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
          "utc": "UTC", "gmt": "UTC", "cet": "Europe/Berlin", "cest": "Europe/Berlin",
          "bst": "Europe/London"}
_SCHEDULE_LINES = 3
# Far above real files (a weekly meeting for ten years): one upload cannot make thousands of
# meetings (and emails).
MAX_SECTIONS = 520   # time lines are read right under the heading, not from the notes


_BOLD = 7   # the level of a bold-line heading


@dataclass(frozen=True)
class _Heading:
    line: int            # 0-based line in the body
    level: int
    text: str
    match: re.Match | None


@dataclass(frozen=True)
class Section:
    date: dt.date
    number: int              # 1 for the first meeting of its date, 2 for a second, ...
    heading: str             # the dated heading's text
    line: int                # 1-based line of the heading in the file
    end_line: int            # 1-based last line of the section
    markdown: str
    time: str | None = None
    timezone: str | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def segment(self) -> str:
        return self.date.isoformat() + (f"-{self.number}" if self.number > 1 else "")

    @property
    def meeting(self) -> str:
        return self.segment + SUFFIX


@dataclass(frozen=True)
class RunningNotes:
    key: keys.MeetingKey
    header: str                 # text above the first dated heading (the group's header)
    title: str                  # the header's first H1, or ""
    sections: tuple[Section, ...]
    problems: tuple[Problem, ...]  # of the whole file (encoding, control characters)


def is_running_notes_meeting(meeting: str) -> bool:
    return meeting.endswith(SUFFIX)


def split(key: str | keys.MeetingKey, data: bytes, *,
          max_bytes: int = 1024 * 1024) -> RunningNotes | None:
    """The file's meetings, or None when it is not a running-notes file (then it is published,
    or rejected, as one meeting)."""
    meeting_key = key if isinstance(key, keys.MeetingKey) else keys.parse_key(key)
    if not meeting_key.may_hold_sections:
        return None
    try:
        text, problems = read_text(data, max_bytes)
        yaml_text, body, fm_lines = frontmatter.split(text)
        meta = frontmatter.load(yaml_text) if yaml_text else None
    except (Rejected, frontmatter.FrontMatterError):
        return None   # parse_document says what is wrong with it
    if isinstance(meta, dict) and meta.get("date"):
        return None
    lines = body.split("\n")
    headings = _headings(lines)
    level = _meeting_level(headings)
    if level is None:
        return None
    candidates = [h for h in headings if h.level in (level, _BOLD) and h.match]
    dates, date_problems = _dates(candidates, fm_lines)
    dated = [(h, d) for h, d in zip(candidates, dates) if d is not None]  # 13/13/2024: text
    if not dated:
        return None
    if len(dated) > MAX_SECTIONS:
        raise Rejected([error("too-complex", f"The file has {len(dated):,} dated sections; the "
                              f"limit is {MAX_SECTIONS:,}.", "Archive older meetings into a "
                              "file per year (meeting-notes-2024.md).",
                              fm_lines + dated[MAX_SECTIONS][0].line + 1, 1)])
    sections = []
    for at, (heading, date) in enumerate(dated):
        end = dated[at + 1][0].line if at + 1 < len(dated) else len(lines)
        chunk = lines[heading.line:end]
        time, zone = _schedule(heading.text, chunk[1:])
        sections.append(Section(date, 1, _plain(heading.text), fm_lines + heading.line + 1,
                                fm_lines + end, "\n".join(chunk).rstrip("\n") + "\n", time, zone,
                                tuple(date_problems.get(heading.line, ()))))
    dated = [h for h, _ in dated]
    header = "\n".join(lines[:dated[0].line]).strip("\n")
    title = next((_plain(h.text) for h in headings if h.line < dated[0].line and h.level == 1), "")
    return RunningNotes(meeting_key, header, title, _numbered(sections), tuple(problems))


def _plain(text: str) -> str:
    """Heading text without Markdown's backslash escapes and emphasis marks."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("**", "").strip()


def _headings(lines: list[str]) -> list[_Heading]:
    found, fence = [], None
    for number, line in enumerate(lines):
        opened = _FENCE.match(line)
        if opened:
            marker = opened.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is not None:
            continue
        atx = _ATX.match(line)
        if atx:
            text = " ".join((atx.group(2) or "").split())
            found.append(_Heading(number, len(atx.group(1)), text, _HEADING_DATE.match(text)))
        elif bold := _BOLD_LINE.match(line):
            text = " ".join(re.sub(r"(?<!\w)_|_(?!\w)", "", bold["inner"] + bold["rest"]).split())
            if match := _HEADING_DATE.match(text):
                found.append(_Heading(number, _BOLD, text, match))
    return found


def _meeting_level(headings: list[_Heading]) -> int | None:
    """The highest heading level at which at least two headings open with a date, else the
    highest with one (a running file just after the yearly archive move holds one meeting).
    Bold-line headings count at that level too: one file often has both."""
    for enough in (2, 1):
        for level in (1, 2, 3, 4, 5, 6, _BOLD):
            if sum(1 for h in headings if h.level == level and h.match) >= enough:
                return level
    return None


def _dates(dated: list[_Heading], offset: int) -> tuple[list[dt.date], dict[int, list[Problem]]]:
    """Each heading's date. a/b/yyyy is read the way the file itself writes dates: a heading
    with a first number over 12 shows day/month, one with a second number over 12 month/day;
    without such a heading, the order that keeps the file newest-on-top; else month/day, with
    a warning on each heading that stays ambiguous."""
    numeric = [(int(h.match["a"]), int(h.match["b"])) for h in dated if h.match["a"]]
    day_first = any(a > 12 >= b for a, b in numeric)
    month_first = any(b > 12 >= a for a, b in numeric)
    if day_first != month_first:
        order, decided = ("dm" if day_first else "md"), True
    else:
        order, decided = _order_by_sequence(dated)
    dates, problems = [], {}
    for heading in dated:
        m = heading.match
        date, ambiguous = _date_of(m, order)
        if ambiguous and not decided:
            problems.setdefault(heading.line, []).append(warning(
                "date-ambiguous", f"'{m.group(0).strip()}' could be month/day or day/month; "
                f"read as {date:%B} {date.day}, {date.year}.",
                "Write the date with the month's name (Dec 7, 2021) or as 2021-12-07.",
                offset + heading.line + 1, 1))
        dates.append(date)
    return dates, problems


def _order_by_sequence(dated: list[_Heading]) -> tuple[str, bool]:
    """month/day or day/month, whichever keeps the dates in one direction (newest on top);
    (month/day, False) when both or neither do."""
    fits = []
    for order in ("md", "dm"):
        dates = [_date_of(h.match, order)[0] for h in dated]
        if None not in dates and (dates == sorted(dates, reverse=True) or dates == sorted(dates)):
            fits.append(order)
    return (fits[0], True) if len(fits) == 1 else ("md", False)


def _date_of(m: re.Match, order: str) -> tuple[dt.date | None, bool]:
    """(date, was it ambiguous). A day that does not exist reads the other way round."""
    try:
        if m["iso"]:
            return dt.date(int(m["iso"]), int(m["im"]), int(m["id"])), False
        if m["mon"]:
            return dt.date(int(m["y"]), _MONTHS[m["mon"].lower()[:3]], int(m["d"])), False
        if m["mon3"]:
            return dt.date(int(m["y3"]), _MONTHS[m["mon3"].lower()[:3]], int(m["d3"])), False
    except ValueError:
        return None, False
    a, b, year = int(m["a"]), int(m["b"]), int(m["y2"])
    first = (a, b) if order == "md" else (b, a)
    for month, day in (first, first[::-1]):
        try:
            return dt.date(year, month, day), a != b and a <= 12 and b <= 12
        except ValueError:
            continue
    return None, False


def _numbered(sections: list[Section]) -> tuple[Section, ...]:
    """A second meeting on one date is `-2`, counted from the bottom (the older one is 1)."""
    seen: dict[dt.date, int] = {}
    numbered = []
    for section in reversed(sections):
        seen[section.date] = seen.get(section.date, 0) + 1
        numbered.append(replace(section, number=seen[section.date]))
    return tuple(reversed(numbered))


def _schedule(heading: str, following: list[str]) -> tuple[str | None, str | None]:
    """The meeting's time and zone from the heading or the first lines under it."""
    candidates = [heading] + [ln for ln in following if ln.strip()][:_SCHEDULE_LINES]
    for line in candidates:
        if len(line) > 160:
            continue
        for m in _TIME.finditer(line):
            hour, minute, ampm = int(m["h"]), int(m["m"] or 0), (m["ampm"] or "").lower()
            if not m["m"] and not ampm:
                continue   # "7 UTC" alone is too thin to read as a time
            if ampm.startswith("p") and hour < 12:
                hour += 12
            elif ampm.startswith("a") and hour == 12:
                hour = 0
            if hour > 23:
                continue
            zone = _ZONES.get(m["zone"].lower()) or _iana(m["zone"])
            if zone:
                return f"{hour:02d}:{minute:02d}", zone
    return None, None


def _iana(name: str) -> str | None:
    import zoneinfo
    try:
        zoneinfo.ZoneInfo(name)
        return name if "/" in name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


# --- sections -> documents ---------------------------------------------------------------

def section_key(notes: RunningNotes, section: Section) -> keys.MeetingKey:
    """The MeetingKey a section is published under: the file's key (for problems), the
    section's identity (group + date) and URL segment."""
    return keys.MeetingKey(notes.key.key, notes.key.group, section.meeting, "", section.date,
                           str(section.number) if section.number > 1 else "")


def section_document(notes: RunningNotes, section: Section, *,
                     max_bytes: int = 1024 * 1024) -> Document:
    """One section as a Document, every line a problem names the file's; its title the
    header's H1 and the dated heading. Raises Rejected."""
    shift = section.line - 1
    try:
        doc = parse_document(section.markdown.encode(), key=section_key(notes, section),
                             max_bytes=max_bytes)
    except Rejected as rejected:
        raise Rejected([_moved(p, shift, section) for p in rejected.problems]) from None
    title = f"{notes.title} — {section.heading}" if notes.title else section.heading
    # The heading is where the date came from, so it cannot contradict it (a d/m file would
    # otherwise be told its m/d-looking titles disagree); a heading alone is how running notes
    # record a cancelled meeting, not a stub to fill in.
    problems = tuple(_moved(p, shift, section) for p in doc.problems
                     if p.code not in ("title-date-mismatch", "stub")
                     and not _heading_of_the_section(p, section))
    return replace(doc, title=title[:300], title_from_h1=False, time=section.time,
                   timezone=section.timezone, problems=section.problems + problems)


def _moved(problem: Problem, shift: int, section: Section) -> Problem:
    """A section's problem at its line in the file (one without a line: the heading's)."""
    if problem.line is None:
        return replace(problem, line=section.line, column=1)
    return replace(problem, line=problem.line + shift)


def _heading_of_the_section(problem: Problem, section: Section) -> bool:
    """An "empty section" warning on the dated heading or a time line under it (`### 10:30am
    Pacific`): those headings are the meeting's date and time, not sections to fill in."""
    if problem.code != "empty-section" or not problem.line:
        return False
    lines = section.markdown.split("\n")
    at = problem.line - 1   # the section's own line numbers: it starts at line 1
    return at == 0 or (0 < at < len(lines) and _schedule(lines[at], [])[0] is not None)


def assemble_sections(notes: RunningNotes, *, site_host: str, max_bytes: int = 1024 * 1024,
                      stored: dict[str, MeetingRecord] | None = None,
                      now: dt.datetime | None = None,
                      verdict_only: bool = False, mail_text: bool = False) -> tuple[Assembled, ...]:
    """Every section as a meeting, newest first. `stored` holds what the Meetings table has
    (meeting -> record): a published section keeps its feed id and first publication.
    `verdict_only` (minutes check): as meeting.assemble's, the same problems for less work;
    `mail_text` (publish): as meeting.assemble's, each record with its text form for mail.
    Raises Rejected with the errors of every section: one bad section rejects the upload, so
    a rejected upload changes nothing."""
    stored = stored or {}
    meetings, errors = [], []
    for section in notes.sections:
        try:
            doc = section_document(notes, section, max_bytes=max_bytes)
        except Rejected as rejected:
            errors += rejected.problems
            continue
        before = stored.get(section.meeting)
        meetings.append(assemble_documents(
            doc.key, {"minutes": doc}, list(doc.problems), [], source_keys=(notes.key.key,),
            site_host=site_host, feed_id=before.feed_id if before else None,
            published=(before.published if before and before.published else now), updated=now,
            verdict_only=verdict_only, mail_text=mail_text))
    if errors:
        raise Rejected(errors)
    return tuple(meetings)


def holder(keys_holding: list[str] | set[str] | tuple[str, ...]) -> str:
    """Which file's section is published when several files hold one dated section (the yearly
    archive move: the running file and `meeting-notes-2024.md`, until the running file is
    trimmed): the first key in key order. Deterministic and stateless, so the pipeline and
    `minutes build` choose alike whatever order the uploads came in."""
    return min(keys_holding)


def one_per_meeting(assembled: list[Assembled]) -> list[Assembled]:
    """`minutes build`: the meetings of every file, with each running-notes section once, from
    the file that holds() it. Other meetings pass through unchanged, in order."""
    chosen: dict[tuple[str, str], Assembled] = {}
    for item in assembled:
        record = item.record
        if not is_running_notes_meeting(record.meeting):
            continue
        ident = (record.group, record.meeting)
        if ident not in chosen or holder([record.source_keys[0], chosen[ident].record.source_keys[0]]) \
                == record.source_keys[0]:
            chosen[ident] = item
    return [item for item in assembled if not is_running_notes_meeting(item.record.meeting)
            or chosen[(item.record.group, item.record.meeting)] is item]
