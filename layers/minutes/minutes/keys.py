"""Where a meeting lives: S3 key -> group, meeting, date, URL segment.

The key is the meeting's identity (DESIGN.md): the URL comes from the file or folder name,
never from the title, so a retitled meeting keeps its URL. Every rule about paths is here.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import urllib.parse
from dataclasses import dataclass

from .lazy_re import lazy
from .problems import Rejected, error

PREFIX = "minutes/"
# A running-notes section's meeting path: `<yyyy-mm-dd>[-n]@notes` (running_notes.py).
NOTES_SUFFIX = "@notes"
MINUTES_NAMES = ("notes.md", "minutes.md", "readme.md")  # the minutes of a folder meeting
GROUP_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Site paths a group name would shadow (see pages.py / index service).
RESERVED_GROUPS = frozenset({"assets", "page", "search", "index", "feed", "atom", "sitemap",
                             "robots", "404", "_drafts", "static", "api"})
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif",
}
# 2022-09-20, 20220920, 2022.09.20, 2022_09_20, not inside a longer run of digits.
# The years a meeting can have: a date in a file name is 19xx or 20xx (_DATE_TOKEN), and front
# matter and group.yaml are held to the same (a search id counts days from 1900-01-01; a
# schedule or a calendar of 9999 runs past the last date Python has).
FIRST_YEAR, LAST_YEAR = 1900, 2099
_DATE_TOKEN = re.compile(r"(?<!\d)((?:19|20)\d\d)([-._]?)(\d\d)\2(\d\d)(?!\d)")
_YMD_DIRS = lazy(r"(?:^|/)((?:19|20)\d\d)/(\d\d)/(\d\d)(?:/|$)")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
_KEY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SURROGATE = re.compile("[\ud800-\udfff]")   # what os.fsdecode makes of bytes not UTF-8


@dataclass(frozen=True)
class DateFound:
    date: dt.date
    span: tuple[int, int]  # where in the name the token was, to strip it from the slug


@dataclass(frozen=True)
class MeetingKey:
    key: str                 # the S3 key, decoded
    group: str
    meeting: str             # path under the group: file without ".md", or the folder
    name: str                # file name inside a folder meeting ("NOTES.md"), else ""
    date: dt.date | None     # from the path; front matter may still supply one
    slug: str                # the name without its date, for the URL

    @property
    def is_folder(self) -> bool:
        return bool(self.name)

    @property
    def is_markdown(self) -> bool:
        return self.key.lower().endswith(".md")

    @property
    def may_hold_sections(self) -> bool:
        """Whether the file may be a running-notes file, one meeting per dated section
        (running_notes.py, decision 23): only an undated Markdown file; a dated key is one
        meeting, whatever its headings say."""
        return not self.date and not self.is_folder and self.is_markdown

    @property
    def meeting_prefix(self) -> str:
        """S3 prefix holding every file of a folder meeting."""
        return f"{PREFIX}{self.group}/{self.meeting}/"

    def segment(self, date: dt.date | None = None) -> str:
        """URL segment under the group: `<yyyy-mm-dd>-<slug>`, or just the date."""
        day = (date or self.date)
        iso = day.isoformat() if day else "undated"
        return f"{iso}-{self.slug}" if self.slug else iso


def decode_event_key(raw: str) -> str:
    """S3 event keys are URL-encoded with '+' for space."""
    return urllib.parse.unquote_plus(raw)


def find_date(name: str) -> DateFound | None:
    """The first real calendar date written in a file or folder name."""
    for match in _DATE_TOKEN.finditer(name):
        year, _, month, day = match.groups()
        try:
            return DateFound(dt.date(int(year), int(month), int(day)), match.span())
        except ValueError:
            continue
    return None


def invalid_date_in(name: str) -> str | None:
    """A date-shaped token that is not a real day (2023-02-30), for a precise error."""
    for match in _DATE_TOKEN.finditer(name):
        year, _, month, day = match.groups()
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            if 1 <= int(month) <= 12:
                return match.group(0)
    return None


_ANY_YEAR_DATE = lazy(r"(?<!\d)(\d{4})([-._])(\d\d)\2(\d\d)(?!\d)")
# <yyyy>/<mm>/<dd> folders of any year: the date-folder layout, found whole (ymd_folders), or
# with a year no meeting can have (out_of_range_date_in).
_ANY_YMD_DIRS = lazy(r"(?:^|/)((\d{4})(/)(\d\d)/(\d\d))(?:/|$)")


def ymd_folders(path: str) -> bool:
    """Whether `path` is exactly <yyyy>/<mm>/<dd> (any year: a wrong one is rejected by name)."""
    found = _ANY_YMD_DIRS.fullmatch(path)
    return found is not None and 1 <= int(found.group(4)) <= 12 and 1 <= int(found.group(5)) <= 31


def out_of_range_date_in(name: str) -> str | None:
    """A date written with separators whose year no meeting can have (9999-12-31, 1066.10.14),
    for a precise error rather than "no meeting date"; or date folders of such a year
    (9999/12/31/). Separators only: an eight-digit run (ticket-30001231) is more often a number
    than a date."""
    found = [(m.group(0), *m.groups()) for m in _ANY_YEAR_DATE.finditer(name)]
    found += [m.groups()[:5] for m in _ANY_YMD_DIRS.finditer(name)]   # 9999/12/31/notes.md
    for text, year, _, month, day in found:
        if not FIRST_YEAR <= int(year) <= LAST_YEAR and 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            return text
    return None


def slugify(text: str, *, limit: int = 80) -> str:
    slug = _SLUG_JUNK.sub("-", text.lower()).strip("-")
    return slug[:limit].rstrip("-")


@functools.lru_cache(maxsize=4096)   # a meeting's key is parsed at every step (4 times in a check)
def parse_key(key: str) -> MeetingKey:
    """Split a bucket key into a MeetingKey (frozen: shared), or raise Rejected saying how to
    fix the key."""
    problems = []
    if not key.startswith(PREFIX):
        raise Rejected([error("key-outside-minutes", f"'{key}' is not under '{PREFIX}'.",
                              f"Upload to {PREFIX}<group>/<yyyy-mm-dd>-<topic>.md.")])
    parts = key[len(PREFIX):].split("/")
    if len(parts) < 2 or not all(parts):
        raise Rejected([error("key-shape", f"'{key}' has no group folder or an empty path segment.",
                              f"Use {PREFIX}<group>/<yyyy-mm-dd>-<topic>.md, e.g. "
                              f"{PREFIX}sig-docs/2024-05-07-weekly.md.")])
    group, rest = parts[0], parts[1:]
    if not GROUP_RE.match(group) or group in RESERVED_GROUPS or re.fullmatch(r"\d{4}", group):
        problems.append(error(
            "group-name", f"Group '{SURROGATE.sub(chr(0xFFFD), group)}' is not a safe URL "
            "segment or is reserved.",
            "Use lower-case letters, digits, '-' and '_' (at most 63), not a year and not one of: "
            + ", ".join(sorted(RESERVED_GROUPS)) + ". Example: sig-docs."))
    if any(_is_relative(p) for p in rest):
        problems.append(error("key-shape", f"'{key}' contains '.' or '..' segments (perhaps "
                              "percent-encoded) or a backslash.",
                              "Remove the relative segments from the key; name the file "
                              f"{PREFIX}{group}/<yyyy-mm-dd>-<topic>.md."))
    if _KEY_CONTROL.search(key):
        problems.append(error("key-shape", f"{key!r} contains a control character (a line "
                              "break, a tab).", "Rename the file without it."))
    if SURROGATE.search(key):   # a local file name not in UTF-8 (os.fsdecode's escapes)
        problems.append(not_utf8(key))
    if problems:
        raise Rejected(problems)
    return _meeting_key(key, group, rest)


def not_utf8(key: str):
    """The problem of a key holding os.fsdecode's escapes of bytes that are not UTF-8."""
    return error("key-not-utf8", f"'{SURROGATE.sub(chr(0xFFFD), key)}' is not UTF-8: the file's "
                 "name or a folder's (shown with \ufffd for each byte that is not) was saved in "
                 "another encoding, and a URL needs UTF-8.",
                 "Rename it, typing the name again on a system that uses UTF-8 (or use ASCII "
                 "letters).")


