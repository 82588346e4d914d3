"""The static search index, chunked so that a query downloads only what it needs (pure,
deterministic: the same records give the same files).

Files (under /search/), decisions 37, 48 and 64:
  meta.json      {"shards": count}: how many term shards there are (`shard_count` of the
                 number of listed meetings: a power of two, about PER_SHARD meetings each, at
                 most SHARDS); absent while nothing is listed, and read as SHARDS when absent.
                 While a re-shard is under way it also holds "from" or "to" (reshard_steps).
  t/<shard>.json a term shard: the words whose prefix -- their first three characters (code
                 points), or the whole word for words of one or two -- hashes to the shard
                 (`shard_key`: FNV-1a of the prefix's UTF-8, modulo SHARDS, as three hex
                 digits; the file is that key modulo the count, `file_key`), each with the
                 meetings that have it, as {"w": {word: [delta-coded id*2+in_title, ...]}}.
                 At most SHARDS files, however large the vocabulary.
  d/<week>.json  what a result shows of each meeting of one week (`week_of(id)`: the ids of
                 CHUNK_DAYS days, Monday to Sunday), {"<id>": {title, date, group, path,
                 status, summary}}.
  k/<week>.json  the shards each meeting of one week has words in, {"<id>": [shard, ...]} (read
                 by the index, never by readers; shard_key's names, whatever the count: the
                 count divides SHARDS), so that a change can take a meeting out of them
                 without its old text.
There is no list of words or shards: a term whose shard does not exist matches nothing (the
fetch gets 404).

A query fetches one shard per word (1-2 letter words match whole words, longer ones also the
start of words; a word's prefix names its shard, which also holds the words of a few other
prefixes), intersects, ranks (a word of the title counts 10, elsewhere 1; then newest
first) and fetches the d/ files of the weeks of the results it shows (static/search.js).

Ids: a meeting's id is day * 64 + its rank among that day's listed meetings (by group, then
meeting), the day counted from 1900-01-01 (a Monday). Ids are small, dense and in date order
(so the postings compress and newest-first needs nothing else), and a meeting's id changes only
when a meeting of the same day sorting before it comes or goes. A day's 65th meeting and later
are left out of the search (they are still in the archive).

Words: `terms(record)`, the words of its title, group, date and the text of its rendered
minutes (content_html less its tags, entities decoded). The index service takes them from the
record's HTML; a cold build, from the Markdown walk's text when the page holds no raw HTML
(`packed_terms(record, shown)`, decision 66), which has the same words (proved in
tests/unit/test_search_words.py), so the same record always gives the same words, whichever
path indexed it and whenever it was stored.

Incremental updates (the index service): `plan_days(before=, after=, listed=, read=)` (or
`read_many=`) redoes the days a change set touches: it needs the listed meetings of those days
as they were (light entries are enough) and as they are (full records: their words), how many
meetings the archive lists, and a way to read the current files. It touches only the shards
those meetings' words are in, before (from the k/ files) and after (`shard_for`), and the d/
and k/ files of their weeks. When the number of listed meetings moves the count across a power
of two, or meta.json marks a move cut short (`needs_reshard`), the caller first moves every
term file to the new count (`reshard_steps`: words and postings move as they are, not found
again; under the count meta.json names, a word's postings are those of its home file, and
the steps keep those complete); and on every run it deletes the term files numbered at or
past the count (`stray_terms`: a cut move's). Whatever the sequence, however often a plan is
applied, and whatever plan was cut and dead-lettered then replayed later, the files equal
`search_files(all records)` (tests/unit/test_search.py). `shard_file(shard, docs)` builds one shard from scratch.
"""
from __future__ import annotations

import bisect
import collections
import datetime as dt
import html
import itertools
import json
import operator
import re
import struct
from typing import Iterable, Iterator, NamedTuple

from .lazy_re import lazy
from .model import MeetingRecord

