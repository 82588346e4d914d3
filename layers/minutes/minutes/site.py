"""The whole public site as a plan: site path -> bytes. Pure; the writers (a folder, SiteBucket)
decide how to store it. `minutes build` and the index function both use this module.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import feeds, ical, search, sitemap, streams
from .model import MeetingRecord, order_key, sort_newest_first
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
    if name.startswith("sitemap") and name.endswith(".xml"):   # sitemap-pages.xml, sitemap-2022.xml
        return _FEED_TYPES["sitemap.xml"]
    suffix = name[name.rfind("."):] if "." in name else ""
    return _TYPES.get(suffix) or "application/octet-stream"


def _file(path: str, body: str | bytes) -> SiteFile:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return SiteFile(path, data, content_type(path))


# A group's calendar holds its upcoming meetings and its newest minutes, not ten years of them:
# calendar apps poll it every few hours, and a publish rewrites it (docs/site.md).
CALENDAR_LIMIT = 100
SITEMAP_PAGES = "/sitemap-pages.xml"


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


def meeting_file(renderer: PageRenderer, record: MeetingRecord, previous: MeetingRecord | None = None,
                 following: MeetingRecord | None = None) -> SiteFile:
    """A meeting's page; `previous` and `following` are the older and newer listed meetings of
    its group (streams.neighbours_in), which a draft never has."""
    if not record.listed:
        previous = following = None
    html = renderer.meeting_page(record, previous=previous, next=following)
    return _file(record.url_path + "index.html", html)


def stream_page(renderer: PageRenderer, window: streams.Window, number: int | None, *,
                years: Sequence[int] = (), upcoming: Sequence[MeetingRecord] = ()) -> SiteFile:
    """One page of a stream: its front page (`number` None) or numbered page `number`."""
    entries = window.front() if number is None else window.page(number)
    extra = dict(years=years, upcoming=upcoming) if number is None else {}
    return _file(*renderer.listing_page(window.stream, entries, number=number, last=window.last, **extra))


def stream_files(renderer: PageRenderer, window: streams.Window, *, numbers: Iterable[int],
                 years: Sequence[int] = (), upcoming: Sequence[MeetingRecord] = ()) -> list[SiteFile]:
    """The front page and the numbered pages `numbers` of one stream."""
    return [stream_page(renderer, window, None, years=years, upcoming=upcoming),
            *(stream_page(renderer, window, n) for n in numbers)]


def feed_files(config: SiteConfig, scope: str, records: Iterable[MeetingRecord], *,
               limit: int, parts: feeds.Parts | None = None) -> list[SiteFile]:
    """RSS and Atom of a scope (`/` or `/<group>/`) from its newest published meetings (whole
    records: the feeds carry the minutes; or light ones with `parts`, which gives the entries'
    bytes: feeds.feed_documents)."""
    return [_file(path, b"".join(pieces)) for path, pieces in feed_pieces(config, scope, records,
                                                                          limit=limit, parts=parts)]


def feed_pieces(config: SiteConfig, scope: str, records: Iterable[MeetingRecord], *,
                limit: int, parts: feeds.Parts | None = None) -> list[tuple[str, list[bytes]]]:
    """feed_files' paths, each with its bytes as the pieces they join (feeds.feed_pieces)."""
    rss, atom = feeds.feed_pieces(records, **_feed_options(config, scope), limit=limit, parts=parts)
    return [(f"{scope}feed.xml", rss), (f"{scope}atom.xml", atom)]


def feed_frames(config: SiteConfig, scope: str, records: Iterable[MeetingRecord], *,
                limit: int) -> tuple[list[MeetingRecord], list[tuple[str, bytes, bytes]]]:
    """The records a scope's feeds show, newest first, and feed_files' paths, each with what
    its document puts before and after those records' entries (feeds.feed_frames)."""
    chosen, rss, atom = feeds.feed_frames(records, **_feed_options(config, scope), limit=limit)
    return chosen, [(f"{scope}feed.xml", *rss), (f"{scope}atom.xml", *atom)]


def _feed_options(config: SiteConfig, scope: str) -> dict:
    title = config.title if scope == "/" else f"{config.title}: {scope.strip('/')}"
    return dict(site_url=config.site_url, title=title, link_path=scope,
                description=f"Meeting minutes published at {config.site_url}{scope}",
                rss_path=f"{scope}feed.xml", atom_path=f"{scope}atom.xml")


