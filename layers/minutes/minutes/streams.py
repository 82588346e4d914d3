"""Listings as streams: which lists a meeting is in, and how a list is cut into pages (pure).

A stream is one sorted list of meetings, named by the site path of its front page:
`/` (every listed meeting), `/<year>/`, `/<group>/` (its minutes), `/<group>/<year>/`, and
`/<group>/#upcoming` (its agenda-only meetings, shown on the group's front page). The order is
model.order_key, newest first.

Pages are numbered from the OLDEST meeting, so a page, once full, never changes when newer
meetings arrive: page k holds the meetings of rank (k-1)*P .. k*P-1 (rank 0 = the oldest), and
only full pages exist. The front page shows the newest P. So one new meeting changes the
front page and, every P meetings, adds one numbered page (and the link to it from the page
before); an old meeting added, removed or re-dated changes the pages from its own to the
newest. `minutes build` and the index function cut pages with these same functions, so their
output is the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from .model import MeetingRecord, order_key

UPCOMING = "#upcoming"


def streams_of(record: MeetingRecord) -> dict[str, str]:
    """Stream -> the record's position (sort key) in it; empty for a record that is not listed."""
    if not record.listed:
        return {}
    at, year, group = order_key(record), record.date.year, f"/{record.group}/"
    own = group if record.status == "published" else group + UPCOMING
    return {"/": at, f"/{year}/": at, own: at, f"{group}{year}/": at}


def scope_of(stream: str) -> str:
    """`/` for the site-wide streams, `/<group>/` for a group's."""
    first = stream.strip("/").split("/", 1)[0]
    return "/" if not first or first.isdigit() else f"/{first}/"


def year_of(stream: str) -> int | None:
    last = stream.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def is_upcoming(stream: str) -> bool:
    return stream.endswith(UPCOMING)


def last_page(count: int, per_page: int) -> int:
    """How many numbered pages a stream of `count` meetings has: every full chunk of P from
    the oldest that the front page (the newest P) does not already show whole."""
    return (count - 1) // per_page if count > 0 else 0


def page_path(stream: str, number: int | None) -> str:
    """The site path of the front page (None) or of numbered page `number`."""
    return stream if number is None else f"{stream}page/{number}/"


@dataclass(frozen=True)
class Window:
    """The newest `len(entries)` meetings of a stream of `count`, newest first."""
    stream: str
    count: int
    entries: tuple[MeetingRecord, ...]
    per_page: int

    @property
    def last(self) -> int:
        return last_page(self.count, self.per_page)

    @property
    def lowest_rank(self) -> int:
        return self.count - len(self.entries)

    def front(self) -> list[MeetingRecord]:
        return list(self.entries[:self.per_page])

    def page(self, number: int) -> list[MeetingRecord]:
        """Page `number`'s meetings, newest first; the window must reach down to it."""
        start, end = (number - 1) * self.per_page, number * self.per_page
        if start < self.lowest_rank or number > self.last:
            raise ValueError(f"{self.stream} page {number} is not in this window")
        top = self.count - 1   # rank of entries[0]
        return list(self.entries[top - end + 1: top - start + 1])

    def numbers_from(self, rank: int) -> range:
        """The numbered pages holding rank `rank` and every newer one."""
        return range(rank // self.per_page + 1, self.last + 1)


def whole(stream: str, records: Iterable[MeetingRecord], per_page: int) -> Window:
    """A window over a whole stream (what `minutes build` renders)."""
    entries = tuple(sorted(records, key=order_key, reverse=True))
    return Window(stream, len(entries), entries, per_page)


def by_stream(records: Iterable[MeetingRecord]) -> dict[str, list[MeetingRecord]]:
    """Every stream of the given records, each with its members (unsorted)."""
    out: dict[str, list[MeetingRecord]] = {}
    for record in records:
        for stream in streams_of(record):
            out.setdefault(stream, []).append(record)
    return out


def years_in(streams: Iterable[str], scope: str) -> list[int]:
    """The years (newest first) that have a year stream in `scope`."""
    return sorted({y for s in streams if scope_of(s) == scope and (y := year_of(s)) is not None
                   and s == f"{scope}{y}/"}, reverse=True)


def neighbours_in(members: Sequence[MeetingRecord], record: MeetingRecord):
    """(older, newer) listed meeting of the record's group among `members` (the group's listed
    meetings, any order); (None, None) when the record is not listed."""
    if not record.listed:
        return None, None
    at = order_key(record)
    older = [r for r in members if order_key(r) < at]
    newer = [r for r in members if order_key(r) > at]
    return (max(older, key=order_key) if older else None,
            min(newer, key=order_key) if newer else None)
