"""RSS 2.0 and Atom feeds of published meetings (feedgen), byte-for-byte deterministic.

Pure: no boto3, no clock. feedgen stamps `datetime.now()` into the feed and every entry by
default, prepends entries unless told otherwise, rejects naive datetimes and XML-illegal
characters, and leaves relative URLs alone; every one of those is handled here.
"""
from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from html import escape, unescape
from typing import TYPE_CHECKING, Callable, Iterable

from minutes import keys
from minutes.feed_xml import (XML_ILLEGAL as _XML_ILLEGAL, EntryFields, HeadFields, Pieces,
                              atom_document, entry_xml, rss_document)
from minutes.model import MeetingRecord, sort_newest_first
from minutes.problems import Rejected
from minutes.links import (rewrite_attributes, start_tags_holding, url_attributes,
                           without_heading_anchors)

if TYPE_CHECKING:   # feedgen (and lxml, ~30 ms) only where a feed is made, not for feed ids
    from feedgen.feed import FeedGenerator

GENERATOR = "Minutes Pipeline"
LANGUAGE = "en"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)

# Attributes that carry a URL in the sanitised fragment (nh3 allows these).
_URL_ATTRS = frozenset({"href", "src", "cite", "poster"})
_C0_ILLEGAL = bytes(c for c in range(0x20) if c not in b"\t\n\r")   # its ASCII part
# Controls that make no sense inside a one-line field (titles, names).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Characters allowed unencoded in a URL path; '%' keeps existing escapes intact.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
# In links from content, a query and a fragment are meant as such.
_REF_SAFE = _PATH_SAFE + "?#"
# RFC 4151 `specific` part: pchar / "/" / "?".
_TAG_SAFE = "/?:@!$&'()*+,;=-._~"


# --- identifiers and URLs -------------------------------------------------------------------

def feed_id_for(*, site_host: str, group: str, meeting: str, key_date: dt.date | None,
                date: dt.date) -> str:
    """The RFC 4151 tag URI minted once per meeting: `tag:<host>,<year>:<group>/<meeting>`.

    A function of the key alone where it can be (decision 104): <year> is the year of the date
    the key carries (`key_date`: its file's or dated folders' name, a running-notes section's
    dated heading), which no re-upload can move; the meeting's `date` (front matter) counts
    only for a key without one. So `minutes build` (stateless) derives the id the pipeline
    stored, even after a front-matter date moved to another year. Non-URI characters in the
    path are percent-encoded so the id is always a valid URI.
    """
    host = site_host.strip().lower()
    if "://" in host:  # tolerate a full site URL being passed
        host = urllib.parse.urlsplit(host).hostname or host
    host = host.split(":")[0].rstrip(".")  # a tag authority has no port
    specific = urllib.parse.quote(f"{group}/{meeting}", safe=_TAG_SAFE)
    return f"tag:{host},{(key_date or date).year:04d}:{specific}"


def absolute_url(site_url: str, path: str, *, safe: str = _PATH_SAFE) -> str:
    """`site_url` + a site path, with unsafe characters percent-encoded (existing ones kept)."""
    base = site_url.rstrip("/")
    if not path.startswith("/"):
        path = "/" + path
    return base + urllib.parse.quote(path, safe=safe)


def _resolve(value: str, *, site_url: str, page_url: str) -> str:
    """Resolve one attribute value; site-root paths go under site_url (which may have a prefix)."""
    value = value.strip()
    if not value or (value.startswith(("https://", "http://", "mailto:")) and "/." not in value
                     and "?#" not in value and value[-1] not in "?#" and value.isascii()
                     and value.isprintable()):
        return value   # already absolute (what urljoin would return unchanged)
    if value.startswith("/") and not value.startswith("//"):
        return absolute_url(site_url, value, safe=_REF_SAFE)
    return urllib.parse.urljoin(page_url, value)


_URL_TAG = start_tags_holding(r'\s(?:href|src|cite|poster)="')
_URL_ATTRIBUTES = url_attributes(*sorted(_URL_ATTRS))
# Where a value of each attribute that may hold a URL starts: `href="` (or src, cite, poster)
# anywhere in the fragment.
_URL_VALUE_STARTS = tuple(f'{name}="' for name in sorted(_URL_ATTRS))


