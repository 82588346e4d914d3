"""HTML pages of the public site: meeting, archive, group, year, search and 404 (pure, no AWS).

Every method returns text keyed by site path ("/openxla/index.html"); the S3 key is the same
path without the leading slash. Output depends only on the inputs, so the same records always
give the same bytes (no clock, no locale, no dict-order surprises).

Records and templates speak in site paths ("/openxla/"); every internal link is written
relative to its page, directories as their index.html (links.py says why), so the site works
on any static host, under a path prefix, and opened from disk. Canonical, Open Graph and feed
URLs are absolute. The 404 page, served at any address, uses paths from the site's root.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import os
import urllib.parse
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import jinja2
from markupsafe import Markup

from minutes import ical, search, streams
from minutes.compiled_templates import SHIPPED, CompiledTemplates
from minutes.group import GroupInfo
from minutes.links import page_linker, relative_fragment, rooted_url
from minutes.model import Heading, MeetingRecord, order_key, sort_newest_first
from minutes.resources import by_kind, find_resources

EVERY_GROUP = "*"  # the Subscribers table's group for "all groups"

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_TYPE_NAMES = {
    "application/pdf": "PDF",
    "text/plain": "Text",
    "text/csv": "CSV",
    "application/zip": "ZIP archive",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/svg+xml": "SVG image",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
}
_TOC_MIN_HEADINGS = 4
_CHROMES_KEPT = 1024     # a renderer's chromes: a few per group (its pages lie at a few depths)
_WHENS_KEPT = 16384      # date lines kept (~300 bytes each): one per meeting of a large archive


@dataclass(frozen=True)
class SiteConfig:
    site_url: str                       # "https://minutes.example.org" (no trailing slash)
    title: str = "Meeting minutes"
    per_page: int = 20
    subscribe_url: str | None = None    # subscriptions API endpoint; the form is shown when set

    def __post_init__(self) -> None:
        # SITE_URL comes from a stack parameter; tolerate the trailing slash people type.
        object.__setattr__(self, "site_url", self.site_url.rstrip("/"))
        if self.per_page < 1:
            raise ValueError("per_page must be at least 1")


@dataclass(frozen=True)
class _Page:
    """What the base layout needs to know about any page."""
    title: str                          # the <title>
    heading: str                        # the one h1
    description: str
    path: str | None                    # canonical path; None for the 404 (served at any path)
    og_type: str = "website"
    group: str | None = None            # adds the group's feeds to autodiscovery
    noindex: bool = False


@dataclass(frozen=True)
class _Pager:
    label: str                          # "Newest", "Page 3" (numbered from the oldest)
    prev_url: str | None                # newer
    next_url: str | None                # older


class PageRenderer:
    def __init__(self, config: SiteConfig, *, template_cache: str | None = None):
        """`template_cache`: a folder where compiled templates are kept between runs (jinja2's
        bytecode cache: a template's code is reused while its source is the same), so a
        process that renders a few pages does not compile every template first."""
        self.config = config
        self._css = _read_static("style.css")
        self._js = _read_static("search.js")
        # The hash in the name lets an asset be cached forever; a change gets a new URL.
        self.stylesheet_path = _hashed("/assets/style.css", self._css)
        self.search_script_path = _hashed("/assets/search.js", self._js)
        self._env = environment(template_cache)
        self.groups: Mapping[str, GroupInfo] = {}   # from group.yaml files (group.py)
        self.newest: Mapping[str, dt.date] = {}     # each group's newest meeting: "next" follows it
        self._chromes: dict[tuple, _Chrome] = {}
        self._whens: dict[tuple, str] = {}

    def with_groups(self, groups: Mapping[str, GroupInfo],
                    newest: Mapping[str, dt.date]) -> "PageRenderer":
        """This renderer, showing the groups' names, descriptions, schedules and links. "Next
        meeting" is computed from each group's newest meeting, never from the clock, so the
        same sources give the same bytes (group.py)."""
        renderer = copy.copy(self)
        renderer.groups, renderer.newest = dict(groups), dict(newest)
        renderer._chromes = {}          # its parts show the groups' names
        return renderer

    def load_templates(self) -> None:
        """Compile (or load from the bytecode cache) every site template now: processes forked
        after this share them instead of each compiling its own."""
        for name in self._env.list_templates(filter_func=lambda n: n.startswith("site/")):
            self._env.get_template(name)

    def group_name(self, group: str) -> str:
        """"SIG OpenXLA" from group.yaml; without one, the folder name as it always was."""
        info = self.groups.get(group)
        return info.name if info else group

    def next_meetings(self, group: str, count: int = 3) -> list[dt.datetime]:
        info = self.groups.get(group)
        if info is None or info.schedule is None:
            return []
        hours, minutes = (int(x) for x in info.schedule.time.split(":"))
        return [dt.datetime(d.year, d.month, d.day, hours, minutes)
                for d in info.next_meetings(self.newest.get(group), count)]

    def _group_cards(self) -> list[dict]:
        """The archive's list of groups, when any group has a group.yaml."""
        if not self.groups:
            return []
        cards = []
        for group in sorted(self.newest):   # groups with a page: those with meetings
            info = self.groups.get(group)
            upcoming = self.next_meetings(group, 1)
            cards.append({"group": group, "name": self.group_name(group),
                          "next": upcoming[0] if upcoming else None,
                          "timezone": info.schedule.timezone if info and info.schedule else None})
        return sorted(cards, key=lambda c: (c["name"].lower(), c["group"]))

    def assets(self) -> dict[str, bytes]:
        return {self.stylesheet_path: self._css, self.search_script_path: self._js}

    # -- meeting -------------------------------------------------------------------------

    def meeting_page(self, record: MeetingRecord, *, previous: MeetingRecord | None = None,
                     next: MeetingRecord | None = None) -> str:
        """`previous` is the older and `next` the newer meeting of the same group."""
        for neighbour in (previous, next):
            if neighbour is not None and neighbour.group != record.group:
                raise ValueError(f"neighbour {neighbour.url_path} is not in group {record.group}")
        page = _Page(
            title=f"{record.title} — {self.group_name(record.group)} — {self.config.title}",
            heading=record.title,
            description=record.summary or f"Minutes of the {record.group} meeting of {long_date(record.date)}.",
            path=record.url_path,
            og_type="article",
            group=record.group,
            noindex=record.status == "draft",
        )
        toc = toc_html(record.headings) if len(record.headings) >= _TOC_MIN_HEADINGS else ""
        attachments = {a.url_path for a in record.attachments}
        resources = (by_kind(record.resources) if record.resources is not None
                     else find_resources(record.content_html, exclude=attachments))
        return self._render("meeting.html.j2", page, record=record, toc=toc,
                            previous=previous, next=next, resources=resources, badge=self._badge,
                            content=relative_fragment(record.content_html, base=record.url_path))

    # -- listings ------------------------------------------------------------------------
    # One stream (streams.py) per list; each page of it renders from the meetings it shows.

    def listing_page(self, stream: str, entries: Sequence[MeetingRecord], *, number: int | None,
                     last: int, years: Sequence[int] = (),
                     upcoming: Sequence[MeetingRecord] = ()) -> tuple[str, str]:
        """(path, html) of the front page (`number` None: the newest meetings, the year links
        and, for a group, its upcoming meetings soonest first) or of numbered page `number`
        (1 = the oldest) of a stream whose last numbered page is `last`."""
        scope, year = streams.scope_of(stream), streams.year_of(stream)
        group = None if scope == "/" else scope.strip("/")
        who = group or self.config.title
        if year is not None:
            heading, title = f"{who}: {year}", f"{year} — {who}"
            description = f"{who}: meetings of {year}."
        elif group is None:
            heading = title = self.config.title
            description = f"{self.config.title}: every group, newest first."
        else:
            heading = self.group_name(group)
            title = f"{heading} — {self.config.title}"
            description = f"Minutes of the {group} meetings, newest first."
        path = streams.page_path(stream, number)
        if number is not None:
            heading, title = f"{heading} — page {number}", f"{title} — page {number}"
        older = number - 1 if number is not None else last
        newer = None if number is None else (number + 1 if number < last else None)
        pager = _Pager(
            "Newest" if number is None else f"Page {number}",
            streams.page_path(stream, newer) if number is not None else None,
            streams.page_path(stream, older) if older else None)
        scope_years = [(y, f"{scope}{y}/") for y in years] if number is None else []
        soonest = sorted(upcoming, key=order_key) if number is None else []
        page = _Page(title=title, heading=heading, description=description, path=path, group=group)
        url = self._linker(page)
        return path + "index.html", self._render(
            "listing.html.j2", page, url, entries=self._rows(entries, url),
            upcoming=self._rows(soonest, url), pager=pager, years=scope_years,
            current_year=year, show_group=group is None)

    def stream_pages(self, stream: str, records: Iterable[MeetingRecord], *,
                     years: Sequence[int] = (), upcoming: Sequence[MeetingRecord] = ()) -> dict[str, str]:
        """Every page of one whole stream."""
        window = streams.whole(stream, records, self.config.per_page)
        pages = dict([self.listing_page(stream, window.front(), number=None, last=window.last,
                                        years=years, upcoming=upcoming)])
        for number in range(1, window.last + 1):
            pages.update([self.listing_page(stream, window.page(number), number=number,
                                            last=window.last)])
        return pages

    def archive_pages(self, records: Iterable[MeetingRecord]) -> dict[str, str]:
        listed = _listed(records)
        return self.stream_pages("/", listed, years=_years(listed))

    def group_pages(self, group: str, records: Iterable[MeetingRecord]) -> dict[str, str]:
        mine = [r for r in _listed(records) if r.group == group]
        return self.stream_pages(f"/{group}/", [r for r in mine if r.status != "upcoming"],
                                 years=_years(mine),
                                 upcoming=[r for r in mine if r.status == "upcoming"])

    def year_pages(self, records: Iterable[MeetingRecord]) -> dict[str, str]:
        listed = _listed(records)
        pages: dict[str, str] = {}
        for scope in ["/", *sorted({f"/{r.group}/" for r in listed})]:
            mine = [r for r in listed if scope == "/" or f"/{r.group}/" == scope]
            for year in _years(mine):
                pages.update(self.stream_pages(f"{scope}{year}/", [r for r in mine if r.date.year == year],
                                               years=_years(mine)))
        return pages

    def not_found_page(self) -> str:
        page = _Page(title=f"Page not found — {self.config.title}", heading="Page not found",
                     description="This page does not exist.", path=None, noindex=True)
        return self._render("404.html.j2", page)

    def search_page(self) -> str:
        """Progressive: the form and search.js need JavaScript; without it the page says so
        and points to the archive, which lists everything."""
        page = _Page(title=f"Search — {self.config.title}", heading="Search the minutes",
                     description=f"Search every meeting of {self.config.title}.",
                     path=search.PAGE_PATH)
        return self._render("search.html.j2", page,
                            script_path=self.search_script_path)

    # -- helpers -------------------------------------------------------------------------

    @property
    def _badge(self):
        """_macros.html.j2's badge macro (its module is made once per environment)."""
        return self._env.get_template("site/_macros.html.j2").module.badge

    def when(self, record: MeetingRecord) -> str:
        """A meeting's date line (the `when` macro), made once per date, time and zone."""
        key = (record.date, record.time, record.timezone)
        line = self._whens.get(key)
        if line is None:
            if len(self._whens) >= _WHENS_KEPT:
                self._whens.clear()
            line = self._whens[key] = self._env.get_template("site/_macros.html.j2").module.when(*key)
        return line

    def _rows(self, records: Iterable[MeetingRecord], url) -> list[tuple]:
        """What each entry of a list shows beside its record: (record, its link, its date line,
        its group's link, the group's name)."""
        return [(record, url(record.url_path), self.when(record), url(f"/{record.group}/"),
                 self.group_name(record.group)) for record in records]

    def _render(self, template: str, page: _Page, url=None, **context) -> str:
        url = url or self._linker(page)
        return self._env.get_template(f"site/{template}").render(
            site=self.config, page=page, chrome=self._chrome(page.group, url), url=url,
            when=self.when, absolute=self._absolute,
            group_info=self.groups.get(page.group) if page.group else None,
            next_meetings=self.next_meetings(page.group) if page.group else [],
            group_cards=self._group_cards() if page.path == "/" else [], **context)

    def _linker(self, page: _Page):
        """How this page writes a site path: relative to itself, or from the root (404)."""
        if page.path is None:
            prefix = urllib.parse.urlsplit(self.config.site_url).path
            return functools.partial(rooted_url, prefix=prefix)
        return page_linker(page.path)

    def _chrome(self, group: str | None, url) -> "_Chrome":
        """The parts of a page that only its group and its links to the site's fixed pages
        decide (_chrome.html.j2): made once per (group, those links) and kept."""
        targets = ["/", "/search/", "/feed.xml", "/atom.xml", self.stylesheet_path]
        if group:
            targets += [f"/{group}/", f"/{group}/feed.xml", f"/{group}/atom.xml",
                        ical.calendar_path(group)]
        links = tuple(map(url, targets))
        chrome = self._chromes.get((group, links))
        if chrome is None:
            if len(self._chromes) >= _CHROMES_KEPT:
                self._chromes.clear()
            chrome = self._chromes[(group, links)] = _Chrome(
                self._env.get_template("site/_chrome.html.j2"),
                site=self.config, group=group, name=self.group_name(group) if group else None,
                url=dict(zip(targets, links)).__getitem__, feeds=self._feeds(group),
                stylesheet_path=self.stylesheet_path, form_group=group or EVERY_GROUP,
                calendar_path=ical.calendar_path(group) if group else None)
        return chrome

    def _absolute(self, path: str) -> str:
        return self.config.site_url + path

    def _feeds(self, group: str | None) -> list[tuple[str, str, str]]:
        """(title, MIME type, absolute URL) of the feeds a page advertises."""
        url = self.config.site_url
        feeds = [(f"{self.config.title} (RSS)", "application/rss+xml", f"{url}/feed.xml"),
                 (f"{self.config.title} (Atom)", "application/atom+xml", f"{url}/atom.xml")]
        if group:
            feeds += [(f"{group} (RSS)", "application/rss+xml", f"{url}/{group}/feed.xml"),
                      (f"{group} (Atom)", "application/atom+xml", f"{url}/{group}/atom.xml"),
                      (f"{group} meetings (iCalendar)", "text/calendar",
                       f"{url}{ical.calendar_path(group)}")]
        return feeds


class _Chrome:
    """The macros of _chrome.html.j2 given one page's variables, each rendered on first use."""

    def __init__(self, template: jinja2.Template, **variables) -> None:
        self._module = template.make_module(variables)

    def __getattr__(self, name: str):
        value = getattr(self._module, name)()    # an unknown part: AttributeError, as usual
        setattr(self, name, value)
        return value


def environment(writable: str | None = None, shipped: str | None = SHIPPED) -> jinja2.Environment:
    """The site's templates, compiled ones taken from `writable` (a build cache's folder) or
    the package's own (compiled_templates.py)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("minutes", "templates"),
        bytecode_cache=CompiledTemplates("site", writable, shipped),
        autoescape=True,                 # every template is HTML; content_html is opted in with |safe
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the build, not the page
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=False,               # templates ship with the code: no stat per page rendered
    )
    env.filters.update(long_date=long_date, human_size=human_size, type_name=type_name,
                       weekday=weekday)
    return env


def _hashed(path: str, body: bytes) -> str:
    stem, suffix = path.rsplit(".", 1)
    return f"{stem}.{hashlib.sha256(body).hexdigest()[:8]}.{suffix}"


def _read_static(name: str) -> bytes:
    # Beside this module, as jinja2's PackageLoader finds the templates (the package is always
    # a folder: installed, editable or the Lambda layer). importlib.resources would import its
    # readers and zipfile for two reads: ~3 ms of every process that renders a page.
    with open(os.path.join(os.path.dirname(__file__), "static", name), "rb") as handle:
        return handle.read()


def _listed(records: Iterable[MeetingRecord]) -> list[MeetingRecord]:
    return sort_newest_first(r for r in records if r.listed)


def _years(records: Iterable[MeetingRecord]) -> list[int]:
    return sorted({r.date.year for r in records}, reverse=True)


def toc_html(headings: Sequence[Heading]) -> Markup:
    """The table of contents' list items, headings nested by level (each under the nearest
    heading above it of a higher rank), for meeting.html.j2 to place inside its <nav> and <ol>.
    Written here rather than in a template loop: its steps and escapes per heading were the
    dearest part of a meeting page after the layout (decision 70). Anchors and texts (plain
    strings) are escaped as the template would escape them (_escape)."""
    out = []
    open_levels: list[int] = []     # levels of the headings whose nested list is open
    last = len(headings) - 1
    for at, heading in enumerate(headings):
        level = heading.level
        out.append(f'<li><a href="#{_escape(heading.anchor)}">{_escape(heading.text)}</a>')
        following = headings[at + 1].level if at < last else None
        if following is not None and following > level:
            out.append("<ol>\n")               # its own nested list opens
            open_levels.append(level)
            continue
        out.append("</li>\n")
        # The next heading closes the nested lists of the headings above it of its rank or
        # lower, each with the item holding it; the end closes every one.
        while open_levels and (following is None or open_levels[-1] >= following):
            open_levels.pop()
            out.append("</ol>\n</li>\n")
    return Markup("".join(out))


def _escape(text: str) -> str:
    """markupsafe.escape of a plain string, as a plain string: its pure-Python replacements, in
    its order (markupsafe/_native.py), without making a Markup of each (twice as dear)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;") \
        .replace("'", "&#39;").replace('"', "&#34;")


def long_date(date) -> str:
    """"20 September 2022", without strftime so the host locale cannot change the bytes."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def weekday(date) -> str:
    """"Tuesday", without strftime or calendar (both follow the host locale)."""
    return ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
            "Sunday")[date.weekday()]


def human_size(size: int) -> str:
    """Decimal units, as file managers show them: 999 bytes, 1.2 kB, 3.4 MB."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.95 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def type_name(content_type: str) -> str:
    base = content_type.split(";", 1)[0].strip().lower()
    return _TYPE_NAMES.get(base, base or "file")
