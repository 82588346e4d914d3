"""index: rewrite only what a change touches, reading only what those files show (one at a time).

For each changed meeting: commit its move in the Listings table (the light projection the lists
show; aws/listings.py), then render from the table what depends on it: its page and its
neighbours' pages; in each list it was or is in (streams.py) the front page and the numbered
pages from its position to the newest (pages are numbered from the oldest, so for a new meeting
that is the front page, plus one new page every per_page meetings); the scope's feeds, which
read the full content of their newest `feed_limit` meetings only; the group's calendar; the
sitemap of its group and year; the sitemap index only when a group or year appears or goes.
Nothing here reads every record, so a publish costs the same at 10 meetings and at 10,000.

The files are the same bytes `minutes build` makes (the same functions in site.py cut and
render them). The commit comes first and keeps the previous entry (`was`): a retried batch
finds its meetings already committed and re-renders from the same before/after pair.
"""
from __future__ import annotations

import functools
import itertools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass

from .. import search, sitemap, streams
from ..ical import calendar_path
from ..aws.dynamo import MeetingsTable
from ..aws.listings import ListingsTable, light_item, light_record
from ..aws.parallel import concurrently
from ..aws.s3 import SiteStore, object_key
from ..group import newest_by_group
from ..messages import GROUP_UPDATE, SiteUpdate
from ..model import MeetingRecord
from ..pages import PageRenderer
from ..site import (CALENDAR_LIMIT, SiteFile, calendar_file, catalog_files, content_type, feed_files,
                    group_sitemap, group_sitemap_path, meeting_file, static_files, stream_files,
                    whole_site)


SHARD_LISTING = 1000   # keys of the shard folder listed before reading shards (one S3 page)


@dataclass(frozen=True)
class IndexResult:
    written: int
    unchanged: int
    deleted: int = 0


@dataclass(frozen=True)
class _Change:
    record: MeetingRecord | None     # the full record now (None once removed)
    now: MeetingRecord | None        # its listing entry now (None: not listed)
    was: MeetingRecord | None        # its listing entry before this change


def light(record: MeetingRecord | None) -> MeetingRecord | None:
    """What the lists show of a record (None when it is not listed)."""
    return light_record(light_item(record)) if record is not None and record.listed else None