def _url_values(html: str) -> set[str]:
    """Every value the tag pass of absolutize_urls could rewrite, and more (words in text,
    values inside other values): each occurrence of `href="` (or src, cite, poster) anywhere
    and what follows it up to the next '"' (each attribute the tag pass finds is one of these
    occurrences, and its value ends at the same '"'). The next one is looked for right after
    the '"' that opens a value, so none is skipped. Found with str.find, not a pattern: the
    regular expression engine tries its literal at every character, str.find skips ahead
    (~20% of this function on minutes, most of whose strings are two bytes a character)."""
    values = set()
    for start in _URL_VALUE_STARTS:
        at = html.find(start)
        while at >= 0:
            at += len(start)
            end = html.find('"', at)
            values.add(html[at:end] if end >= 0 else html[at:])
            at = html.find(start, at)
    return values


def absolutize_urls(html: str, base_url: str, *, site_url: str | None = None) -> str:
    """Make every href/src in a sanitised fragment absolute against `base_url` (the page URL).

    The fragment is nh3's canonical output (links.py says why a pattern finds exactly its start
    tags), so this is one linear pass, not a parse: text that merely looks like `href="/x"` is
    never touched, and only the URL values that change are rewritten, the rest kept byte for
    byte. Paths starting with "/" resolve against `site_url` when given (a site under a prefix).
    """
    value = _url_rewriter(base_url, site_url)
    # Most fragments change nowhere (their links are absolute already): when no value that
    # could be a URL attribute's changes, neither would any tag's, and the pattern that finds
    # whole start tags (the costly part) is not run.
    if all(value(raw) == raw for raw in _url_values(html)):
        return html
    return _rewrite_url_tags(html, value)


def _url_rewriter(base_url: str, site_url: str | None) -> Callable[[str], str]:
    """An attribute value as written -> as it is written absolute (the same string if it is)."""
    root = site_url if site_url is not None else _origin(base_url)

    def value(raw: str) -> str:
        old = unescape(raw) if "&" in raw else raw
        try:
            new = _resolve(old, site_url=root, page_url=base_url) if old else old
        except ValueError:   # no URL urllib can join (`//[x`: an unclosed IPv6 host): kept as written
            return raw
        return raw if new == old else escape(new)
    return value


def _rewrite_url_tags(html: str, value: Callable[[str], str]) -> str:
    """Each URL attribute's value of each start tag of `html` through `value`."""
    return _URL_TAG.sub(lambda tag: rewrite_attributes(tag.group(0), _URL_ATTRIBUTES, value), html)


def entry_content(content_html: str, page_url: str, site_url: str) -> str:
    """A record's content as feeds show it (absolute URLs, no heading '#' links)."""
    return _entry_content(content_html, page_url, site_url)[0]


def _entry_content(content_html: str, page_url: str, site_url: str) -> tuple[str, bytes | None]:
    """entry_content, and its UTF-8 bytes when checking it for characters XML forbids made
    them and nothing changed it since (most contents: feed_xml then escapes these bytes
    instead of encoding the text again, ~5% of an entry). A text holding no such character
    past its surrounding white space is what _xml_text(...).strip() makes of it: those
    characters there are white space too, and the strip takes them."""
    text = without_heading_anchors(content_html)
    stripped = text.strip()
    data = _utf8_if_clean(stripped)
    if data is None:
        content = _xml_text(text).strip()
        return (absolutize_urls(content, page_url, site_url=site_url) if content else ""), None
    if not stripped:
        return "", None
    content = absolutize_urls(stripped, page_url, site_url=site_url)
    return content, (data if content is stripped else None)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- text and time hygiene ------------------------------------------------------------------

def _xml_text(text: str) -> str:
    """Drop characters XML cannot carry at all (lxml would raise instead of escaping)."""
    return text if _utf8_if_clean(text) is not None else _XML_ILLEGAL.sub("", text)


def _utf8_if_clean(text: str) -> bytes | None:
    """The text's UTF-8 bytes when it holds no character XML forbids, else None."""
    # Most texts hold none: looking for them in the UTF-8 bytes (which a lone surrogate
    # cannot be encoded to) is ~4x cheaper than the pattern on a page of minutes.
    try:
        data = text.encode()
    except UnicodeEncodeError:
        return None
    if len(data.translate(None, _C0_ILLEGAL)) == len(data) and "\ufffe" not in text \
            and "\uffff" not in text:
        return data
    return None


