"""index: rebuild, from the Meetings table, only what a change touches (runs one at a time).

Touched: the changed meetings' pages and their group neighbours (prev/next links), the archive,
the groups' pages and feeds, the overall feeds, the sitemap. Unchanged bytes are not rewritten.
Listing files the plan no longer has (a group's pages after its last meeting was removed, the
page of a year that is now empty, page 3 of an archive that shrank) are deleted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..aws.dynamo import MeetingsTable
from ..aws.s3 import SiteStore, object_key
from ..group import newest_by_group
from ..messages import GROUP_UPDATE, SiteUpdate
from ..model import MeetingRecord, sort_newest_first
from ..pages import PageRenderer
from ..search import is_search_file
from ..site import listing_files, meeting_file, whole_site

SEARCH_PREFIX = "search/"


@dataclass(frozen=True)
class IndexResult:
    written: int
    unchanged: int
    deleted: int = 0


# What a listing is, as a key under "" or "<group>/": only these are ever pruned, never a
# meeting's page or attachment (a meeting segment starts with a full date, never 4 digits).
_LISTING = re.compile(r"(?:[^/]+/)?(?:index\.html|feed\.xml|atom\.xml|meetings\.ics"
                      r"|page/\d+/index\.html|\d{4}/index\.html)")
_LISTING_FOLDER = re.compile(r"page/|\d{4}/")


class Indexer:
    def __init__(self, *, meetings: MeetingsTable, site: SiteStore, renderer: PageRenderer,
                 feed_limit: int = 50):
        self.meetings, self.site, self.renderer, self.feed_limit = meetings, site, renderer, feed_limit

    def apply(self, updates: list[SiteUpdate]) -> IndexResult:
        before = (self.site.writes, self.site.skipped, self.site.deleted)
        everything = self.meetings.all()
        records = [r for r in everything if r.status != "removed"]
        groups = {u.group for u in updates}
        renderer = self._renderer(records)
        for record in self._pages_to_render(updates, everything):
            self.site.put(meeting_file(renderer, record, records))
        planned = set()
        # The search index is thousands of small files: one listing instead of a HEAD each.
        # (Incremental, without planning every file: search.plan_update.)
        search_etags = self.site.etags(SEARCH_PREFIX)
        for item in listing_files(renderer, records, feed_limit=self.feed_limit):
            planned.add(object_key(item.path))
            if _belongs_to_other_group(item.path, groups, records):
                continue
            self.site.put(item, etags=search_etags if is_search_file(item.path) else None)
        self._prune(planned, groups, search_etags)
        return IndexResult(self.site.writes - before[0], self.site.skipped - before[1],
                           self.site.deleted - before[2])

    def rebuild(self) -> IndexResult:
        """Every file of the site from the Meetings table: after a deploy onto existing records,
        or after records were loaded in bulk. Costs the whole archive, unlike apply()."""
        before = (self.site.writes, self.site.skipped)
        records = [r for r in self.meetings.all() if r.status != "removed"]
        for item in whole_site(self._renderer(records), records, feed_limit=self.feed_limit):
            self.site.put(item)
        return IndexResult(self.site.writes - before[0], self.site.skipped - before[1])

    def _renderer(self, records: list[MeetingRecord]) -> PageRenderer:
        """The renderer with every group's group.yaml (one Query) and newest meeting."""
        return self.renderer.with_groups(self.meetings.group_infos(), newest_by_group(records))

    def _prune(self, planned: set[str], groups: set[str], search_keys) -> None:
        """Delete the listings of the site root and of the changed groups that are not planned."""
        found = []
        for base in ["", *(f"{g}/" for g in sorted(groups))]:
            keys, folders = self.site.list(base, delimiter="/")
            found += keys
            for folder in folders:
                if _LISTING_FOLDER.fullmatch(folder[len(base):]):
                    found += self.site.list(folder)[0]
        found += [k for k in search_keys if is_search_file("/" + k)]   # the search index's files
        stale = sorted(k for k in found if (_LISTING.fullmatch(k) or is_search_file("/" + k))
                       and k not in planned)
        if stale:
            self.site.delete_keys(stale)

    def _pages_to_render(self, updates: list[SiteUpdate], everything: list[MeetingRecord]):
        """The changed meetings (unless removed) and the listed meetings on either side."""
        chosen: dict[tuple[str, str], MeetingRecord] = {}
        for update in updates:
            if update.meeting == GROUP_UPDATE:   # group.yaml: every page shows the group's name
                chosen.update({(r.group, r.meeting): r for r in everything
                               if r.group == update.group and r.status != "removed"})
                continue
            group = sort_newest_first(r for r in everything if r.group == update.group)
            at = next((i for i, r in enumerate(group) if r.meeting == update.meeting), None)
            if at is None:
                continue
            if group[at].status != "removed":
                chosen[(update.group, update.meeting)] = group[at]
            newer = next((r for r in reversed(group[:at]) if r.listed), None)
            older = next((r for r in group[at + 1:] if r.listed), None)
            for neighbour in filter(None, (newer, older)):
                chosen[(neighbour.group, neighbour.meeting)] = neighbour
        return list(chosen.values())


def _belongs_to_other_group(path: str, groups: set[str], records: list[MeetingRecord]) -> bool:
    first = path.strip("/").split("/", 1)[0]
    return first not in groups and any(r.group == first for r in records)