def calendar_file(renderer: PageRenderer, group: str, held: Iterable[MeetingRecord],
                  upcoming: Iterable[MeetingRecord]) -> SiteFile:
    """The group's calendar: every upcoming meeting and its newest CALENDAR_LIMIT minutes (and
    its schedule from group.yaml, if any)."""
    chosen = [*sort_newest_first(held)[:CALENDAR_LIMIT], *upcoming]
    return _file(ical.calendar_path(group), ical.group_calendar(
        chosen, site_url=renderer.config.site_url, group=group,
        title=f"{renderer.group_name(group)} meetings", info=renderer.groups.get(group),
        newest=renderer.newest.get(group)))


def group_sitemap_path(group: str, year: int) -> str:
    return f"/{group}/sitemap-{year}.xml"


def group_sitemap(config: SiteConfig, group: str, year: int,
                  records: Iterable[MeetingRecord]) -> SiteFile:
    """The meetings of one group and year: a publish rewrites one such sitemap, never all."""
    return _file(group_sitemap_path(group, year), sitemap.sitemap_xml(records, site_url=config.site_url))


def catalog_files(config: SiteConfig, years_by_group: dict[str, Iterable[int]]) -> list[SiteFile]:
    """What lists the per-group-and-year sitemaps: /sitemap.xml (an index of every group's
    yearly sitemaps and /sitemap-pages.xml) and /sitemap-pages.xml (the archive, search and
    group pages). They change only when a group or one of its years appears or goes."""
    groups = sorted(years_by_group)
    pages = sitemap.sitemap_xml([], site_url=config.site_url,
                                extra_paths=["/", search.PAGE_PATH, *(f"/{g}/" for g in groups)])
    maps = [SITEMAP_PAGES] + [group_sitemap_path(g, y) for g in groups for y in sorted(years_by_group[g])]
    return [_file(sitemap.SITEMAP_PATH, sitemap.sitemap_index(maps, site_url=config.site_url)),
            _file(SITEMAP_PAGES, pages)]


def static_files(renderer: PageRenderer) -> list[SiteFile]:
    """What no meeting changes: assets, 404, the search page, robots.txt."""
    out = [_file(p, b) for p, b in renderer.assets().items()]
    out.append(_file("/404.html", renderer.not_found_page()))
    out.append(_file(search.PAGE_PATH + "index.html", renderer.search_page()))
    out.append(_file("/robots.txt", sitemap.robots_txt(renderer.config.site_url)))
    return out


@dataclass(frozen=True)
class Unit:
    """Listing files made together: `make()` gives exactly `paths`, and they depend on nothing
    but `label`, the records `shows` (in that order) and the renderer's settings and groups.
    `minutes build` makes a unit again only when those differ from its last build's."""
    paths: tuple[str, ...]
    label: str
    shows: tuple[MeetingRecord, ...]
    make: Callable[[], list[SiteFile]]
    # A scope's feeds: feed_files(config, feed_scope, whole records of `shows`) is `make()`,
    # so another process holding the whole records can make them (`minutes build` does).
    feed_scope: str | None = None

    @property
    def whole(self) -> bool:
        """Its files show the whole records (content included: only feeds do), not only what
        a light record holds (title, date, summary, links: listings, calendars, sitemaps)."""
        return self.feed_scope is not None