def _one_line(text: str) -> str:
    """Flatten CR/LF, tabs, Unicode line separators and control characters to single spaces."""
    return " ".join(_xml_text(_CONTROL.sub(" ", text)).split())


def _utc(value: dt.datetime) -> dt.datetime:
    """feedgen rejects naive datetimes; records hold UTC, so naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0)


def _midnight(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)


def entry_updated(record: MeetingRecord) -> dt.datetime:
    """Last change; falls back to first publication, then the meeting date (never the clock)."""
    if record.updated is not None:
        return _utc(record.updated)
    if record.published is not None:
        return _utc(record.published)
    return _midnight(record.date)


def entry_published(record: MeetingRecord) -> dt.datetime:
    return _utc(record.published) if record.published is not None else entry_updated(record)


# --- feeds ----------------------------------------------------------------------------------

def feed_records(records: Iterable[MeetingRecord], *, limit: int = 50) -> list[MeetingRecord]:
    """What a feed shows: published minutes only (no drafts, no agenda-only), newest first."""
    chosen = [r for r in records if r.listed and r.status == "published"]
    return sort_newest_first(chosen)[: max(limit, 0)]


def rss_feed(records: Iterable[MeetingRecord], *, site_url: str, title: str, description: str,
             self_path: str, link_path: str = "/", limit: int = 50,
             updated: dt.datetime | None = None) -> bytes:
    """RSS 2.0 document (with atom:link rel=self, content:encoded and dc:creator)."""
    return feed_documents(records, site_url=site_url, title=title, description=description,
                          rss_path=self_path, atom_path=self_path, link_path=link_path,
                          limit=limit, updated=updated)[0]


def atom_feed(records: Iterable[MeetingRecord], *, site_url: str, title: str, description: str,
              self_path: str, link_path: str = "/", limit: int = 50,
              updated: dt.datetime | None = None) -> bytes:
    """Atom (RFC 4287) document; the feed id is the feed's own absolute URL."""
    return feed_documents(records, site_url=site_url, title=title, description=description,
                          rss_path=self_path, atom_path=self_path, link_path=link_path,
                          limit=limit, updated=updated)[1]


Parts = Callable[[list[MeetingRecord]], list[tuple[Pieces, Pieces]]]

# How feedgen's documents, pretty-printed by lxml, close their list of entries; an entry's own
# lines are indented deeper, and its text and attributes have every "<" escaped, so these
# lines (and the entry boundaries below) are found only where lxml put them.
_RSS_END = b"  </channel>\n</rss>\n"
_ATOM_END = b"</feed>\n"
_RSS_ITEM = (b"    <item>\n", b"    </item>\n")
_ATOM_ENTRY = (b"  <entry>\n", b"  </entry>\n")


def feed_documents(records: Iterable[MeetingRecord], **options) -> tuple[bytes, bytes]:
    """A scope's RSS and Atom documents (feed_pieces, each joined)."""
    rss, atom = feed_pieces(records, **options)
    return b"".join(rss), b"".join(atom)


def feed_pieces(records: Iterable[MeetingRecord], *, site_url: str, title: str,
                description: str, rss_path: str, atom_path: str, link_path: str = "/",
                limit: int = 50, updated: dt.datetime | None = None,
                parts: Parts | None = None) -> tuple[list[bytes], list[bytes]]:
    """A scope's RSS and Atom documents, each as the pieces it is the join of (its head, each
    entry, its end): `minutes build` writes them so, never holding a whole document (two of
    ~0.8 MB beside the fifty entries at 1,000 meetings; decision 82). Each is feedgen's document without entries (its
    lastBuildDate / updated the newest entry's) with the entries' own bytes spliced in where
    feedgen puts them (entry_parts): byte for byte the document feedgen makes with the
    entries. `parts(chosen)`: each chosen record's (RSS item, Atom entry), for a caller that
    keeps them (`minutes build`: an unchanged entry is not made again); records may then be
    light (no content). Default: entry_parts of the (whole) records."""
    chosen, (rss_head, rss_end), (atom_head, atom_end) = feed_frames(
        records, site_url=site_url, title=title, description=description, rss_path=rss_path,
        atom_path=atom_path, link_path=link_path, limit=limit, updated=updated)
    made = parts(chosen) if parts is not None else entry_parts(chosen, site_url=site_url)
    if len(made) != len(chosen):
        raise ValueError(f"{len(chosen)} feed entries, {len(made)} made")
    return ([rss_head, *(piece for item, _ in made for piece in item), rss_end],
            [atom_head, *(piece for _, entry in made for piece in entry), atom_end])


