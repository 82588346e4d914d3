"""Feeds (RSS 2.0, Atom), sitemap and robots.txt: valid, strictly checked, byte-stable."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import feedgen.entry
import feedgen.feed
import feedparser
import pytest

from minutes.render import render_markdown
from minutes.feeds import absolutize_urls, atom_feed, feed_id_for, rss_feed
from minutes.model import MeetingRecord
from minutes.sitemap import robots_txt, sitemap_xml
from tests.support.feedcheck import check_atom, check_feed, check_rss, is_rfc3339, is_rfc822

SITE = "https://minutes.example.org"
HOST = "minutes.example.org"
UTC = dt.timezone.utc
FEEDS = {"rss": (rss_feed, "/feed.xml", check_rss), "atom": (atom_feed, "/atom.xml", check_atom)}


def meeting(day: str, *, group: str = "openxla", slug: str = "community-meeting",
            title: str | None = None, status: str = "published", **changes) -> MeetingRecord:
    """A published record as the pipeline stores it: feed id minted from the key and date."""
    date = dt.date.fromisoformat(day)
    name = f"{day}-{slug}"
    fields = dict(
        group=group, meeting=name, segment=name, title=title or f"Meeting {day}", date=date,
        status=status, summary=f"What {group} decided on {day}.",
        content_html=f"<p>Notes for {day}.</p>",
        feed_id=feed_id_for(site_host=HOST, group=group, meeting=name, key_date=date,
                            date=date),
        published=dt.datetime(date.year, date.month, date.day, 18, tzinfo=UTC),
        updated=dt.datetime(date.year, date.month, date.day, 19, 30, tzinfo=UTC),
    )
    fields.update(changes)
    return MeetingRecord(**fields)


def build(kind: str, records, **options) -> bytes:
    make, self_path, _ = FEEDS[kind]
    options = {"site_url": SITE, "title": "All minutes", "description": "Every group's minutes",
               "self_path": self_path, **options}
    return make(records, **options)


def parsed(kind: str, records, **options):
    result = feedparser.parse(build(kind, records, **options))
    assert result.bozo == 0, result.get("bozo_exception")
    return result


@pytest.fixture
def records() -> list[MeetingRecord]:
    # Deliberately out of order, two groups, plus records a feed must leave out.
    return [
        meeting("2022-09-20", slug="sig-openxla"),
        meeting("2023-01-10", group="jax", slug="sync"),
        meeting("2022-11-15"),
        meeting("2023-02-01", slug="draft-notes", status="draft"),
        meeting("2023-03-01", slug="next", status="upcoming", content_html=""),
    ]


NEWEST_FIRST = ["2023-01-10-sync", "2022-11-15-community-meeting", "2022-09-20-sig-openxla"]


# --- ids --------------------------------------------------------------------------------------

def test_feed_id_is_an_rfc4151_tag_uri_from_key_and_year():
    fid = feed_id_for(site_host=HOST, group="openxla", meeting="2022-09-20-sig-openxla",
                      key_date=dt.date(2022, 9, 20), date=dt.date(2022, 9, 20))
    assert fid == "tag:minutes.example.org,2022:openxla/2022-09-20-sig-openxla"


def test_feed_id_accepts_a_site_url_and_encodes_non_uri_characters():
    fid = feed_id_for(site_host="https://Minutes.Example.org:443/", group="wg",
                      meeting="2019/001 notes é", key_date=None,
                      date=dt.date(2019, 7, 10))
    assert fid == "tag:minutes.example.org,2019:wg/2019/001%20notes%20%C3%A9"


@pytest.mark.parametrize("kind", FEEDS)
def test_entry_ids_are_the_stored_feed_ids_and_survive_a_retitle(kind, records):
    before = parsed(kind, records)
    retitled = [r.with_changes(title="Renamed!", updated=dt.datetime(2024, 1, 1, tzinfo=UTC))
                for r in records]
    after = parsed(kind, retitled)
    stored = [r.feed_id for r in sorted(records[:3], key=lambda r: r.date, reverse=True)]
    assert [e.id for e in before.entries] == stored
    assert [e.id for e in after.entries] == stored
    assert {e.title for e in after.entries} == {"Renamed!"}


def test_rss_guid_is_not_a_permalink(records):
    root = ET.fromstring(build("rss", records))
    guids = root.findall("./channel/item/guid")
    assert guids and all(g.get("isPermaLink") == "false" for g in guids)


def test_entry_without_stored_id_gets_the_id_build_would_derive():
    record = meeting("2022-09-20").with_changes(feed_id="")
    [entry] = parsed("atom", [record]).entries
    assert entry.id == "tag:minutes.example.org,2022:openxla/2022-09-20-community-meeting"


# --- validity ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", FEEDS)
def test_feedparser_accepts_feed(kind, records):
    result = parsed(kind, records)
    assert result.feed.title == "All minutes"
    assert result.feed.language == "en"
    assert result.feed.generator == "Minutes Pipeline"


@pytest.mark.parametrize("kind", FEEDS)
def test_strict_checker_accepts_feed_and_empty_feed(kind, records):
    check = FEEDS[kind][2]
    assert check(build(kind, records)) == []
    assert check(build(kind, [])) == []
    assert check_feed(build(kind, records)) == []


# --- content of the entries -------------------------------------------------------------------

@pytest.mark.parametrize("kind", FEEDS)
def test_only_published_minutes_newest_first(kind, records):
    links = [e.link for e in parsed(kind, records).entries]
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in links] == NEWEST_FIRST


@pytest.mark.parametrize("kind", FEEDS)
def test_limit_keeps_the_newest(kind, records):
    entries = parsed(kind, records, limit=2).entries
    assert [e.link.rstrip("/").rsplit("/", 1)[1] for e in entries] == NEWEST_FIRST[:2]
    assert parsed(kind, records, limit=0).entries == []


@pytest.mark.parametrize("kind", FEEDS)
def test_links_are_absolute(kind, records):
    result = parsed(kind, records, self_path="/jax/feed.xml", link_path="/jax/")
    assert result.entries[0].link == f"{SITE}/jax/2023-01-10-sync/"
    assert all(e.link.startswith(SITE + "/") for e in result.entries)
    links = {ln.rel: ln.href for ln in result.feed.links}
    assert links["self"] == f"{SITE}/jax/feed.xml"
    assert links["alternate"] == f"{SITE}/jax/"


@pytest.mark.parametrize("kind", FEEDS)
def test_entry_fields(kind, records):
    entry = parsed(kind, records).entries[0]
    assert entry.summary == "What jax decided on 2023-01-10."
    assert entry.content[0].value == "<p>Notes for 2023-01-10.</p>"
    assert [t.term for t in entry.tags] == ["jax"]
    assert entry.author == "jax"
    assert entry.published_parsed[:6] == (2023, 1, 10, 18, 0, 0)
    if kind == "atom":  # RSS has no per-item updated
        assert entry.updated_parsed[:6] == (2023, 1, 10, 19, 30, 0)


@pytest.mark.parametrize("kind", FEEDS)
def test_feed_updated_is_the_newest_entry_change_not_now(kind, records):
    late = records[0].with_changes(updated=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC))
    result = parsed(kind, [late, *records[1:]])
    assert result.feed.updated_parsed[:6] == (2024, 5, 6, 7, 8, 9)


@pytest.mark.parametrize("kind", FEEDS)
def test_empty_feed_has_a_fixed_date(kind):
    assert parsed(kind, []).feed.updated_parsed[:6] == (1970, 1, 1, 0, 0, 0)
    given = dt.datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert parsed(kind, [], updated=given).feed.updated_parsed[:6] == (2021, 2, 3, 4, 5, 6)


def test_missing_dates_fall_back_to_the_meeting_date():
    record = meeting("2022-09-20").with_changes(published=None, updated=None)
    entry = parsed("atom", [record]).entries[0]
    assert entry.updated_parsed[:6] == (2022, 9, 20, 0, 0, 0)
    assert entry.published_parsed[:6] == (2022, 9, 20, 0, 0, 0)


def test_naive_and_non_utc_datetimes_are_written_in_utc():
    plus2 = dt.timezone(dt.timedelta(hours=2))
    record = meeting("2022-09-20").with_changes(
        published=dt.datetime(2022, 9, 20, 18, 0),  # naive: stored UTC
        updated=dt.datetime(2022, 9, 20, 21, 30, 0, 123456, tzinfo=plus2))
    atom = build("atom", [record]).decode()
    assert "<published>2022-09-20T18:00:00+00:00</published>" in atom
    assert "<updated>2022-09-20T19:30:00+00:00</updated>" in atom
    assert "Tue, 20 Sep 2022 18:00:00 +0000" in build("rss", [record]).decode()


# --- hostile input ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", FEEDS)
def test_hostile_title_stays_one_escaped_line(kind):
    record = meeting("2022-09-20", title="a\r\nb <script>\x00\x0b\u2028c")
    data = build(kind, [record])
    assert FEEDS[kind][2](data) == []
    assert b"<script" not in data
    title_line = [ln for ln in data.decode().splitlines() if "&lt;script&gt;" in ln]
    assert len(title_line) == 1 and "a b &lt;script&gt; c</title>" in title_line[0]
    assert parsed(kind, [record]).entries[0].title == "a b <script> c"


@pytest.mark.parametrize("kind", FEEDS)
def test_control_characters_in_content_and_summary_do_not_break_xml(kind):
    record = meeting("2022-09-20", summary="line\x01one\r\nline two",
                     content_html="<p>bell\x07 and \ufffe</p>")
    assert FEEDS[kind][2](build(kind, [record])) == []
    entry = parsed(kind, [record]).entries[0]
    assert entry.summary == "line one line two"
    assert entry.content[0].value == "<p>bell and </p>"


# --- URLs inside the content ------------------------------------------------------------------

@pytest.mark.parametrize("kind", FEEDS)
def test_relative_urls_in_content_become_absolute(kind):
    html = ('<p><a href="/openxla/2022-09-20-sig/%5BPublic%5D%20slides.pdf">slides</a> '
            '<img src="diagram.png" alt=""> <a href="#agenda">agenda</a> '
            '<a href="../">up</a> <a href="https://github.com/openxla">gh</a></p>')
    record = meeting("2022-09-20", slug="sig", content_html=html)
    value = parsed(kind, [record]).entries[0].content[0].value
    urls = re.findall(r'(?:href|src)="([^"]*)"', value)
    page = f"{SITE}/openxla/2022-09-20-sig/"
    assert urls == [
        f"{SITE}/openxla/2022-09-20-sig/%5BPublic%5D%20slides.pdf",
        page + "diagram.png", page + "#agenda", f"{SITE}/openxla/",
        "https://github.com/openxla",
    ]


def test_absolutize_urls_only_touches_url_attributes_of_tags():
    page = f"{SITE}/g/2022-01-01-x/"
    html = ('<p title="a&gt;b">see href="/y" &lt;a href="/z"&gt;\n'
            '<a href="/q?a=1&amp;b=2" rel="noopener noreferrer">q</a>'
            '<a href="mailto:a@example.org">m</a><img src="i.png" alt="" /></p>')
    out = absolutize_urls(html, page)
    assert out == ('<p title="a&gt;b">see href="/y" &lt;a href="/z"&gt;\n'
                   f'<a href="{SITE}/q?a=1&amp;b=2" rel="noopener noreferrer">q</a>'
                   '<a href="mailto:a@example.org">m</a>'
                   f'<img src="{page}i.png" alt="" /></p>')
    assert absolutize_urls(out, page) == out  # idempotent


def test_absolutize_urls_reads_attributes_whole_not_words_inside_a_value():
    """`![x src=](a.png "y")`: the alt text ends in ' src=' just before its closing quote; the
    rewrite must not take that quote for the start of a src value (it once did, breaking the tag)."""
    page = f"{SITE}/g/2022-01-01-x/"
    html = render_markdown('![x src=](a.png "y") [t](/g/ "a href=")').html
    assert absolutize_urls(html, page) == (
        f'<p><img src="{page}a.png" alt="x src=" title="y"> '
        f'<a href="{SITE}/g/" title="a href=" rel="noopener">t</a></p>\n')


def test_absolutize_urls_honours_a_site_under_a_path_prefix():
    site = "https://example.org/minutes"
    out = absolutize_urls('<a href="/g/x.pdf">x</a>', site + "/g/m/", site_url=site)
    assert out == '<a href="https://example.org/minutes/g/x.pdf">x</a>'


# --- determinism ------------------------------------------------------------------------------

class _AnyDatetime(type):
    def __instancecheck__(cls, obj):  # feedgen type-checks values against its `datetime`
        return isinstance(obj, dt.datetime)


class _Clock(dt.datetime, metaclass=_AnyDatetime):
    """Stands in for datetime inside feedgen, which stamps now() as its defaults."""
    moment = dt.datetime(2001, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):
        return cls.moment


@pytest.mark.parametrize("kind", FEEDS)
def test_same_input_same_bytes_whatever_the_clock(kind, records, monkeypatch):
    monkeypatch.setattr(feedgen.feed, "datetime", _Clock)
    monkeypatch.setattr(feedgen.entry, "datetime", _Clock)
    first = build(kind, records)
    monkeypatch.setattr(_Clock, "moment", dt.datetime(2099, 12, 31, 23, 59, tzinfo=UTC))
    second = build(kind, list(reversed(records)))
    assert first == second
    assert b"2099" not in second and b"2001" not in second
    assert build(kind, []) == build(kind, [])


# --- the checker itself is proven -------------------------------------------------------------

def _rss_with(item_xml: str, channel_extra: str = "", self_link: bool = True) -> bytes:
    link = ('<atom:link href="https://x.org/feed.xml" rel="self" type="application/rss+xml"/>'
            if self_link else "")
    return (f'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f'<title>t</title><link>https://x.org/</link><description>d</description>'
            f'{link}{channel_extra}{item_xml}</channel></rss>').encode()


def _atom_with(entries: str, feed_extra: str = "<author><name>n</name></author>",
               feed_id: str = "<id>https://x.org/atom.xml</id>") -> bytes:
    return (f'<feed xmlns="http://www.w3.org/2005/Atom">{feed_id}<title>t</title>'
            f'<updated>2022-01-01T00:00:00Z</updated>'
            f'<link rel="self" href="https://x.org/atom.xml"/>{feed_extra}{entries}'
            f'</feed>').encode()


GOOD_ITEM = ('<item><title>a</title><guid isPermaLink="false">tag:x.org,2022:a</guid>'
             '<pubDate>Tue, 20 Sep 2022 18:00:00 +0000</pubDate></item>')
GOOD_ENTRY = ('<entry><id>tag:x.org,2022:a</id><title>a</title>'
              '<updated>2022-09-20T18:00:00+00:00</updated><link href="https://x.org/a/"/></entry>')


def test_checker_accepts_minimal_valid_feeds():
    assert check_rss(_rss_with(GOOD_ITEM)) == []
    assert check_atom(_atom_with(GOOD_ENTRY)) == []


@pytest.mark.parametrize("data, expected", [
    (_rss_with(GOOD_ITEM + GOOD_ITEM), "duplicate guid"),
    (_rss_with(GOOD_ITEM, self_link=False), "no atom:link rel=self"),
    (_rss_with(GOOD_ITEM.replace("+0000", "")), "pubDate is not RFC 822"),
    (_rss_with(GOOD_ITEM.replace("Tue,", "Mon,")), "pubDate is not RFC 822"),
    (_rss_with("<item><link>https://x.org/a</link></item>"), "neither title nor description"),
    (_rss_with(GOOD_ITEM.replace(' isPermaLink="false"', "")), "is a permalink but not a URL"),
    (_rss_with(GOOD_ITEM.replace("<title>a", "<title>a\nb")), "title spans several lines"),
    (_rss_with(GOOD_ITEM).replace(b'version="2.0"', b'version="0.91"'), "rss version"),
    (_rss_with(GOOD_ITEM).replace(b"<description>d</description>", b""), "no <description>"),
    (b"<rss version='2.0'><channel>", "not well-formed"),
])
def test_checker_catches_broken_rss(data, expected):
    problems = check_rss(data)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("data, expected", [
    (_atom_with(GOOD_ENTRY, feed_id=""), "feed must have exactly one id"),
    (_atom_with(GOOD_ENTRY.replace("<id>tag:x.org,2022:a</id>", "")),
     "entry must have exactly one id"),
    (_atom_with(GOOD_ENTRY + GOOD_ENTRY), "duplicate entry id"),
    (_atom_with(GOOD_ENTRY.replace("tag:x.org,2022:a", "/a/")), "not an absolute IRI"),
    (_atom_with(GOOD_ENTRY, feed_extra=""), "no author and not every entry"),
    (_atom_with(GOOD_ENTRY.replace('<link href="https://x.org/a/"/>', "")),
     "neither content nor a link rel=alternate"),
    (_atom_with(GOOD_ENTRY.replace("2022-09-20T18:00:00+00:00", "2022-09-20 18:00")),
     "updated is not RFC 3339"),
    (_atom_with(GOOD_ENTRY.replace("<title>a</title>", "")), "exactly one title"),
    (_atom_with(GOOD_ENTRY).replace(b'<link rel="self" href="https://x.org/atom.xml"/>', b""),
     "no link rel=self"),
])
def test_checker_catches_broken_atom(data, expected):
    problems = check_atom(data)
    assert any(expected in p for p in problems), problems


def test_checker_date_rules():
    assert is_rfc822("Tue, 20 Sep 2022 18:00:00 +0000")
    assert is_rfc822("20 Sep 2022 18:00 GMT")
    assert not is_rfc822("2022-09-20T18:00:00Z")
    assert is_rfc3339("2022-09-20T18:00:00Z") and is_rfc3339("2022-09-20T18:00:00.5+02:00")
    assert not is_rfc3339("2022-09-20T18:00:00") and not is_rfc3339("2022-09-20t18:00:00z")
    assert not is_rfc3339("2022-02-30T00:00:00Z")


# --- sitemap and robots -----------------------------------------------------------------------

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_every_public_page_absolute_and_sorted(records):
    odd = meeting("2021-05-05", group="a&b", slug="q&a")
    extra = ["/", "/openxla/", "/jax/"]
    data = sitemap_xml([*records, odd], site_url=SITE + "/", extra_paths=extra)
    root = ET.fromstring(data)
    locs = [u.findtext(SM + "loc") for u in root.findall(SM + "url")]
    assert locs == sorted(locs) and len(locs) == len(set(locs))
    assert all(re.match(r"^https://minutes\.example\.org/\S*$", loc) for loc in locs)
    assert f"{SITE}/" in locs and f"{SITE}/jax/" in locs
    assert f"{SITE}/openxla/2023-03-01-next/" in locs  # upcoming meetings have pages
    assert not any("_drafts" in loc or "draft-notes" in loc for loc in locs)
    assert f"{SITE}/a&b/2021-05-05-q&a/" in locs  # escaped in the XML, intact when parsed
    lastmods = {u.findtext(SM + "loc"): u.findtext(SM + "lastmod")
                for u in root.findall(SM + "url")}
    assert lastmods[f"{SITE}/jax/2023-01-10-sync/"] == "2023-01-10T19:30:00+00:00"
    assert lastmods[f"{SITE}/"] is None


def test_sitemap_is_deterministic_and_falls_back_to_the_meeting_date(records):
    undated = meeting("2020-02-02").with_changes(updated=None)
    first = sitemap_xml([*records, undated], site_url=SITE)
    assert first == sitemap_xml(list(reversed([*records, undated])), site_url=SITE)
    assert b"<lastmod>2020-02-02</lastmod>" in first


def test_robots_points_to_the_sitemap():
    text = robots_txt(SITE + "/")
    assert f"Sitemap: {SITE}/sitemap.xml" in text.splitlines()
    assert text.startswith("User-agent: *\n")



@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_heading_anchor_links_are_left_out_of_feed_content(kind):
    html = '<h2 id="notes">Notes <a class="header-anchor" href="#notes" rel="noopener">#</a></h2><p>x</p>'
    content = parsed(kind, [meeting("2022-09-20", content_html=html)]).entries[0].content[0].value
    assert "Notes" in content and "header-anchor" not in content


# --- entries spliced into the document ----------------------------------------------------------

def _feedgen_document(kind: str, records, **options) -> bytes:
    """The document feedgen makes with every entry added to it (what feeds.py made before it
    spliced entries made apart): the reference the splice must equal byte for byte."""
    from minutes import feeds
    options = {"site_url": SITE, "title": "All minutes", "description": "Every group's minutes",
               "link_path": "/", "limit": 50, **options}
    chosen = feeds.feed_records(records, limit=options.pop("limit"))
    newest = max((feeds.entry_updated(r) for r in chosen), default=feeds.EPOCH)
    fg = feeds._head(self_path=FEEDS[kind][1], updated=newest, self_type=(
        "application/rss+xml" if kind == "rss" else "application/atom+xml"), **options)
    for record in chosen:
        feeds._add_fields(fg, feeds._entry_fields(record, site_url=SITE))
    return fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)


HOSTILE_ENTRIES = [
    meeting("2022-09-20", title="a\r\nb <script>\x00\x0b\u2028c"),
    meeting("2022-09-21", summary="", content_html=""),
    meeting("2022-09-22", content_html="<p>    &lt;item&gt;\n    &lt;/item&gt;\n  &lt;entry&gt;"
                                       "\n  &lt;/entry&gt;\n</p><pre>    </item>\n</pre>"),
    meeting("2022-09-23", summary="]]> <entry> </channel>", content_html="<p>\u2028</p>\n\n\n"),
    meeting("2022-09-24", group="g\u00e9 <x>", title="", content_html="<p>bell\x07 \ufffe</p>"),
    meeting("2022-09-25", content_html='<p><a href="a b">x</a><img src="/p q.png" alt=""></p>'),
]


@pytest.mark.parametrize("kind", FEEDS)
@pytest.mark.parametrize("count", [0, 1, 2, 6])
def test_spliced_entries_give_feedgens_document_byte_for_byte(kind, count):
    chosen = HOSTILE_ENTRIES[:count]
    assert build(kind, chosen) == _feedgen_document(kind, chosen)
    assert build(kind, chosen, limit=1) == _feedgen_document(kind, chosen, limit=1)


def test_an_entrys_rss_item_and_atom_entry_hold_its_content_once():
    """A build holds a scope's entries while it makes its feeds, and keeps them pickled: the
    content, most of an entry's bytes, is one object both forms share (decision 96)."""
    import pickle
    from minutes import feeds
    text = "".join(f"<p>Point {n}: what was decided &amp; why.</p>\n" for n in range(200))
    record = meeting("2022-09-20", content_html=text)
    item, entry = feeds.entry_parts([record], site_url=SITE)[0]
    rss_bytes = b"".join(item)
    assert len(rss_bytes) > len(text)
    assert len(pickle.dumps((item, entry))) < 1.2 * len(rss_bytes)   # twice that, held apart
    (feedgens_item,), (feedgens_entry,) = feeds._feedgen_parts(
        [feeds._entry_fields(record, site_url=SITE)], site_url=SITE)[0]
    assert (rss_bytes, b"".join(entry)) == (feedgens_item, feedgens_entry)


def test_an_entrys_bytes_are_the_same_in_every_feed_that_shows_it(records):
    """What a build keeps of an entry (feeds.entry_parts) is reused in any feed, in any place."""
    from minutes import feeds
    chosen = feeds.feed_records(records + HOSTILE_ENTRIES)
    parts = dict(zip((r.meeting for r in chosen), feeds.entry_parts(chosen, site_url=SITE)))
    alone = {r.meeting: feeds.entry_parts([r], site_url=SITE)[0] for r in chosen}
    assert parts == alone
    rss, atom = feeds.feed_documents(
        records + HOSTILE_ENTRIES, site_url=SITE, title="All minutes", description="d",
        rss_path="/feed.xml", atom_path="/atom.xml", parts=lambda shown: [alone[r.meeting] for r in shown])
    assert (rss, atom) == feeds.feed_documents(
        records + HOSTILE_ENTRIES, site_url=SITE, title="All minutes", description="d",
        rss_path="/feed.xml", atom_path="/atom.xml")
    assert rss == _feedgen_document("rss", records + HOSTILE_ENTRIES, description="d")
