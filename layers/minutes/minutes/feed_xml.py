"""Feed entries (RSS <item>, Atom <entry>) and the documents around them, written as feedgen
and lxml write them (pure).

feedgen builds an lxml tree per entry and lxml serialises it: at 1,000 meetings that was about
a third of the feeds' CPU, for entries whose shape never varies. Here the same lines are
written directly: the same elements in feedgen's order, indented as lxml's pretty printer
indents them, text and attributes escaped as libxml2 escapes them (and a build that makes
only these never imports feedgen and lxml: ~0.02 s and ~5 MiB). Only the shape feeds.py
gives every ordinary entry and document is written here (an id, a title and a group name,
dates in years 1000-9999, no character XML forbids); anything else goes through feedgen
itself (feeds.py), so an odd record gets exactly what it got before, error included.
tests/unit/test_feeds_equal.py proves these bytes equal to feedgen's on random, hostile and
corpus records and random documents.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

# Characters XML 1.0 forbids outright: lxml refuses text holding one (feeds.py drops them).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
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


# An entry's bytes as the pieces they are the join of.
Pieces = tuple[bytes, ...]


def entry_xml(entry: EntryFields, *, content_utf8: bytes | None = None) -> tuple[Pieces, Pieces] | None:
    """(RSS item, Atom entry) as feedgen's pretty-printed documents hold them, or None when the
    entry is not of the shape written here (feeds.py then asks feedgen). Each is the pieces
    it is the join of, the escaped content one bytes object that both hold (_around).
    `content_utf8`: entry.content's UTF-8 bytes, when the caller has them (not encoded again)."""
    if not _plain(entry):
        return None
    title, url, group, ident = (_text(entry.title), _text(entry.page_url), _text(entry.group),
                                _text(entry.id))
    summary = _text(entry.summary) if entry.summary else b""
    content = (_escaped(content_utf8) if content_utf8 is not None else _text(entry.content)) \
        if entry.content else b""   # once, for RSS and Atom
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
    return _around(rss, content), _around(atom, content)


def _around(pieces: list[bytes], content: bytes) -> Pieces:
    """`pieces` joined but for `content`, kept apart as the very object the RSS item and the
    Atom entry share: what holds a scope's entries (a build's feed job and its memo, pickled
    with the object once) then holds each meeting's content once, not twice, about half their
    bytes (decision 96). Which piece equal to it is kept apart does not change the bytes."""
    if not content:
        return (b"".join(pieces),)
    at = next(at for at, piece in enumerate(pieces) if piece is content)
    return b"".join(pieces[:at]), content, b"".join(pieces[at + 1:])


_RSS_ROOT = (b"<?xml version='1.0' encoding='UTF-8'?>\n<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
             b"xmlns:atom=\"http://www.w3.org/2005/Atom\" "
             b"xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" version=\"2.0\">\n")
_ATOM_ROOT = b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n"


class HeadFields(NamedTuple):
    """What feeds._head sets on a feedgen document (its entries aside)."""
    title: str                # one line, not empty
    description: str          # one line, not empty
    self_url: str
    self_type: str
    link_url: str             # the alternate (HTML) page
    updated: dt.datetime      # UTC, whole seconds
    language: str
    generator: str


def rss_document(head: HeadFields) -> bytes | None:
    """feedgen's pretty-printed RSS document of `head` with no entries (feeds.py splices them
    in before its last two lines), or None when `head` is not of the shape written here."""
    if not _plain_head(head):
        return None
    return b"".join([
        _RSS_ROOT, b"  <channel>\n    <title>", _text(head.title), b"</title>\n    <link>",
        _text(head.link_url), b"</link>\n    <description>", _text(head.description),
        b'</description>\n    <atom:link href="', _attribute(head.self_url), b'" rel="self" type="',
        _attribute(head.self_type), b'"/>\n    <docs>http://www.rssboard.org/rss-specification</docs>\n'
        b"    <generator>", _text(head.generator), b"</generator>\n    <language>",
        _text(head.language), b"</language>\n    <lastBuildDate>", _rfc822(head.updated),
        b"</lastBuildDate>\n  </channel>\n</rss>\n"])


def atom_document(head: HeadFields) -> bytes | None:
    """feedgen's pretty-printed Atom document of `head` with no entries, or None (as above)."""
    if not _plain_head(head) or head.language != "en":
        return None
    return b"".join([
        _ATOM_ROOT, b"  <id>", _text(head.self_url), b"</id>\n  <title>", _text(head.title),
        b"</title>\n  <updated>", head.updated.isoformat().encode(), b"</updated>\n  <author>\n"
        b"    <name>", _text(head.title), b'</name>\n  </author>\n  <link href="',
        _attribute(head.self_url), b'" rel="self" type="', _attribute(head.self_type),
        b'"/>\n  <link href="', _attribute(head.link_url), b'" rel="alternate" type="text/html"/>\n'
        b"  <generator>", _text(head.generator), b"</generator>\n  <subtitle>",
        _text(head.description), b"</subtitle>\n</feed>\n"])


def _plain_head(head: HeadFields) -> bool:
    return all(head[:5] + head[6:]) and _plain_moment(head.updated) and \
        not any(XML_ILLEGAL.search(text) for text in head[:5] + head[6:])


def _plain_moment(moment: dt.datetime) -> bool:
    """A time strftime writes with a four-digit year, in UTC, in whole seconds."""
    return 1000 <= moment.year <= 9999 and not moment.microsecond and \
        moment.utcoffset() == dt.timedelta(0)


def _plain(entry: EntryFields) -> bool:
    """The shape written here: every element feedgen would write non-empty, dates whose year
    strftime writes with four digits, UTC, whole seconds, and no text lxml would refuse (the
    content is clean already, and the longest by far: not searched again)."""
    if not (entry.id and entry.title and entry.group and entry.page_url):
        return False
    if not (_plain_moment(entry.published) and _plain_moment(entry.updated)):
        return False
    return not any(XML_ILLEGAL.search(text) for text in entry[:3] + entry[5:7])


def _text(text: str) -> bytes:
    """Text content as libxml2 writes it in UTF-8: '&', '<', '>' and CR escaped. Escaped in the
    UTF-8 bytes (no multi-byte sequence holds an ASCII byte): ~2x cheaper than in the str."""
    return _escaped(text.encode())


def _escaped(data: bytes) -> bytes:
    """_text of the text whose UTF-8 bytes are `data`."""
    data = data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    return data.replace(b"\r", b"&#13;") if b"\r" in data else data


def _attribute(value: str) -> bytes:
    """An attribute value as libxml2 writes it between double quotes."""
    return _text(value).replace(b'"', b"&quot;").replace(b"\n", b"&#10;").replace(b"\t", b"&#9;")


def _rfc822(moment: dt.datetime) -> bytes:
    """strftime('%a, %d %b %Y %H:%M:%S %z') in the C locale, for a UTC time (feedgen's pubDate)."""
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
            f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} +0000").encode()