class Indexer:
    def __init__(self, *, meetings: MeetingsTable, listings: ListingsTable, site: SiteStore,
                 renderer: PageRenderer, feed_limit: int = 50):
        self.meetings, self.listings, self.site = meetings, listings, site
        self.renderer, self.feed_limit = renderer, feed_limit
        self.per_page = renderer.config.per_page
        self._wrote_sitemap_index = False
        self._view = renderer   # the renderer with the groups' group.yaml, per batch
        self._lists: dict[str, SiteFile] = {}   # listing files to write once the batch is planned
        self._unlisting = threading.Lock()
        self._term_keys: tuple[list[str], bool] = ([], False)   # the shard folder's first page

    def apply(self, updates: list[SiteUpdate]) -> IndexResult:
        before = (self.site.writes, self.site.skipped, self.site.deleted)
        self._lists = {}   # (a batch that failed may have left some: it is redone whole)
        infos = self.meetings.group_infos()
        changes = self._commit([u for u in updates if u.meeting != GROUP_UPDATE])
        if any(u.meeting == GROUP_UPDATE for u in updates):
            # A group.yaml changed: its name is on every page that lists the group, its schedule
            # on the archive. Rare, so everything is rewritten (what is unchanged is skipped).
            self._rewrite(infos)
            return IndexResult(self.site.writes - before[0], self.site.skipped - before[1],
                               self.site.deleted - before[2])
        # Group cards and "next meeting" follow each group's newest meeting: read per group only
        # when some group has a group.yaml.
        self._view = self.renderer.with_groups(infos, self._newest() if infos else {})
        self._meeting_pages(changes)
        self._search(changes)
        scopes = self._touched(changes)
        # One probe (a HEAD) a batch: the sitemap index is the last file written (below), so
        # while it is missing no batch has finished. Then the archive's front page and the
        # sitemap index are made whatever the batch lists (the first run may list nothing: a
        # draft), and a run that stopped half-way is finished by the next.
        unfinished = not self.site.exists(sitemap.SITEMAP_PATH)
        if unfinished:
            scopes.setdefault("/", {"/": None})
        self._wrote_sitemap_index = False
        for scope, touched in sorted(scopes.items()):
            self._scope(scope, touched, changes)
        if unfinished and not self._wrote_sitemap_index:
            self._sitemap_index()
        for item in static_files(self._view):
            self._list(item)
        # The meeting pages are written already (before the lists that link to them); the
        # listing files now, concurrently, the sitemap index (when it changed) after them.
        last = self._lists.pop(sitemap.SITEMAP_PATH, None)
        self.site.put_many(list(self._lists.values()))
        if last is not None:
            self.site.put(last)
        self._lists = {}
        return IndexResult(self.site.writes - before[0], self.site.skipped - before[1],
                           self.site.deleted - before[2])

    # --- the Listings table ------------------------------------------------------------

    def _commit(self, updates: list[SiteUpdate]) -> list[_Change]:
        keys = list(dict.fromkeys((u.group, u.meeting) for u in updates))
        pointers = self.listings.pointers(keys)
        changes, commits = [], []
        records = self.meetings.many(keys)
        for group, meeting in keys:
            record = records.get((group, meeting))
            if record is not None and record.status == "removed":
                record = None
            now = light(record)
            stored_now, stored_was = pointers[(group, meeting)]
            if stored_now == now:        # committed already (a retry, or a duplicate message)
                was = stored_was
            else:
                was = stored_now
                commits.append((group, meeting, now, was))
            changes.append(_Change(record, now, was))
        for group, meeting, now, was in _vacated_first(commits):
            self.listings.commit(group, meeting, now=now, was=was)
        return changes

    # --- meeting pages -----------------------------------------------------------------

    def _meeting_pages(self, changes: list[_Change]) -> None:
        """The changed pages, and the pages on either side of where they are and were."""
        done = {(c.record.group, c.record.meeting) for c in changes if c.record is not None}
        changed = [c.record for c in changes if c.record is not None]
        entries = [e for c in changes for e in (c.now, c.was) if e is not None]
        # The neighbours of every page and entry at once (concurrent Queries, each asked once:
        # a new meeting's entry asks what its page asks), then of the pages around them.
        sides = self.listings.neighbours_many(changed + entries)
        pages = [meeting_file(self._view, r, *near) for r, near in zip(changed, sides)]
        around: dict[tuple[str, str], MeetingRecord] = {}
        for near in sides[len(changed):]:
            for side in near:
                if side is not None and (side.group, side.meeting) not in done:
                    around[(side.group, side.meeting)] = side
        full = self.meetings.many(around)
        # Removed or a draft since: its own update is queued, and publish has already moved its page.
        kept = [full[key] for key in sorted(full) if full[key].listed]
        pages += [meeting_file(self._view, r, *near)
                  for r, near in zip(kept, self.listings.neighbours_many(kept))]
        self.site.put_many(pages)

    # --- lists, feeds, calendars, sitemaps ----------------------------------------------

    def _list(self, item: SiteFile) -> None:
        """Write a listing file at the end of the batch (the last version planned wins)."""
        self._lists[item.path] = item

    def _unlist(self, path: str) -> None:
        """Delete a listing file now (and forget a version of it planned earlier)."""
        with self._unlisting:   # plans run concurrently (_scope); the store counts its deletes
            self._lists.pop(path, None)
            self.site.delete(path)

    def _touched(self, changes: list[_Change]) -> dict[str, dict[str, str | None]]:
        """scope -> stream -> the lowest position a change touches in it."""
        scopes: dict[str, dict[str, str | None]] = defaultdict(dict)
        for change in changes:
            for entry in filter(None, (change.now, change.was)):
                for stream, position in streams.streams_of(entry).items():
                    low = scopes[streams.scope_of(stream)].get(stream)
                    scopes[streams.scope_of(stream)][stream] = min(low, position) if low else position
        return scopes

    def _scope(self, scope: str, touched: dict[str, str | None], changes: list[_Change]) -> None:
        group = None if scope == "/" else scope.strip("/")
        counts, upcoming = concurrently(lambda read: read(), [
            lambda: self.listings.heads(scope),
            lambda: self.listings.entries(scope + streams.UPCOMING) if group else []])
        delta: dict[str, int] = defaultdict(int)
        for change in changes:
            for stream in streams.streams_of(change.now) if change.now else {}:
                delta[stream] += 1
            for stream in streams.streams_of(change.was) if change.was else {}:
                delta[stream] -= 1
        old = {s: counts.get(s, 0) - delta.get(s, 0) for s in {*counts, *delta}}
        years, old_years = streams.years_in(counts, scope), streams.years_in(
            [s for s, n in old.items() if n > 0], scope)
        if years != old_years:   # the year links of every front page in the scope change
            for year in {*years, *old_years}:
                touched.setdefault(f"{scope}{year}/", None)
            touched.setdefault(scope, None)
        if group is not None and scope + streams.UPCOMING in touched:
            touched.setdefault(scope, None)   # the group's front page lists its upcoming meetings
        listed = counts.get(scope, 0) + len(upcoming)
        # Each stream's pages, each sitemap, the feeds and the calendar read their own entries
        # and plan their own files: they run concurrently (each one's Queries in order).
        plans = []
        for stream in sorted(touched):
            if streams.is_upcoming(stream):
                continue
            keep = stream == "/" or (stream == scope and listed > 0)
            plans.append(functools.partial(
                self._stream, stream, counts.get(stream, 0), old.get(stream, 0), touched[stream],
                years=years, upcoming=upcoming if stream == scope else (), keep=keep))
            year = streams.year_of(stream)
            if group is not None and year is not None:
                plans.append(functools.partial(self._group_sitemap, group, year, stream,
                                               counts.get(stream, 0)))
        if group is None:
            plans.append(functools.partial(self._feeds, scope, listed=True))
        else:
            plans.append(functools.partial(self._feeds, scope, listed=listed > 0))
            plans.append(functools.partial(self._calendar, group, listed > 0, upcoming))
        concurrently(lambda plan: plan(), plans)
        was_listed = old.get(scope, 0) + old.get(scope + streams.UPCOMING, 0) > 0
        if group is not None and (years != old_years or was_listed != (listed > 0)):
            self._sitemap_index()   # a group or one of its years appeared or went

    def _stream(self, stream: str, count: int, old_count: int, low: str | None, *,
                years: list[int], upcoming, keep: bool) -> None:
        """The front page and the numbered pages from `low` to the newest of one stream."""
        per_page = self.per_page
        last, old_last = streams.last_page(count, per_page), streams.last_page(old_count, per_page)
        for number in range(last + 1, old_last + 1):
            self._unlist(streams.page_path(stream, number) + "index.html")
        if count == 0 and not keep:
            self._unlist(stream + "index.html")
            return
        entries = self.listings.entries(stream, since=low) if low is not None else []
        first = (count - len(entries)) // per_page + 1 if low is not None else last + 1
        if last != old_last:   # pages appeared or went: the one below them links to its newer page
            first = min(first, max(1, min(last, old_last)))
        numbers = range(first, last + 1)
        need = max(count - (first - 1) * per_page if numbers else 0, min(per_page, count))
        if need > len(entries):
            entries += self.listings.entries(stream, below=low, limit=need - len(entries))
        window = streams.Window(stream, count, tuple(entries), per_page)
        for item in stream_files(self._view, window, numbers=numbers, years=years,
                                 upcoming=upcoming):
            self._list(item)

    def _feeds(self, scope: str, *, listed: bool) -> None:
        if not listed:
            for name in ("feed.xml", "atom.xml"):
                self._unlist(scope + name)
            return
        chosen, below = [], None
        while len(chosen) < self.feed_limit:   # `/` lists upcoming meetings too; feeds do not
            batch = self.listings.entries(scope, below=below, limit=self.feed_limit)
            chosen += [r for r in batch if r.status == "published"]
            if len(batch) < self.feed_limit:
                break
            below = _position(batch[-1])
        chosen = chosen[:self.feed_limit]
        full = self.meetings.many((r.group, r.meeting) for r in chosen)
        records = [full[(r.group, r.meeting)] for r in chosen
                   if (r.group, r.meeting) in full and full[(r.group, r.meeting)].status == "published"]
        for item in feed_files(self.renderer.config, scope, records, limit=self.feed_limit):
            self._list(item)

    def _calendar(self, group: str, listed: bool, upcoming: list[MeetingRecord]) -> None:
        if not listed:
            self._unlist(calendar_path(group))
            return
        held = self.listings.entries(f"/{group}/", limit=CALENDAR_LIMIT)
        self._list(calendar_file(self._view, group, held, upcoming))

    def _group_sitemap(self, group: str, year: int, stream: str, count: int) -> None:
        """The group's sitemap of one year (a year of one group: bounded)."""
        if count == 0:
            self._unlist(group_sitemap_path(group, year))
            return
        self._list(group_sitemap(self.renderer.config, group, year, self.listings.entries(stream)))

    def _search(self, changes: list[_Change]) -> None:
        """Redo the search index for the days the changes touch (search.plan_days): the days'
        meetings as listed before the batch and their full records now."""
        days = sorted({e.date for c in changes for e in (c.now, c.was) if e is not None})
        if not days:
            return
        changed = {(e.group, e.meeting) for c in changes for e in (c.now, c.was) if e is not None}
        after = [e for day in days for e in self.listings.day(day)]
        # Before the batch: the days' entries now, with each changed meeting put back as it was.
        before = [e for e in after if (e.group, e.meeting) not in changed]
        before += [c.was for c in changes if c.was is not None]
        full = self.meetings.many((e.group, e.meeting) for e in after)
        records = [full[k] for k in sorted(full) if full[k].listed]   # removed since: its update comes
        # The count of term files follows the number of listed meetings (committed above); when
        # it crosses a power of two, or a move was cut short (meta.json marks it), every term
        # file is moved first (decision 64).
        listed = self.listings.heads("/").get("/", 0)
        meta = self.site.get(search.META_PATH)
        if search.needs_reshard(meta, listed):
            terms = self.site.get_many(["/" + key for key in self.site.etags(object_key(search.TERMS_DIR))])
            for step in search.reshard_steps(terms, listed, meta=meta):
                self._write_search(step)
                meta = dict(step).get(search.META_PATH, meta)
        # Term files the count does not have (a re-shard cut short left them): deleted on every
        # run, from the one listing of the shard folder that _read_search uses anyway.
        keys, complete = self.site.first_keys(object_key(search.TERMS_DIR), SHARD_LISTING)
        count = search.meta_count(meta)
        if not complete and count < search.SHARDS:   # more than a page: only when strays exist
            keys = sorted(self.site.etags(object_key(search.TERMS_DIR)))
            complete = True
        stray = search.stray_terms(["/" + key for key in keys], count)
        if stray:
            self._write_search([(path, None) for path in stray])
            gone = {object_key(path) for path in stray}
            keys = [key for key in keys if key not in gone]
        self._term_keys = (keys, complete)

        def read_many(paths: list[str]) -> dict[str, bytes | None]:   # meta.json is known
            found = self._read_search([path for path in paths if path != search.META_PATH])
            return {path: meta if path == search.META_PATH else found[path] for path in paths}
        plan = search.plan_days(before=before, after=records, listed=listed, read_many=read_many)
        # In the plan's order, a folder at a time (k/ files that name more shards, the term
        # shards, d/, the k/ files as they end), each written whole before the next starts;
        # within a folder, concurrently.
        for folder, step in itertools.groupby(plan, key=lambda item: item[0].rsplit("/", 1)[0]):
            self._write_search(list(step))

    def _write_search(self, step: list[tuple[str, bytes | None]]) -> None:
        """Search files written concurrently, then those to delete. Every file in a plan differs
        from what was just read: written without asking for its ETag."""
        self.site.put_many([SiteFile(path, body, content_type(path)) for path, body in step
                            if body is not None], etags={})
        gone = [object_key(path) for path, body in step if body is None]
        if gone:
            self.site.delete_keys(gone)

    def _read_search(self, paths: list[str]) -> dict[str, bytes | None]:
        """Search files' bytes (None: no such file). A GET that finds nothing costs a call too,
        and on a young site most of a meeting's words have no shard yet: so the term shards
        are looked up first in one page of the shard folder's listing (1,000 keys in order),
        and only those it has, or that sort after its last key, are fetched (decision 42)."""
        wanted = list(paths)
        if any(path.startswith(search.TERMS_DIR) for path in paths):
            listed, complete = self._term_keys   # listed by _search, after any re-shard
            existing, last = set(listed), (listed[-1] if listed and not complete else None)
            wanted = [path for path in paths if not path.startswith(search.TERMS_DIR)
                      or object_key(path) in existing or (last is not None and object_key(path) > last)]
        found = self.site.get_many(wanted)
        return {path: found.get(path) for path in paths}

    def _sitemap_index(self) -> None:
        self._wrote_sitemap_index = True
        years_by_group = {}
        for group in self.listings.groups():
            years_by_group[group] = streams.years_in(self.listings.heads(f"/{group}/"), f"/{group}/")
        for item in catalog_files(self.renderer.config, years_by_group):
            self._list(item)

    # --- everything at once ------------------------------------------------------------

    def rebuild(self, records: list[MeetingRecord] | None = None) -> IndexResult:
        """Every file of the site, and the Listings table, from the Meetings table: after a
        deploy onto existing records or a bulk load. Costs the whole archive, unlike apply();
        stale listing files (of an older page layout, say) are deleted. A bulk load that has
        just stored `records` (every record of the table) passes them, saving the scan."""
        before = (self.site.writes, self.site.skipped, self.site.deleted)
        if records is None:
            records = self.meetings.all()
        records = [r for r in records if r.status != "removed"]
        self.listings.clear()
        self.listings.load(records)
        self._rewrite(self.meetings.group_infos(), records)
        return IndexResult(self.site.writes - before[0], self.site.skipped - before[1],
                           self.site.deleted - before[2])

    def _rewrite(self, infos, records: list[MeetingRecord] | None = None) -> None:
        """Every site file from the Meetings table; listing files it no longer has are deleted."""
        if records is None:
            records = [r for r in self.meetings.all() if r.status != "removed"]
        view = self.renderer.with_groups(infos, newest_by_group(records))
        # One listing of the bucket gives every file's ETag: files whose bytes are there are
        # skipped without a HEAD each, and the rest written a few at a time.
        etags = self.site.etags("")
        files = whole_site(view, records, feed_limit=self.feed_limit)
        planned = {object_key(item.path) for item in files}
        self.site.put_many(files, etags=etags)
        stale = sorted(k for k in etags if (_LISTING.fullmatch(k) or search.is_search_file("/" + k))
                       and k not in planned)
        if stale:
            self.site.delete_keys(stale)

    def _newest(self) -> dict:
        """Each group's newest listed meeting (group.newest_by_group): two small reads a group,
        all at once."""
        asks = [(group, stream) for group in self.listings.groups()
                for stream in (f"/{group}/", f"/{group}/{streams.UPCOMING}")]
        found = concurrently(lambda ask: self.listings.entries(ask[1], limit=1), asks)
        newest = {}
        for (group, _), entries in zip(asks, found):
            for entry in entries:
                newest[group] = max(newest.get(group, entry.date), entry.date)
        return newest