PAGE_PATH = "/search/"
TERMS_DIR = "/search/t/"
DOCS_DIR = "/search/d/"
KEYS_DIR = "/search/k/"
MAX_WORD = 40
DAY_SLOTS = 64
KEY_LENGTH = 3
SHARDS = 1024                       # t/ files at most; shard_key's modulus (and search.js's)
PER_SHARD = 10                      # listed meetings per term shard, about (1,024 at 10,000)
META_PATH = "/search/meta.json"
CHUNK_DAYS = 7                      # the d/ and k/ files hold a week each (static/search.js)
_EPOCH = dt.date(1900, 1, 1).toordinal()
_TAG = re.compile(r'<[^>"]*(?:"[^"]*"[^>"]*)*>')   # attribute values may hold '>'
_BLOCK_END = lazy(r"</(?:p|li|h[1-6]|td|th|pre|blockquote|div|section)>|<br\s*/?>", re.I)
_WORD = re.compile(r"[^\W_]+(?:['’.+#-][^\W_]+)*")
# Characters that are never part of a word (_WORD joins words only with a connector between two
# word characters): stripped from the ends of a whitespace-separated token, what is left is one
# word when it is all word characters (str.isalnum is exactly _WORD's [^\W_]).
_NOT_WORD = ",.;:!?()[]{}\"'’*/\\|<>=~`@$%^&+#-_…“”‘«»"
# Every ASCII character that is neither a word character nor a connector, as a space: the
# pattern treats all such characters alike (it never takes one), so over the text with them
# made spaces it finds the same words, and most tokens with punctuation at an end (`word,`,
# `(note:`, `"quoted"`) or inside (`typeof(foo)`, a URL's '/') split into plain words that
# need no pattern (_word_set). On UTF-8 bytes (a table, whatever else the text holds): no
# byte of a character outside ASCII is below 0x80.
_PUNCTUATION = bytes(c for c in range(128) if not chr(c).isalnum() and chr(c) not in "'.+#-")
_TO_SPACE = bytes.maketrans(_PUNCTUATION, b" " * len(_PUNCTUATION))


# --- words -------------------------------------------------------------------------------------


def plain_text(fragment: str) -> str:
    """The text of a sanitised fragment, blocks separated by spaces."""
    return " ".join(html.unescape(_TAG.sub(" ", _BLOCK_END.sub(" ", fragment))).split())


def words(text: str) -> list[str]:
    """Distinct lower-case words in order of first appearance ("don't", "v1.2", "k8s" kept whole)."""
    found: dict[str, None] = {}
    findall = _WORD.findall
    # Distinct tokens first: most are one plain word once their punctuation is stripped, and
    # only the others go through the regex (the same words as _WORD.findall over the text).
    for token in dict.fromkeys(text.lower().split()):
        core = token.strip(_NOT_WORD)
        if core.isalnum():
            found[core] = None
        elif core:
            for word in findall(core):
                found[word] = None
    return [word for word in found if len(word) <= MAX_WORD]


class Words(NamedTuple):
    """terms() of a meeting packed as three strings, which pickle at a small fraction of the
    cost of a dict of hundreds of words: `minutes build` finds a meeting's words where it
    assembles the meeting (in any process) and stores them with it, so the process writing the
    index does not find every meeting's words alone. A word never holds whitespace (words()
    splits on it), so whitespace separates them: packed_terms puts the words of each pass
    (_PlaceMemo) together, PASSES parts in pass order with a newline between two, so that each
    pass of index_files splits out its own; within a part, order means nothing (the index
    sorts what it writes). A Words with other whitespace is read right, only slower."""
    title: str     # the words of the title (terms() True), whitespace-separated
    other: str     # the other words (terms() False), whitespace-separated
    shards: str    # keys_entry(record): the shards its words are in, space-separated


def packed_terms(record: MeetingRecord, shown: str | None = None) -> Words:
    """terms(record), packed: the same words, found with fewer steps per token (_word_set).
    `shown`: a text whose words are those of record.content_html (meeting.Assembled's
    search_text, from the Markdown walk), which spares taking the tags out of the HTML."""
    title = _word_set(record.title)
    rest = _word_set(_rest_text(record) if shown is None
                     else f"{record.group} {record.date.isoformat()} {shown}")
    rest -= title
    title, title_places = _by_pass(title)
    rest, places = _by_pass(rest)
    places.update(title_places)
    return Words(title, rest, " ".join(map(_HEX.__getitem__, sorted(map(_SHARD_OF.__getitem__, places)))))


# index_files makes the term files in this many passes (fewer when there are fewer files), each
# holding the postings of the words of its files alone: a quarter of the postings at a time
# (~1.2 MiB instead of ~4.7 at 1,000 meetings: the main process's share of a cold build's peak
# memory, decision 86). A pass reads each meeting's packed words again (~7 ms per 1,000).
PASSES = 4
_PASS_SHIFT = SHARDS.bit_length() - 1   # place >> _PASS_SHIFT: its pass (SHARDS: a power of two)


