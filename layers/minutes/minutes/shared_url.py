"""Meetings of one group that give one URL segment: each published, by one order (decision 110).

A meeting's URL segment is its date and the rest of its name as a slug (keys.py), so different
keys can give one segment: the date spelled another way (`2019-04-18.md`, `2019.04.18.md`,
`20190418.md`, `2019/04/18.md`), placed elsewhere (`x-2019-04-18.md`, `2019-04-18-x.md`,
`x/2019-04-18.md`), words that slugify alike (`2019-04-18 Sync.md`, `2019-04-18-sync.md`), a
dated folder beside a file (`2019-04-18-x/NOTES.md`), an undated file whose front matter
gives the date, a running-notes section of that date. Every one of them is published (a
corpus meeting whose date can be found must publish: ../shared/DESIGN.md): the twins of one
segment, sorted by meeting id (`group/<meeting>` is unique; a running-notes section's is
`<date>[-n]@notes`), get the segment, `-2`, `-3`, ... in that order, in `minutes build`,
`minutes check` and publish alike, never by arrival. So a twin's URL moves when a twin that
sorts before it comes or goes (publish moves its page); its feed id is its meeting's, which
no twin moves. Each of them is warned (shared-url) with the other keys and every one's URL.
Pure: no AWS, no file system.
"""
from __future__ import annotations

import re

from .problems import Problem, warning

_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def placed(segment: str, meetings, taken=lambda segment: False) -> dict[str, str]:
    """meeting -> the URL segment it is published at, for the meetings that want `segment`:
    in meeting-id order, the first gets it, the next `-2`, `-3`, ..., skipping a `-n` that
    `taken(-n)` says another meeting of the group wants as its own (`2024-01-05-2.md`, the
    second section of a date): that one keeps its URL, whatever the order (decision 117).
    Twins of two segments never meet at a `-n`: `x-n` names `x` alone (twinned)."""
    places, n = {}, 1
    for meeting in sorted(meetings):
        if places:
            n += 1
            while taken(f"{segment}-{n}"):
                n += 1
        places[meeting] = f"{segment}-{n}" if places else segment
    return places


def twinned(segment: str) -> str | None:
    """The segment whose twins `placed` may put at `segment` (`x` for `x-2`), or None: a
    meeting wanting `segment` as its own moves that segment's twins when it comes or goes.
    Only a `-n` with n >= 2 written as placed writes it, after a whole date (a segment opens
    with `yyyy-mm-dd`: `2024-01-15` is a date, not `2024-01` and `-15`)."""
    base, _, n = segment.rpartition("-")
    if not (n.isascii() and n.isdigit()) or n[0] == "0" or n == "1" or len(base) < 10 or not _DATE.match(base):
        return None
    return base


def url_of(group: str, segment: str) -> str:
    """The published URL a segment gives."""
    return f"/{group}/{segment}/"


def shared_url(key: str, urls: dict[str, str]) -> Problem:
    """The warning for `key`, one of the sources `urls` (key -> the URL each is published at)
    whose names give one URL: each is published, at the URL beside it."""
    others = " and ".join(f"{k} (at {u})" for k, u in sorted(urls.items()) if k != key)
    return warning("shared-url", f"{key} and {others} give one URL (the same date, and the rest "
                   f"of their names the same once made a URL): all are published, {key} at "
                   f"{urls[key]}, in the order of their names; this one's URL moves when one that "
                   "sorts before it is added or deleted",
                   "if they are one meeting, keep one: merge what the other says into it, then "
                   "delete the other (a stub saying 'renamed to ...' too); if they are different "
                   "meetings, rename one so that its name says what differs (a topic after the "
                   "date: <yyyy-mm-dd>-<topic>.md)", file=key)
