"""The static search index, chunked so that a query downloads only what it needs (pure,
deterministic: the same records give the same files).

Files (under /search/):
  t/<hex>.json   a term shard: for every word whose first three characters (code points) are
                 the shard's key -- or the whole word, for words of one or two -- the meetings
                 that have it, as {"w": {word: [delta-coded id*2+in_title, ...]}}; <hex> is the
                 key's UTF-8 in hex (any script, a safe file name).
  d/<id>.json    what a result shows of one meeting: title, date, group, path, status, summary.
  k/<id>.json    the shards one meeting's words are in (read by the index, never by readers),
                 so that a change can take it out of them without its old text.
There is no manifest: a term whose shard does not exist matches nothing (the fetch gets 404).

A query fetches one shard per word (1-2 letter words match whole words, longer ones also the
start of words), intersects, ranks (a word of the title counts 10, elsewhere 1; then newest
first) and fetches the d/ files of the results it shows (static/search.js).

Ids: a meeting's id is day * 64 + its rank among that day's listed meetings (by group, then
meeting), the day counted from 1900-01-01. Ids are small, dense and in date order (so the
postings compress and newest-first needs nothing else), and a meeting's id changes only when a
meeting of the same day sorting before it comes or goes. A day's 65th meeting and later are
left out of the search (they are still in the archive).

Incremental updates (the index service): `plan_days(before=, after=, read=)` (or `read_many=`) redoes the days
a change set touches: it needs the listed meetings of those days as they were (light entries
are enough) and as they are (full records: their words), and a way to read the current files.
It touches only the shards those meetings' words are in, before (from their k/ files) and
after (`shard_for`), and their d/ and k/ files. Whatever the sequence, and however often a
plan is applied, the files equal `search_files(all records)` (tests/unit/test_search.py).
`shard_file(shard, docs)` builds one shard from scratch.
"""
from __future__ import annotations

import array
import bisect
import datetime as dt
import html
import itertools
import json
import re
from typing import Iterable, Iterator

from .model import MeetingRecord

PAGE_PATH = "/search/"
TERMS_DIR = "/search/t/"
DOCS_DIR = "/search/d/"
KEYS_DIR = "/search/k/"
MAX_WORD = 40
DAY_SLOTS = 64
KEY_LENGTH = 3
_EPOCH = dt.date(1900, 1, 1).toordinal()
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')   # attribute values may hold '>'
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|pre|blockquote|div|section)>|<br\s*/?>", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’.+#-][^\W_]+)*")


# --- words -------------------------------------------------------------------------------------


def plain_text(fragment: str) -> str:
    """The text of a sanitised fragment, blocks separated by spaces."""
    return " ".join(html.unescape(_TAG.sub(" ", _BLOCK_END.sub(" ", fragment))).split())


def words(text: str) -> list[str]:
    """Distinct lower-case words in order of first appearance ("don't", "v1.2", "k8s" kept whole)."""
    return [word for word in dict.fromkeys(_WORD.findall(text.lower())) if len(word) <= MAX_WORD]


def terms(record: MeetingRecord) -> dict[str, bool]:
    """Every searchable word of a meeting -> whether it is in the title. The title, the group,
    the date (2022-09-20) and the text of the minutes."""
    found = dict.fromkeys(words(record.title), True)
    for word in words(f"{record.group} {record.date.isoformat()} {plain_text(record.content_html)}"):
        found.setdefault(word, False)
    return found


def shard_key(word: str) -> str:
    return word[:KEY_LENGTH]


def shard_path(shard: str) -> str:
    return f"{TERMS_DIR}{shard.encode('utf-8').hex()}.json"


def doc_path(doc_id: int) -> str:
    return f"{DOCS_DIR}{doc_id}.json"


def keys_path(doc_id: int) -> str:
    return f"{KEYS_DIR}{doc_id}.json"


# --- planning ----------------------------------------------------------------------------------


def searchable(records: Iterable[MeetingRecord]) -> list[MeetingRecord]:
    return [r for r in records if r.listed]


