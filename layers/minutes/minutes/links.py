"""Internal links of the public site, relative to the page that holds them (pure).

Site paths ("/openxla/", "/openxla/2022-09-20-sig/Slides.pdf") are what records and pages
know. A page writes them relative to itself, with directory paths spelled out as their
`index.html` ("../index.html", not "../"), so the same files work everywhere:
- on the S3 website endpoint (and any static host) the explicit file is just another key;
- opened from disk (file://) a directory URL would show a folder listing, and a root path
  ("/assets/...") would point at the root of the disk;
- under a path prefix (site_url "https://example.org/minutes") nothing needs rewriting.
Canonical, Open Graph and feed URLs stay absolute (feeds.absolute_url).
"""
from __future__ import annotations

import html
import posixpath
import re
import urllib.parse
from collections.abc import Callable

from .lazy_re import lazy

# nh3 writes canonical HTML: every '<' in text is "&lt;", attribute values are double-quoted and
# hold no '"' ("&quot;"), so this pattern finds exactly the start tags of a sanitised fragment.
_START_TAG = r'<[a-zA-Z][a-zA-Z0-9-]*(?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*\s*/?>'
START_TAG = lazy(_START_TAG)


def start_tags_holding(attribute: str) -> lazy:
    """START_TAG, but only the tags that hold `attribute` (the start of a pattern a caller
    rewrites in the tag) outside their quoted values: the rest would be handed back unchanged,
    and most tags of a page (p, li, em, code) hold no URL."""
    return lazy(_START_TAG.replace(
        "<[a-zA-Z][a-zA-Z0-9-]*", f'<[a-zA-Z][a-zA-Z0-9-]*(?=(?:[^>"]|"[^"]*")*?{attribute})', 1))


_ROOT_URL_TAG = start_tags_holding(r'\s(?:href|src)="/(?!/)')


def url_attributes(*names: str) -> lazy:
    """Where the value of an attribute named in `names` starts, in a start tag."""
    return lazy(rf'\s(?:{"|".join(names)})="')


def rewrite_attributes(tag: str, attributes: lazy, rewrite) -> str:
    """A start tag (a START_TAG match) with the value of each attribute `attributes` finds
    (url_attributes) passed through `rewrite(value as written) -> value as written`, the rest
    kept byte for byte. Only a match after an even number of '"' starts an attribute: an odd
    number means it lies inside another attribute's quoted value (alt="x src=")."""
    pieces, done = [], 0
    for match in attributes.finditer(tag):
        if tag.count('"', 0, match.start()) % 2:
            continue
        start = match.end()
        end = tag.find('"', start)
        value = tag[start:end]
        new = rewrite(value)
        if new != value:
            pieces += (tag[done:start], new)
            done = end
    if not pieces:
        return tag
    pieces.append(tag[done:])
    return "".join(pieces)

def page_dir(path: str) -> str:
    """The folder a page lives in: "/a/b/" for "/a/b/" and for "/a/b/index.html"."""
    return path if path.endswith("/") else posixpath.dirname(path) + "/"


def relative_url(target: str, *, base: str) -> str:
    """A site path (with optional ?query and #fragment) as seen from a page in folder `base`."""
    path, query, fragment = _split(target)
    if path.endswith("/"):
        path += "index.html"
    here = page_dir(base)
    if fragment and not query and path == here + "index.html":
        return fragment                       # same page: just the anchor
    rel = _relpath(path, here)
    if ":" in rel.split("/", 1)[0]:          # "a:b" would read as a URL scheme
        rel = "./" + rel
    return rel + query + fragment


def page_linker(base: str) -> Callable[[str], str]:
    """relative_url(target, base=base) for the many links of one page: the page's folder is
    split once, and a plain site path (no query, fragment, dot segment or empty folder) is
    compared with it folder by folder without the general steps. Anything else takes
    relative_url's way."""
    here = page_dir(base)
    if here[:1] != "/" or "/." in here or "//" in here:
        return lambda target: relative_url(target, base=base)
    parts = here[1:-1].split("/") if here != "/" else []
    depth = len(parts)

    def link(target: str) -> str:
        if target[:1] != "/" or "?" in target or "#" in target or "/." in target or "//" in target:
            return relative_url(target, base=base)
        to = (target + "index.html" if target[-1] == "/" else target)[1:].split("/")
        common = 0
        for a, b in zip(to, parts):
            if a != b:
                break
            common += 1
        if common < depth:
            return "/".join([".."] * (depth - common) + to[common:])
        rel = "/".join(to[common:]) or "."
        return "./" + rel if ":" in rel.split("/", 1)[0] else rel    # "a:b" is no scheme
    return link