# What a listing is, as a key under "" or "<group>/": only these are ever pruned by rebuild,
# never a meeting's page or attachment (a meeting segment starts with a full date).
_LISTING = re.compile(r"(?:[^/]+/)?(?:\d{4}/)?(?:index\.html|page/\d+/index\.html)"
                      r"|(?:[^/]+/)?(?:feed\.xml|atom\.xml|meetings\.ics|sitemap(?:-\d{4}|-pages)?\.xml)")


def _position(record: MeetingRecord) -> str:
    return streams.streams_of(record)["/"]


def _vacated_first(commits: list) -> list:
    """The commits (group, meeting, now, was) in an order where a meeting leaving a listing
    position is committed before one taking it: twins of one URL move through each other's
    places in one batch (decision 110; `-2` moving up to the plain segment while `-3` moves to
    `-2`), and a commit deletes its `was` entries by position. A cycle keeps its order."""
    def places(entry):
        return set(streams.streams_of(entry).items()) if entry is not None else set()
    if len(commits) < 2:
        return commits
    pending = [(c, places(c[2]), places(c[3]) - places(c[2])) for c in commits]
    vacated = set().union(*(left for _, _, left in pending))
    if not any(taking & vacated for _, taking, _ in pending):
        return commits   # nearly always: no one takes a place another leaves
    done = []
    while pending:
        free = next((n for n, (_, taking, _) in enumerate(pending)
                     if not any(taking & left for m, (_, _, left) in enumerate(pending) if m != n)), 0)
        done.append(pending.pop(free)[0])
    return done