def _by_pass(found: set[str]) -> tuple[str, set[int]]:
    """The words space-separated, those of each pass together, in pass order, a newline
    between two passes' (PASSES parts, empty ones too); and the places of the words (_PlaceMemo).
    The places are looked up by prefix in C; each word then goes to its pass's list (a place
    is pass * SHARDS + shard), in one loop: no sort (the order within a part means nothing,
    and sorting ~600 words by place with a key list cost a third more; decision 106). A memo
    by word would be ~1 MiB more in each process while it assembles."""
    found = list(found)
    places = list(map(_PLACE_OF.__getitem__, map(_PREFIX, found)))
    parts: list[list[str]] = [[] for _ in range(PASSES)]
    for word, place in zip(found, places):
        parts[place >> _PASS_SHIFT].append(word)
    return "\n".join([" ".join(part) for part in parts]), set(places)


def _pass_words(packed: str, at: int, passes: int) -> list[str]:
    """The words of `packed` (a Words string) whose term file pass `at` of `passes` makes:
    its own parts (packed_terms's), or, of a string not made so, each word's pass looked up."""
    if passes == 1:
        return packed.split()
    parts = packed.split("\n")
    if len(parts) == PASSES:
        return parts[at].split() if passes == PASSES else \
            " ".join(parts[at::passes]).split()
    return [word for word in packed.split() if _PLACE_OF[word[:KEY_LENGTH]] // SHARDS % passes == at]


def _word_set(text: str) -> set[str]:
    """set(words(text)), unordered, with less work per token than words(): a distinct
    whitespace-separated token that is all word characters (str.isalnum is exactly the
    pattern's word character) is one word as it is, and the word pattern runs once over the
    other tokens, joined by spaces. A match never holds whitespace and the pattern looks at
    nothing before its start, so over any tokens, alone or joined, it finds what it finds over
    the whole text (tests/unit/test_search_words.py proves the equality). The text's ASCII
    punctuation is made spaces first (_TO_SPACE): a third of the distinct tokens of the bench's
    minutes hold some, and most of those become plain words that way."""
    tokens = set(text.lower().encode("utf-8", "surrogatepass").translate(_TO_SPACE)
                 .decode("utf-8", "surrogatepass").split())
    found = set(filter(str.isalnum, tokens))
    if len(found) != len(tokens):
        found.update(_WORD.findall(" ".join(tokens.difference(found))))
    if max(map(len, found), default=0) > MAX_WORD:
        found = {word for word in found if len(word) <= MAX_WORD}
    return found


def _text(fragment: str) -> str:
    """A sanitised fragment's text for its words: tags out (each a word boundary), entities
    decoded (plain_text's words: its block ends and whitespace join change no word)."""
    return html.unescape(_TAG.sub(" ", fragment))


def _title_and_rest(record: MeetingRecord) -> tuple[list[str], list[str]]:
    """The words of the title, and those of the group, the date and the text of the minutes."""
    return words(record.title), words(_rest_text(record))


def _rest_text(record: MeetingRecord) -> str:
    return f"{record.group} {record.date.isoformat()} {_text(record.content_html)}"


def terms(record: MeetingRecord) -> dict[str, bool]:
    """Every searchable word of a meeting -> whether it is in the title. The title, the group,
    the date (2022-09-20) and the text of the minutes (plain_text's words: tags are word
    boundaries, so taking them out is enough)."""
    title, rest = _title_and_rest(record)
    found = dict.fromkeys(title, True)
    for word in rest:
        found.setdefault(word, False)
    return found


def shard_key(word: str) -> str:
    """The shard a word is in: its prefix's FNV-1a hash (32 bits, of the UTF-8) modulo SHARDS,
    in hex (static/search.js computes the same)."""
    return _HEX[_PLACE_OF[word[:KEY_LENGTH]] & (SHARDS - 1)]


class _PlaceMemo(dict):
    """prefix -> its words' place, each prefix hashed once per process (a few thousand
    prefixes): a look-up that misses computes it here, so callers map over prefixes in C
    (`__getitem__`). A place is pass * SHARDS + the shard's number, where pass is that number
    modulo PASSES: the pass of index_files that makes the term file (a file is a shard
    modulo a count of files, a power of two, so every word of a file has the same pass when
    there are PASSES files or more). So one look-up gives both the shard (place % SHARDS) and,
    sorting by place, each pass's words together."""

    def __missing__(self, prefix: str) -> int:
        value = 0x811C9DC5
        for byte in prefix.encode("utf-8"):
            value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
        shard = value % SHARDS
        place = self[prefix] = _PLACES[shard % PASSES * SHARDS + shard]
        return place


_PLACE_OF = _PlaceMemo()
_PLACES = list(range(PASSES * SHARDS))             # one int object per place, shared by the memo
_HEX = [f"{shard:03x}" for shard in range(SHARDS)]  # the name of each shard (shard_key's)
# place -> shard (SHARDS: a power of two), a list look-up: an int's bound __and__ costs ~3 times it
_SHARD_OF = [place & (SHARDS - 1) for place in range(PASSES * SHARDS)]
_PREFIX = operator.itemgetter(slice(0, KEY_LENGTH))


def shard_count(listed: int) -> int:
    """How many term shards an index of `listed` listed meetings has: the smallest power of two
    with at most PER_SHARD meetings a shard, at most SHARDS. A pure function of what is listed,
    so a fresh build and any sequence of changes agree on it; a power of two divides SHARDS,
    so a file is a shard_key modulo the count, and a change of count splits each file in two
    or merges two into one."""
    count = 1
    while count < SHARDS and count * PER_SHARD < listed:
        count *= 2
    return count


def file_key(shard: str, count: int) -> str:
    """The term file that holds shard_key `shard` when there are `count` files."""
    return shard if count == SHARDS else f"{int(shard, 16) % count:03x}"


def word_path(word: str, count: int) -> str:
    """The term file holding a word, in an index of `count` shards (search.js's shard())."""
    return shard_path(file_key(shard_key(word), count))


def shard_path(shard: str) -> str:
    return f"{TERMS_DIR}{shard}.json"


def meta_file(listed: int) -> bytes | None:
    """meta.json for an index of `listed` listed meetings (None: no file, nothing is listed)."""
    return _json({"shards": shard_count(listed)}) if listed else None


def meta_count(data: bytes | None) -> int:
    """The count of term shards a meta.json says; SHARDS without one (an index made before the
    count followed the archive had SHARDS files, and an index without meta.json has none)."""
    if not data:
        return SHARDS
    try:
        count = json.loads(data)["shards"]
    except (ValueError, KeyError, TypeError):
        return SHARDS
    return count if isinstance(count, int) and 0 < count <= SHARDS and SHARDS % count == 0 else SHARDS


def week_of(doc_id: int) -> int:
    """The d/ and k/ file an id is in: CHUNK_DAYS whole days (ids are day * DAY_SLOTS + rank)."""
    return doc_id // (DAY_SLOTS * CHUNK_DAYS)


def doc_path(doc_id: int) -> str:
    """The d/ file holding a meeting's result."""
    return f"{DOCS_DIR}{week_of(doc_id)}.json"


def keys_path(doc_id: int) -> str:
    """The k/ file naming a meeting's shards."""
    return f"{KEYS_DIR}{week_of(doc_id)}.json"


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


def shard_file(shard: str, docs: Iterable[tuple[int, MeetingRecord]], *, count: int = SHARDS) -> bytes | None:
    """The term file `shard` (a file_key of `count` files) from (id, record) of the meetings
    with words in it (others are ignored); None when no word falls in it (no file)."""
    return _shard_bytes(_postings(shard, docs, count))


def patch_shard(shard: str, current: bytes | None, *, days: Iterable[int],
                add: Iterable[tuple[int, MeetingRecord]] = (), count: int = SHARDS) -> bytes | None:
    """The term file with every id of the given days (day numbers, id // DAY_SLOTS) taken
    out and the (id, record) pairs of `add` put in: when `add` is every listed meeting of those
    days, the same bytes shard_file would give, however often it is applied."""
    return _patch(current, days=set(days), added=_postings(shard, add, count))


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


def doc_entry(record: MeetingRecord) -> dict:
    """What a search result shows of one meeting (its value in the d/ file of its week)."""
    return {"title": record.title, "date": record.date.isoformat(), "group": record.group,
            "path": record.url_path, "status": record.status, "summary": record.summary}


def keys_entry(record: MeetingRecord) -> list[str]:
    """The shards a meeting's words are in (its value in the k/ file of its week)."""
    return sorted(shard_for(record))


def plan_days(*, before: Iterable, after: Iterable[MeetingRecord], listed: int, read=None,
              read_many=None, only: set[str] | None = None) -> list[tuple[str, bytes | None]]:
    """The search files that make the index right again for some whole days: (path, new bytes
    or None to delete), in the order to write them; only files whose bytes differ from what
    was read.

    before: the listed meetings of those days as the index last had them (records or light
    entries with group, meeting, date); after: the full records of every listed meeting of
    those days now; listed: how many meetings the whole archive lists now (the term files are
    those of shard_count(listed): when needs_reshard, do reshard_steps first); read(path): the
    current bytes of a search file, or None; or instead read_many(paths): {path: bytes or
    None} for many at once (the index reads them concurrently, in two rounds: meta.json and
    the d/ and k/ files of the days' weeks, then the shards).
    only: the shards that may change, from a caller that knows every other shard keeps the
    days' postings (the days hold the same meetings, so the same ids, and the words of those
    that changed differ only in these shards: `minutes build`, which has their old records);
    None: every shard the days' meetings are or were in is read and patched.

    Each day is redone whole (its ids out of every shard its k/ entries name or its meetings'
    words are in, then its meetings' postings in; its entries in the d/ and k/ files of its
    week replaced), so applying the plan twice, or again after a write failed halfway, gives
    the same files. The order keeps the k/ files naming every shard a day's ids may be in,
    whichever write a batch stops at: first the k/ files that must name more shards (the old
    entries and the new, together), then the term shards, the d/ files, the k/ files as they
    end (only where a shard was dropped), then meta.json (when the archive starts or stops
    listing anything)."""
    before, after = list(before), searchable(after)
    count = shard_count(listed)
    new_ids = doc_ids(after)
    days = {(r.date.toordinal() - _EPOCH) for r in [*before, *after]}
    weeks = sorted({day // CHUNK_DAYS for day in days})
    docs = sorted(((new_ids[(r.group, r.meeting)], r) for r in after if (r.group, r.meeting) in new_ids),
                  key=lambda d: d[0])
    added: dict[str, dict[str, list[int]]] = {}   # shard -> word -> postings (terms found once)
    own: dict[int, list[str]] = {}
    for doc_id, record in docs:
        found = terms(record)
        for word, in_title in found.items():
            added.setdefault(file_key(shard_key(word), count), {}).setdefault(word, []).append(doc_id * 2 + in_title)
        own[doc_id] = sorted({shard_key(word) for word in found})   # keys_entry, terms found once
    if read_many is None:
        def read_many(paths):
            return {path: read(path) for path in paths}
    week_files = read_many([META_PATH] + [f"{folder}{week}.json" for folder in (KEYS_DIR, DOCS_DIR)
                                          for week in weeks])
    meta = week_files.pop(META_PATH)
    kept: dict[str, dict[str, object]] = {}      # path -> the entries of the days not redone
    named_before: dict[str, dict[int, list[str]]] = {}   # k/ path -> the days' entries as read
    shards = set(added)
    for path, data in week_files.items():
        entries = json.loads(data) if data else {}
        if path.startswith(KEYS_DIR):
            named_before[path] = {int(doc_id): named for doc_id, named in entries.items()
                                  if int(doc_id) // DAY_SLOTS in days}
            for named in named_before[path].values():
                shards.update(file_key(key, count) for key in named)
        kept[path] = {doc_id: value for doc_id, value in entries.items() if int(doc_id) // DAY_SLOTS not in days}
    if only is not None:
        shards &= {file_key(key, count) for key in only}
    found = read_many([shard_path(shard) for shard in sorted(shards)])
    terms_out: list[tuple[str, bytes | None]] = []
    for shard in sorted(shards):
        current = found[shard_path(shard)]
        patched = _patch(current, days=days, added=added.get(shard, {}))
        if patched != current:   # the shards of the day's other meetings mostly stay the same
            terms_out.append((shard_path(shard), patched))
    # Before any term shard is written, the k/ files name every shard the days' ids were or
    # will be in (the union of both), so a batch cut after some shard writes and
    # dead-lettered leaves k/ files that still name every shard holding its postings, even
    # if the meeting changes again before the replay (the next run removes the days' ids
    # from every shard they name). Where the meetings only gain shards (a new meeting: the
    # common publish) this is the k/ file's one write, and the final one below finds its
    # bytes already there. With no term shard to write, nothing needs it: the k/ file is
    # then written once, never twice in one step (the index writes a folder's files at once).
    out: list[tuple[str, bytes | None]] = []
    written = dict(week_files)
    for week in weeks if terms_out else ():
        path = f"{KEYS_DIR}{week}.json"
        union = {int(doc_id): value for doc_id, value in kept[path].items()}
        union.update(named_before[path])
        for doc_id, _ in docs:
            if week_of(doc_id) == week:
                union[doc_id] = sorted({*union.get(doc_id, []), *own[doc_id]})
        data = _week_bytes(union)
        if data != written[path]:
            out.append((path, data))
            written[path] = data
    out += terms_out
    for folder, entry in ((DOCS_DIR, lambda doc_id, record: doc_entry(record)),
                          (KEYS_DIR, lambda doc_id, record: own[doc_id])):
        for week in weeks:
            path = f"{folder}{week}.json"
            entries = {int(doc_id): value for doc_id, value in kept[path].items()}
            entries.update((doc_id, entry(doc_id, record)) for doc_id, record in docs
                           if week_of(doc_id) == week)
            data = _week_bytes(entries)
            if data != written[path]:
                out.append((path, data))
    if meta_file(listed) != meta:
        out.append((META_PATH, meta_file(listed)))
    return out


def needs_reshard(meta: bytes | None, listed: int) -> bool:
    """Whether the term files (as meta.json says) are not those of `listed` listed meetings, or
    a move was cut short (meta.json still marks it): then reshard_steps comes before plan_days."""
    return meta_count(meta) != shard_count(listed) or _moving(meta)


def _moving(meta: bytes | None) -> bool:
    """meta.json marks a re-shard under way (a key besides "shards": "from" or "to")."""
    try:
        return isinstance(found := json.loads(meta), dict) and found.keys() != {"shards"} if meta else False
    except ValueError:
        return False


def term_number(path: str) -> int | None:
    """A term file's number (t/<hex>.json), None for any other path."""
    return int(path[len(TERMS_DIR):len(TERMS_DIR) + 3], 16) if _TERM_FILE.fullmatch(path) else None


def stray_terms(paths: Iterable[str], count: int) -> list[str]:
    """The term files among `paths` that an index of `count` files does not have (numbered
    `count` or more: left by a re-shard cut short); the index deletes them on every run."""
    return sorted(p for p in paths if (n := term_number(p)) is not None and n >= count)


def reshard_steps(terms_files: dict[str, bytes], listed: int, *,
                  meta: bytes | None) -> list[list[tuple[str, bytes | None]]]:
    """Every term file of an index (path -> bytes: everything under t/; `meta` its meta.json)
    moved to the files of shard_count(listed): steps of (path, bytes or None to delete), each
    to be written whole before the next starts. The last step's meta.json is clean_meta(count)
    ({"shards": count}, even when nothing is listed: plan_days then removes it).

    Authority: under the count M that meta.json names, a word's postings are those of its home
    file, file_key(shard_key(word), M); a copy in any other file is a leftover of a move and is
    ignored (files numbered M or more are ignored whole). The steps keep the home files of the
    count meta.json names complete at every point, so a re-shard cut short anywhere, then done
    again, or followed by later batches that change the count again, reads the same postings:
      growing M -> B: the files [M, B) (the words whose home they become), then meta.json
        {"shards": B, "from": M}, then the files [0, M) rewritten with only their own words,
        then {"shards": B};
      shrinking M -> B: meta.json {"shards": M, "to": B}, then the merged files [0, B), then
        {"shards": B}, then the files [B, M) deleted.
    A meta.json marked "from"/"to" makes the next run re-shard again (needs_reshard) whatever
    the count, which clears every leftover copy. The marker steps are left out when the step
    after them changes nothing. Memory: one group of files at a time is decoded (growing, a
    file and the files it splits into; shrinking, the files that merge into one), not the
    whole index. Files under t/ that are not term files (another name) are left alone."""
    old, count = meta_count(meta), shard_count(listed)
    low = min(old, count)
    own: dict[int, list[tuple[str, bytes]]] = {}
    for path, data in terms_files.items():
        number = term_number(path)
        if number is not None and number < old and data:
            own.setdefault(number % low, []).append((path, data))
    moved: dict[str, bytes | None] = {}
    for group in range(low):
        by_file: dict[int, dict[str, list[int]]] = {}
        for path, data in own.get(group, ()):
            number = term_number(path)
            for word, values in _read_shard(data).items():
                key = int(shard_key(word), 16)
                if key % old == number:   # its home copy; any other is a leftover
                    by_file.setdefault(key % count, {})[word] = values
        for number in range(group, count, low):
            moved[shard_path(f"{number:03x}")] = _shard_bytes(by_file.pop(number, {}))
    changed = [(path, body) for path, body in sorted(moved.items()) if terms_files.get(path) != body]
    stale = [(path, None) for path in stray_terms(terms_files, count)]
    high = [(p, b) for p, b in changed if term_number(p) >= old]
    rest = [(p, b) for p, b in changed if term_number(p) < old]
    final = [(META_PATH, _json({"shards": count}))]
    if count > old:
        marked = [[(META_PATH, _json({"shards": count, "from": old}))], rest] if rest else []
        steps = [high, *marked, final, stale]
    else:
        marked = [[(META_PATH, _json({"shards": old, "to": count}))], rest] if rest else []
        steps = [*marked, final, stale]
    return [step for step in steps if step]


_TERM_FILE = lazy(re.escape(TERMS_DIR) + r"[0-9a-f]{3}\.json")


def search_files(records: Iterable[MeetingRecord]) -> dict[str, bytes]:
    """Every file of the search index (path -> bytes), for the listed records."""
    records = searchable(records)
    ids = doc_ids(records)
    return dict(sorted(index_files(sorted(((ids[(r.group, r.meeting)], r, None) for r in records
                                           if (r.group, r.meeting) in ids), key=lambda d: d[0]),
                                   listed=len(records))))


def index_files(docs: Iterable[tuple[int, MeetingRecord, Words | None]], *,
                listed: int, again: bool = False) -> Iterator[tuple[str, bytes]]:
    """search_files's files from (id, listed record, its packed_terms or None) in id order, one
    record at a time (so `docs` may load each when asked), in an archive of `listed` listed
    meetings (the count of shards follows it): a week's d/ and k/ files once its last meeting
    has come, then the shards, then meta.json. With its words given, a record needs only what a
    result shows (doc_entry: a light record will do); without, its words are found from its
    content. What is held meanwhile is the postings (4 bytes each: every id of a date Python
    can hold, times two, fits in a signed 32-bit int) and one week's entries, not the records.
    `again`: `docs` may be iterated again (a sequence, or an iterable that reads them afresh
    each time): the shards are then made in passes (PASSES, or one per file when there are
    fewer), each pass reading the docs once more and holding only the postings of its files."""
    count = shard_count(listed)
    passes = min(PASSES, count) if again else 1
    digits = _DigitsMemo()
    for at in range(passes):
        postings: dict[str, bytearray] = collections.defaultdict(_new_postings)
        posting = postings.__getitem__
        week, results, named, last = None, {}, {}, None
        for doc_id, record, packed in docs:
            if at == 0:
                if last is not None and doc_id <= last:
                    raise ValueError(f"index_files: ids must come in increasing order ({doc_id} after {last})")
                last = doc_id
                if week_of(doc_id) != week:
                    if week is not None:
                        yield from _week_files(week, results, named)
                    week, results, named = week_of(doc_id), {}, {}
            if packed is None:
                packed = packed_terms(record)
            for value, found in ((doc_id * 2, packed.other), (doc_id * 2 + 1, packed.title)):
                # the value's 4 bytes added to each word's postings in C: no Python step per posting
                _consume(map(operator.iadd, map(posting, _pass_words(found, at, passes)),
                              itertools.repeat(_POSTING.pack(value))))
            if at == 0:
                results[doc_id] = doc_entry(record)
                named[doc_id] = packed.shards
        if week is not None:
            yield from _week_files(week, results, named)
            results = named = None
        # file_key(shard_key(word), count) of each word, as a number (the count divides SHARDS,
        # so it is the place's low bits), found in C: the names sort as the numbers do.
        by_file: dict[int, list[str]] = {}
        words = sorted(postings)
        for word, number in zip(words, map((count - 1).__and__,
                                           map(_PLACE_OF.__getitem__, map(_PREFIX, words)))):
            file_words = by_file.get(number)
            if file_words is None:
                by_file[number] = file_words = []
            file_words.append(word)
        del words
        for number in sorted(by_file):
            yield shard_path(_HEX[number]), _term_file(postings, by_file.pop(number), digits)
        del postings, posting
    meta = meta_file(listed)
    if meta is not None:
        yield META_PATH, meta


def is_search_file(path: str) -> bool:
    """A file search_files makes (the index prunes those its plan no longer has)."""
    return path == META_PATH or path.startswith((TERMS_DIR, DOCS_DIR, KEYS_DIR)) and path.endswith(".json")


# --- encoding ----------------------------------------------------------------------------------


def _week_files(week: int, results: dict, named: dict[int, str]) -> Iterator[tuple[str, bytes]]:
    """A week's d/ file, and its k/ file from each meeting's packed shards (Words.shards)."""
    yield f"{DOCS_DIR}{week}.json", _week_bytes(results)
    yield f"{KEYS_DIR}{week}.json", _keys_bytes(named)


def _keys_bytes(named: dict[int, str]) -> bytes | None:
    """_week_bytes of {id: shards.split()}, written from the packed strings as they are: a
    meeting names ~300 shards, and splitting and encoding each (10,000 meetings: 3 million
    strings) was most of the cost of the k/ files. The bytes are the same when the names are
    letters and digits (nothing JSON escapes) one space apart (no empty name): packed_terms's
    shard keys always are; anything else is encoded the general way."""
    if not named:
        return None
    entries = []
    for doc_id in sorted(named):
        shards = named[doc_id]
        listed = f'["{shards.replace(" ", _BETWEEN)}"]' if shards else "[]"
        if shards and ('""' in listed or not shards.replace(" ", "").isalnum()):
            return _week_bytes({key: value.split() for key, value in named.items()})
        entries.append(f'"{doc_id}":{listed}')
    return ("{" + ",".join(entries) + "}").encode()


_BETWEEN = '","'
# index_files's postings: each word's values as native 4-byte ints in a bytearray (a value is
# added with one C call, `+=` of its packed bytes; array.append parses its argument, ~4 times
# the instructions), 4 bytes each as array("i") held them.
_new_postings = bytearray
_POSTING = struct.Struct("=i")
_consume = collections.deque(maxlen=0).extend   # runs an iterator to its end, in C


def _week_bytes(entries: dict[int, object]) -> bytes | None:
    """A d/ or k/ file: {"<id>": value} in id order; None when it holds no meeting."""
    return _json({str(doc_id): entries[doc_id] for doc_id in sorted(entries)}) if entries else None


def _postings(shard: str, docs: Iterable[tuple[int, MeetingRecord]], count: int) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = {}
    for doc_id, record in docs:
        if not record.listed:
            continue
        for word, in_title in terms(record).items():
            if file_key(shard_key(word), count) == shard:
                postings.setdefault(word, []).append(doc_id * 2 + in_title)
    return postings


def _deltas(values) -> list[int]:
    """Sorted distinct values, delta-coded (the first as it is; the differences made in C)."""
    return [values[0], *map(operator.sub, values[1:], values)]


def _term_file(postings: dict[str, bytearray], words: list[str], digits: _DigitsMemo) -> bytes:
    """_json({"w": {word: _deltas(postings.pop(word)) for word in words}}), the same bytes,
    made word by word: json's C encoder (Python 3.11) holds a string for every number it
    writes until the document's end, ~50 bytes each, and a term file of common words holds
    ~20,000 numbers: ~1 MiB at once, the highest the main process went while it made the
    index at 1,000 meetings (decision 96). A word that is letters and digits only is written
    as it is (json escapes none of them); any other is json's. The gaps' digits come from
    `digits` (a memo for one index: its few thousand distinct gaps), the first value's from repr."""
    out = []
    for word in words:
        values = memoryview(postings.pop(word)).cast("i").tolist()
        numbers = ",".join([repr(values[0]), *map(digits.__getitem__, map(operator.sub, values[1:], values))])
        out.append(f'"{word}":[{numbers}]' if word.isalnum() else f"{_json_text(word)}:[{numbers}]")
    return f'{{"w":{{{",".join(out)}}}}}'.encode("utf-8")


class _DigitsMemo(dict):
    """int -> its decimal digits (json's and repr's), each made once: the numbers of an index's
    term files are mostly gaps between ids, ~1,500 distinct values at 1,000 meetings, and a
    look-up costs a third of repr (decision 113)."""

    def __missing__(self, number: int) -> str:
        digits = self[number] = repr(number)
        return digits


def _json_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _shard_bytes(postings: dict[str, list[int]]) -> bytes | None:
    encoded = {}
    for word in sorted(postings):
        values = sorted(set(postings[word]))
        if values:
            encoded[word] = _deltas(values)
    return _json({"w": encoded}) if encoded else None


def _read_shard(data: bytes) -> dict[str, list[int]]:
    postings = {}
    for word, deltas in json.loads(data)["w"].items():
        postings[word] = list(itertools.accumulate(deltas))
    return postings


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