def _relpath(path: str, start: str) -> str:
    """posixpath.relpath, without its two os.getcwd() calls (abspath) for the site paths a
    page links to, which are absolute and normal already (a page has dozens of links)."""
    if not (path.startswith("/") and start.startswith("/")) or "/." in path or "/." in start \
            or "//" in path or "//" in start:
        return posixpath.relpath(path, start)
    to, here = [p for p in path.split("/") if p], [p for p in start.split("/") if p]
    common = 0
    for a, b in zip(to, here):
        if a != b:
            break
        common += 1
    return "/".join([".."] * (len(here) - common) + to[common:]) or "."


def rooted_url(target: str, *, prefix: str = "") -> str:
    """A site path under the site's path prefix: for pages served at any address (the 404)."""
    return prefix.rstrip("/") + target


_ROOT_URL_ATTRIBUTES = url_attributes("href", "src")


def _rewrite_root_paths(fragment: str, convert: Callable[[str], str]) -> str:
    """Each root path (href="/…", src="/…", not "//host") of a sanitised fragment through
    `convert`, in one pass; the fragment as it is when it holds none."""
    def rooted(value: str) -> str:
        return convert(value) if value.startswith("/") and value[1:2] != "/" else value

    def tag(match: re.Match) -> str:
        return rewrite_attributes(match.group(0), _ROOT_URL_ATTRIBUTES, rooted)
    if 'href="/' not in fragment and 'src="/' not in fragment:
        return fragment
    return _ROOT_URL_TAG.sub(tag, fragment)


def relative_fragment(fragment: str, *, base: str) -> str:
    """Rewrite root paths (href="/…", src="/…") of a sanitised fragment relative to `base`."""
    return _rewrite_root_paths(fragment, lambda value: relative_url(value, base=base))


def under_site(path: str, site_url: str) -> str:
    """A site path as an absolute URL under `site_url`, which may have a path prefix
    ("https://example.org/minutes"): what a page's relative link resolves to on the site.
    Joined as "./path" (dot segments resolve under the site's root; "/x:y" is no scheme)."""
    return urllib.parse.urljoin(site_url.rstrip("/") + "/", "./" + path[1:])


def absolute_fragment(fragment: str, *, site_url: str) -> str:
    """Root paths (href="/…", src="/…") of a sanitised fragment as absolute URLs under
    `site_url`, in one pass (mail: a client resolves "/g/m/" against the host, dropping the
    site's prefix)."""
    return _rewrite_root_paths(
        fragment, lambda value: html.escape(under_site(html.unescape(value), site_url)))


def site_path(href: str, *, page: str) -> str | None:
    """The site path a relative link on `page` points at (the inverse, for checks and tests);
    None for links that leave the site (a scheme or "//")."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//", href):
        return None
    joined = urllib.parse.urljoin("http://site" + page, href)
    return urllib.parse.urlsplit(joined).path


def _split(target: str) -> tuple[str, str, str]:
    fragment = query = ""
    if "#" in target:
        target, fragment = target.split("#", 1)
        fragment = "#" + fragment
    if "?" in target:
        target, query = target.split("?", 1)
        query = "?" + query
    return target or "/", query, fragment


# The '#' link render.py puts beside each heading of a page (after a space, also removed).
# Found by its literal start (a pattern opening with an optional space is tried at every
# character); the link ends with '>', so the space before one is never part of another.
_HEADING_ANCHOR = lazy(r'<a class="header-anchor" href="#[^"]*"[^>]*>#</a>')


def without_heading_anchors(fragment: str) -> str:
    """The page's '#' links beside headings mean nothing in a feed reader or a mail client.
    Here, not in render.py: mail and feeds need it without loading the Markdown engine."""
    parts = _HEADING_ANCHOR.split(fragment)
    if len(parts) == 1:
        return fragment
    last = parts.pop()
    return "".join(part[:-1] if part.endswith(" ") else part for part in parts) + last
