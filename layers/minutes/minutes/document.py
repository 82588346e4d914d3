"""The source-format rules: bytes of one Markdown document -> Document, or Rejected.

Every rule about what a scribe may upload is in this module (paths are in keys.py): limits,
encoding, front matter, title, date, and the warnings worth a look. Errors are collected, so a
scribe sees every problem of a file at once, not one per upload.
"""
from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from dataclasses import dataclass, field, replace

from . import frontmatter, keys
from .lazy_re import lazy
from .group import default_name, made_up_title
from .problems import Problem, Rejected, error, for_scribe, info, warning
from .markdown import MAX_NESTING, MAX_PREFIX_DEPTH, Parsed, TooDeep, parse, tag_like_words

DEFAULT_MAX_BYTES = 1024 * 1024
KNOWN_KEYS = ("title", "date", "time", "timezone", "group", "attendees", "tags", "summary",
              "draft", "notify")
_CONTROL = lazy(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_HTML_DOCUMENT = re.compile(r"\A\s*(<!doctype\s+html|<html[\s>])", re.IGNORECASE)
_HACKMD_SOURCE = lazy(r'<div id="doc" class="markdown-body[^"]*"[^>]*>(.*?)</div>', re.DOTALL)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_PLACEHOLDER = lazy(r"YYYY-MM-DD|\{\{\s*[\w.]+\s*\}\}|<(?:date|DATE|meeting[- ]date)>")
# A fence line, found after its line break ("\n" first: a literal the regex engine can skip to).
_FENCE = re.compile(r"\n {0,3}(`{3,}|~{3,})")
# Each of _PLACEHOLDER's forms holds one of these (the four angle forms end in 'date>' or
# 'DATE>'): a body with none is searched no further.
_PLACEHOLDER_MARKS = ("{{", "date>", "YYYY-MM-DD", "DATE>")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_TEXT_DATE = re.compile(
    r"\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b"
    r"|\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b"
    r"|\b(?P<m2>\d{1,2})/(?P<d2>\d{1,2})/(?P<y2>(?:19|20)\d\d)\b"
    r"|\b(?P<d3>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon3>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?P<y3>(?:19|20)\d\d)\b",
    re.IGNORECASE)
_INVALID = "_invalid"  # meta key: the names of fields whose value was refused
FIX_DATE_HINT = ("Give the date one of these ways: name the file <yyyy-mm-dd>-<topic>.md "
                 "(or <yyyymmdd>), put it in a dated folder (<yyyy-mm-dd>-<topic>/NOTES.md or "
                 "<yyyy>/<mm>/<dd>/), or add front matter:\n---\ndate: 2024-05-07\n---")


@dataclass(frozen=True)
class Document:
    key: keys.MeetingKey
    body: str                    # Markdown without front matter, LF line ends
    body_line: int               # line number of the body's first line in the file
    title: str
    title_from_h1: bool          # the first H1 is the title: the page shows it once
    date: dt.date
    time: str | None = None
    timezone: str | None = None
    attendees: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    summary: str | None = None
    draft: bool = False
    notify: bool = True
    problems: tuple[Problem, ...] = field(default=())  # warnings only; errors raise
    # The body parsed once (markdown.py: comrak's AST and the walk's findings), for the checks,
    # the summary and the renderer: parsing is most of the time a large file takes.
    parsed: Parsed | None = field(default=None, compare=False, repr=False)


def parse_document(data: bytes, *, key: str | keys.MeetingKey,
                   max_bytes: int = DEFAULT_MAX_BYTES, group_name: str | None = None) -> Document:
    """Decode, check and describe one Markdown document. Raises Rejected with every error.
    `group_name` is the group's display name (group.yaml), for a title made up from it."""
    meeting_key = key if isinstance(key, keys.MeetingKey) else keys.parse_key(key)
    text, problems = _decode(data, max_bytes)
    meta, body, body_line = _front_matter(text, problems, key_dated=meeting_key.date is not None)
    body_known = body is not None   # None: the front matter could not be read
    body = text if body is None else body
    _check_complexity(body, body_line)
    try:
        parsed = parse(body)
    except TooDeep as exc:
        raise Rejected([_too_deep(f"more than {MAX_PREFIX_DEPTH:,}", body_line + exc.line)]) from None
    problems += _structure_problems(parsed, body_line)
    date = _date(meeting_key, meta, problems, parsed)
    title, from_h1 = _title(parsed, meta, meeting_key, date, group_name)
    # With the errors, the warnings too, so a scribe fixes everything in one go; unless the
    # front matter was unreadable (then the body is not known and warnings would be noise).
    if date is not None and body_known:
        problems += _warnings(body, body_line, title, date, parsed, meeting_key)
    if any(p.is_error for p in problems):
        raise Rejected(for_scribe(problems))
    if meta.get("group") and keys.slugify(meta["group"]) != meeting_key.group:
        problems.append(warning(
            "group-mismatch", f"Front matter says group '{meta['group']}', but the file is in "
            f"minutes/{meeting_key.group}/: the folder decides the group.",
            f"Move the file to minutes/{keys.slugify(meta['group'])}/ or remove 'group:'.",
            _key_line_of(text, "group"), 1))
    return Document(
        key=meeting_key, body=body, body_line=body_line, title=title, title_from_h1=from_h1,
        date=date, time=meta.get("time"), timezone=meta.get("timezone"),
        attendees=tuple(meta.get("attendees", ())), tags=tuple(meta.get("tags", ())),
        summary=meta.get("summary"), draft=bool(meta.get("draft", False)),
        notify=bool(meta.get("notify", True)), problems=tuple(problems), parsed=parsed)


# --- bytes -> text ---------------------------------------------------------------------------

def read_text(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[Problem]]:
    """The file's text (LF line ends) and what was fixed on the way. Raises Rejected when the
    bytes are not Markdown text (running_notes.py reads a file's sections with it)."""
    return _decode(data, max_bytes)


def too_large(size: int, max_bytes: int) -> Problem:
    """A Markdown file over the size limit (meeting._parse_all says it of one not read)."""
    return error("too-large", f"The file is {size:,} bytes; the limit is {max_bytes:,}.",
                 "Split it into one file per meeting, or move large content (slides, logs) "
                 "into attachments.")


def _decode(data: bytes, max_bytes: int) -> tuple[str, list[Problem]]:
    """The text, and what was fixed on the way as warnings. Only what makes the bytes
    unreadable or not minutes (size, binary, empty, a whole HTML page) is rejected: an
    encoding that can be told apart (UTF-16 with its byte order mark, Windows-1252) is read,
    stray bytes become U+FFFD, invisible control characters are removed, each with a warning."""
    if len(data) > max_bytes:
        raise Rejected([too_large(len(data), max_bytes)])
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text, problems = _utf16(data)
    elif b"\x00" in data[:8192]:
        raise Rejected([error("binary", "The file is binary, not Markdown text.",
                              "Upload the minutes as a UTF-8 .md text file; put PDFs and images "
                              "next to it in a meeting folder.")])
    else:
        text, problems = _utf8(data)
    # Read as UTF-8 as it is: its bytes say at C speed whether a control character is in it.
    utf8 = not problems and data[:2] not in (b"\xff\xfe", b"\xfe\xff")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Rejected([error("empty", "The file is empty or whitespace only.",
                              "Write the minutes, or delete the upload.")])
    if not (utf8 and _no_controls_in(data)):
        text, removed = _without_controls(text)
        problems += removed
    if _HTML_DOCUMENT.match(text) and (hackmd := _HACKMD_SOURCE.search(text)):
        # HackMD/CodiMD "download as HTML" keeps the Markdown source, escaped, in div#doc.
        text = html.unescape(hackmd.group(1)).lstrip("\n")
    elif _HTML_DOCUMENT.match(text):
        raise Rejected([error("html-document", "This is a whole HTML document, not Markdown.",
                              "Export the notes as Markdown (Google Docs: File > Download > "
                              "Markdown), or paste the text into a .md file.", 1, 1)])
    return text, problems


_SAVE_AS_UTF8 = "Save the file as UTF-8 (most editors: 'Save with encoding' or 'Encoding > UTF-8')."


def _utf16(data: bytes) -> tuple[str, list[Problem]]:
    """Windows editors save "Unicode" as UTF-16; its byte order mark says so for certain."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        raise Rejected([error("not-utf8", "The file starts like UTF-16 (byte order mark "
                              f"0x{data[0]:02x} 0x{data[1]:02x}) but is not valid UTF-16.",
                              _SAVE_AS_UTF8, 1, 1)]) from None
    return text, [warning("encoding", "The file is UTF-16, not UTF-8; it was read as UTF-16.",
                          _SAVE_AS_UTF8, 1, 1)]


def _utf8(data: bytes) -> tuple[str, list[Problem]]:
    """UTF-8; else, with no valid UTF-8 beyond ASCII at all, Windows-1252 (what Word and old
    editors write: every byte means one character); else UTF-8 with the stray bytes as U+FFFD."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        where = f"byte 0x{data[exc.start]:02x} at byte offset {exc.start}"
    replaced = data.decode("utf-8", "replace")
    if not any(ord(c) > 127 and c != "\ufffd" for c in replaced):
        return data.decode("cp1252", "replace"), [warning(
            "encoding", f"The file is not UTF-8 ({where} is the first that is not); it was read "
            "as Windows-1252.", "Check the accented letters on the page. " + _SAVE_AS_UTF8,
            line, column)]
    count = replaced.count("\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")
    return replaced, [warning(
        "not-utf8", f"{count} part(s) of the file are not UTF-8 (the first: {where}); each shows "
        "as \ufffd.", "Retype the character there. " + _SAVE_AS_UTF8, line, column)]


# _CONTROL's characters in UTF-8: the C0 ones and DEL are single bytes (every byte of a longer
# sequence is 0x80 or above); U+0080-U+009F are 0xC2 then 0x80-0x9F.
_C0_AND_DEL = bytes([*range(0x09), 0x0b, *range(0x0e, 0x20), 0x7f])
_C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")   # a literal start: the engine skips to each 0xC2


def _no_controls_in(data: bytes) -> bool:
    """Whether valid UTF-8 `data` decodes to a text without _CONTROL's characters: a byte
    table and a search for 0xC2, ~4x cheaper than the pattern over the text."""
    return len(data.translate(None, _C0_AND_DEL)) == len(data) and _C1_IN_UTF8.search(data) is None


def _without_controls(text: str) -> tuple[str, list[Problem]]:
    """Invisible control characters removed; a warning for each (at most 20, the last one
    counting the rest: a file full of them needs one look, not a million lines of report)."""
    found = list(itertools.islice(_CONTROL.finditer(text), 21))
    if not found:
        return text, []
    problems = [warning("control-char", f"Invisible control character U+{ord(m.group()):04X} "
                        "removed.", "Delete it from the file; copy-paste from a terminal or PDF "
                        "often brings these in.", *_line_col(text, m.start()))
                for m in found[:20]]
    text, total = _CONTROL.subn("", text)
    if total > 20:
        problems[-1] = replace(problems[-1], message=problems[-1].message +
                               f" ({total - 19:,} more like it removed too.)")
    return text, problems


# What makes the (pure Python) Markdown parser slow, with limits far above real minutes (the
# corpus's largest counts: 6,068 lines, 59 headings, 2,075 list items, 2,166 emphasis marks). Checked before parsing, so hostile input is
# rejected in milliseconds with its own code, not by a Lambda timeout.
# Each with two upper bounds of its count: the body's length over the fewest characters a
# match takes (matches do not overlap; those of a pattern anchored at a line start are a line
# break apart, so take two), then one from str.count (C speed). A pattern is only run when both
# bounds are over its limit, which real minutes never are.
_COMPLEXITY_LIMITS = (
    ("lines", lazy(r"\n"), 50_000, 1, ("\n",)),
    ("headings", lazy(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.MULTILINE), 2_000, 2, ("#",)),
    ("list items", lazy(r"^[ \t>]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE), 10_000,
     2, ("\n",)),
    ("'[' (link brackets)", lazy(r"\["), 10_000, 1, ("[",)),
    ("'*' or '_' (emphasis marks)", lazy(r"[*_]"), 30_000, 1, ("*", "_")),
    ("bare web addresses", lazy(r"(?:https?://|www\.)"), 5_000, 4, ("://", "www.")),
    ("table rows", lazy(r"^ {0,3}\|", re.MULTILINE), 10_000, 2, ("|",)),
    ("'<' (tags)", lazy(r"<"), 30_000, 1, ("<",)),
    ("'`' (code marks)", lazy(r"`"), 20_000, 1, ("`",)),
)


def _check_complexity(body: str, body_line: int) -> None:
    problems = []
    for what, pattern, limit, shortest, marks in _COMPLEXITY_LIMITS:
        # lines: one more than the line breaks (a list item needs a line of its own). No mark
        # occurs more often than the body has characters.
        if len(body) + 1 <= limit * shortest or sum(body.count(mark) for mark in marks) + 1 <= limit:
            continue
        found = pattern.findall(body, 0, len(body))
        if len(found) > limit:
            first_over = next(itertools.islice(pattern.finditer(body), limit, None))
            line, column = _line_col(body, first_over.start())
            problems.append(error("too-complex", f"The file has {len(found):,} {what}; the limit "
                                  f"is {limit:,}.", "Split it into one file per meeting, or put "
                                  "generated content (logs, link lists, data tables) in an "
                                  "attachment.", body_line + line - 1, column))
    if problems:
        raise Rejected(problems)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --- front matter ----------------------------------------------------------------------------

def _front_matter(text: str, problems: list[Problem], *,
                 key_dated: bool = False) -> tuple[dict, str | None, int]:
    try:
        yaml_text, body, lines = frontmatter.split(text)
        raw = frontmatter.load(yaml_text) if yaml_text is not None else None
    except frontmatter.Unclosed:
        problems.append(error("front-matter-unclosed", "The front matter opened by '---' on line 1 "
                              "is never closed.", "Add a line '---' after the last front-matter "
                              "key, or remove the first line if it is not front matter.", 1, 1))
        return {}, None, 1
    except frontmatter.TooDeep as exc:
        problems.append(error("too-deep", "The front matter is nested too deeply to read.",
                              "Front matter holds plain values: a line of text, a date, a list "
                              "of names. Remove the nested brackets.",
                              exc.line + 1 if exc.line else 1, 1))
        return {}, None, 1
    except frontmatter.NotACharacter as exc:
        problems.append(error("not-a-character", f"Front matter: {exc}.", frontmatter.SURROGATE_HINT,
                              exc.line + 1 if exc.line else 1, 1))
        return {}, None, 1
    except frontmatter.FrontMatterError as exc:
        problems.append(error("front-matter-yaml", f"Front matter is not valid YAML: {exc}.",
                              "Fix the YAML between the two '---' lines (quote values containing "
                              "':' or '#'); only plain values are allowed (no tags, no aliases).",
                              exc.line + 1 if exc.line else 1, exc.column or 1))
        return {}, None, 1
    if yaml_text is None:
        return {}, body, 1
    if raw is None:
        return {}, body, lines + 1
    if not isinstance(raw, dict):
        problems.append(error("front-matter-not-mapping", "Front matter must be 'key: value' lines, "
                              f"not {_kind(raw)}.", "Write e.g. 'title: Weekly sync' "
                              "on its own line between the '---' lines.", 2, 1))
        return {}, body, lines + 1
    return _check_fields(raw, yaml_text, problems, key_dated), body, lines + 1


def _key_line_of(text: str, name: str) -> int | None:
    """Line of a front-matter key in the whole file (the front matter starts on line 2)."""
    match = re.search(rf"^{re.escape(name)}\s*:", text.split("\n---", 1)[0], re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _key_line(yaml_text: str, name: str) -> int:
    match = re.search(rf"^{re.escape(str(name))}\s*:", yaml_text, re.MULTILINE)
    return yaml_text.count("\n", 0, match.start()) + 2 if match else 2


# A wrong value of these is left out with a warning: the page is right without it. A wrong
# `draft` or `notify` is an error (guessing could publish a draft or email everyone), and so is
# a wrong `date` unless the key has one (the date decides the URL).
_DROPPABLE = frozenset({"title", "summary", "group", "time", "timezone", "attendees", "tags"})


def _check_fields(raw: dict, yaml_text: str, problems: list[Problem], key_dated: bool) -> dict:
    meta: dict = {}
    for name, value in raw.items():
        line = _key_line(yaml_text, name)
        if name not in KNOWN_KEYS:
            import difflib   # only for an unknown key: most front matter has none
            close = difflib.get_close_matches(str(name).lower(), KNOWN_KEYS, n=1, cutoff=0.75)
            if close:
                problems.append(error("front-matter-typo", f"Unknown front-matter key '{name}'.",
                                      f"Did you mean '{close[0]}'? Rename the key.", line, 1))
            else:
                # Kept and harmless (`author:`, `layout:`): nothing for the scribe to fix.
                problems.append(info("front-matter-unknown-key",
                                        f"Front-matter key '{name}' is not used; it is kept.",
                                        "Known keys: " + ", ".join(KNOWN_KEYS) + ".", line, 1))
            continue
        if value is None:  # `title:` left empty, as templates do: the same as not given
            continue
        checked = _FIELD_CHECKS[name](value)
        if isinstance(checked, _Bad):
            if name in _DROPPABLE or (name == "date" and key_dated):
                fallback = "the date in the file name is used" if name == "date" else \
                    "it was left out of the page"
                problems.append(warning(checked.code, f"Front matter '{name}': "
                                        f"{checked.message} Ignored: {fallback}.",
                                        checked.hint, line, 1))
                continue
            problems.append(error(checked.code, f"Front matter '{name}': {checked.message}",
                                  checked.hint, line, 1))
            meta.setdefault(_INVALID, set()).add(name)
        elif checked is not None:
            meta[name] = checked
    return meta


@dataclass(frozen=True)
class _Bad:
    message: str
    hint: str
    code: str = "front-matter-type"


def _text(value, *, limit: int = 300):
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        flat = " ".join(str(value).split())
        return flat[:limit] if flat else None
    return _Bad(f"expected text, got {_kind(value)}.", "Write a single line of text.")


def _date_value(value):
    text = str(value).strip() if isinstance(value, (str, int)) else None
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text or "")
    if not match:
        return _Bad(f"'{value}' is not a date in the form YYYY-MM-DD.", "Write e.g. date: 2024-05-07.")
    try:
        day = dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return _Bad(f"{text} is not a real day.", "Check the month and the day.", "date-invalid")
    if not keys.FIRST_YEAR <= day.year <= keys.LAST_YEAR:
        return _Bad(f"{text} is not in the years {keys.FIRST_YEAR}-{keys.LAST_YEAR} that meetings "
                    "can have.", "Check the year: write e.g. date: 2024-05-07.", "date-invalid")
    return day


def _time_value(value):
    match = _TIME.match(str(value).strip()) if isinstance(value, (str, int)) else None
    if not match:
        return _Bad(f"'{value}' is not a time like 16:00.", "Write a 24-hour time: time: \"16:00\".")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _timezone_value(value):
    import zoneinfo   # only for a `timezone:` key (with sysconfig, ~2 ms of every process)
    name = str(value).strip()
    try:
        zoneinfo.ZoneInfo(name)
        return name
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder name
        return _Bad(f"'{name}' is not an IANA time zone.",
                    "Use a name like Europe/Berlin, America/Los_Angeles or UTC.", "timezone-unknown")


def _list_value(value):
    if isinstance(value, str):
        return tuple(p.strip() for p in re.split(r"[,\n]", value) if p.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(" ".join(str(v).split()) for v in value if str(v).strip())
    return _Bad(f"expected a list of names or a comma-separated line, got {_kind(value)}.",
                "Write e.g. attendees: [Ada Lovelace, Grace Hopper].")


def _tags_value(value):
    if isinstance(value, str):
        return tuple(t for t in re.split(r"[,\s]+", value) if t)
    return _list_value(value)


def _kind(value) -> str:
    """What a YAML value is, in a scribe's words rather than Python's."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a set of 'key: value' pairs"
    if isinstance(value, list):
        return "a list" if all(isinstance(v, (str, int, float)) for v in value) else \
            "a list holding lists or 'key: value' pairs"
    if isinstance(value, str):
        return "a line of text"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


def _bool_value(value):
    if isinstance(value, bool):
        return value
    return _Bad(f"expected true or false, got '{value}'.", "Write true or false.")


_FIELD_CHECKS = {
    "title": _text, "summary": lambda v: _text(v, limit=1000), "group": _text,
    "date": _date_value, "time": _time_value, "timezone": _timezone_value,
    "attendees": _list_value, "tags": _tags_value, "draft": _bool_value, "notify": _bool_value,
}


# --- title and date --------------------------------------------------------------------------

def _date(key: keys.MeetingKey, meta: dict, problems: list[Problem], parsed) -> dt.date | None:
    if "date" in meta:
        return meta["date"]
    if key.date:
        return key.date
    if "date" in meta.get(_INVALID, ()):
        return None  # the front matter's date is wrong, and that error says how to fix it
    far = keys.out_of_range_date_in(key.key)
    if far:   # decision 84's words for the same year in front matter (decision 89)
        problems.append(error("date-invalid", f"'{far}' in the key is not in the years "
                              f"{keys.FIRST_YEAR}-{keys.LAST_YEAR} that meetings can have.",
                              "Check the year: rename the file with the meeting's date, e.g. "
                              f"{keys.PREFIX}{key.group}/2024-05-07-meeting.md."))
        return None
    bad = keys.invalid_date_in(key.key)
    if bad:
        problems.append(error("date-invalid", f"'{bad}' in the key is not a real day.",
                              "Rename the file with the correct date (check month and day)."))
        return None
    meetings = sorted({d for _, d in _dated_headings(parsed)})
    if len(meetings) >= 2:
        # A year of running notes in one file: picking one of its dates would be a guess, and
        # the fix is to split it, not to name a date.
        problems.append(error(
            "date-missing", f"No meeting date in '{key.key}' or its front matter, and its "
            f"headings date {len(meetings)} meetings ({meetings[0].isoformat()} to "
            f"{meetings[-1].isoformat()}).",
            f"This looks like a running-notes file with {len(meetings)} meetings; the archive has "
            "one page, feed entry and email per meeting. Upload one file per meeting named "
            f"<yyyy-mm-dd>-<topic>.md, e.g. {keys.PREFIX}{key.group}/"
            f"{meetings[-1].isoformat()}-meeting.md holding the notes under that date's heading."))
    else:
        problems.append(error("date-missing", f"No meeting date in '{key.key}' or its front matter.",
                              FIX_DATE_HINT))
    return None


def _dated_headings(parsed: Parsed) -> list[tuple[object, dt.date]]:
    """(heading block, first date in its text) for every heading that carries a date."""
    found = []
    for heading in parsed.headings:
        if dates := _dates_in(heading.block.inline.plain):
            found.append((heading.block, dates[0]))
    return found


def _title(parsed, meta: dict, key: keys.MeetingKey, date: dt.date | None,
           group_name: str | None = None) -> tuple[str, bool]:
    if meta.get("title"):
        return meta["title"], False
    first_h1, first_any = None, None
    for heading in parsed.headings:
        text = heading.block.inline.plain
        if text and first_any is None:
            first_any = text
        if text and heading.block.level == 1:
            first_h1 = text
            break
    if first_h1:
        return first_h1[:300], True
    if first_any:
        return first_any[:300], False
    group = group_name or default_name(key.group)
    return (made_up_title(group, date) if date else f"{group} meeting"), False


# --- structure and warnings ------------------------------------------------------------------

def _structure_problems(parsed: Parsed, body_line: int) -> list[Problem]:
    if parsed.deepest >= MAX_NESTING - 2:
        return [_too_deep(f"{parsed.deepest}", body_line + parsed.deepest_line)]
    return []


def _too_deep(levels: str, line: int) -> Problem:
    return error("too-deep", f"Lists or quotes are nested {levels} levels deep.",
                 f"Keep nesting under {MAX_NESTING - 2} levels.", line, 1)


def _warnings(body: str, body_line: int, title: str, date: dt.date, parsed,
              key: keys.MeetingKey) -> list[Problem]:
    found: list[Problem] = []
    found += _title_date_warning(title, date)
    found += _fence_warning(body, body_line)
    found += _placeholder_warnings(body, body_line, title, parsed)
    found += _section_warnings(parsed, body_line)
    found += _tag_like_warnings(parsed, body, body_line)
    dated = [t for t, _ in _dated_headings(parsed)]
    if len(dated) >= 3:
        found.append(warning("several-meetings", f"{len(dated)} headings carry dates: this looks "
                             "like several meetings in one file.", "Upload one file per meeting "
                             "(<yyyy-mm-dd>-<topic>.md) so each gets its page, feed entry and email.",
                             body_line + dated[1].line, 1))
    if not _has_lines(body, 3):
        found.append(warning("stub", "The minutes are only a line or two.",
                             "Add what was discussed, or mark it 'draft: true' until it is written."))
    return found


def _has_lines(body: str, count: int) -> bool:
    """Whether the body has `count` lines that are not blank (looking no further): first in
    its start (a line cut there is not blank if its start is not), then in all of it."""
    return (len(body) > 2048 and _has_lines_in(body[:2048], count)) or _has_lines_in(body, count)


def _has_lines_in(body: str, count: int) -> bool:
    for line in body.splitlines():
        if line.strip():
            count -= 1
            if not count:
                return True
    return False


def _dates_in(text: str) -> list[dt.date]:
    if "19" not in text and "20" not in text:
        return []   # every form has a year 19xx or 20xx; most headings have none
    dates = []
    for m in _TEXT_DATE.finditer(text):
        try:
            if m.group("iso"):
                dates.append(dt.date.fromisoformat(m.group("iso")))
            elif m.group("mon"):
                dates.append(dt.date(int(m.group("y")), _MONTHS[m.group("mon").lower()[:3]], int(m.group("d"))))
            elif m.group("mon3"):
                dates.append(dt.date(int(m.group("y3")), _MONTHS[m.group("mon3").lower()[:3]], int(m.group("d3"))))
            else:
                dates.append(dt.date(int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))))
        except ValueError:
            continue
    return dates


def _title_date_warning(title: str, date: dt.date) -> list[Problem]:
    dates = _dates_in(title)
    if dates and date not in dates:
        return [warning("title-date-mismatch", f"The title says {dates[0].isoformat()} but the "
                        f"meeting date is {date.isoformat()}.",
                        "Correct the title or the file name; the file name (or front matter "
                        "'date') decides the date.")]
    return []


def _fence_warning(body: str, body_line: int) -> list[Problem]:
    open_fence, open_line = None, 0
    if "```" not in body and "~~~" not in body:
        return []
    text = "\n" + body       # every line after a line break, the first one too
    counted, number = 0, 0   # line numbers counted on from the last fence: linear
    for match in _FENCE.finditer(text):   # only the fence lines, not every line
        marker = match.group(1)
        start = match.start() + 1
        if open_fence is None:
            number += text.count("\n", counted, match.start())
            counted = match.start()
            open_fence, open_line = marker, number
            continue
        end = text.find("\n", start)
        line = text[start:end if end >= 0 else len(text)]
        if marker[0] == open_fence[0] and len(marker) >= len(open_fence) and not line.strip()[len(marker):].strip():
            open_fence = None
    if open_fence is None:
        return []
    return [warning("unclosed-fence", "A code block is opened here and never closed: the rest of "
                    "the file shows as code.", f"Add a closing '{open_fence}' line where the code ends.",
                    body_line + open_line, 1)]


def _placeholder_warnings(body: str, body_line: int, title: str, parsed) -> list[Problem]:
    found = []
    if title.strip().upper() in ("TBD", "TODO", "TITLE", "UNTITLED"):
        found.append(warning("placeholder", f"The title is a placeholder ('{title}').",
                             "Give the meeting a real title (first '# ' heading or 'title:')."))
    match = _placeholder_in_text(body, parsed)
    if match:
        line, column, text = match
        found.append(warning("placeholder", f"Template placeholder '{text}' left in.",
                             "Replace it with the real value.", body_line + line, column))
    return found


def _placeholder_in_text(body: str, parsed) -> tuple[int, int, str] | None:
    """(0-based line, column, placeholder) of the first placeholder a reader sees as text:
    not in code (`{{produces}}` in a code sample), not quoted ("a subject like 'Status for
    YYYY-MM-DD'" mentions the template, it does not fill it in)."""
    if not any(mark in body for mark in _PLACEHOLDER_MARKS) or _PLACEHOLDER.search(body) is None:
        return None
    lines = body.split("\n")
    for block in parsed.blocks:
        if block.inline is None:
            continue
        for line, content, _ in block.inline.runs:
            for match in _PLACEHOLDER.finditer(content):
                before = content[:match.start()]
                if before.count('"') % 2 or before.count("\u201c") > before.count("\u201d"):
                    continue
                column = lines[line].find(match.group()) + 1 if line < len(lines) else 0
                return line, max(column, 1), match.group()
    return None


def _tag_like_warnings(parsed, body: str, body_line: int) -> list[Problem]:
    """One warning per distinct tag-like word: shown as text, but `code` is what was meant."""
    words = tag_like_words(parsed)
    if not words:
        return []
    lines = body.split("\n")
    found, seen = [], set()
    for line, word in words:
        if word in seen:
            continue
        seen.add(word)
        column = lines[line].find(word) + 1 if line is not None and line < len(lines) else 0
        # An info: the page already shows what the scribe wrote (`Vec<T>`), nothing to fix.
        found.append(info(
            "tag-like-text", f"'{word}' looks like an HTML tag; it is shown as text.",
            f"A browser would hide it if it were HTML. Write it as code (`{word}`) to make that "
            "explicit, or escape the '<' as '\\<'.",
            body_line + line if line is not None else None, column or None))
    return found[:10]


def _section_warnings(parsed: Parsed, body_line: int) -> list[Problem]:
    found = []
    blocks = parsed.blocks
    for heading in parsed.headings:   # each knows its place among the blocks
        block, here = heading.block, heading.at
        nxt = blocks[here + 1] if here + 1 < len(blocks) else None
        empty = nxt is None or (nxt.type == "heading" and nxt.level <= block.level)
        if empty:
            text = block.inline.plain
            # An info: templates leave headings empty ("Q&A", "Other") and nobody fills them in.
            found.append(info("empty-section", f"Section '{text}' is empty.",
                                 "Write what was said, or remove the heading.",
                                 body_line + block.line, 1))
    return found[:10]
