"""A strict, dependency-free feed checker for tests: RSS 2.0 and Atom (RFC 4287) rules.

feedparser is deliberately forgiving (it accepts feeds that stricter readers reject), so the
tests also run these checks. Each function returns a list of violation strings; [] means valid.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from collections import Counter

ATOM = "http://www.w3.org/2005/Atom"
A = "{%s}" % ATOM

_RFC822 = re.compile(
    r"^(?:(?P<wd>Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?"
    r"(?P<d>\d{1,2}) (?P<m>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<y>\d{2}|\d{4}) "
    r"\d{2}:\d{2}(?::\d{2})? "
    r"(?P<tz>[+-]\d{4}|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


# --- shared helpers ---------------------------------------------------------------------------

def _parse(data: bytes) -> tuple[ET.Element | None, list[str]]:
    try:
        return ET.fromstring(data), []
    except ET.ParseError as exc:
        return None, [f"not well-formed XML: {exc}"]


def _text(elem: ET.Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def is_rfc822(value: str) -> bool:
    """RFC 822 date-time with an explicit zone; a given weekday must match the date."""
    match = _RFC822.match(value.strip())
    if not match or email.utils.parsedate_tz(value) is None:
        return False
    if match["wd"]:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False
        if parsed.strftime("%a") != match["wd"]:
            return False
    return True


def is_rfc3339(value: str) -> bool:
    """RFC 3339 as RFC 4287 section 3.3 restricts it: upper-case T and Z, zone required."""
    if not _RFC3339.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _duplicates(values: list[str]) -> list[str]:
    return sorted(v for v, n in Counter(values).items() if n > 1)


def check_feed(data: bytes) -> list[str]:
    """Dispatch on the root element."""
    root, errors = _parse(data)
    if root is None:
        return errors
    if root.tag == "rss":
        return check_rss(data)
    if root.tag == A + "feed":
        return check_atom(data)
    return [f"unknown feed root element {root.tag!r}"]


# --- RSS 2.0 ----------------------------------------------------------------------------------

def check_rss(data: bytes) -> list[str]:
    root, errors = _parse(data)
    if root is None:
        return errors
    if root.tag != "rss":
        return [f"root element is {root.tag!r}, not 'rss'"]
    if root.get("version") != "2.0":
        errors.append(f"rss version is {root.get('version')!r}, not '2.0'")
    channels = root.findall("channel")
    if len(channels) != 1:
        return errors + [f"rss must have exactly one channel, found {len(channels)}"]
    channel = channels[0]
    errors += _rss_channel(channel)
    items = channel.findall("item")
    for index, item in enumerate(items):
        errors += [f"item {index}: {e}" for e in _rss_item(item)]
    guids = [_text(item.find("guid")) for item in items if item.find("guid") is not None]
    errors += [f"duplicate guid {g!r}" for g in _duplicates(guids)]
    return errors


def _rss_channel(channel: ET.Element) -> list[str]:
    errors = []
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            errors.append(f"channel has no <{name}>")
    for name in ("title", "link"):
        if channel.find(name) is not None and not _text(channel.find(name)):
            errors.append(f"channel <{name}> is empty")
    link = _text(channel.find("link"))
    if link and not _HTTP_URL.match(link):
        errors.append(f"channel <link> is not an absolute URL: {link!r}")
    for name in ("pubDate", "lastBuildDate"):
        value = channel.find(name)
        if value is not None and not is_rfc822(_text(value)):
            errors.append(f"channel <{name}> is not RFC 822 with a zone: {_text(value)!r}")
    selfs = [ln for ln in channel.findall(A + "link") if ln.get("rel") == "self"]
    if not selfs:
        errors.append("channel has no atom:link rel=self")
    for ln in selfs:
        if not _HTTP_URL.match(ln.get("href") or ""):
            errors.append(f"atom:link rel=self href is not absolute: {ln.get('href')!r}")
    return errors


def _rss_item(item: ET.Element) -> list[str]:
    errors = []
    if not _text(item.find("title")) and not _text(item.find("description")):
        errors.append("has neither title nor description")
    link = item.find("link")
    if link is not None and not _HTTP_URL.match(_text(link)):
        errors.append(f"link is not an absolute URL: {_text(link)!r}")
    pub = item.find("pubDate")
    if pub is not None and not is_rfc822(_text(pub)):
        errors.append(f"pubDate is not RFC 822 with a zone: {_text(pub)!r}")
    guid = item.find("guid")
    if guid is not None:
        if not _text(guid):
            errors.append("guid is empty")
        # isPermaLink defaults to true, and then the guid must be a URL.
        elif guid.get("isPermaLink", "true") != "false" and not _HTTP_URL.match(_text(guid)):
            errors.append(f"guid {_text(guid)!r} is a permalink but not a URL")
    if "\n" in (item.findtext("title") or "").strip():
        errors.append("title spans several lines")
    return errors


# --- Atom (RFC 4287) --------------------------------------------------------------------------

def check_atom(data: bytes) -> list[str]:
    root, errors = _parse(data)
    if root is None:
        return errors
    if root.tag != A + "feed":
        return [f"root element is {root.tag!r}, not atom:feed"]
    errors += _atom_common(root, "feed")
    links = root.findall(A + "link")
    if not any(ln.get("rel") == "self" for ln in links):
        errors.append("feed has no link rel=self")
    entries = root.findall(A + "entry")
    if not _has_author(root) and not (entries and all(_has_author(e) for e in entries)):
        errors.append("feed has no author and not every entry has one")
    for index, entry in enumerate(entries):
        errors += [f"entry {index}: {e}" for e in _atom_entry(entry)]
    ids = [_text(e.find(A + "id")) for e in entries]
    errors += [f"duplicate entry id {i!r}" for i in _duplicates(ids)]
    return errors


def _atom_common(elem: ET.Element, what: str) -> list[str]:
    """Rules shared by atom:feed and atom:entry: one id (absolute IRI), title, updated."""
    errors = []
    for name in ("id", "title", "updated"):
        count = len(elem.findall(A + name))
        if count != 1:
            errors.append(f"{what} must have exactly one {name}, found {count}")
    ident = _text(elem.find(A + "id"))
    if elem.find(A + "id") is not None and not _IRI.match(ident):
        errors.append(f"{what} id is not an absolute IRI: {ident!r}")
    for name in ("updated", "published"):
        value = elem.find(A + name)
        if value is not None and not is_rfc3339(_text(value)):
            errors.append(f"{what} {name} is not RFC 3339: {_text(value)!r}")
    for author in elem.findall(A + "author"):
        if not _text(author.find(A + "name")):
            errors.append(f"{what} author has no name")
    errors += _alternate_clashes(elem, what)
    for ln in elem.findall(A + "link"):
        if not ln.get("href"):
            errors.append(f"{what} link without href")
    return errors


def _alternate_clashes(elem: ET.Element, what: str) -> list[str]:
    """RFC 4287: at most one alternate link per (type, hreflang)."""
    keys = [(ln.get("type") or "", ln.get("hreflang") or "") for ln in elem.findall(A + "link")
            if ln.get("rel", "alternate") == "alternate"]
    return [f"{what} has several alternate links for {k}" for k in _duplicates(keys)]


def _has_author(elem: ET.Element) -> bool:
    return any(_text(a.find(A + "name")) for a in elem.findall(A + "author"))


def _atom_entry(entry: ET.Element) -> list[str]:
    errors = _atom_common(entry, "entry")
    content = entry.find(A + "content")
    alternates = [ln for ln in entry.findall(A + "link")
                  if ln.get("rel", "alternate") == "alternate"]
    if content is None and not alternates:
        errors.append("has neither content nor a link rel=alternate")
    if content is not None and content.get("src") and entry.find(A + "summary") is None:
        errors.append("content has src but there is no summary")
    if "\n" in (entry.findtext(A + "title") or "").strip():
        errors.append("title spans several lines")
    return errors
