"""The cheaper ways feeds.py makes an entry give exactly what the plain ways give: the shortcut
of absolutize_urls (the tag pass runs only when some value would change) against the tag pass
itself, _xml_text's byte check against the pattern, and the entries feed_xml writes against
feedgen's, on random input, every corpus file and every hostile input, rendered as publish
renders them."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minutes import feed_xml, feeds
from minutes.model import MeetingRecord
from minutes.render import render_markdown
from test_hostile import HOSTILE
from tests.support.corpus import CORPUS

SITES = ["https://minutes.example.org", "https://example.org/minutes"]
PAGE = "/g/2022-09-20-sig/"
SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def tag_pass(html: str, site: str) -> str:
    """What absolutize_urls made before its shortcut: every start tag's URLs rewritten."""
    return feeds._rewrite_url_tags(html, feeds._url_rewriter(site + PAGE, site))


def assert_same(html: str) -> None:
    for site in SITES:
        assert feeds.absolutize_urls(html, site + PAGE, site_url=site) == tag_pass(html, site)
    assert feeds.absolutize_urls(html, SITES[0] + PAGE) == feeds._rewrite_url_tags(
        html, feeds._url_rewriter(SITES[0] + PAGE, None))


# Pieces of start tags, values and text that put URL attributes where a cheap search could
# miss them: inside other values, in text, split across tags, right before a closing quote.
PIECES = [
    "<a ", "<img ", "<blockquote ", "<video ", ">", "/>", " ", "\n", "\t", '"', "=", "&amp;",
    "&lt;", "&gt;", "&quot;", "&", "href", "src", "cite", "poster", "xhref", 'href="', 'src="',
    ' href="', ' src="', ' cite="', ' poster="', 'alt="', ' title="', "https://", "http://",
    "mailto:", "//", "/", "/.", "./", "../", "?", "#", "?#", "x", "é", "\u00a0", "a b", "%20",
    "https://e.org/p", "/g/x.pdf", "#top", "pic.png", "href=", "src=", "</p>", "<p>",
]
fragments = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=50).map("".join)


@SETTINGS
@given(fragments)
def test_absolutize_urls_equals_the_tag_pass_on_random_fragments(html):
    assert_same(html)


# Well-formed start tags (as nh3 writes them: double-quoted values without '"') between text that
# may hold anything but '<', URL attribute names and quotes included.
URLISH = ["https://e.org/p", "/g/x.pdf", "pic.png", "#top", "mailto:a@b", " ", "x", "é", "&amp;",
          "?#", "/.", "href=", "src=", "", "\n"]
values = st.one_of(st.sampled_from(URLISH[:5]), st.lists(st.sampled_from(URLISH), max_size=3).map("".join))
ATTRIBUTES = ["href", "src", "cite", "poster", "alt", "title", "rel"]
start_tags = st.builds(
    lambda name, attrs: f"<{name}" + "".join(f' {a}="{v}"' for a, v in attrs) + ">",
    st.sampled_from(["a", "img", "q", "video", "p"]),
    st.lists(st.tuples(st.sampled_from(ATTRIBUTES), values), max_size=4))
texts = st.one_of(values, st.builds(lambda name, value, end: f' {name}="{value}{end}',
                                    st.sampled_from(ATTRIBUTES), values, st.sampled_from(['"', ""])))
tagged = st.lists(st.one_of(start_tags, texts), max_size=12).map("".join)


@settings(SETTINGS, max_examples=500)
@given(tagged)
def test_absolutize_urls_equals_the_tag_pass_on_random_tags_and_text(html):
    assert_same(html)


@SETTINGS
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_absolutize_urls_equals_the_tag_pass_on_random_markdown(text):
    assert_same(render_markdown(text).html)


@pytest.mark.parametrize("html, changes", [
    ('<a href="href=">x</a>', True),                             # a value ending in what starts one
    ('<p>href="https://x.org/ t</p><a href="/y">y</a>', True),  # text opening a value over a tag
    ('<img alt="x src=" src="a.png">', True), ('<a title="a href=" href="b">b</a>', True),
    ('<a href=" https://e.org/">sp</a>', True), ('<a href="https://e.org/a/./b">dot</a>', False),
    ('<a href="https://e.org/?#">q</a>', True), ('<a href="https://e.org/é">u</a>', False),
    ('<a href="&#x2F;g/">ent</a>', True), ('<a href="">empty</a>', False),
    ('<a href="https://e.org/&amp;x">amp</a>', False), ('<p>href="/x" src="y"</p>', False),
])
def test_absolutize_urls_equals_the_tag_pass_on_edge_cases(html, changes):
    assert_same(html)
    assert (feeds.absolutize_urls(html, SITES[0] + PAGE, site_url=SITES[0]) != html) is changes


