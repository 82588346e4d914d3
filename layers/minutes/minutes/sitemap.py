"""sitemap.xml and robots.txt for the public site: pure and deterministic."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from minutes.feeds import absolute_url
from minutes.model import MeetingRecord


def escape(text: str) -> str:
    """XML character data: &, < and > escaped (what xml.sax.saxutils.escape does; importing
    that module pulls in urllib.request, ssl and email: ~5 MiB in every process that plans
    a site)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_PATH = "/sitemap.xml"


def lastmod(record: MeetingRecord) -> str:
    """W3C Datetime: the last change in UTC, else just the meeting date (nothing is invented)."""
    if record.updated is None:
        return record.date.isoformat()
    value = record.updated
    if value.tzinfo is None:  # records hold UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def sitemap_xml(records: Iterable[MeetingRecord], *, site_url: str,
                extra_paths: Iterable[str] = ()) -> bytes:
    """<urlset> of every listed meeting plus `extra_paths` ("/", group pages, ...), sorted by loc.

    Drafts are left out (their pages are not public); a path given twice appears once, keeping
    the meeting's lastmod.
    """
    urls: dict[str, str | None] = {absolute_url(site_url, p): None for p in extra_paths}
    for record in records:
        if record.listed:
            loc = absolute_url(site_url, record.url_path)
            known = urls.get(loc)
            urls[loc] = max(known, lastmod(record)) if known else lastmod(record)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for loc in sorted(urls):
        lines.append(_url_element(loc, urls[loc]))
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def sitemap_index(paths: Iterable[str], *, site_url: str) -> bytes:
    """<sitemapindex> of the given sitemap paths, in the given order. No lastmod: the index then
    changes only when a sitemap appears or goes, not on every publish."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    lines += [f"  <sitemap><loc>{escape(absolute_url(site_url, p))}</loc></sitemap>" for p in paths]
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _url_element(loc: str, modified: str | None) -> str:
    parts = [f"<loc>{escape(loc)}</loc>"]
    if modified:
        parts.append(f"<lastmod>{modified}</lastmod>")
    return f"  <url>{''.join(parts)}</url>"


def robots_txt(site_url: str) -> str:
    """Allow everything public, keep draft previews out, and point crawlers to the sitemap."""
    return ("User-agent: *\n"
            "Disallow: /*/_drafts/\n"
            f"Sitemap: {absolute_url(site_url, SITEMAP_PATH)}\n")
