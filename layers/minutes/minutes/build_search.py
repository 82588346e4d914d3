"""The search index of `minutes build`, made by the same incremental planning as the index
function (search.plan_days), so that a build holds one batch of whole records at a time and a
rebuild touches only the shards of the days that changed.

A cold build (or one without a usable last index) makes the index in one pass, one whole
record held at a time (search.index_files: what it keeps is the postings); a rebuild redoes only
the days of the meetings whose record changed (added, removed, edited, moved), a batch of days
at a time, reading the current files from the site folder the last build wrote. Meeting ids
depend only on the meetings of the same day (search.py), so batches of whole days never touch
each other's ids (two batches may share a week's d/ and k/ files: each reads the other's
result through `current`). plan_days's promise (tests/unit/test_search.py) is that the files equal
search.search_files(every listed record), whatever the order of the changes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from . import search
from .model import MeetingRecord

BATCH = 200   # whole records a rebuild holds at once, about (a day is never split)


class Entry(NamedTuple):
    """What search ids need of a listed meeting (search.doc_ids)."""
    group: str
    meeting: str
    date: dt.date
    listed: bool = True


def fresh(records: Iterable[MeetingRecord], whole: Callable[[tuple[str, str]], MeetingRecord],
          words: Callable[[tuple[str, str]], search.Words | None] = lambda key: None,
          ) -> Iterator[tuple[str, bytes]]:
    """Every file of a new index (path, bytes), as search.search_files would give them, from
    the light records of a build; words(key): its meeting's packed words as its assembly found
    them (the store keeps them with the meeting), else None and whole(key) is read for them."""
    listed = search.searchable(records)
    light = {(r.group, r.meeting): r for r in listed}
    chosen = fresh_order(listed)

    def docs():
        for doc_id, key in chosen:
            packed = words(key)
            yield (doc_id, light[key], packed) if packed is not None else (doc_id, whole(key), None)
    return search.index_files(docs(), listed=len(listed))


def fresh_order(records: Iterable[MeetingRecord]) -> list[tuple[int, tuple[str, str]]]:
    """(id, (group, meeting)) of every listed meeting that has an id, in id order: the order
    search.index_files takes them in."""
    listed = search.searchable(records)
    ids = search.doc_ids(listed)
    return sorted((ids[key], key) for key in dict.fromkeys((r.group, r.meeting) for r in listed) if key in ids)


def plan(*, before: dict[tuple[str, str], Entry] | None, after: Iterable[MeetingRecord],
         changed: set[tuple[str, str]], whole: Callable[[tuple[str, str]], MeetingRecord],
         read: Callable[[str], bytes | None],
         whole_before: Callable[[tuple[str, str]], MeetingRecord | None] = lambda key: None,
         ) -> dict[str, bytes | None]:
    """The search files to write (path -> bytes) or remove (None).

    before: the listed meetings of the last build (None: there is no usable last index, start
    from an empty one); after: every record of this build (light ones are enough); changed: the
    (group, meeting) whose record is not the one the last build indexed; whole(key): its whole
    record; read(path): a search file as the last build left it; whole_before(key): the whole
    record the last build indexed, or None when it is gone. With it, a batch of days that
    holds the same meetings as before (a correction, the common rebuild) patches only the
    shards of the words that changed (_changed_shards), not every shard of those days. The
    last index must have the term files of this build's count (search.needs_reshard false:
    the build makes a fresh index otherwise)."""
    now = {(r.group, r.meeting): Entry(r.group, r.meeting, r.date) for r in after if r.listed}
    if before is None:
        before, changed = {}, set(now)
    days_before: dict[dt.date, list[Entry]] = {}
    for entry in before.values():
        days_before.setdefault(entry.date, []).append(entry)
    days_after: dict[dt.date, list[Entry]] = {}
    for entry in now.values():
        days_after.setdefault(entry.date, []).append(entry)
    touched: dict[dt.date, set[tuple[str, str]]] = {}
    for key in changed:
        for entry in (before.get(key), now.get(key)):
            if entry is not None:
                touched.setdefault(entry.date, set()).add(key)
    out: dict[str, bytes | None] = {}

    def current(path: str) -> bytes | None:
        return out[path] if path in out else read(path)

    batch_days: list[dt.date] = []
    size = 0
    for day in sorted(touched):
        batch_days.append(day)
        size += len(days_after.get(day, ()))
        if size >= BATCH:
            only = _changed_shards(batch_days, days_before, days_after, touched, whole, whole_before)
            out.update(_apply(batch_days, days_before, days_after, whole, current, only, len(now)))
            batch_days, size = [], 0
    if batch_days:
        only = _changed_shards(batch_days, days_before, days_after, touched, whole, whole_before)
        out.update(_apply(batch_days, days_before, days_after, whole, current, only, len(now)))
    return out


def _changed_shards(days, days_before, days_after, touched, whole, whole_before) -> set[str] | None:
    """The shards whose postings for these days can differ, or None when any can: when each
    day holds the same listed meetings as before (so every id stays), only the shards of the
    words a changed meeting gained, lost or moved in or out of its title."""
    shards: set[str] = set()
    for day in days:
        if {(e.group, e.meeting) for e in days_before.get(day, ())} != \
                {(e.group, e.meeting) for e in days_after.get(day, ())}:
            return None
        for key in touched[day]:
            old = whole_before(key)
            if old is None:
                return None
            old_terms, new_terms = search.terms(old), search.terms(whole(key))
            shards.update(search.shard_key(word) for word in old_terms.keys() | new_terms.keys()
                          if old_terms.get(word) != new_terms.get(word))
    return shards


def _apply(days, days_before, days_after, whole, current, only, listed) -> dict[str, bytes | None]:
    """One batch of days redone: their meetings before (light) and now (whole records)."""
    return dict(search.plan_days(
        before=[e for day in days for e in days_before.get(day, ())],
        after=[whole((e.group, e.meeting)) for day in days for e in days_after.get(day, ())],
        listed=listed, read=current, only=only))
