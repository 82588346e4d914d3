"""`minutes/<group>/group.yaml`: a group's display name, description, schedule and links.

Optional; without it a group is its folder name, as before. Read like front matter (safe YAML,
no aliases, no implicit dates) and checked like minutes: every problem a value with a code, a
line and a hint, a near-miss key an error ("did you mean"), so the scribe gets one verdict.

    name: SIG OpenXLA
    description: >
      The open community around the XLA compiler: roadmaps, RFCs and design reviews.
    schedule:
      weekday: tuesday          # monday ... sunday
      time: "08:00"             # 24-hour, local to the time zone
      timezone: America/Los_Angeles
      cadence: biweekly         # weekly | biweekly | monthly
      starts: 2024-01-09        # a meeting day: which weeks (biweekly) or the first one
      week: third               # monthly only: first | second | third | fourth | last
    links:
      chat: https://discord.gg/...
      mailing_list: https://groups.google.com/...
      recordings: https://youtube.com/playlist?list=...

"Next meeting" is deterministic (DESIGN: same sources, same bytes): the scheduled dates after
the group's newest meeting (or `starts`), never after the build's clock. The calendar carries
the schedule as a recurring event (RRULE), so calendar apps show every future meeting.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import keys
from .lazy_re import lazy
from .problems import Problem, Rejected, error, warning

FILE_NAME = "group.yaml"
MAX_BYTES = 64 * 1024
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CADENCES = ("weekly", "biweekly", "monthly")
WEEKS = ("first", "second", "third", "fourth", "last")
LINK_LABELS = {"chat": "Chat", "mailing_list": "Mailing list", "recordings": "Recordings",
               "calendar": "Calendar", "website": "Website", "repository": "Repository",
               "notes": "Meeting notes"}
TOP_KEYS = ("name", "description", "schedule", "links")
SCHEDULE_KEYS = ("weekday", "time", "timezone", "cadence", "starts", "week")
_TIME = lazy(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_URL = lazy(r"^(?:https?://|mailto:)[^\s<>\"]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Schedule:
    weekday: int                   # 0 = Monday
    time: str                      # "08:00"
    timezone: str                  # IANA
    cadence: str                   # weekly | biweekly | monthly
    starts: dt.date | None = None
    week: int | None = None        # monthly: 1..4, or -1 for the last

    def describe(self) -> str:
        day = WEEKDAYS[self.weekday].title()   # not calendar.day_name: that follows the locale
        if self.cadence == "monthly":
            nth = WEEKS[self.week - 1] if self.week and self.week > 0 else "last"
            when = f"The {nth} {day} of every month"
        elif self.cadence == "biweekly":
            when = f"Every other {day}"
        else:
            when = f"Every {day}"
        return f"{when}, {self.time} ({self.timezone.replace('_', ' ')})"

    def occurrences(self, after: dt.date, count: int) -> list[dt.date]:
        """The next `count` meeting days strictly after `after` (and not before `starts`)."""
        day = max(after + dt.timedelta(days=1), self.starts or dt.date.min)
        found: list[dt.date] = []
        while len(found) < count:
            if self.cadence == "monthly":
                candidate = self._monthly_on_or_after(day)
                found.append(candidate)
                day = candidate + dt.timedelta(days=1)
                continue
            candidate = day + dt.timedelta(days=(self.weekday - day.weekday()) % 7)
            if self.cadence == "biweekly" and self.starts and (candidate - self.starts).days % 14:
                candidate += dt.timedelta(days=7)
            found.append(candidate)
            day = candidate + dt.timedelta(days=1)
        return found

    def _monthly_on_or_after(self, day: dt.date) -> dt.date:
        year, month = day.year, day.month
        while True:
            candidate = _nth_weekday(year, month, self.weekday, self.week or 1)
            if candidate >= day:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def rrule(self) -> str:
        """The schedule as an iCalendar recurrence rule (RFC 5545)."""
        byday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[self.weekday]
        if self.cadence == "monthly":
            return f"FREQ=MONTHLY;BYDAY={self.week or 1}{byday}"
        interval = ";INTERVAL=2" if self.cadence == "biweekly" else ""
        return f"FREQ=WEEKLY{interval};BYDAY={byday}"


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    import calendar   # calendar, difflib and zoneinfo: only where a group.yaml needs them
    days = [d for d in calendar.Calendar().itermonthdates(year, month)
            if d.month == month and d.weekday() == weekday]
    return days[-1] if nth == -1 else days[nth - 1]


@dataclass(frozen=True)
class GroupInfo:
    group: str                              # the URL segment ("openxla")
    name: str                               # "SIG OpenXLA"
    description: str = ""
    schedule: Schedule | None = None
    links: tuple[tuple[str, str], ...] = ()  # (label, url), in the file's order

    def next_meetings(self, newest: dt.date | None, count: int = 3) -> list[dt.date]:
        """Scheduled days after the group's newest meeting (or from `starts`): deterministic."""
        if self.schedule is None:
            return []
        reference = newest or (self.schedule.starts - dt.timedelta(days=1)
                               if self.schedule.starts else None)
        return self.schedule.occurrences(reference, count) if reference else []


