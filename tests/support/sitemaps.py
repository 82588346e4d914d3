"""Every URL a site's sitemaps list: /sitemap.xml is an index of smaller sitemaps (docs/site.md)."""
from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET
from typing import Callable

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_urls(read: Callable[[str], str], site_url: str) -> set[str]:
    """`read(key)` gives the text of a site file ("sitemap.xml"); follows a <sitemapindex>."""
    root = ET.fromstring(read("sitemap.xml"))
    if root.tag.endswith("urlset"):
        return {loc.text for loc in root.findall("s:url/s:loc", NS)}
    found: set[str] = set()
    for loc in root.findall("s:sitemap/s:loc", NS):
        assert loc.text.startswith(site_url + "/"), loc.text
        part = ET.fromstring(read(urllib.parse.unquote(loc.text[len(site_url) + 1:])))
        assert part.tag.endswith("urlset"), loc.text
        found |= {url.text for url in part.findall("s:url/s:loc", NS)}
    return found