def test_absolutize_urls_equals_the_tag_pass_on_hostile_inputs():
    for payload in HOSTILE:
        for text in (payload, f"# T\n\n[a](x.pdf) {payload} ![i](/g/i.png)\n\n- {payload}\n"):
            assert_same(render_markdown(text).html)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_absolutize_urls_equals_the_tag_pass_on_every_corpus_file():
    files = sorted(CORPUS.rglob("*.md"))
    assert len(files) >= 290
    changed = 0
    for path in files:
        html = render_markdown(path.read_text(encoding="utf-8", errors="replace")).html
        assert_same(html)
        changed += tag_pass(html, SITES[0]) != html
    assert changed >= 10   # the corpus has relative links: the tag pass is proved too


ILLEGAL = ["\x00", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ud800", "\udfff", "\ufffe", "\uffff"]
LEGAL = ["\t", "\n", "\r", " ", "a", "é", "\u2028", "\x7f", "\x85", "\ufffd", "\U0001f389", "\ue000"]


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(ILLEGAL + LEGAL), st.text(max_size=8)), max_size=40).map("".join))
def test_xml_text_drops_exactly_what_the_pattern_drops(text):
    assert feeds._xml_text(text) == feeds._XML_ILLEGAL.sub("", text)


# --- entries written directly (feed_xml) against feedgen's -------------------------------------

UTC = dt.timezone.utc
SITE = SITES[0]


def record(**changes) -> MeetingRecord:
    day = dt.date(2022, 9, 20)
    fields = dict(group="openxla", meeting="2022-09-20-sig", segment="2022-09-20-sig", title="Sig",
                  date=day, status="published", summary="What was decided.",
                  content_html='<p>Notes <a href="slides.pdf">s</a></p>',
                  feed_id=feeds.feed_id_for(site_host="minutes.example.org", group="openxla",
                                            meeting="2022-09-20-sig", key_date=day,
                                            date=day),
                  published=dt.datetime(2022, 9, 20, 18, tzinfo=UTC),
                  updated=dt.datetime(2022, 9, 21, 9, 30, 5, tzinfo=UTC))
    fields.update(changes)
    return MeetingRecord(**fields)


def joined(parts) -> list[tuple[bytes, bytes]]:
    """Each entry's (RSS item, Atom entry) bytes, from the pieces entry_parts gives."""
    return [(b"".join(item), b"".join(entry)) for item, entry in parts]


def assert_entries_equal_feedgens(records: list[MeetingRecord], site: str = SITE) -> int:
    """entry_parts == what feedgen makes of the same entries, in one batch; a record feedgen (or
    lxml) refuses is refused by entry_parts too, with the same error. Returns how many entries
    were written directly, so a test shows the fast path was taken."""
    made = []
    for r in records:
        try:
            feeds._feedgen_parts([feeds._entry_fields(r, site_url=site)], site_url=site)
        except Exception as problem:
            with pytest.raises(type(problem)):
                feeds.entry_parts([r], site_url=site)
        else:
            made.append(r)
    expected = feeds._feedgen_parts([feeds._entry_fields(r, site_url=site) for r in made], site_url=site)
    assert joined(feeds.entry_parts(made, site_url=site)) == joined(expected)
    return sum(feed_xml.entry_xml(feeds._entry_fields(r, site_url=site)) is not None for r in made)


TEXT = ["&", "<", ">", '"', "'", "\r", "\n", "\t", "\r\n", "]]>", "&amp;", "&#13;", "é", "\U0001f389",
        "\u2028", "\x85", "\x7f", "\x00", "\x0b", "\ud800", "\ufffe", " ", "  ", "x", "<item>",
        "    </item>\n", "  <entry>\n", "</channel>", "href=\"/a\"", "<a href=\"b.pdf\">b</a>"]
texts = st.lists(st.one_of(st.sampled_from(TEXT), st.text(max_size=5)), max_size=12).map("".join)
moments = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                 timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=-7)),
                                            dt.timezone(dt.timedelta(hours=5, minutes=30))])),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)))
records = st.builds(
    record, title=texts, group=st.one_of(st.just("openxla"), texts), summary=texts,
    content_html=st.one_of(texts, st.lists(st.sampled_from(PIECES + TEXT), max_size=30).map("".join)),
    feed_id=st.one_of(st.just(""), st.just("tag:minutes.example.org,2022:openxla/2022-09-20-sig"),
                      texts),
    published=moments, updated=moments, date=st.dates(min_value=dt.date(1, 1, 2)))


