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

from .problems import Problem, warning


def placed(segment: str, meetings) -> dict[str, str]:
    """meeting -> the URL segment it is published at, for the meetings that want `segment`:
    in meeting-id order, the first gets it, the next `-2`, `-3`, ..."""
    return {meeting: segment if n == 1 else f"{segment}-{n}"
            for n, meeting in enumerate(sorted(meetings), 1)}


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
