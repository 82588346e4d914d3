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

Incremental updates (the index service): `plan_update(before=, after=, records=, read=)` is
one change set's new files: it needs the listed meetings of the days the changes touch (light
entries are enough), the changed meetings' new records, and a way to read the current files.
A changed meeting touches only the shards its words are in, before (from its k/ file) and after
(`shard_for`), and its own d/ and k/ files; a same-day meeting whose id moved is renamed in its
shards. Whatever the sequence, the files equal `search_files(all records)`
(tests/unit/test_search.py). `shard_file(shard, docs)` builds one shard from scratch.
"""
from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import re
from typing import Iterable

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


def patch_shard(shard: str, current: bytes | None, *, remove: Iterable[int] = (),
                rename: dict[int, int] | None = None,
                add: Iterable[tuple[int, MeetingRecord]] = ()) -> bytes | None:
    """The shard's file after taking the ids in `remove` out, renaming ids (old -> new, all at
    once) and putting the (id, record) pairs of `add` in: the same bytes shard_file would give
    for the resulting set."""
    return _patch(current, remove=remove, rename=rename, added=_postings(shard, add))


def _patch(current: bytes | None, *, remove: Iterable[int], rename: dict[int, int] | None,
           added: dict[str, list[int]]) -> bytes | None:
    postings = _read_shard(current) if current else {}
    gone, rename = set(remove), rename or {}
    for word in list(postings):
        postings[word] = [(rename.get(p >> 1, p >> 1) << 1) | (p & 1) for p in postings[word]
                          if p >> 1 not in gone]
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


def plan_update(*, before: Iterable, after: Iterable, records: dict[tuple[str, str], MeetingRecord | None],
                read) -> dict[str, bytes | None]:
    """The search files one set of changes rewrites: path -> new bytes, or None to delete.

    before, after: every listed meeting of the days the changes touch, before and after them
    (MeetingRecords or light entries with group, meeting, date); records: (group, meeting) ->
    the changed meeting's record now (None when it was removed); read(path): the current bytes
    of a search file, or None. Reads only the k/ files of the changed and moved meetings, their
    d/ files when they moved, and the shards they are in."""
    old_ids, new_ids = doc_ids(before), doc_ids(after)
    remove: dict[str, set[int]] = {}
    rename: dict[str, dict[int, int]] = {}
    add: dict[str, dict[str, list[int]]] = {}   # shard -> word -> postings (terms found once)
    out: dict[str, bytes | None] = {}

    def shards_of(doc_id: int) -> list[str]:
        data = read(keys_path(doc_id))
        return json.loads(data) if data else []

    for key in sorted(old_ids.keys() | new_ids.keys()):
        old, new = old_ids.get(key), new_ids.get(key)
        if key in records:
            if old is not None:
                for shard in shards_of(old):
                    remove.setdefault(shard, set()).add(old)
            record = records[key]
            if new is not None and record is not None and record.listed:
                found = terms(record)
                for word, in_title in found.items():
                    add.setdefault(shard_key(word), {}).setdefault(word, []).append(new * 2 + in_title)
                out[doc_path(new)] = doc_file(record)
                out[keys_path(new)] = _json(sorted({shard_key(word) for word in found}))   # keys_file
        elif old != new:
            if old is None or new is None:
                raise ValueError(f"search: {key} joins or leaves the index without its record: "
                                 "pass it in records")
            for shard in shards_of(old):
                rename.setdefault(shard, {})[old] = new
            out[doc_path(new)], out[keys_path(new)] = read(doc_path(old)), read(keys_path(old))
    for old in set(old_ids.values()) - set(new_ids.values()):
        out.setdefault(doc_path(old), None)
        out.setdefault(keys_path(old), None)
    for shard in sorted(remove.keys() | rename.keys() | add.keys()):
        out[shard_path(shard)] = _patch(read(shard_path(shard)), remove=remove.get(shard, ()),
                                        rename=rename.get(shard), added=add.get(shard, {}))
    return dict(sorted(out.items()))


def search_files(records: Iterable[MeetingRecord]) -> dict[str, bytes]:
    """Every file of the search index (path -> bytes), for the listed records."""
    records = searchable(records)
    ids = doc_ids(records)
    docs = [(ids[(r.group, r.meeting)], r) for r in records if (r.group, r.meeting) in ids]
    by_shard: dict[str, dict[str, list[int]]] = {}
    for doc_id, record in sorted(docs, key=lambda d: d[0]):
        for word, in_title in terms(record).items():
            by_shard.setdefault(shard_key(word), {}).setdefault(word, []).append(doc_id * 2 + in_title)
    files = {doc_path(doc_id): doc_file(record) for doc_id, record in docs}
    files.update((keys_path(doc_id), keys_file(record)) for doc_id, record in docs)
    files.update((shard_path(shard), _shard_bytes(postings)) for shard, postings in by_shard.items())
    return dict(sorted(files.items()))


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