def doc_ids(records: Iterable) -> dict[tuple[str, str], int]:
    """(group, meeting) -> id for the listed meetings (anything with group, meeting, date and,
    optionally, listed). Give it every listed meeting of the days concerned: an id depends on
    the other meetings of the same day."""
    ids = {}
    listed = [r for r in records if getattr(r, "listed", True)]
    by_day = itertools.groupby(sorted(listed, key=lambda r: (r.date, r.group, r.meeting)),
                               key=lambda r: r.date)
    for day, same_day in by_day:
        for rank, record in enumerate(same_day):
            if rank < DAY_SLOTS:
                ids[(record.group, record.meeting)] = (day.toordinal() - _EPOCH) * DAY_SLOTS + rank
    return ids


def shard_for(record: MeetingRecord) -> set[str]:
    """The shards a meeting's words fall in (a change touches those of the old and the new
    version of the record)."""
    return {shard_key(word) for word in terms(record)} if record.listed else set()


def shard_file(shard: str, docs: Iterable[tuple[int, MeetingRecord]]) -> bytes | None:
    """The shard's file from (id, record) of the meetings with words in it (others are
    ignored); None when no word falls in it (the file should not exist)."""
    return _shard_bytes(_postings(shard, docs))


def patch_shard(shard: str, current: bytes | None, *, days: Iterable[int],
                add: Iterable[tuple[int, MeetingRecord]] = ()) -> bytes | None:
    """The shard's file with every id of the given days (day numbers, id // DAY_SLOTS) taken
    out and the (id, record) pairs of `add` put in: when `add` is every listed meeting of those
    days, the same bytes shard_file would give, however often it is applied."""
    return _patch(current, days=set(days), added=_postings(shard, add))