def feed_frames(records: Iterable[MeetingRecord], *, site_url: str, title: str,
                description: str, rss_path: str, atom_path: str, link_path: str = "/",
                limit: int = 50, updated: dt.datetime | None = None
                ) -> tuple[list[MeetingRecord], tuple[bytes, bytes], tuple[bytes, bytes]]:
    """What feed_pieces puts around the entries: the records the feeds show, newest first
    (light ones do: the documents' dates are their entries'), and the (head, end) of the RSS
    and of the Atom document; each document is its head, each chosen record's entry in that
    order (entry_parts), then its end. A caller can so write a feed entry by entry, holding
    none but the one it writes (`minutes build`, decision 97)."""
    chosen = feed_records(records, limit=limit)
    newest = max((entry_updated(r) for r in chosen), default=_utc(updated or EPOCH))
    common = dict(site_url=site_url, title=title, description=description, link_path=link_path,
                  updated=newest)
    rss = _document("rss", self_path=rss_path, **common)
    atom = _document("atom", self_path=atom_path, **common)
    return chosen, _frame(rss, _RSS_END), _frame(atom, _ATOM_END)


def entry_parts(records: list[MeetingRecord], *, site_url: str) -> list[tuple[Pieces, Pieces]]:
    """Each (whole) record's RSS <item> and Atom <entry> as the lines any feed of this site
    holds them, each as the pieces it is the join of (feed_xml.Pieces: the content one object
    both hold): an entry's bytes depend on its record and the site URL only (the namespaces
    are declared on the document's root, the same in every feed). Written directly
    (feed_xml.entry_xml: feedgen's bytes, without its tree) for the ordinary shape; any other
    entry is made by feedgen."""
    both = [_entry_fields_encoded(record, site_url=site_url) for record in records]
    fields = [entry for entry, _ in both]
    made = [entry_xml(entry, content_utf8=data) for entry, data in both]
    odd = [i for i, parts in enumerate(made) if parts is None]
    for i, parts in zip(odd, _feedgen_parts([fields[i] for i in odd], site_url=site_url)):
        made[i] = parts
    return made


def _feedgen_parts(fields: list[EntryFields], *, site_url: str) -> list[tuple[Pieces, Pieces]]:
    """The entries made in one feedgen document of them, cut at the entries' boundaries."""
    if not fields:
        return []
    fg = _head(site_url=site_url, title=GENERATOR, description=GENERATOR, self_path="/",
               link_path="/", updated=EPOCH, self_type="application/rss+xml")
    for entry in fields:
        _add_fields(fg, entry)
    items = _cut(fg.rss_str(pretty=True), _RSS_ITEM, _RSS_END)
    entries = _cut(fg.atom_str(pretty=True), _ATOM_ENTRY, _ATOM_END)
    if not len(items) == len(entries) == len(fields):
        raise ValueError(f"feedgen made {len(items)} items and {len(entries)} entries of {len(fields)}")
    return [((item,), (entry,)) for item, entry in zip(items, entries)]


def _cut(document: bytes, bounds: tuple[bytes, bytes], end: bytes) -> list[bytes]:
    start, stop = bounds
    first = document.find(start)
    if first < 0:
        return []
    body = document[first + len(start):len(document) - len(end)]
    if not document.endswith(end) or not body.endswith(stop):
        raise ValueError("feedgen's document does not end as expected")
    return [start + part + stop for part in body[:-len(stop)].split(stop + start)]


def _frame(document: bytes, end: bytes) -> tuple[bytes, bytes]:
    """A document without entries cut where they go: (what comes before them, `end`)."""
    if not document.endswith(end):
        raise ValueError("feedgen's document does not end as expected")
    return document[:-len(end)], end


_SELF_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