@settings(SETTINGS, max_examples=600)
@given(st.lists(records, max_size=4))
def test_entries_written_directly_equal_feedgens_on_random_records(chosen):
    assert_entries_equal_feedgens(chosen)


def test_entries_written_directly_equal_feedgens_on_hostile_records():
    hostile = [
        record(title="a\r\nb <script>\x00\x0b\u2028c", summary="]]> <entry> </channel>"),
        record(summary="", content_html=""), record(summary=""), record(content_html="<p> </p>"),
        record(content_html="<p>    &lt;item&gt;\n    &lt;/item&gt;\n  &lt;entry&gt;</p>\r\n"),
        record(group="g\u00e9 <x> & \"q\"", title=""), record(group="\x00\x01"), record(feed_id="a\x0bb"),
        record(content_html='<p><a href="a b">x</a><img src="/p q.png" alt="&quot;"></p>'),
        record(published=dt.datetime(999, 12, 31, 23, 59, tzinfo=UTC)), record(published=None, updated=None),
        record(updated=dt.datetime(2022, 9, 21, 9, 30, 5, 123, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        record(updated=dt.datetime(2022, 9, 21, 9, 30)), record(title="\ud800", feed_id=""),
    ]
    assert assert_entries_equal_feedgens(hostile) >= 8
    for site in SITES[1:] + ["http://x.test:8080/a%20b"]:
        assert_entries_equal_feedgens(hostile, site)


def test_entries_written_directly_equal_feedgens_on_hostile_markdown():
    chosen = [record(content_html=render_markdown(f"# T\n\n[a](x.pdf) {p}\n\n- {p}\n").html,
                     title=p, summary=p) for p in HOSTILE]
    assert assert_entries_equal_feedgens(chosen) >= len(HOSTILE) // 2


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_entries_written_directly_equal_feedgens_on_every_corpus_file():
    files = sorted(CORPUS.rglob("*.md"))
    for first in range(0, len(files), 25):
        chosen = []
        for path in files[first:first + 25]:
            rendered = render_markdown(path.read_text(encoding="utf-8", errors="replace"))
            chosen.append(record(title=path.stem, group=path.parent.name, content_html=rendered.html))
        assert assert_entries_equal_feedgens(chosen) == len(chosen)


# --- documents' heads written directly (feed_xml) against feedgen's ----------------------------

def assert_document_equals_feedgens(kind: str, **options) -> bool:
    """feeds._document (written when it can be) == feedgen's document of the same head, or both
    raise the same error; True when it was written directly."""
    try:
        fields = feeds._head_fields(self_type=feeds._SELF_TYPES[kind], **options)
        fg = feeds._feedgen_head(fields)
        expected = fg.rss_str(pretty=True) if kind == "rss" else fg.atom_str(pretty=True)
    except Exception as problem:
        with pytest.raises(type(problem)):
            feeds._document(kind, **options)
        return False
    assert feeds._document(kind, **options) == expected
    return (feed_xml.rss_document if kind == "rss" else feed_xml.atom_document)(fields) is not None


site_urls = st.one_of(st.sampled_from(SITES + ["http://x.test:8080/a%20b", "https://e.org/a&b\"c<"]),
                      texts.map(lambda t: "https://e.org/" + t))
paths = st.one_of(st.sampled_from(["/", "/feed.xml", "/wg-a/atom.xml", "/g é/feed.xml"]), texts)


@settings(SETTINGS, max_examples=300)
@given(st.sampled_from(["rss", "atom"]), site_urls, texts, texts, paths, paths, moments)
def test_documents_written_directly_equal_feedgens_on_random_heads(kind, site, title, description,
                                                                   self_path, link_path, updated):
    assert_document_equals_feedgens(kind, site_url=site, title=title, description=description,
                                    self_path=self_path, link_path=link_path,
                                    updated=updated or feeds.EPOCH)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_documents_written_directly_equal_feedgens_on_hostile_heads(kind):
    written = 0
    for title, description in [("Meeting minutes", ""), ("a\r\nb <x> & \"q\" ]]>", "d\x00\ud800"),
                               ("", ""), ("\u2028 é \U0001f389", "\t"), ("T", "D")]:
        for site in SITES + ["http://x.test:8080/a%20b"]:
            for updated in [feeds.EPOCH, dt.datetime(2022, 9, 21, 9, 30, 5, tzinfo=UTC),
                            dt.datetime(999, 1, 1, tzinfo=UTC)]:
                written += assert_document_equals_feedgens(
                    kind, site_url=site, title=title, description=description,
                    self_path="/wg/feed.xml", link_path="/wg/", updated=updated)
    assert written >= 20
