"""The whole public site as a plan: site path -> bytes. Pure; the writers (a folder, SiteBucket)
decide how to store it. `minutes build` and the index function both use this module.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from . import feeds, ical, search, sitemap
from .model import MeetingRecord, sort_newest_first
from .pages import PageRenderer, SiteConfig

_TYPES = {".html": "text/html; charset=utf-8", ".xml": None, ".css": "text/css; charset=utf-8",
          ".txt": "text/plain; charset=utf-8", ".ics": "text/calendar; charset=utf-8",
          ".js": "text/javascript; charset=utf-8", ".json": "application/json",
          ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
          ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}
_FEED_TYPES = {"feed.xml": "application/rss+xml; charset=utf-8",
               "atom.xml": "application/atom+xml; charset=utf-8",
               "sitemap.xml": "application/xml; charset=utf-8"}


@dataclass(frozen=True)
class SiteFile:
    path: str            # "/openxla/2022-09-20-sig-openxla/index.html"
    body: bytes
    content_type: str

    @property
    def key(self) -> str:
        return self.path.lstrip("/")


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name in _FEED_TYPES:
        return _FEED_TYPES[name]
    suffix = name[name.rfind("."):] if "." in name else ""
    return _TYPES.get(suffix) or "application/octet-stream"


def _file(path: str, body: str | bytes) -> SiteFile:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return SiteFile(path, data, content_type(path))


def neighbours(record: MeetingRecord, records: Iterable[MeetingRecord]):
    """(previous, next) listed meeting of the same group: older and newer."""
    same = sort_newest_first(r for r in records if r.group == record.group and r.listed)
    ids = [(r.group, r.meeting) for r in same]
    if (record.group, record.meeting) not in ids:
        return None, None
    at = ids.index((record.group, record.meeting))
    newer = same[at - 1] if at > 0 else None
    older = same[at + 1] if at + 1 < len(same) else None
    return older, newer


def all_neighbours(records: Iterable[MeetingRecord]) -> dict[tuple[str, str], tuple]:
    """neighbours() of every record at once, (group, meeting) -> (previous, next): one sort per
    group instead of one per page (a whole site is then O(n log n), not O(n^2))."""
    by_group: dict[str, list[MeetingRecord]] = {}
    for record in records:
        if record.listed:
            by_group.setdefault(record.group, []).append(record)
    found: dict[tuple[str, str], tuple] = {}
    for members in by_group.values():
        same = sort_newest_first(members)
        for at, record in enumerate(same):
            found[(record.group, record.meeting)] = (
                same[at + 1] if at + 1 < len(same) else None, same[at - 1] if at > 0 else None)
    return found


def meeting_file(renderer: PageRenderer, record: MeetingRecord,
                 records: Iterable[MeetingRecord], *, around: tuple | None = None) -> SiteFile:
    """The meeting's page; `around` is its (previous, next) when the caller knows them."""
    previous, following = around if around is not None else neighbours(record, records)
    html = renderer.meeting_page(record, previous=previous, next=following)
    return _file(record.url_path + "index.html", html)


def listing_files(renderer: PageRenderer, records: list[MeetingRecord], *,
                  feed_limit: int = 50) -> list[SiteFile]:
    """Everything that is not a meeting page: archives, group pages, feeds, calendars, search,
    sitemap, robots.txt, 404 and assets."""
    config = renderer.config
    listed = [r for r in records if r.listed]
    out = [_file(p, b) for p, b in renderer.assets().items()]
    out += [_file(p, h) for p, h in renderer.archive_pages(listed).items()]
    out += [_file(p, h) for p, h in renderer.year_pages(listed).items()]
    out.append(_file("/404.html", renderer.not_found_page()))
    out.append(_file(search.PAGE_PATH + "index.html", renderer.search_page()))
    out += [_file(p, b) for p, b in search.search_files(listed).items()]
    out += _feed_files(listed, config, "/", config.title, limit=feed_limit)
    by_group = itertools.groupby(sorted(listed, key=lambda r: r.group), key=lambda r: r.group)
    groups = []
    for group, members in by_group:
        members = list(members)
        groups.append(group)
        out += [_file(p, h) for p, h in renderer.group_pages(group, members).items()]
        out += _feed_files(members, config, f"/{group}/", f"{config.title}: {group}",
                           limit=feed_limit)
        out.append(_file(ical.calendar_path(group), ical.group_calendar(
            members, site_url=config.site_url, group=group,
            title=f"{renderer.group_name(group)} meetings", info=renderer.groups.get(group),
            newest=renderer.newest.get(group))))
    extra = ["/", search.PAGE_PATH] + [f"/{g}/" for g in groups]
    out.append(_file(sitemap.SITEMAP_PATH,
                     sitemap.sitemap_xml(listed, site_url=config.site_url, extra_paths=extra)))
    out.append(_file("/robots.txt", sitemap.robots_txt(config.site_url)))
    return out


def _feed_files(records, config: SiteConfig, base: str, title: str, *, limit: int) -> list[SiteFile]:
    common = dict(site_url=config.site_url, title=title, link_path=base, limit=limit,
                  description=f"Meeting minutes published at {config.site_url}{base}")
    return [_file(f"{base}feed.xml", feeds.rss_feed(records, self_path=f"{base}feed.xml", **common)),
            _file(f"{base}atom.xml", feeds.atom_feed(records, self_path=f"{base}atom.xml", **common))]


def whole_site(renderer: PageRenderer, records: list[MeetingRecord], **options) -> list[SiteFile]:
    around = all_neighbours(records)
    pages = [meeting_file(renderer, r, records, around=around.get((r.group, r.meeting), (None, None)))
             for r in records]
    return pages + listing_files(renderer, records, **options)