def _patch(current: bytes | None, *, days: set[int], added: dict[str, list[int]]) -> bytes | None:
    postings = _read_shard(current) if current else {}
    removed: dict[str, set[int]] = {}
    # A word's postings are sorted (ids in date order), so one bisection finds the words
    # with none in the days' span: most of a shard, left as they are.
    low, high = (min(days) * 2 * DAY_SLOTS, (max(days) + 1) * 2 * DAY_SLOTS) if days else (0, 0)
    for word, values in list(postings.items()):
        start = bisect.bisect_left(values, low)
        if start == len(values) or values[start] >= high:
            continue
        end = bisect.bisect_left(values, high, start)
        kept = values[:start] + [p for p in values[start:end] if (p >> 1) // DAY_SLOTS not in days] + values[end:]
        if len(kept) != len(values):
            removed[word] = set(values) - set(kept)
            postings[word] = kept
    if removed.keys() == added.keys() and all(removed[w] == set(added[w]) for w in added):
        return current   # the same postings out and in (an edit that kept these words)
    for word, more in added.items():
        postings[word] = postings.get(word, []) + more
    return _shard_bytes(postings)


def doc_file(record: MeetingRecord) -> bytes:
    """What a search result shows of one meeting."""
    return _json({"title": record.title, "date": record.date.isoformat(), "group": record.group,
                  "path": record.url_path, "status": record.status, "summary": record.summary})


def keys_file(record: MeetingRecord) -> bytes:
    """The shards a meeting's words are in (for the index, never fetched by readers)."""
    return _json(sorted(shard_for(record)))


def plan_days(*, before: Iterable, after: Iterable[MeetingRecord], read=None,
              read_many=None) -> list[tuple[str, bytes | None]]:
    """The search files that make the index right again for some whole days: (path, new bytes
    or None to delete), in the order to write them.

    before: the listed meetings of those days as the index last had them (records or light
    entries with group, meeting, date); after: the full records of every listed meeting of
    those days now; read(path): the current bytes of a search file, or None; or instead
    read_many(paths): {path: bytes or None} for many at once (the index reads them
    concurrently, in two rounds). Reads the k/ files of the days' old ids and the shards
    concerned, nothing else. Every shard in the plan differs from what was read.

    Each day is redone whole (its ids out of every shard they were or will be in, then its
    meetings' postings in), so applying the plan twice, or again after a write failed halfway,
    gives the same files: term shards are written first and the k/ files last, so while a
    retry is owed, the k/ files still name every shard an old id may be in."""
    before, after = list(before), searchable(after)
    old_ids, new_ids = doc_ids(before), doc_ids(after)
    days = {(r.date.toordinal() - _EPOCH) for r in [*before, *after]}
    docs = sorted(((new_ids[(r.group, r.meeting)], r) for r in after if (r.group, r.meeting) in new_ids),
                  key=lambda d: d[0])
    added: dict[str, dict[str, list[int]]] = {}   # shard -> word -> postings (terms found once)
    own: dict[int, set[str]] = {}
    for doc_id, record in docs:
        for word, in_title in terms(record).items():
            added.setdefault(shard_key(word), {}).setdefault(word, []).append(doc_id * 2 + in_title)
            own.setdefault(doc_id, set()).add(shard_key(word))
    if read_many is None:
        def read_many(paths):
            return {path: read(path) for path in paths}
    shards = set(added)
    for data in read_many([keys_path(doc_id) for doc_id in sorted(set(old_ids.values()))]).values():
        shards.update(json.loads(data) if data else [])
    found = read_many([shard_path(shard) for shard in sorted(shards)])
    out: list[tuple[str, bytes | None]] = []
    for shard in sorted(shards):
        current = found[shard_path(shard)]
        patched = _patch(current, days=days, added=added.get(shard, {}))
        if patched != current:   # the shards of the day's other meetings mostly stay the same
            out.append((shard_path(shard), patched))
    out += [(doc_path(doc_id), doc_file(record)) for doc_id, record in docs]
    gone = sorted(set(old_ids.values()) - set(new_ids.values()))
    out += [(doc_path(doc_id), None) for doc_id in gone]
    out += [(keys_path(doc_id), _json(sorted(own.get(doc_id, ())))) for doc_id, _ in docs]   # keys_file
    out += [(keys_path(doc_id), None) for doc_id in gone]
    return out


def search_files(records: Iterable[MeetingRecord]) -> dict[str, bytes]:
    """Every file of the search index (path -> bytes), for the listed records."""
    records = searchable(records)
    ids = doc_ids(records)
    return dict(sorted(index_files((ids[(r.group, r.meeting)], r) for r in records
                                   if (r.group, r.meeting) in ids)))


def index_files(docs: Iterable[tuple[int, MeetingRecord]]) -> Iterator[tuple[str, bytes]]:
    """search_files's files from (id, listed record) pairs in any order, one record at a time
    (so `docs` may load each when asked): a meeting's d/ and k/ files as it comes, then every
    shard. What is held meanwhile is the postings (4 bytes each: every id of a date Python
    can hold, times two, fits in a signed 32-bit int), not the records."""
    by_shard: dict[str, dict[str, array.array]] = {}
    for doc_id, record in docs:
        shards = set()
        for word, in_title in terms(record).items():
            shard = shard_key(word)
            shards.add(shard)
            postings = by_shard.setdefault(shard, {})
            if word not in postings:
                postings[word] = array.array("i")
            postings[word].append(doc_id * 2 + in_title)
        yield doc_path(doc_id), doc_file(record)
        yield keys_path(doc_id), _json(sorted(shards))   # keys_file, without finding the terms again
    for shard in list(by_shard):
        yield shard_path(shard), _shard_bytes(by_shard.pop(shard))


def is_search_file(path: str) -> bool:
    """A file search_files makes (the index prunes those its plan no longer has)."""
    return path.startswith((TERMS_DIR, DOCS_DIR, KEYS_DIR)) and path.endswith(".json")


# --- encoding ----------------------------------------------------------------------------------


def _postings(shard: str, docs: Iterable[tuple[int, MeetingRecord]]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = {}
    for doc_id, record in docs:
        if not record.listed:
            continue
        for word, in_title in terms(record).items():
            if shard_key(word) == shard:
                postings.setdefault(word, []).append(doc_id * 2 + in_title)
    return postings


def _shard_bytes(postings: dict[str, list[int]]) -> bytes | None:
    encoded = {}
    for word in sorted(postings):
        values = sorted(set(postings[word]))
        if values:
            encoded[word] = [values[0]] + [b - a for a, b in zip(values, values[1:])]
    return _json({"w": encoded}) if encoded else None


def _read_shard(data: bytes) -> dict[str, list[int]]:
    postings = {}
    for word, deltas in json.loads(data)["w"].items():
        postings[word] = list(itertools.accumulate(deltas))
    return postings


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