def _document(kind: str, *, site_url: str, title: str, description: str, self_path: str,
              link_path: str, updated: dt.datetime) -> bytes:
    """A feed document (`rss` or `atom`) without entries: written directly (feed_xml), with
    feedgen's bytes, or by feedgen for a head of any other shape."""
    fields = _head_fields(site_url=site_url, title=title, description=description,
                          self_path=self_path, link_path=link_path, updated=updated,
                          self_type=_SELF_TYPES[kind])
    written = (rss_document if kind == "rss" else atom_document)(fields)
    if written is not None:
        return written
    fg = _feedgen_head(fields)
    return fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)


def _head(*, site_url: str, title: str, description: str, self_path: str, link_path: str,
          updated: dt.datetime, self_type: str) -> FeedGenerator:
    """A feed without entries, as feedgen makes it."""
    return _feedgen_head(_head_fields(site_url=site_url, title=title, description=description,
                                      self_path=self_path, link_path=link_path, updated=updated,
                                      self_type=self_type))


def _head_fields(*, site_url: str, title: str, description: str, self_path: str, link_path: str,
                 updated: dt.datetime, self_type: str) -> HeadFields:
    feed_title = _one_line(title) or GENERATOR
    return HeadFields(title=feed_title, description=_one_line(description) or feed_title,
                      self_url=absolute_url(site_url, self_path), self_type=self_type,
                      link_url=absolute_url(site_url, link_path), updated=updated,
                      language=LANGUAGE, generator=GENERATOR)


def _feedgen_head(head: HeadFields) -> FeedGenerator:
    from feedgen.feed import FeedGenerator
    fg = FeedGenerator()
    # dc:creator carries the author name in RSS (<author> there must be an e-mail address).
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(head.self_url)
    fg.title(head.title)
    fg.description(head.description)
    fg.author(name=head.title)  # RFC 4287: an empty feed still needs an author
    # feedgen uses the *last* link as the RSS <channel><link>, so self goes first.
    fg.link(href=head.self_url, rel="self", type=head.self_type)
    fg.link(href=head.link_url, rel="alternate", type="text/html")
    fg.language(head.language)
    fg.generator(head.generator)
    # Sets atom:updated and rss:lastBuildDate, which otherwise default to the wall clock.
    fg.updated(head.updated)
    return fg


def _entry_fields(record: MeetingRecord, *, site_url: str) -> EntryFields:
    """What an entry shows of a record, for feedgen and feed_xml alike."""
    return _entry_fields_encoded(record, site_url=site_url)[0]


def _entry_fields_encoded(record: MeetingRecord, *, site_url: str) -> tuple[EntryFields, bytes | None]:
    """_entry_fields, and its content's UTF-8 bytes where they were made (_entry_content)."""
    page_url = absolute_url(site_url, record.url_path)
    group = _one_line(record.group)
    content, data = _entry_content(record.content_html, page_url, site_url)
    return EntryFields(
        id=record.feed_id or _derived_id(record, site_url=site_url),
        title=_one_line(record.title) or f"{record.group} meeting {record.date.isoformat()}",
        page_url=page_url, published=entry_published(record), updated=entry_updated(record),
        group=group, summary=_one_line(record.summary), content=content), data


def _add_fields(fg: FeedGenerator, entry: EntryFields) -> None:
    fe = fg.add_entry(order="append")  # default 'prepend' would reverse our order
    fe.id(entry.id)  # also guid isPermaLink=false
    fe.title(entry.title)
    fe.link(href=entry.page_url, rel="alternate", type="text/html")
    fe.published(entry.published)
    fe.updated(entry.updated)  # always set: the default is now()
    fe.author(name=entry.group)
    fe.dc.dc_creator(entry.group)
    fe.category(term=entry.group)
    if entry.summary:
        fe.description(entry.summary, isSummary=True)
    if entry.content:
        fe.content(entry.content, type="html")


def _derived_id(record: MeetingRecord, *, site_url: str) -> str:
    """Only for records that never had an id stored: the same id `minutes build` derives."""
    host = urllib.parse.urlsplit(site_url).hostname or site_url
    return feed_id_for(site_host=host, group=record.group, meeting=record.meeting,
                       key_date=_key_date(record), date=record.date)


def _key_date(record: MeetingRecord) -> dt.date | None:
    """The date the record's key carries (a running-notes section's is its own date, which
    record.date already is: its file's key has none)."""
    try:
        return keys.parse_key(record.source_keys[0]).date if record.source_keys else None
    except Rejected:
        return None