def default_name(group: str) -> str:
    """A group without group.yaml: its folder name in words ("sig-docs" -> "Sig Docs")."""
    return group.replace("-", " ").replace("_", " ").title()


def is_group_file(key: str) -> bool:
    """`minutes/<group>/group.yaml`, exactly (not deeper: a meeting folder has no group.yaml)."""
    parts = key.split("/")
    return len(parts) == 3 and parts[0] + "/" == keys.PREFIX and parts[2] == FILE_NAME


def group_of(key: str) -> str:
    """The group a group.yaml key names; Rejected (group-name) for a name no URL can have."""
    group = key.split("/")[1]
    try:
        keys.parse_key(f"{keys.PREFIX}{group}/2000-01-01-group.md")   # the group-name rules
    except Rejected as rejected:   # said of the group.yaml, not of the key made up to check it
        raise Rejected([keys.not_utf8(key) if p.code == "key-not-utf8" else p
                        for p in rejected.problems]) from None
    return group


def parse_group(data: bytes, *, key: str) -> tuple[GroupInfo, list[Problem]]:
    """Read and check a group.yaml. Returns the info and its warnings; raises Rejected."""
    group = group_of(key)
    problems: list[Problem] = []
    if len(data) > MAX_BYTES:
        raise Rejected([error("too-large", f"group.yaml is {len(data):,} bytes; the limit is "
                              f"{MAX_BYTES:,}.", "Keep it to a name, a paragraph, a schedule "
                              "and a few links.")])
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise Rejected([error("not-utf8", "group.yaml is not UTF-8.",
                              "Save it as UTF-8.", 1, 1)]) from None
    from . import frontmatter   # YAML: only where a group.yaml is read, not for stored groups
    try:
        raw = frontmatter.load(text)
    except frontmatter.NotACharacter as exc:
        raise Rejected([error("not-a-character", f"group.yaml: {exc}.", frontmatter.SURROGATE_HINT,
                              exc.line or 1, 1)]) from None
    except frontmatter.FrontMatterError as exc:
        raise Rejected([error("group-yaml", f"group.yaml is not valid YAML: {exc}.",
                              "Write 'key: value' lines (quote values containing ':' or '#'); "
                              "see the example in docs/groups.md.",
                              exc.line or 1, exc.column or 1)]) from None   # no '---' line above
    if not isinstance(raw, dict):
        raise Rejected([error("group-yaml", "group.yaml must be 'key: value' lines.",
                              "Start with e.g. 'name: SIG Docs'.", 1, 1)])
    _unknown(raw, TOP_KEYS, text, problems, "")
    name = _text(raw.get("name"), "name", 80, text, problems) or default_name(group)
    description = _text(raw.get("description"), "description", 1000, text, problems) or ""
    schedule = _schedule(raw.get("schedule"), text, problems)
    links = _links(raw.get("links"), text, problems)
    if any(p.is_error for p in problems):
        raise Rejected(problems)
    if "name" not in raw:
        problems.append(warning("group-name-missing", f"group.yaml has no 'name': the group is "
                                f"shown as '{name}'.", "Add e.g. 'name: SIG OpenXLA'.", 1, 1))
    return GroupInfo(group, name, description, schedule, links), problems


