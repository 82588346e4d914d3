"""One feed entry's RSS <item> and Atom <entry>, written as feedgen and lxml write them (pure).

feedgen builds an lxml tree per entry and lxml serialises it: at 1,000 meetings that was about
a third of the feeds' CPU, for entries whose shape never varies. Here the same lines are
written directly: the same elements in feedgen's order, indented as lxml's pretty printer
indents them, text and attributes escaped as libxml2 escapes them. Only the shape feeds.py
gives every ordinary entry is written here (an id, a title and a group name, dates in years
1000-9999, no character XML forbids); anything else goes through feedgen itself
(feeds.entry_parts), so an odd record gets exactly what it got before, error included.
tests/unit/test_feeds_equal.py proves these bytes equal to feedgen's on random and hostile
entries, and on every entry of the bench site and the corpus.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

# Characters XML 1.0 forbids (feeds._XML_ILLEGAL): lxml refuses text holding one.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# strftime's %a and %b in the C locale, which feedgen's formatRFC2822 switches to.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class EntryFields(NamedTuple):
    """What feeds.py sets on a feedgen entry, worked out once for RSS and Atom."""
    id: str
    title: str
    page_url: str
    published: dt.datetime    # UTC, whole seconds
    updated: dt.datetime
    group: str                # author, dc:creator and category
    summary: str              # "" for none
    content: str              # feeds.entry_content's (no character XML forbids); "" for none


def entry_xml(entry: EntryFields) -> tuple[bytes, bytes] | None:
    """(RSS item, Atom entry) as feedgen's pretty-printed documents hold them, or None when the
    entry is not of the shape written here (feeds.py then asks feedgen)."""
    if not _plain(entry):
        return None
    title, url, group, ident = (_text(entry.title), _text(entry.page_url), _text(entry.group),
                                _text(entry.id))
    summary = _text(entry.summary) if entry.summary else b""
    content = _text(entry.content) if entry.content else b""   # once, for RSS and Atom
    rss = [b"    <item>\n      <title>", title, b"</title>\n      <link>", url, b"</link>\n"]
    if summary:
        rss += [b"      <description>", summary, b"</description>\n"]
        if content:
            rss += [b"      <content:encoded>", content, b"</content:encoded>\n"]
    elif content:
        rss += [b"      <description>", content, b"</description>\n"]   # feedgen: no summary
    rss += [b'      <guid isPermaLink="false">', ident, b"</guid>\n      <category>", group,
            b"</category>\n      <pubDate>", _rfc822(entry.published),
            b"</pubDate>\n      <dc:creator>", group, b"</dc:creator>\n    </item>\n"]
    atom = [b"  <entry>\n    <id>", ident, b"</id>\n    <title>", title, b"</title>\n    <updated>",
            entry.updated.isoformat().encode(), b"</updated>\n    <author>\n      <name>", group,
            b"</name>\n    </author>\n"]
    if content:
        atom += [b'    <content type="html">', content, b"</content>\n"]
    atom += [b'    <link href="', _attribute(entry.page_url), b'"/>\n']
    if summary:
        atom += [b"    <summary>", summary, b"</summary>\n"]
    atom += [b'    <category term="', _attribute(entry.group), b'"/>\n    <published>',
             entry.published.isoformat().encode(), b"</published>\n  </entry>\n"]
    return b"".join(rss), b"".join(atom)


def _plain(entry: EntryFields) -> bool:
    """The shape written here: every element feedgen would write non-empty, dates whose year
    strftime writes with four digits, UTC, whole seconds, and no text lxml would refuse (the
    content is clean already, and the longest by far: not searched again)."""
    if not (entry.id and entry.title and entry.group and entry.page_url):
        return False
    for moment in (entry.published, entry.updated):
        if not 1000 <= moment.year <= 9999 or moment.microsecond or \
                moment.utcoffset() != dt.timedelta(0):
            return False
    return not any(_XML_ILLEGAL.search(text) for text in entry[:3] + entry[5:7])


def _text(text: str) -> bytes:
    """Text content as libxml2 writes it in UTF-8: '&', '<', '>' and CR escaped. Escaped in the
    UTF-8 bytes (no multi-byte sequence holds an ASCII byte): ~2x cheaper than in the str."""
    data = text.encode().replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    return data.replace(b"\r", b"&#13;") if b"\r" in data else data


def _attribute(value: str) -> bytes:
    """An attribute value as libxml2 writes it between double quotes."""
    return _text(value).replace(b'"', b"&quot;").replace(b"\n", b"&#10;").replace(b"\t", b"&#9;")


def _rfc822(moment: dt.datetime) -> bytes:
    """strftime('%a, %d %b %Y %H:%M:%S %z') in the C locale, for a UTC time (feedgen's pubDate)."""
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
            f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} +0000").encode()
