"""`minutes build SRC --out SITE`: a folder laid out like the bucket's minutes/ -> a static site.

Same code as the Lambda path (meeting.assemble, site.py's plan), no AWS and no state: feed ids
and dates derive from the keys, so the same sources always give the same bytes.

Every core works (from SOLO_BELOW meetings to assemble on; below, one process does it all):
meetings are assembled in worker processes and the main process, which store each whole
meeting (buildcache.py) and hand back a light copy without its rendered content; then the
workers render and write the meeting pages and make the feeds, each read back from the store,
while the main process writes the search index and the other listings (archives, calendars,
sitemaps: site.listing_units) as each is made, then makes the feeds and pages no worker has
taken; so no process holds the whole site's listings or every meeting's content at once. Work for one
process runs in it: no pool.
With a cache folder, a rebuild reuses what has not changed, keyed by content hash: a source
whose stat is unchanged is not read, a meeting whose files and code are the same is not parsed
again, a page whose inputs are the same is not rendered again, and a file whose bytes are the
same is not written again.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import itertools
import os
import pickle
import posixpath
import sys
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import build_search, frontmatter, hashes, keys, search, shared_url
from .buildcache import (BuildCache, Written, close_packs, load_memo, load_record, read_source,
                         memo_writer, refused_seen, start_again, store_memo, store_records)
from .group import FILE_NAME as GROUP_FILE, GroupInfo, is_group_file, newest_by_group, parse_group
from .meeting import Assembled, SourceFile, assemble, read_limit, unreadable_source
from .model import MeetingRecord
from .pages import PageRenderer, SiteConfig
from .problems import MinutesError, Problem, Rejected, error
from .regular_file import SourceGone, read_regular
from .feeds import entry_parts
from .feed_xml import Pieces
from .folder_walk import alone, attached_to_nothing, build_reads, holds_files, may_be_minutes, walk
from .forkpool import ForkPool
from .site import (SiteFile, all_neighbours, content_type, feed_frames, feed_pieces, listing_units,
                   meeting_file, static_files)

_PAGES_PER_JOB = 16
_ENTRIES_PER_DOCUMENT = 8
_ASSEMBLE_PER_JOB = 8
_GC_YOUNG = 5_000   # allocations between collections of the youngest generation (Python: 700)
# A build that assembles fewer meetings than this runs in one process unless told otherwise
# (--jobs): a rebuild after a few changes starts no process. From here on, one process per
# core: with the second phase shared (decision 49) two processes built 100 meetings in 1.6 s
# instead of 2.3 and 1,000 in 6.1 s instead of 10.2, for ~20 MiB more (the worker's own pages).
SOLO_BELOW = 50
FEED_LIMIT = 50


@dataclass
class BuildResult:
    records: list[MeetingRecord] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)   # meeting path -> problems
    warnings: dict[str, list[Problem]] = field(default_factory=dict)
    written: int = 0        # files written (a rebuild skips those whose bytes are unchanged)
    files: int = 0          # files the site has
    reused: int = 0         # meetings built taken from the cache (never a rejected file)
    hashed: int = 0         # source files read to hash them (a rebuild reads those whose stat changed)


def gather(src: Path) -> dict[tuple[str, str], list[Path]]:
    """Files under SRC grouped by meeting (group, meeting path), as their bucket keys say."""
    return {meeting: [src / rel for rel in rels] for meeting, rels in _gather(str(src), {})[0].items()}


def _gather(src: str, known: dict, refused: list | None = None, listed: tuple | None = None
            ) -> tuple[dict[tuple[str, str], list[str]], dict]:
    """gather() with relative paths, and what each path's key says (its meeting, or None: not
    part of one). `known`: what the last build found, so only new paths have their key parsed.
    `refused`: filled with (key, problem) of each folder not entered and each file not read
    that a build would read (folder_walk.walk's `refused`), to report them: a FIFO whose name
    no build reads (`NOTES.md.tmp` in a meeting folder) is left out as a regular one would
    be; and the warning on each attachment that is part of no meeting (folder_walk.alone).
    `listed`: _listed(src) when the build has listed the files already."""
    meetings: dict[tuple[str, str], list[str]] = defaultdict(list)
    kinds = {}
    files, odd = listed or _listed(src, refused is not None)
    for rel in files:
        kind = kinds[rel] = known[rel] if rel in known else _kind(rel)
        if kind is not None:
            meetings[kind].append(rel)
        elif refused is not None and alone(rel):   # a warning: published nowhere (decision 108)
            refused.append((keys.PREFIX + rel, attached_to_nothing(keys.PREFIX + rel)))
    for rel, failed in odd or ():
        key = keys.PREFIX + rel
        if holds_files(rel, failed) or build_reads(rel):
            refused.append((key, unreadable_source(key, failed)))
    return dict(meetings), kinds


def _listed(src: str, odd: bool = True) -> tuple[list[str], list | None]:
    """(walk(src), what it refused, or None when not asked)."""
    left_out: list | None = [] if odd else None
    return walk(src, left_out), left_out


def _kind(rel: str) -> tuple[str, str] | None:
    """The meeting the source file `rel` belongs to, as its key says; ("", rel) when its key is
    refused (reported by _assemble_one with the reason); None when it is not part of one."""
    if is_group_file(keys.PREFIX + rel):
        return None   # groups(): not a meeting
    try:
        key = keys.parse_key(keys.PREFIX + rel)
    except Rejected:
        return ("", rel) if may_be_minutes(rel) else None
    return (key.group, key.meeting) if key.is_markdown or key.is_folder else None


def groups(src: Path, result: "BuildResult") -> dict[str, GroupInfo]:
    """Every `<group>/group.yaml` under SRC, read and checked (a bad one is reported and the
    group shown as without it)."""
    found = {}
    for path in _group_files(src):
        key = keys.PREFIX + path.relative_to(src).as_posix()
        try:
            data = read_regular(str(path))[0]
        except FileNotFoundError:   # gone since the scan: as deleted
            continue
        except OSError as failed:
            result.rejected[key] = [unreadable_source(key, failed)]
            continue
        try:
            info, problems = parse_group(data, key=key)
        except Rejected as rejected:
            result.rejected[key] = [p.in_file(key) for p in rejected.problems]
            continue
        if problems:
            result.warnings[key] = [p.in_file(key) for p in problems]
        found[info.group] = info
    return found


def _group_files(src: Path) -> list[Path]:
    """Each `<group>/group.yaml` under SRC, a symbolic link too (to nothing even: glob left one
    out, and check and sync reject it, as read_regular does: linked-source), in a folder that
    is not a link (never entered: its link is reported by _gather) and can be entered (one
    that cannot is reported by _gather; SRC itself, by the walk)."""
    try:
        folders = sorted(src.iterdir())
    except OSError:   # SRC itself: the walk says why
        return []
    return [folder / GROUP_FILE for folder in folders
            if not os.path.islink(folder) and os.path.lexists(folder / GROUP_FILE)]


@dataclass(frozen=True)
class _Job:
    digest: str | None                       # of the files, the code and the options
    files: tuple[tuple[str, str, str | None], ...]  # (key, local path, digest of the bytes)
    # A file the last build did not see has no digest yet (and the job no digest): the process
    # that assembles it hashes the bytes it reads (_completed).


def _job(site_host: str, max_bytes: int, group_name: str | None,
         files: tuple[tuple[str, str, str | None], ...]) -> _Job:
    if any(sha is None for _, _, sha in files):
        return _Job(None, files)
    return _Job(hashes.digest(repr((site_host, max_bytes, group_name, files and [
        (k, d) for k, _, d in files])).encode()), files)


def _completed(job: _Job, seen: dict, site_host: str, max_bytes: int, group_name: str | None) -> _Job:
    """The job with the hashes the assembling process found (seen: key -> buildcache.Seen)."""
    if job.digest is not None:
        return job
    return _job(site_host, max_bytes, group_name,
                tuple((key, path, sha if sha is not None else seen[key].digest)
                      for key, path, sha in job.files))


def _light(item: Assembled) -> Assembled:
    """What the main process keeps of an assembled meeting: no rendered content (pages and
    feeds read it from the store when they are made), no infos."""
    record = item.record.with_changes(content_html="", headings=(), resources=None)
    return replace(item, record=record, notes=(), search_text=None)


class _Done(NamedTuple):
    """What the main process is handed back of an assembled meeting (_assemble_many)."""
    light: tuple                  # (name, light outcome: a list of Assembled, or the problems)
    where: tuple                  # where its whole outcome is stored (load_record)
    words: tuple | None           # where its search words are stored, if any
    read: dict                    # the front matter it read (frontmatter.remembering)
    seen: dict                    # key -> buildcache.Seen of each source file it hashed
    looks: tuple[str, ...]        # _look of each light record


def _look(record: MeetingRecord) -> str:
    """A hash of a light record: what listings and prev/next links show of it (_looks)."""
    return hashes.digest(repr(record).encode())


def _assemble_one(job: tuple[str, _Job, int, str | None, dict | None]) -> tuple[tuple, tuple, dict, dict]:
    """One meeting, or every meeting of a running-notes file; or the problems rejecting it:
    (whole outcome, for the store; light outcome, to hand back; the front matter it read, to
    remember; what it read of each source file the job had no hash of: key -> buildcache.Seen,
    so a cold build reads and hashes each source once, here, not first in the main process
    while the other cores wait). The whole outcome carries the search words of each listed
    meeting (found here, in whichever process assembles it: the main process, which writes the
    index, reads them back instead of finding every meeting's words alone; _assemble_many
    stores them apart). The job's last front matter (yaml text -> value, pickled) answers the
    same text again without YAML (frontmatter.remembering)."""
    site_host, meeting, max_bytes, group_name, front = job
    name = meeting.files[0][0]
    sources, seen, refused = [], {}, None
    for key, path, sha in meeting.files:
        try:
            data, read_seen = read_source(path, read_limit(key, max_bytes))
        except OSError as failed:   # a link, a FIFO, not readable (SourceGone passes through)
            data, read_seen = b"", refused_seen(path, failed)
            refused = refused or unreadable_source(key, failed)
        if sha is None:
            seen[key] = read_seen
        sources.append(SourceFile(key, data) if data is not None
                       else SourceFile(key, b"", read_seen.size))
    if refused is not None:
        problems = [refused]
        return (name, problems), (name, problems), {}, seen
    with frontmatter.remembering(front) as read:
        try:
            notes = _running_notes().split(name, sources[0].data, max_bytes=max_bytes) \
                if len(sources) == 1 and keys.parse_key(name).may_hold_sections else None
            if notes is not None:
                outcome = list(_running_notes().assemble_sections(notes, site_host=site_host,
                                                               max_bytes=max_bytes))
                if notes.problems and outcome:   # the file's own (encoding...), as check and
                    # publish say them: with its first meeting's (decision 100)
                    outcome[0] = replace(outcome[0], problems=notes.problems + outcome[0].problems)
            else:
                outcome = [assemble(sources, site_host=site_host, max_bytes=max_bytes,
                                    group_name=group_name)]
        except Rejected as rejected:
            problems = [p.in_file(name) for p in rejected.problems]
            return (name, problems), (name, problems), read, seen
    words = tuple(search.packed_terms(item.record, item.search_text) if item.record.listed else None
                  for item in outcome)
    # Attachment bytes are read again from SRC when written; the search text is in the words.
    outcome = [replace(item, attachments=tuple((SourceFile(source.key, b""), att)
                                               for source, att in item.attachments),
                       search_text=None)
               if item.attachments or item.search_text is not None else item for item in outcome]
    return (name, outcome, words), (name, [_light(item) for item in outcome]), read, seen


def _assemble_many(work: tuple[str, list]) -> list[_Done]:
    """A batch of meetings, their whole outcomes stored at the end of the pack this process is
    filling (store_records: a file per PACK_MEETINGS meetings, not one per meeting), each
    followed by its search words as a record of their own (the index reads those alone, not
    the whole outcome). The light records' hashes are made here
    too, in whichever process assembles them, not in the main process between the phases."""
    packs, jobs = work
    done = [_assemble_one(job) for job in jobs]
    values = []
    for (name, outcome, *words), _, _, _ in done:
        values += [(name, outcome), *words]
    places = iter(store_records(packs, values, meetings=len(jobs)))
    return [_Done(light, next(places), next(places) if len(whole) > 2 else None, read, seen,
                  tuple(_look(item.record) for item in light[1] if isinstance(item, Assembled)))
            for whole, light, read, seen in done]


def _assemble_packed(work: tuple[str, list]) -> bytes:
    """_assemble_many's results pickled, in whichever process made them: the main process turns
    them into objects only once its own assembling is over (_assemble_all, decision 92)."""
    return pickle.dumps(_assemble_many(work), protocol=pickle.HIGHEST_PROTOCOL)


def _forget_assembly() -> None:
    """Empty what assembling memoised (block texts' words, tags' HTML, heading slugs: ~5 MiB
    at 1,000 meetings, in each process that assembled) once this process's assembling is
    over, so its pages, feeds and search index reuse the space instead of growing past it
    (decision 72)."""
    from . import comrak_html, markdown, summary
    summary.forget()
    comrak_html.forget()
    markdown.forget()
    keys.parse_key.cache_clear()   # the main process's holds every key it listed (_kind)


@functools.lru_cache(maxsize=4)
def _renderer(site_url: str, subscribe_url: str | None, templates: str | None) -> PageRenderer:
    return PageRenderer(SiteConfig(site_url=site_url, subscribe_url=subscribe_url),
                        template_cache=templates)


@dataclass(frozen=True)
class _Page:
    stored: tuple                # where the meeting's whole outcome is in the store (load_record)
    at: int                      # which meeting of that outcome (a running-notes file has many)
    segment: str                 # its URL segment in this build (unique per group)
    around: tuple                # (previous, next), light
    path: str                    # site path of the page
    target: str                  # the file
    old: Written | None          # what the last build wrote there


def whole_record(stored: tuple, at: int, segment: str, loaded: dict | None = None) -> MeetingRecord:
    """A meeting's whole record from the store, at its URL segment of this build."""
    if loaded is not None and stored in loaded:
        outcome = loaded[stored]
    else:
        try:
            outcome = load_record(stored)[1]
        except Exception as problem:   # removed or damaged while building: start again cold
            raise _DamagedCache(stored) from problem
        if loaded is not None:
            loaded.clear()
            loaded[stored] = outcome
    record = outcome[at].record
    return record if record.segment == segment else record.moved_to(segment)


def stored_words(stored: tuple | None, at: int) -> search.Words | None:
    """The search words _assemble_one found for a meeting, from their own record in the store
    (None: none stored)."""
    if stored is None:
        return None
    try:
        value = load_record(stored)
    except Exception as problem:   # removed or damaged while building: start again cold
        raise _DamagedCache(stored) from problem
    return value[at]


@dataclass(frozen=True)
class _Feeds:
    """A scope's two feeds, to make and write in any process, with the pages to render of the
    meetings they show (`pages`: each whole record is read from the store once, for its page
    and its entry). The entries are taken from the scope's memo of entries (`memo`: the
    cache's file of the entries its feeds showed last, by whole record), made with the pages,
    or made from the whole records, read from the store there."""
    scope: str
    records: tuple[MeetingRecord, ...]                        # light, in order
    shows: tuple[tuple[tuple, int, str], ...]                 # (stored, at, segment) of each
    files: tuple[tuple[str, str, Written | None], ...]       # (path, target, old)
    memo: str | None
    pages: tuple[_Page, ...] = ()


def _entry_name(stored: tuple, at: int, segment: str) -> str:
    """What names a feed entry's bytes: the place of the whole record it is made from. A
    stored record's place names its bytes: a pack is written once under a name never used
    again, by a build of one code version and one set of options."""
    return f"{os.path.basename(stored[0])}:{stored[1]}:{at}:{segment}"


# From this many listed meetings a cold build's search index is a queued item (decision 71):
# below it the second phase of two processes is balanced already (each scope's feeds, capped
# at FEED_LIMIT entries, are a larger share of the queue), and a worker making the index while
# the main process plans the listings raised the tree's peak by ~2 MiB at 1,000 meetings. With
# three processes or more it is queued whatever the count (decision 98): the main process's
# index and listings (~0.26 + ~0.2 s of CPU at 1,000) outlast the workers' share of the feeds.
QUEUED_SEARCH_FROM = 5_000
QUEUED_SEARCH_PROCESSES = 3


class _Shown(NamedTuple):
    """What a search result shows of a meeting (search.doc_entry's fields) and which meeting
    it is: all the index reads of one whose words were stored. A worker that makes the index
    (three processes or more, decision 98) is sent these, not the light records (their
    headings, tags, keys and times: ~1.8 MiB of its memory at 1,000 meetings; decision 107)."""
    group: str
    meeting: str
    title: str
    date: dt.date
    url_path: str
    status: str
    summary: str


def _shown(record: MeetingRecord) -> _Shown:
    return _Shown(record.group, record.meeting, record.title, record.date, record.url_path,
                  record.status, record.summary)


@dataclass(frozen=True)
class _Search:
    """A new search index, to make and write in any process (decision 71): each listed
    meeting's id, what a result shows of it and where its words are stored (else where its
    whole record is, to find them), in id order."""
    docs: tuple[tuple[int, _Shown, tuple | None, tuple], ...]   # (id, shown, words at, whole at)
    listed: int
    prefix: str                                      # the site folder, with a final separator
    old: dict                                        # path -> Written: the last build's search files


class _Docs:
    """The docs of a new search index, each meeting's words (else its whole record) read from
    the store afresh each time they are iterated: search.index_files makes the term files in
    passes, and holding every meeting's words between them would cost more than the postings
    the passes save."""

    def __init__(self, work: _Search):
        self._work = work

    def __iter__(self):
        loaded: dict = {}
        for doc_id, record, words_at, whole_at in self._work.docs:
            packed = stored_words(*words_at) if words_at is not None else None
            yield (doc_id, record, packed) if packed is not None \
                else (doc_id, whole_record(*whole_at, loaded), None)


def _make_search(work: _Search) -> list[tuple[str, Written, bool]]:
    """Make and write a new search index (search.index_files: one whole record at most held at
    a time, and the postings of one pass), each file as it is made."""
    folders: set[str] = set()
    return [_put(path, _target(work.prefix, path), body, work.old.get(path), folders)
            for path, body in search.index_files(_Docs(work), listed=work.listed, again=True)]


def _second_phase(job: tuple) -> list[tuple[str, Written, bool]]:
    """What any process can make once every meeting is assembled: a chunk of meeting pages,
    a scope's feeds and the pages of the meetings they show, or a new search index. (path,
    what is there now, written?) of each file."""
    config, state, work = job
    _forget_assembly()   # a worker's first item: its assembling is over
    if isinstance(work, _Feeds):
        return _render_feeds(config, state, work)
    if isinstance(work, _Search):
        return _make_search(work)
    return _render_pages((config, state, work))


def _second_phase_packed(job: tuple) -> bytes:
    """_second_phase's files pickled, in whichever process made them: a worker's come back
    while the main process makes the search index and the listings, and wait for it until
    then; as bytes (~150 per file) rather than ~400 of objects each (decision 96)."""
    return pickle.dumps(_second_phase(job), protocol=pickle.HIGHEST_PROTOCOL)


def _render_feeds(config: tuple, state: tuple, work: _Feeds) -> list[tuple[str, Written, bool]]:
    """The pages of `work.pages`, then the scope's feeds. An entry whose whole record is the
    one the memo holds it for is reused as it is (its bytes depend on the record and the site
    URL only, both named by its _entry_name); an entry whose page is rendered here is made
    from the whole record read for the page; the others are made from their whole records,
    and the memo then holds what the feeds show now. Feeds no earlier build wrote (a cold
    build's) are written as their entries are made (_stream_feeds); others are made whole
    first, and written only if their bytes changed (_remade_feeds)."""
    if all(old is None for _, _, old in work.files):
        return _stream_feeds(config, state, work)
    return _remade_feeds(config, state, work)


def _remade_feeds(config: tuple, state: tuple, work: _Feeds) -> list[tuple[str, Written, bool]]:
    """_render_feeds for feeds an earlier build wrote: each document made whole (as pieces,
    holding its entries), then written only if its bytes changed (_put)."""
    site = _renderer(*config).config
    where = {(r.group, r.meeting): shown for r, shown in zip(work.records, work.shows)}
    keys = {name: _entry_name(*shown) for name, shown in where.items()}
    kept = _feed_memo(work.memo)
    before = set(kept)
    shown: dict[str, tuple[Pieces, Pieces]] = {}
    out: list[tuple[str, Written, bool]] = []
    folders: set[str] = set()
    loaded: dict = {}   # the last outcome read (a running-notes file's meetings share one)
    if work.pages:
        renderer = _renderer(*config).with_groups(*state)
        for page in work.pages:
            record = whole_record(page.stored, page.at, page.segment, loaded)
            out.append(_put(page.path, page.target, meeting_file(renderer, record, *page.around).body,
                            page.old, folders))
            name = _entry_name(page.stored, page.at, page.segment)
            if name not in kept:
                kept[name] = entry_parts([record], site_url=site.site_url)[0]

    def parts(chosen: list[MeetingRecord]) -> list[tuple[Pieces, Pieces]]:
        names = [keys[(r.group, r.meeting)] for r in chosen]
        missing = [r for r, name in zip(chosen, names) if name not in kept]
        # A few at a time: feedgen's tree of fifty whole records would stay in the process.
        for first in range(0, len(missing), _ENTRIES_PER_DOCUMENT):
            batch = missing[first:first + _ENTRIES_PER_DOCUMENT]
            whole = [whole_record(*where[(r.group, r.meeting)], loaded) for r in batch]
            for record, entry in zip(batch, entry_parts(whole, site_url=site.site_url)):
                kept[keys[(record.group, record.meeting)]] = entry
        shown.update((name, kept[name]) for name in names)
        return [kept[name] for name in names]

    documents = dict(feed_pieces(site, work.scope, work.records, limit=FEED_LIMIT, parts=parts))
    if work.memo is not None and shown.keys() != before:
        store_memo(work.memo, shown)
    if sorted(documents) != sorted(path for path, _, _ in work.files):
        raise MinutesError(f"build: expected {sorted(p for p, _, _ in work.files)}, "
                           f"made {sorted(documents)}")
    out += [_put(path, target, documents[path], old, folders) for path, target, old in work.files]
    return out


def _stream_feeds(config: tuple, state: tuple, work: _Feeds) -> list[tuple[str, Written, bool]]:
    """_render_feeds for feeds no earlier build wrote: each document is written as its
    entries are made, one at a time, in its order, and each entry goes into the memo as it is
    written, so the process holds one entry and one whole record, not every entry the feeds
    show: a scope's feeds job peaked 1.0-1.5 MiB above its start at 1,000 meetings (traced),
    now 0.2-0.45, in whichever process makes it (the tree's peak comes while both processes
    make feeds; decision 97). The same bytes: a document is its head, its entries in
    order, its end (feeds.feed_frames). The pages of meetings the feeds show are rendered
    where their entries are made (one whole record read for both); the others after."""
    site = _renderer(*config).config
    where = {(r.group, r.meeting): shown for r, shown in zip(work.records, work.shows)}
    kept = _feed_memo(work.memo)
    chosen, frames = feed_frames(site, work.scope, work.records, limit=FEED_LIMIT)
    targets = {path: (target, old) for path, target, old in work.files}
    if sorted(targets) != sorted(path for path, _, _ in frames):
        raise MinutesError(f"build: expected {sorted(targets)}, made {sorted(p for p, _, _ in frames)}")
    names = [_entry_name(*where[(r.group, r.meeting)]) for r in chosen]
    unrendered = {_entry_name(p.stored, p.at, p.segment): p for p in work.pages}
    renderer = _renderer(*config).with_groups(*state) if work.pages else None
    folders: set[str] = set()
    loaded: dict = {}   # the last outcome read (a running-notes file's meetings share one)
    rendered: dict[str, tuple[str, Written, bool]] = {}

    def render(page: _Page) -> MeetingRecord:
        record = whole_record(page.stored, page.at, page.segment, loaded)
        rendered[page.path] = _put(page.path, page.target,
                                   meeting_file(renderer, record, *page.around).body, None, folders)
        return record

    documents = [_Document(path, targets[path][0], head, end, folders) for path, head, end in frames]
    remember = work.memo is not None and set(names) != kept.keys()
    try:
        with memo_writer(work.memo) if remember else contextlib.nullcontext() as add:
            for record, name in zip(chosen, names):
                page = unrendered.pop(name, None)
                whole = render(page) if page is not None else None
                entry = kept.get(name)
                if entry is None:
                    if whole is None:
                        whole = whole_record(*where[(record.group, record.meeting)], loaded)
                    entry = entry_parts([whole], site_url=site.site_url)[0]
                for document, pieces in zip(documents, entry):
                    document.write(*pieces)
                if add is not None:
                    add(name, entry)
                del whole, entry
            for page in unrendered.values():
                render(page)
            written = [document.finish() for document in documents]
    finally:
        for document in documents:
            document.close()
    return [rendered[page.path] for page in work.pages] + written


class _Document:
    """A feed document written piece by piece at `target` (a file no earlier build wrote):
    its head, then each piece given, then its end (finish). The pieces go to the file
    _WRITE_AT bytes at a time, one system call each (an entry is ~10 pieces of ~50 bytes to a
    few KiB: a write each was ~85 a feed, ~5,400 of a cold build's ~9,200 at 1,000 meetings).
    Not hashed (_put says why)."""

    def __init__(self, path: str, target: str, head: bytes, end: bytes, folders: set[str]):
        self.path, self.end = path, end
        self.fd = _create(target, folders, fresh=True)
        self.pending: list[bytes] = []
        self.size = 0
        self.write(head)

    def write(self, *pieces: bytes) -> None:
        for piece in pieces:
            self.pending.append(piece)
            self.size += len(piece)
        if self.size >= _WRITE_AT:
            self._flush()

    def _flush(self) -> None:
        _write_pieces(self.fd, self.pending)
        self.pending, self.size = [], 0

    def finish(self) -> tuple[str, Written, bool]:
        self.write(self.end)
        self._flush()
        stat = os.fstat(self.fd)
        return self.path, Written("", "", stat.st_size, stat.st_mtime_ns), True

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _feed_memo(path: str | None) -> dict[str, tuple[Pieces, Pieces]]:
    """The entries a scope's feeds showed at the last build (key -> (RSS item, Atom entry)),
    or nothing (no cache, none kept yet, or not readable: the entries are made again)."""
    if path is None:
        return {}
    try:
        memo = load_memo(path)
    except Exception:
        return {}
    return memo if isinstance(memo, dict) else {}


def _render_pages(job: tuple[tuple[str, str | None], tuple, list[_Page]]) -> list[tuple[str, Written, bool]]:
    """Render and write meeting pages (in a worker): (path, what is there now, written?)."""
    config, (infos, newest), pages = job
    renderer = _renderer(*config).with_groups(infos, newest)
    loaded: dict = {}
    out, folders = [], set()
    for page in pages:
        record = whole_record(page.stored, page.at, page.segment, loaded)
        item = meeting_file(renderer, record, *page.around)
        out.append(_put(page.path, page.target, item.body, page.old, folders))
    return out


def _put(path: str, target: str, body: bytes | list[bytes], old: Written | None,
         folders: set[str]) -> tuple[str, Written, bool]:
    """Write `body` (bytes, or the pieces they are the join of: a feed, feeds.feed_pieces) at
    `target` unless the last build's file there already has these bytes. `folders`: those
    already made and checked by this caller.

    What is there is compared with the bytes themselves, read back, and only when the file is
    still as the last build left it (its size and time) and as long as the new bytes: no digest
    of what a build writes is kept (Written.digest ""; decision 114). Hashing every file
    written was ~3% of a cold build's instructions (BLAKE2b of ~14 MB at 200 meetings, ~62 MB
    at 1,000), for the few files a rebuild makes again and finds unchanged; reading one of
    those back costs about what hashing it did, and a file changed on disk behind the build's
    back is now found and written again even when its size and time were kept."""
    pieces = [body] if isinstance(body, bytes) else body
    if old is not None and old.size == sum(map(len, pieces)) and _still_there(target, old, pieces):
        return path, Written("", "", old.size, old.mtime_ns), False
    fd = _create(target, folders, fresh=old is None)
    try:
        for piece in pieces:   # a rebuild's feed: a piece at a time (writev's buffers would be
            _write_all(fd, piece)   # ~100 bytes a piece beside them, decision 105)
        stat = os.fstat(fd)
    finally:
        os.close(fd)
    return path, Written("", "", stat.st_size, stat.st_mtime_ns), True


def _still_there(target: str, old: Written, pieces: list[bytes]) -> bool:
    """The file at `target` is as the last build wrote it (`old`: its size and time) and holds
    exactly `pieces` joined (as long as it: checked by the caller). A link or anything but a
    regular file is never read (read_regular; _create then refuses a link)."""
    try:
        there, stat = read_regular(target, limit=old.size)
    except OSError:
        return False
    if there is None or (stat.st_size, stat.st_mtime_ns) != (old.size, old.mtime_ns):
        return False
    return there == (pieces[0] if len(pieces) == 1 else b"".join(pieces))


# Bytes a feed document gathers before it writes them (_Document).
_WRITE_AT = 64 * 1024
# Pieces one os.writev takes at most (the system's IOV_MAX is 1,024): it holds ~100 bytes for
# each (its Py_buffer and iovec) while it writes; a feed's pieces are ~5 KB on average.
_PIECES_PER_WRITE = 64


def _write_pieces(fd: int, pieces: list[bytes]) -> None:
    """Write the pieces in order: _PIECES_PER_WRITE a system call (writev), not one each."""
    for first in range(0, len(pieces), _PIECES_PER_WRITE):
        batch = pieces[first:first + _PIECES_PER_WRITE]
        done = os.writev(fd, batch) if len(batch) > 1 else os.write(fd, batch[0]) if batch else 0
        for piece in batch:   # what a short write left (a full disk says so in the next call)
            if done >= len(piece):
                done -= len(piece)
                continue
            _write_all(fd, memoryview(piece)[done:])
            done = 0


def _write_all(fd: int, piece: bytes | memoryview) -> None:
    view, done = memoryview(piece), 0
    while done < len(view):
        done += os.write(fd, view[done:])


def _refuse_link(folder: str) -> None:
    raise MinutesError(f"refusing to write through a symbolic link: {folder} leads to "
                       f"{os.path.realpath(folder)}; remove the link from the site folder")


def _create(target: str, folders: set[str], *, fresh: bool = False) -> int:
    """`target` opened for writing (a file descriptor: no buffered file object for a write
    of known bytes), refusing to follow a symbolic link found inside the site
    folder (its root is resolved, so a folder without links is its own real path): a link
    planted there would make the build write outside it. Each folder is checked once, before
    anything is made in it: when its parent is already checked (a real folder), a mkdir that
    succeeds made it (no link), else one lstat finds a link; when not, the realpath of the
    nearest folder above it that exists (an lstat per part of the path), which finds the
    folders above it real too. `fresh`: no file is expected there (no last build wrote one),
    so an exclusive create is tried first, and needs no fstat (a cold build: one system
    call per file and two per folder fewer)."""
    folder = os.path.dirname(target)
    if folder not in folders:
        parent = os.path.dirname(folder)
        if parent in folders:
            try:
                os.mkdir(folder)
            except FileExistsError:
                if os.path.islink(folder):
                    _refuse_link(folder)
                if not os.path.isdir(folder):
                    raise
            except FileNotFoundError:   # its parent removed meanwhile: made again, as makedirs does
                os.makedirs(folder, exist_ok=True)
        else:
            existing = parent
            while not os.path.lexists(existing) and existing != os.path.dirname(existing):
                existing = os.path.dirname(existing)
            if os.path.lexists(folder):
                existing = folder
            if os.path.realpath(existing) != existing:
                _refuse_link(existing)
            if existing != folder:
                os.makedirs(folder, exist_ok=True)   # below `existing`: new folders, no link
                if os.path.realpath(folder) != folder:   # unless another process made one
                    _refuse_link(folder)
            while parent not in folders and parent != os.path.dirname(parent):
                folders.add(parent)
                parent = os.path.dirname(parent)
        folders.add(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    if fresh:
        try:
            return os.open(target, flags | os.O_EXCL, 0o666)   # new: empty, one link
        except FileExistsError:   # a file (or a link) is there after all: the checks below
            pass
    try:
        fd = os.open(target, flags, 0o666)
    except OSError:
        if os.path.islink(target):
            raise MinutesError(f"refusing to write through a symbolic link: {target} leads to "
                               f"{os.path.realpath(target)}; remove the link from the site folder") from None
        raise
    stat = os.fstat(fd)
    if stat.st_nlink > 1 or stat.st_size:
        # A file with bytes is unlinked and made afresh, never truncated: on ext4 a truncation
        # to zero flushes the file at close (auto_da_alloc), and the next truncation of it
        # waits for that write (a rebuild rewrites the site's feeds each time: 3-4 ms per
        # file, up to ~100 under load); unlinking a file drops its unwritten pages. And a
        # hard link's other name (a snapshot made by `cp -al` or `rsync --link-dest`, say)
        # keeps its bytes. Checked before any byte changes.
        os.close(fd)
        os.unlink(target)
        return os.open(target, flags | os.O_EXCL, 0o666)
    return fd


class _DamagedCache(Exception):
    """A stored record could not be read: the build starts again without the cache."""


def build(src: Path, out: Path, *, site_url: str, max_bytes: int = 1024 * 1024,
          workers: int | None = None, progress=None, subscribe_url: str | None = None,
          cache_dir: Path | None = None) -> BuildResult:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise MinutesError(f"{src} is not a folder")
    for folder, name in ((out, "the site folder"), (cache_dir, "the cache folder")):
        problem = _not_a_folder(folder, name)
        if problem:
            raise MinutesError(problem)
    problem = inside_src(src, out, cache_dir)
    if problem:
        raise MinutesError(problem)
    options = dict(site_url=site_url, max_bytes=max_bytes, workers=workers, progress=progress,
                   subscribe_url=subscribe_url)
    for _ in range(_SCANS):
        try:
            return _closing_packs(src, out, cache_dir, options)
        except SourceGone:   # a file went between the scan and its reading: scan again
            continue
    raise MinutesError(f"files under {src} kept disappearing while they were read ({_SCANS} scans "
                       "in a row; a branch switch or a sync still going on?): build again once "
                       "they are still")


def _closing_packs(src: Path, out: Path, cache_dir: Path | None, options: dict) -> BuildResult:
    """_restarting, then the packs it read records from closed, whatever happened
    (buildcache._reading)."""
    try:
        return _restarting(src, out, cache_dir, options)
    finally:
        close_packs()


def _restarting(src: Path, out: Path, cache_dir: Path | None, options: dict) -> BuildResult:
    """One build; if a stored record could not be read, the cache is started again (its
    packs closed first) and the build made once more without what it held."""
    try:
        return _build(src, out, cache_dir=cache_dir, **options)
    except _DamagedCache:
        if cache_dir is None:
            raise
    close_packs()
    start_again(Path(cache_dir), options=_cache_options(options["site_url"], options["subscribe_url"],
                                                        options["max_bytes"]))
    return _build(src, out, cache_dir=cache_dir, **options)


def os_problem(failed: OSError) -> str:
    """What the system refused a build, in a line: the file or folder, why, and what to do."""
    where = f"{failed.filename}: " if failed.filename else ""
    return (f"{where}{failed.strerror or failed}: fix that file or folder (its permissions, or "
            "free space), or give --out or --cache-dir another place, and build again")


# Scans of SRC a build makes when files go while it reads them, before it gives up.
_SCANS = 3


def inside_src(src: Path, out: Path, cache_dir: Path | None = None) -> str | None:
    """Why the site folder or the cache folder cannot be where it is: SRC itself or a folder in
    it that a build reads (not a hidden one). The next build would take the site it wrote for
    sources (its pages and attachments, each rejected) (decision 95); the cache's files, written
    by every build, would be sources too (attachments in a meeting folder), and `--watch` would
    see each build's own writes as a change and build again for ever (decision 100)."""
    for folder, name, flag in ((out, "the site folder", "--out"),
                               (cache_dir, "the cache folder", "--cache-dir")):
        if folder is None:
            continue
        try:
            inside = Path(folder).resolve().relative_to(Path(src).resolve())
        except ValueError:
            continue
        if any(part.startswith(".") for part in inside.parts):
            continue   # never read: hidden (folder_walk)
        where = "SRC itself" if not inside.parts else f"inside SRC ({src})"
        what = ("read the site it wrote as sources" if flag == "--out" else
                "read the cache it wrote as sources (and --watch would build again for ever)")
        return (f"{name} {folder} is {where}, so the next build would {what}: give {flag} a "
                f"folder outside {src} (or a hidden one in it, such as "
                f"{Path(src) / ('.site' if flag == '--out' else '.cache')}, which builds never read)")
    return None


def _not_a_folder(folder: Path | None, name: str) -> str | None:
    """Why `folder` (made if missing) cannot be a folder: it, or a folder above it, is a file."""
    if folder is None:
        return None
    for place in (folder, *Path(folder).parents):
        if os.path.isdir(place):
            return None
        if os.path.lexists(place):
            return (f"{place} is a file, not a folder, so {name} {folder} cannot be made: "
                    "give a folder's name (it is made if missing), or move the file away")
    return None


def _cache_options(site_url: str, subscribe_url: str | None, max_bytes: int) -> tuple:
    """What else than the code makes a stored record or file: a change makes every page again."""
    return (site_url, subscribe_url, max_bytes)


def _build(src: Path, out: Path, *, site_url: str, max_bytes: int, workers: int | None, progress,
           subscribe_url: str | None, cache_dir: Path | None) -> BuildResult:
    site_host = urllib.parse.urlsplit(site_url).hostname or "localhost"
    cache = BuildCache(Path(cache_dir) if cache_dir else None,
                       options=_cache_options(site_url, subscribe_url, max_bytes))
    config = (site_url, subscribe_url, cache.templates)
    writer = early = None
    try:
        result = BuildResult()
        infos = groups(src, result)
        names = {group: info.name for group, info in infos.items()}
        refused: list = []
        listed = _listed(str(src))
        early = _forked_early(listed[0], workers, cache, out)
        jobs = _jobs(src, site_host, max_bytes, cache, names, refused, listed)
        del listed   # its paths: the kinds memo is kept pickled (BuildCache.keep_memo)
        cached = [job.digest and cache.meeting(job.digest) for job in jobs]
        todo = cached.count(None)
        workers = early.workers if early else _processes(workers, todo)
        # With workers, the templates are compiled once the workers have their first meetings
        # (the main process's own start, while they assemble); a worker then loads them from
        # the cache's bytecode when it first renders (decision 65).
        meanwhile = (lambda: _renderer(*config).load_templates()) if workers > 1 and todo > 1 else None
        with early or _Pool(workers, site=str(out), doing=_doing) as pool:
            found: dict[str, str] = {}
            assembled = _assemble_all(pool, jobs, cached, site_host, max_bytes, cache, result,
                                      progress, names, meanwhile, found)   # memos emptied
            records = _unique_segments([a.record for _, _, a in assembled])
            _warn_shared_urls(assembled, records, result)
            result.records = records
            writer = _Writer(out, cache)
            stored = {(a.record.group, a.record.meeting): (job, at) for job, at, a in assembled}
            where = {job.digest: cache.record_at(job.digest) for job, _, _ in assembled}
            looks = _looks(assembled, cache, found)
            shows = {(r.group, r.meeting): f"{looks[(r.group, r.meeting)]}:{r.segment}" for r in records}
            whole = _Whole(records, stored, where, cache)
            state = (infos, newest_by_group(records))
            renderer = _renderer(*config).with_groups(*state)
            units = _plan_listings(renderer, records, stored, shows, whole, writer)
            # The site-wide feeds show no page of their own: queued at once when there are
            # workers to take them, one makes them while the main process plans the rest (it
            # waited ~38 ms for the plan, decision 115); else first in the queue, as before.
            ahead = pool.started
            first = pool.map(_second_phase_packed, [(config, state, _feeds_job(unit, whole, writer, cache))
                                                    for unit in units if unit.feed_scope == "/"]) if ahead else []
            sitewide = sum(unit.feed_scope == "/" for unit in units) if ahead else 0
            # A large new search index, or any of a build of three processes or more, is one
            # queued item, next (a worker takes it while the main process plans; decisions
            # 71, 98); a smaller one, and a rebuild's patch, are made by the main process after
            # it has queued the feeds, as before.
            fresh = _fresh_search(records, whole, cache, writer)
            queued = fresh is not None and (fresh.listed >= QUEUED_SEARCH_FROM
                                            or workers >= QUEUED_SEARCH_PROCESSES)
            searched = pool.map(_second_phase, [(config, None, fresh)]) if queued else []
            pages = _plan_pages(records, writer, cache, stored, where, shows, names)
            # The workers take the queue from the front (the groups' feeds, each with the pages
            # of the meetings they show, then the other pages) while the main process patches
            # the search index (a rebuild) and makes the other listings, then takes queued items
            # from the back (one process: all of it, in turn).
            work = _second_phase_jobs([unit for unit in units if not (ahead and unit.feed_scope == "/")],
                                      pages, whole, writer, cache)
            rendered = pool.map(_second_phase_packed, [(config, state, item) for item in work])
            shares = [_share(item) for item in work]   # the bar's second stage (decision 118)
            # Queued: each job is freed once a process has it, as nothing here holds it then
            # (nor what only the planning read), while the index below is made (decision 86).
            del work, pages, shows, looks, found
            if fresh is None:
                _write_search(records, _idents(records, assembled), whole, cache, writer)
            elif not queued:
                searched = [_make_search(fresh)]
            _write_listings(renderer, units, writer)
            # What only the planning read (the index's docs, the listings, the maps to the
            # store): freed before the main process takes its share of the queue, whose pages
            # and feeds then reuse the space (decision 86).
            del fresh, units, whole, where, stored
            done, total = 0, sum(shares) + sitewide   # the site's feeds count as one
            for files, share in zip(itertools.chain(rendered, first), shares + [1] * sitewide):
                for path, written, wrote in pickle.loads(files):
                    writer.wrote_elsewhere(path, written, wrote)
                done += share
                if progress and total:
                    progress(done, total, SECOND_STAGE)
            for files in searched:   # its paths are known once it is made: claimed here
                for path, written, wrote in files:
                    writer.claim(path)
                    writer.wrote_elsewhere(path, written, wrote)
        # Made once the workers are gone: held through the second phase, they were ~0.3 MiB of
        # the main process at the tree's peak (decision 96).
        cache.keep_listing(_idents(records, assembled))
        _write_attachments(assembled, records, writer)
        for key, problem in refused:   # what the scan could not enter or read: never dropped
            (result.rejected if problem.is_error else result.warnings)[key] = [problem]
        result.written, result.files = writer.finish()
        result.hashed = cache.hashed
        return result
    except BaseException:
        if early is not None:
            early.close()   # forked before its `with` (a no-op once closed)
        cache.discard(_may_have_written(writer))
        raise


class _Whole:
    """Whole records read from the store one at a time, by (group, meeting)."""

    def __init__(self, records: list[MeetingRecord], stored: dict, where: dict, cache: BuildCache):
        self._segments = {(r.group, r.meeting): r.segment for r in records}
        self._stored = stored
        self._where = where
        self._cache = cache
        self._loaded: dict = {}

    def __call__(self, key: tuple[str, str]) -> MeetingRecord:
        return whole_record(*self.where(key), self._loaded)

    def words_at(self, key: tuple[str, str]) -> tuple | None:
        """(stored, at): where its search words are (the store holds them beside its whole
        outcome), for stored_words in any process; None when none were stored."""
        job, at = self._stored[key]
        stored = self._cache.words_at(job.digest)
        return None if stored is None else (stored, at)

    def where(self, key: tuple[str, str]) -> tuple[str, int, str]:
        """(stored, at, segment): what whole_record needs, in any process."""
        job, at = self._stored[key]
        return self._where[job.digest], at, self._segments[key]


def _looks(assembled, cache: BuildCache, found: dict) -> dict[tuple[str, str], str]:
    """(group, meeting) -> a hash of its light record (what listings and prev/next links show
    of it), computed once per meeting (a memo in the cache; `found`: those made where the
    meetings were just assembled): a change to the text of the minutes alone then leaves alone
    every listing but the feeds, and the neighbours' pages."""
    old, new, out = cache.memo("looks"), {}, {}
    for job, at, item in assembled:
        key = f"{job.digest}:{at}"
        look = new[key] = found.get(key) or old.get(key) or _look(item.record)
        out[(item.record.group, item.record.meeting)] = look
    cache.keep_memo("looks", new)
    return out


def _idents(records: list[MeetingRecord], assembled) -> dict:
    """(group, meeting) -> (ident, date ordinal, listed) of each record, as the next build
    compares them (BuildCache.previous_listing): ident names its whole record (its meeting's
    digest and URL segment)."""
    digests = {(item.record.group, item.record.meeting): job.digest for job, _, item in assembled}
    return {(r.group, r.meeting): (_ident(digests[(r.group, r.meeting)], r), r.date.toordinal(), r.listed)
            for r in records}


def _ident(digest: str, record: MeetingRecord) -> str:
    return f"{digest}:{record.segment}"


def _plan_listings(renderer: PageRenderer, records: list[MeetingRecord], stored: dict,
                   shows: dict, whole: "_Whole", writer: "_Writer") -> list:
    """Every listing unit of site.listing_units to make: those whose inputs (its label and the
    meetings it shows: by their whole record's identity for a unit that shows content, the
    feeds, else by their light record's) differ from the last build's or whose files are not
    as written. Feeds read the whole records of the entries they show."""
    salt = hashes.digest(repr((sorted((g, repr(i)) for g, i in renderer.groups.items()),
                                sorted(renderer.newest.items()))).encode())
    todo, scopes = [], set()
    for unit in listing_units(renderer, records, feed_limit=FEED_LIMIT,
                              whole=lambda r: whole((r.group, r.meeting))):
        if unit.feed_scope is not None:
            scopes.add(unit.feed_scope)
        shown = ",".join([_ident(stored[(r.group, r.meeting)][0].digest, r) if unit.whole
                          else shows[(r.group, r.meeting)] for r in unit.shows])
        inputs = hashes.digest(f"{salt}|{'|'.join(unit.paths)}|{unit.label}|{shown}".encode())
        if not [path for path in unit.paths
                if not writer.unchanged(path, writer.claim(path), inputs)]:
            continue
        for path in unit.paths:
            writer.expect(path, inputs)
        todo.append(unit)
    writer.cache.keep_feed_memos(scopes)
    return todo


def _feeds_job(unit, whole: "_Whole", writer: "_Writer", cache: BuildCache,
               pages: tuple[_Page, ...] = ()) -> _Feeds:
    return _Feeds(unit.feed_scope, unit.shows,
                  tuple(whole.where((r.group, r.meeting)) for r in unit.shows),
                  tuple((path, writer.target(path), cache.previous(path) if cache.keeps else None)
                        for path in unit.paths),
                  cache.feed_memo(unit.feed_scope), pages)


def _second_phase_jobs(units: list, pages: list[_Page], whole: "_Whole", writer: "_Writer",
                       cache: BuildCache) -> list:
    """The planned feeds and pages as jobs, in the order to take them: the site-wide feeds;
    each group's feeds with the pages to render of the meetings they show (their whole records
    are read once, for the page and the entry); the other pages, _PAGES_PER_JOB a job, in
    their planned order. The site-wide feeds make their entries again from the whole records
    (the groups' feeds make the same ones): handing them over from the groups' jobs would
    hold them in the main process until its end, at its peak (decision 70)."""
    unplaced = {page.path: page for page in pages}
    feeds = []
    for unit in units:
        if unit.feed_scope is None:
            continue
        own = () if unit.feed_scope == "/" else tuple(
            unplaced.pop(r.url_path + "index.html") for r in unit.shows
            if r.url_path + "index.html" in unplaced)
        feeds.append(_feeds_job(unit, whole, writer, cache, own))
    rest = [page for page in pages if page.path in unplaced]
    return [*feeds, *(rest[i:i + _PAGES_PER_JOB] for i in range(0, len(rest), _PAGES_PER_JOB))]


def _share(item) -> int:
    """What a second-phase job counts for on the progress bar: each page it renders, and a
    group's (or the site's) feeds as one."""
    return len(item.pages) + 1 if isinstance(item, _Feeds) else len(item)


def _write_listings(renderer: PageRenderer, units: list, writer: "_Writer") -> None:
    """Static files and the planned listing units but the feeds (_render_feeds makes them),
    each written as it is made: one unit's files are held at a time."""
    for item in static_files(renderer):
        writer.write(item)
    for unit in units:
        if unit.feed_scope is not None:
            continue
        made = unit.make()
        if sorted(item.path for item in made) != sorted(unit.paths):
            raise MinutesError(f"build: expected {sorted(unit.paths)}, made {sorted(i.path for i in made)}")
        for item in made:
            writer.write(item)


def _fresh_search(records: list[MeetingRecord], whole: _Whole, cache: BuildCache,
                  writer: "_Writer") -> _Search | None:
    """A new search index to make, or None when the last build's can be patched (it is there,
    all its files still as written, with the term files of this build's count). A new one is
    made from each meeting's light record and the words its assembly stored."""
    previous = cache.previous_listing() if cache.keeps else None
    old_paths = [p for p in cache.old_paths() if search.is_search_file(p)]
    # A new index when the last one is gone, changed since, or cut into another count of term
    # files (the archive crossed a power of two: every term file changes anyway).
    if previous is not None and all(cache.still_written(p, writer.target(p)) for p in old_paths) \
            and not search.needs_reshard(_read_site(writer, search.META_PATH),
                                         len(search.searchable(records))):
        return None
    light = {(r.group, r.meeting): r for r in records}
    return _Search(tuple((doc_id, _shown(light[key]), whole.words_at(key), whole.where(key))
                         for doc_id, key in build_search.fresh_order(records)),
                   len(search.searchable(records)), writer.prefix,
                   {p: cache.previous(p) for p in old_paths} if cache.keeps else {})


def _read_site(writer: "_Writer", path: str) -> bytes | None:
    try:
        with open(writer.target(path), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write_search(records: list[MeetingRecord], idents: dict, whole: _Whole, cache: BuildCache,
                  writer: "_Writer") -> None:
    """Patch the last build's search index (_fresh_search found it usable) with the records
    that changed; other files stay as they are."""
    previous = cache.previous_listing()
    old_paths = [p for p in cache.old_paths() if search.is_search_file(p)]

    def read(path: str) -> bytes | None:
        return _read_site(writer, path)

    before = {key: build_search.Entry(key[0], key[1], dt.date.fromordinal(day))
              for key, (_, day, listed) in previous.items() if listed}
    changed = {key for key in idents.keys() | previous.keys() if previous.get(key) != idents.get(key)}

    def whole_before(key: tuple[str, str]) -> MeetingRecord | None:
        """The whole record the last build indexed (its store entry is removed only when
        this build finishes)."""
        digest, _, segment = previous[key][0].partition(":")
        try:
            outcome = load_record(cache.record_at(digest))[1]
        except Exception:   # gone or damaged: the days are patched whole
            return None
        for item in outcome if isinstance(outcome, list) else ():
            record = getattr(item, "record", None)
            if record is not None and (record.group, record.meeting) == key:
                return record if record.segment == segment else record.moved_to(segment)
        return None

    files = build_search.plan(before=before, after=records, changed=changed, whole=whole, read=read,
                              whole_before=whole_before)
    for path in old_paths:
        if path not in files:
            writer.claim(path)
            cache.carried(path, cache.previous(path))
    for path, body in files.items():
        if body is not None:
            writer.write(SiteFile(path, body, content_type(path)))


def _may_have_written(writer: "_Writer | None") -> list[str]:
    """The site files a failed build may have written: those it claimed, and every search file
    there, whoever wrote it (a new index's files are claimed only once it is made, and a worker
    may have made it): the next build must not take a half-written index as the last one's."""
    if writer is None:
        return []
    found = list(writer.claimed)
    for folder in (search.TERMS_DIR, search.DOCS_DIR, search.KEYS_DIR):
        try:
            found += [folder + name for name in os.listdir(writer.target(folder))]
        except OSError:          # no such folder: nothing of it written
            continue
    if os.path.lexists(writer.target(search.META_PATH)):
        found.append(search.META_PATH)
    return found


_Pool = ForkPool   # the main process and workers - 1 forked workers (forkpool.py)


def _doing(fn) -> str:
    """What the build was doing when a worker ran `fn`, in words (WorkerDied)."""
    return "assembling meetings" if fn is _assemble_packed else "writing pages and feeds"


def _processes(asked: int | None, todo: int) -> int:
    """Processes for a build that assembles `todo` meetings: as asked (--jobs), or one per
    core from SOLO_BELOW meetings on."""
    return max(1, asked or (1 if todo < SOLO_BELOW else os.cpu_count() or 1))


def _forked_early(files: list[str], asked: int | None, cache: BuildCache, out: Path) -> _Pool | None:
    """A cold build's pool, its workers forked at once (decision 87), or None. With a cache
    that knows no source every meeting is assembled, so the processes can be decided on the
    files listed (each .md file one meeting at most) before the main process makes its job
    of each meeting: a worker forked after that shares the pages of those jobs, which the main
    process then writes (reference counts, freeing), each page then copied and the old one
    the worker's alone (0.9 MiB of its unique memory at 1,000 meetings). Otherwise the
    workers are forked when first given work, as before."""
    if not cache.cold:
        return None
    workers = _processes(asked, sum(rel.endswith(".md") for rel in files))
    if workers < 2:
        return None
    pool = _Pool(workers, site=str(out), doing=_doing)
    pool.start()
    return pool


def _jobs(src: Path, site_host: str, max_bytes: int, cache: BuildCache,
          names: dict[str, str], refused: list, listed: tuple | None = None) -> list[_Job]:
    """A job per meeting under SRC; `refused` is filled as _gather fills it; `listed`: _listed(src)."""
    jobs = []
    root = str(src)
    prefix = os.path.join(root, "")
    meetings, kinds = _gather(root, cache.memo("kinds"), refused, listed)
    for rels in meetings.values():
        files = []
        for rel in rels:
            key, path = keys.PREFIX + rel, prefix + rel
            files.append((key, path, cache.source_digest(key, path, read_limit(key, max_bytes))))
        group = keys.group_of_key(files[0][0]) if files else ""
        jobs.append(_job(site_host, max_bytes, names.get(group), tuple(files)))
    cache.keep_memo("kinds", kinds)
    return jobs


def _assemble_all(pool: _Pool, jobs: list[_Job], outcomes: list, site_host: str, max_bytes: int,
                  cache: BuildCache, result: BuildResult, progress, names: dict[str, str],
                  meanwhile=None, looks: dict | None = None) -> list[tuple[_Job, int, Assembled]]:
    """`outcomes`: the cached light outcome of each job, None where it must be assembled.
    `meanwhile`: what the main process does once the work is queued, before it helps.
    `looks`: filled with the _look of each assembled meeting, by "<job digest>:<at>"."""
    todo = [at for at, outcome in enumerate(outcomes) if outcome is None]
    cached = [outcome is not None for outcome in outcomes]
    # The front matter each meeting read last time (by its first source key): a reused one
    # keeps it, an assembled one is given it and keeps what it reads now.
    old_front = cache.memo("front")
    front = {name: old_front[name] for job, outcome in zip(jobs, outcomes)
             if outcome is not None and (name := job.files[0][0]) in old_front}
    work = [(site_host, jobs[at], max_bytes, names.get(keys.group_of_key(jobs[at].files[0][0])),
             old_front.get(jobs[at].files[0][0])) for at in todo]
    done = len(jobs) - len(todo)
    # A few meetings per queued item: one meeting (~5 ms) costs about as much to hand over as
    # to assemble when the main process is busy (each hand-over waits for its GIL).
    size = max(1, min(_ASSEMBLE_PER_JOB, len(work) // (8 * pool.workers)))
    packs = cache.new_packs()
    chunks = [(packs, work[i:i + size]) for i in range(0, len(work), size)]
    # Handed back pickled (bytes, in malloc's heap, not in pymalloc's arenas) and made objects
    # only once this process's assembling is over and its memos are emptied: what it keeps of
    # each meeting then fills the space its assembling's temporaries left, rather than new
    # arenas among them (decision 92). Those made by then are unpacked while the workers make
    # their last ones, the rest as they come (decision 115).
    def seen(index: int) -> None:
        nonlocal done
        done += len(chunks[index][1])
        if progress:
            progress(done, len(jobs))
    made_by = pool.as_made(_assemble_packed, chunks, seen)
    if meanwhile is not None:
        meanwhile()
    forgotten = False
    for index, chunk in made_by:
        if not forgotten:
            _forget_assembly()
            forgotten = True
        first = index * size
        for at, made in zip(todo[first:first + size], pickle.loads(chunk)):
            outcomes[at] = made.light
            for key, source in made.seen.items():
                cache.saw_source(key, source)
            jobs[at] = _completed(jobs[at], made.seen, site_host, max_bytes,
                                  names.get(keys.group_of_key(jobs[at].files[0][0])))
            cache.keep_meeting(jobs[at].digest, made.light, made.where, made.words)
            if looks is not None:
                looks.update((f"{jobs[at].digest}:{n}", look) for n, look in enumerate(made.looks))
            if made.read:
                front[jobs[at].files[0][0]] = made.read
    if not forgotten:   # nothing assembled
        _forget_assembly()
    cache.keep_memo("front", front)
    assembled, reused = [], set()
    for job, (name, outcome), was_cached in zip(jobs, outcomes, cached):
        if outcome and isinstance(outcome[0], Assembled):
            assembled += [(job, at, item) for at, item in enumerate(outcome)]
            found = [p for item in outcome for p in item.problems]
            if found:
                result.warnings[name] = found
            if was_cached:
                reused.update(id(item) for item in outcome)
        else:
            result.rejected[name] = outcome
    # A running-notes section held by two files (the yearly archive move) is built once.
    if any(item.record.meeting.endswith(keys.NOTES_SUFFIX) for _, _, item in assembled):
        kept = {id(item) for item in _running_notes().one_per_meeting([item for _, _, item in assembled])}
        assembled = [(job, at, item) for job, at, item in assembled if id(item) in kept]
    # Meetings built, as the summary counts them: a rejected file is counted as rejected, not
    # as unchanged, however often it is rejected again (decision 101).
    result.reused += sum(id(item) in reused for _, _, item in assembled)
    return assembled


def _warn_shared_urls(assembled: list, records: list[MeetingRecord], result: BuildResult) -> None:
    """Meetings of a group whose names give one URL (2019-04-18.md, 2019.04.18.md) are each
    published, the later in meeting order at `-2`, ... (_unique_segments); each source is
    warned with the others and every one's URL (shared_url.py, decision 110), as check is."""
    if len({(item.record.group, item.record.segment) for _, _, item in assembled}) == len(assembled):
        return   # nearly always: every URL once (~0.1 ms at 1,000 meetings)
    final = {(r.group, r.meeting): r.segment for r in records}
    wanting: dict[tuple[str, str], dict[str, str]] = {}
    for job, _, item in assembled:
        record = item.record
        wanting.setdefault((record.group, record.segment), {})[job.files[0][0]] = \
            shared_url.url_of(record.group, final[(record.group, record.meeting)])
    for urls in wanting.values():
        for key in urls if len(urls) > 1 else ():
            result.warnings.setdefault(key, []).append(shared_url.shared_url(key, urls))


def _running_notes():
    """running_notes.py, imported only for an archive that may hold running-notes files (an
    undated key): its patterns and classes cost a one-shot rebuild of dated minutes ~5 ms."""
    from . import running_notes
    return running_notes


def _plan_pages(records, writer: "_Writer", cache: BuildCache, stored: dict, where: dict,
                shows: dict, names: dict[str, str]) -> list[_Page]:
    """The pages to render: every page, less (with a cache) those whose inputs (the whole
    record, what its neighbours' light records show, its group's name) are unchanged and whose
    file is still as written."""
    around = all_neighbours(records)
    todo = []
    for record in records:
        pair = around.get((record.group, record.meeting), (None, None))
        path = record.url_path + "index.html"
        target = writer.claim(path)
        # A digest of them, not the ~300 characters: the cache keeps it for each page, held
        # through the second phase (decision 96).
        inputs = hashes.digest("|".join((_ident(stored[(record.group, record.meeting)][0].digest, record),
                                         *(shows[(r.group, r.meeting)] if r else "-" for r in pair),
                                         f"{names.get(record.group)}")).encode())
        if writer.unchanged(path, target, inputs):
            continue
        writer.expect(path, inputs)
        job, at = stored[(record.group, record.meeting)]
        todo.append(_Page(where[job.digest], at, record.segment, pair, path, target,
                          cache.previous(path)))
    return todo


def _write_attachments(assembled, records: list[MeetingRecord], writer: "_Writer") -> None:
    by_meeting = {(r.group, r.meeting): r for r in records}
    for job, _, item in assembled:
        if not item.attachments:   # most meetings: nothing to look up
            continue
        record = by_meeting[(item.record.group, item.record.meeting)]
        final = {a.name: a for a in record.attachments}
        local = {key: (path, digest) for key, path, digest in job.files}
        for source, att in item.attachments:
            path, digest = local[source.key]
            target = final[att.name].url_path
            if writer.unchanged(target, writer.claim(target), digest):
                continue
            writer.expect(target, digest)
            try:
                data = read_regular(path)[0]
            except OSError:   # changed since it was assembled: the build scans again
                raise SourceGone(path) from None
            writer.write(SiteFile(target, data, att.content_type))


def _unique_segments(records: list[MeetingRecord]) -> list[MeetingRecord]:
    """Meetings that give one URL: the first in meeting order keeps it, the next gets '-2',
    '-3', ..., a `-n` another meeting wants as its own skipped (shared_url.placed, as check and
    publish place them: decisions 110 and 117)."""
    records = sorted(records, key=lambda r: (r.group, r.meeting))
    wanting: dict[tuple[str, str], list[str]] = {}
    for record in records:
        wanting.setdefault((record.group, record.segment), []).append(record.meeting)
    if len(wanting) == len(records):
        return records   # nearly always: every URL once
    at: dict[tuple[str, str], str] = {}
    for (group, segment), meetings in wanting.items():
        if len(meetings) > 1:
            for meeting, place in shared_url.placed(
                    segment, meetings, lambda s, g=group: (g, s) in wanting).items():
                at[(group, meeting)] = place
    return [record.moved_to(at[(record.group, record.meeting)])
            if at.get((record.group, record.meeting), record.segment) != record.segment else record
            for record in records]


def _target(prefix: str, path: str) -> str:
    """The file for site path `path` in the site folder `prefix` (with a final separator), in
    any process. Site paths come from checked keys; normalising (not resolving: no disk access
    per file) is enough to refuse one that climbs out."""
    relative = path.lstrip("/")
    if (not relative or relative[0] == "." or relative[-1] == "/" or "/." in relative
            or "//" in relative or "%" in relative or "\0" in relative):
        relative = posixpath.normpath(urllib.parse.unquote(relative))   # else: nothing to normalise
    if relative in ("", ".", "..") or relative.startswith(("../", "/")) or "\0" in relative:
        raise MinutesError(f"refusing to write outside {prefix[:-1]}: {path}")
    return prefix + relative   # os.path.join's result, without its cost per file


class _Writer:
    """Writes site files under `out`: refuses a path outside it or a path planned twice, and
    (with a cache) leaves alone a file whose bytes are already there, and removes the files
    of the previous build that this one no longer has."""

    def __init__(self, out: Path, cache: BuildCache):
        self.root = str(out.resolve())
        self.prefix = self._prefix = os.path.join(self.root, "")
        self.cache = cache
        self.seen: set[str] = set()
        self.claimed: list[str] = []   # site paths, as seen holds their files
        self.folders: set[str] = set()
        self.written = 0
        self._inputs: dict[str, str] = {}

    def target(self, path: str) -> str:
        return _target(self._prefix, path)

    def claim(self, path: str) -> str:
        """The file for site path `path`, which no other file of this build may have."""
        target = self.target(path)
        if target in self.seen:
            raise MinutesError(f"two files want the same path: {path}")
        self.seen.add(target)
        self.claimed.append(path)
        return target

    def unchanged(self, path: str, target: str, inputs: str) -> bool:
        """The file at `path` (claimed) was made from the same `inputs` and is still as
        written: it is part of this site as it stands."""
        return self.cache.keeps and self.cache.still_written(path, target, inputs=inputs)

    def expect(self, path: str, inputs: str) -> None:
        self._inputs[path] = inputs

    def wrote_elsewhere(self, path: str, written: Written, wrote: bool) -> None:
        """A file a worker wrote (claimed here before)."""
        self.written += wrote
        self.cache.carried(path, written._replace(inputs=self._inputs.pop(path, "")))

    def write(self, item: SiteFile) -> None:
        target = self.target(item.path)
        if target not in self.seen or item.path not in self._inputs:
            target = self.claim(item.path)
        path, written, wrote = _put(item.path, target, item.body,
                                    self.cache.previous(item.path) if self.cache.keeps else None,
                                    self.folders)
        self.wrote_elsewhere(path, written, wrote)

    def finish(self) -> tuple[int, int]:
        emptied: set[str] = set()
        for stale in self.cache.finish():
            target = self.target(stale)
            folder = os.path.dirname(target)
            if (target not in self.seen and os.path.isfile(target)
                    and os.path.realpath(folder) == folder):
                os.unlink(target)   # never through a linked folder: that file is not the site's
                emptied.add(folder)
        self._remove_empty(emptied)
        return self.written, len(self.seen)

    def _remove_empty(self, folders: set[str]) -> None:
        """Folders (and the folders above them, up to the site's root) that removing stale
        files left empty: a fresh build of the same sources has no such folder. rmdir refuses
        a folder holding anything, so whatever else is there stays."""
        for folder in sorted(folders, key=len, reverse=True):   # deepest first
            while folder.startswith(self._prefix) and folder not in self.folders:
                try:
                    os.rmdir(folder)
                except OSError:     # not empty (or already gone with a deeper one's climb)
                    break
                folder = os.path.dirname(folder)


def write_site(files: list[SiteFile], out: Path) -> int:
    """Write every file under `out`; refuse a path outside it or a path written twice."""
    cache = BuildCache(None, options=())
    try:
        writer = _Writer(Path(out), cache)
        for item in files:
            writer.write(item)
        return writer.finish()[0]
    except BaseException:
        cache.discard()   # its temporary store, as a failed build's
        raise


def settle_heap() -> None:
    """For a process that is about to build (the `minutes build` command): what is imported
    stays (gc.freeze: the collector stops walking it again and again, and forked workers do
    not touch, so copy, the pages holding it), and young objects are collected ten times less
    often: together they halved the collector's time of a 1,000-meeting build (0.8 -> 0.3 s)
    for 1 MiB more (decision 49)."""
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, 10, 10)


def default_cache_dir(out: Path) -> Path:
    """One cache folder per output folder, outside it (the site folder is what gets synced)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]
    return base / "minutes" / f"build-{name}"


FIRST_STAGE, SECOND_STAGE = "sources", "pages and feeds"


def print_progress(done: int, total: int, stage: str = FIRST_STAGE) -> None:
    """A bar per stage of the build, each full only when that stage's work is: the sources
    assembled (a Markdown file or a meeting folder each, not meetings: a running-notes file is
    many, a rejected file none: decision 108), then the pages rendered and the feeds made, a
    third of a cold build, which the first bar left full while it ran (decision 118). Only a
    stage's last line is printed when stderr is not a terminal."""
    if sys.stderr.isatty() or done == total:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else "\r"
        print(f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {stage}", end=end,
              file=sys.stderr, flush=True)