# --- fields ----------------------------------------------------------------------------------

def _line(text: str, name: str) -> int:
    match = re.search(rf"^\s*{re.escape(str(name))}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _unknown(raw: dict, known: tuple[str, ...], text: str, problems: list[Problem], where: str):
    for name in raw:
        if name in known:
            continue
        import difflib
        close = difflib.get_close_matches(str(name).lower(), known, n=1, cutoff=0.75)
        if close:
            problems.append(error("group-typo", f"Unknown key '{where}{name}'.",
                                  f"Did you mean '{close[0]}'?", _line(text, name), 1))
        else:
            problems.append(error("group-unknown-key", f"Unknown key '{where}{name}'.",
                                  "Known keys: " + ", ".join(known) + ".", _line(text, name), 1))


def _text(value, name: str, limit: int, text: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.append(error("group-field", f"'{name}' must be text.",
                              f"Write e.g. '{name}: ...' on one line.", _line(text, name), 1))
        return None
    flat = " ".join(str(value).split())
    if len(flat) > limit:
        problems.append(error("group-field", f"'{name}' is {len(flat)} characters; the limit is "
                              f"{limit}.", "Shorten it.", _line(text, name), 1))
        return None
    return flat


def _schedule(value, text: str, problems: list[Problem]) -> Schedule | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(error("group-field", "'schedule' must hold 'key: value' lines.",
                              "Indent weekday, time, timezone and cadence under 'schedule:'.",
                              _line(text, "schedule"), 1))
        return None
    _unknown(value, SCHEDULE_KEYS, text, problems, "schedule.")
    before = len(problems)

    def bad(name: str, message: str, hint: str) -> None:
        problems.append(error("group-schedule", f"schedule.{name}: {message}", hint,
                              _line(text, name), 1))

    weekday = str(value.get("weekday", "")).strip().lower()
    if weekday not in WEEKDAYS:
        bad("weekday", f"'{value.get('weekday')}' is not a day of the week.",
            "Write e.g. 'weekday: tuesday'.")
    time = str(value.get("time", "")).strip()
    if not _TIME.match(time):
        bad("time", f"'{value.get('time')}' is not a time like 16:00.",
            "Write a 24-hour time in quotes: time: \"16:00\".")
    zone = str(value.get("timezone", "")).strip()
    import zoneinfo
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(error("timezone-unknown", f"schedule.timezone: '{zone}' is not an IANA "
                              "time zone.", "Use a name like Europe/Berlin, America/Los_Angeles "
                              "or UTC.", _line(text, "timezone"), 1))
    cadence = str(value.get("cadence", "weekly")).strip().lower()
    if cadence not in CADENCES:
        bad("cadence", f"'{cadence}' is not a cadence.", "Write weekly, biweekly or monthly.")
    starts = None
    if value.get("starts") is not None:
        try:
            starts = dt.date.fromisoformat(str(value["starts"]).strip())
        except ValueError:
            bad("starts", f"'{value['starts']}' is not a date like 2024-01-09.",
                "Write the date of one meeting: starts: 2024-01-09.")
        if starts is not None and not keys.FIRST_YEAR <= starts.year <= keys.LAST_YEAR:
            bad("starts", f"{starts.isoformat()} is not in the years {keys.FIRST_YEAR}-"
                f"{keys.LAST_YEAR} that meetings can have.",
                "Check the year; write the date of one meeting: starts: 2024-01-09.")
    week = None
    if cadence == "monthly":
        nth = str(value.get("week", "first")).strip().lower()
        if nth not in WEEKS:
            bad("week", f"'{nth}' is not a week of the month.",
                "Write first, second, third, fourth or last.")
        else:
            week = -1 if nth == "last" else WEEKS.index(nth) + 1
    elif "week" in value:
        bad("week", "only a monthly schedule has a week.", "Remove 'week', or make it monthly.")
    if cadence == "biweekly" and "starts" not in value:
        bad("starts", "a biweekly schedule needs the date of one meeting, to know which weeks.",
            "Add e.g. 'starts: 2024-01-09'.")
    if len(problems) > before:
        return None
    if starts is not None and starts.weekday() != WEEKDAYS.index(weekday):
        problems.append(error("group-schedule", f"schedule.starts: {starts.isoformat()} is a "
                              f"{WEEKDAYS[starts.weekday()].title()}, not a {weekday.title()}.",
                              "Give the date of a meeting day.", _line(text, "starts"), 1))
        return None
    hours, minutes = time.split(":")
    return Schedule(WEEKDAYS.index(weekday), f"{int(hours):02d}:{minutes}", zone, cadence,
                    starts, week)


def _links(value, text: str, problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.append(error("group-field", "'links' must hold 'name: address' lines.",
                              "Indent e.g. 'chat: https://...' under 'links:'.",
                              _line(text, "links"), 1))
        return ()
    found = []
    for name, url in value.items():
        label = LINK_LABELS.get(str(name)) or str(name).replace("_", " ").capitalize()
        if not isinstance(url, str) or not _URL.match(url.strip()):
            problems.append(error("group-link", f"links.{name}: '{url}' is not a web address.",
                                  "Write a full address starting with https:// (or mailto:).",
                                  _line(text, name), 1))
            continue
        found.append((label[:40], url.strip()))
    return tuple(found)


def newest_by_group(records) -> dict[str, dt.date]:
    """Each group's newest listed meeting (MeetingRecords): its "next meeting" follows it."""
    newest: dict[str, dt.date] = {}
    for record in records:
        if record.listed and (record.group not in newest or record.date > newest[record.group]):
            newest[record.group] = record.date
    return newest


# --- stored form (the Meetings table keeps one item per group.yaml; aws/dynamo.py) ------------

def info_to_dict(info: GroupInfo) -> dict:
    schedule = None
    if info.schedule:
        s = info.schedule
        schedule = {"weekday": s.weekday, "time": s.time, "timezone": s.timezone,
                    "cadence": s.cadence, "starts": s.starts.isoformat() if s.starts else None,
                    "week": s.week}
    return {"group": info.group, "name": info.name, "description": info.description,
            "schedule": schedule, "links": [list(pair) for pair in info.links]}


def info_from_dict(data: dict) -> GroupInfo:
    """A stored group as it was stored (strict: a malformed item raises). `refused_today`
    says whether today's rules would still take it."""
    s = data.get("schedule")
    schedule = Schedule(int(s["weekday"]), s["time"], s["timezone"], s["cadence"],
                        dt.date.fromisoformat(s["starts"]) if s.get("starts") else None,
                        int(s["week"]) if s.get("week") is not None else None) if s else None
    return GroupInfo(data["group"], data["name"], data.get("description", ""), schedule,
                     tuple((label, url) for label, url in data.get("links", [])))


def refused_today(info: GroupInfo) -> str | None:
    """What today's rules refuse in a group stored before them (decision 84: a year outside
    1900-2099, a lone surrogate), said for the log; None when it is fine. Such an item predates
    the rule: parse_group refuses the same file now, so `minutes build` shows the group as
    without group.yaml, and the pipeline must too (decision 89)."""
    starts = info.schedule.starts if info.schedule else None
    if starts is not None and not keys.FIRST_YEAR <= starts.year <= keys.LAST_YEAR:
        return (f"schedule.starts {starts.isoformat()} is not in the years {keys.FIRST_YEAR}-"
                f"{keys.LAST_YEAR}")
    texts = [info.name, info.description, *(part for pair in info.links for part in pair)]
    if info.schedule:
        texts += [info.schedule.time, info.schedule.timezone, info.schedule.cadence]
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return f"{text.encode('utf-8', 'backslashreplace').decode()!r} holds a lone surrogate"
    return None


def made_up_title(name: str, date: dt.date) -> str:
    """The title of minutes without a heading (document.py makes the same)."""
    return f"{name} meeting {date.isoformat()}"