def _is_relative(segment: str) -> bool:
    """`..` however written: a key is decoded once from the event, but a URL, a browser or a
    later tool may decode it again, so `%2e%2e` (even `%252e%252e`) counts as `..`."""
    for _ in range(3):
        if "\\" in segment or any(part in (".", "..") for part in segment.split("/")):
            return True
        decoded = urllib.parse.unquote(segment)
        if decoded == segment:
            return False
        segment = decoded
    return True  # still encoded after three rounds: no honest file name looks like that


def _meeting_key(key: str, group: str, rest: list[str]) -> MeetingKey:
    folder, filename = rest[:-1], rest[-1]
    # A folder meeting is a dated folder directly holding the file.
    if folder and find_date(folder[-1]):
        found = find_date(folder[-1])
        slug = _slug_without(folder[-1], found)
        return MeetingKey(key, group, "/".join(folder), filename, found.date, slug)
    stem = filename[:-3] if filename.lower().endswith(".md") else filename
    meeting = "/".join(folder + [stem])
    found = find_date(stem)
    if found:
        others = [slugify(p) for p in folder]
        slug = "-".join(filter(None, others + [_slug_without(stem, found)]))
        return MeetingKey(key, group, meeting, "", found.date, slug)
    ymd = _YMD_DIRS.search(meeting)
    if ymd:
        date = _ymd_date(ymd)
        if date:
            remainder = (meeting[:ymd.start()] + "/" + meeting[ymd.end():]).strip("/")
            return MeetingKey(key, group, meeting, "", date, slugify(remainder))
    at = next((i for i in reversed(range(len(folder))) if find_date(folder[i])), None)
    if at is None:
        return MeetingKey(key, group, meeting, "", None, slugify(meeting))
    # The date goes in front of the URL segment once: take it out of the folder's name.
    found = find_date(folder[at])
    parts = folder[:at] + [_slug_without(folder[at], found)] + folder[at + 1:] + [stem]
    return MeetingKey(key, group, meeting, "", found.date,
                      "-".join(filter(None, (slugify(p) for p in parts))))


def _ymd_date(match: re.Match) -> dt.date | None:
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _slug_without(name: str, found: DateFound) -> str:
    start, end = found.span
    return slugify(name[:start] + "-" + name[end:])


def group_of_key(key: str) -> str:
    """The group segment of a key under minutes/ ("" when there is none), without checking it."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] + "/" == PREFIX else ""


def attachment_type(name: str) -> str | None:
    """Content-Type of a publishable attachment, or None when the type is not safe to serve."""
    dot = name.rfind(".")
    return ATTACHMENT_TYPES.get(name[dot:].lower()) if dot >= 0 else None


def site_quote(name: str) -> str:
    """Percent-encode one path segment for a URL (spaces, brackets and '+' included)."""
    return urllib.parse.quote(name, safe="")