def listing_units(renderer: PageRenderer, records: list[MeetingRecord], *, feed_limit: int = 50,
                  whole: Callable[[MeetingRecord], MeetingRecord] | None = None) -> Iterator[Unit]:
    """Every listing of a whole set of records, unit by unit: each page of every stream, each
    scope's two feeds, each group's calendar, each group-year sitemap, the sitemap catalog.
    Records may be light (no content) when `whole(record)` gives the whole one: only feeds
    carry content. One unit is made at a time, so a caller holds one unit's files at once."""
    config = renderer.config
    full = whole or (lambda record: record)
    listed = [r for r in records if r.listed]
    members = streams.by_stream(listed)
    names = list(members)
    yield _feed_unit(config, "/", listed, feed_limit, full)
    years_by_group: dict[str, list[int]] = {}
    for stream in sorted({*members, "/"}):
        if streams.is_upcoming(stream):
            continue
        scope, year = streams.scope_of(stream), streams.year_of(stream)
        window = streams.whole(stream, members.get(stream, []), config.per_page)
        upcoming = members.get(stream + streams.UPCOMING, []) if scope != "/" and year is None else []
        yield from _stream_units(renderer, window, streams.years_in(names, scope), upcoming)
        if scope != "/" and year is not None:
            group, shown = scope.strip("/"), members[stream]
            yield Unit((group_sitemap_path(group, year),), "", tuple(shown),
                       lambda g=group, y=year, m=shown: [group_sitemap(config, g, y, m)])
            years_by_group.setdefault(group, []).append(year)
    for scope in sorted({streams.scope_of(s) for s in names} - {"/"}):
        group = scope.strip("/")
        held, upcoming = members.get(scope, []), members.get(scope + streams.UPCOMING, [])
        if scope not in members:   # only upcoming meetings: the front page still lists them
            yield from _stream_units(renderer, streams.whole(scope, [], config.per_page),
                                     streams.years_in(names, scope), upcoming)
        yield _feed_unit(config, scope, held, feed_limit, full)
        chosen = (*sort_newest_first(held)[:CALENDAR_LIMIT], *upcoming)
        yield Unit((ical.calendar_path(group),), "", chosen,
                   lambda g=group, h=held, u=upcoming: [calendar_file(renderer, g, h, u)])
    catalog = sorted(years_by_group.items())
    yield Unit((sitemap.SITEMAP_PATH, SITEMAP_PAGES), repr(catalog), (),
               lambda: catalog_files(config, years_by_group))


def _stream_units(renderer: PageRenderer, window: streams.Window, years: Sequence[int],
                  upcoming: Sequence[MeetingRecord]) -> Iterator[Unit]:
    """A stream's front page (its newest entries, year links, upcoming meetings and how many
    pages there are) and each numbered page (its entries, its number and the last number,
    which its links name)."""
    front = window.front()
    yield Unit((streams.page_path(window.stream, None) + "index.html",),
               f"{window.last}|{list(years)}|{len(front)}", (*front, *upcoming),
               lambda: [stream_page(renderer, window, None, years=years, upcoming=upcoming)])
    for number in range(1, window.last + 1):
        yield Unit((streams.page_path(window.stream, number) + "index.html",),
                   f"{number}/{window.last}", tuple(window.page(number)),
                   lambda n=number: [stream_page(renderer, window, n)])


def _feed_unit(config: SiteConfig, scope: str, members: list[MeetingRecord], limit: int,
               whole: Callable[[MeetingRecord], MeetingRecord]) -> Unit:
    shown = tuple(feeds.feed_records(members, limit=limit))
    return Unit((f"{scope}feed.xml", f"{scope}atom.xml"), "", shown,
                lambda: feed_files(config, scope, [whole(r) for r in shown], limit=limit),
                feed_scope=scope)


def listing_files(renderer: PageRenderer, records: list[MeetingRecord], *,
                  feed_limit: int = 50, with_search: bool = True) -> list[SiteFile]:
    """Everything that is not a meeting page, for a whole set of records: every stream's pages,
    feeds, calendars, sitemaps, search (unless the caller makes it: `minutes build` does, a
    batch of days at a time), robots.txt, 404 and assets. The index function renders the same
    files from windows of the streams a change touches."""
    out = static_files(renderer)
    if with_search:
        listed = [r for r in records if r.listed]
        out += [_file(p, b) for p, b in search.search_files(listed).items()]
    for unit in listing_units(renderer, records, feed_limit=feed_limit):
        out += unit.make()
    return out


def neighbours(record: MeetingRecord, records: Iterable[MeetingRecord]):
    """(older, newer) listed meeting of the record's group among `records`."""
    return streams.neighbours_in([r for r in records if r.group == record.group and r.listed], record)


def whole_site(renderer: PageRenderer, records: list[MeetingRecord], **options) -> list[SiteFile]:
    around = all_neighbours(records)
    pages = [meeting_file(renderer, r, *around.get((r.group, r.meeting), (None, None)))
             for r in records]
    return pages + listing_files(renderer, records, **options)
