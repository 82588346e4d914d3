"""The public site's HTML pages: structure, escaping, links, listings, pagination, determinism.

Internal links are relative to their page (links.py); `Tags(html, page=...)` resolves every
href and src back to the site path it points at, so the tests read in site paths.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import random
from html.parser import HTMLParser

import pytest

from minutes.links import site_path
from minutes.model import Attachment, Heading, MeetingRecord
from minutes.pages import PageRenderer, SiteConfig, human_size, long_date

SITE = "https://minutes.example.org"
SUBSCRIBE = "https://api.example.org/subscriptions"
HOSTILE = "<script>alert(1)</script>"


def record(group: str = "openxla", day: dt.date = dt.date(2022, 9, 20), slug: str = "sig", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    base = MeetingRecord(
        group=group, meeting=segment, segment=segment, title=f"{group} {segment}", date=day,
        summary=f"Summary of {segment}.", content_html="<p>Notes.</p>",
    )
    return base.with_changes(**changes)


def days(n: int, start: dt.date = dt.date(2021, 1, 1)) -> list[dt.date]:
    return [start + dt.timedelta(days=7 * i) for i in range(n)]


def resolve(href: str | None, page: str) -> str | None:
    """A link as the site path it reaches from `page` ("../index.html" -> "/openxla/");
    anchors and links that leave the site stay as written."""
    if not href or href.startswith("#"):
        return href
    path = site_path(href, page=page)
    if path is None:
        return href
    return path[: -len("index.html")] if path.endswith("/index.html") else path


class Tags(HTMLParser):
    """Every start tag with its attributes (href and src resolved against `page` when given,
    so relative links read as site paths), plus the text inside each h1."""

    def __init__(self, html: str, page: str | None = None):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.h1_text: list[str] = []
        self._in_h1 = False
        self.feed(html)
        self.close()

    def _attrs(self, attrs) -> dict[str, str | None]:
        found = dict(attrs)
        if self.page is not None:
            found.update({k: resolve(v, self.page) for k, v in found.items() if k in ("href", "src")})
        return found

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, self._attrs(attrs)))
        if tag == "h1":
            self._in_h1 = True
            self.h1_text.append("")

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, self._attrs(attrs)))

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1_text[-1] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def hrefs(self, **attrs: str) -> list[str | None]:
        return [a.get("href") for a in self.find("a", **attrs)]

    def entry_links(self) -> list[str | None]:
        """Links of listing entries: the anchor right after each h2/h3.entry-title."""
        links = []
        for (tag, attrs), (next_tag, next_attrs) in zip(self.tags, self.tags[1:]):
            if tag in ("h2", "h3") and attrs.get("class") == "entry-title" and next_tag == "a":
                links.append(next_attrs.get("href"))
        return links


@pytest.fixture
def renderer() -> PageRenderer:
    return PageRenderer(SiteConfig(site_url=SITE, per_page=20, subscribe_url=SUBSCRIBE))


def all_pages(renderer: PageRenderer) -> dict[str, str]:
    records = [record(day=d) for d in days(3)] + [record(group="jax", day=d) for d in days(2)]
    pages = {records[0].url_path: renderer.meeting_page(records[0]), "/404.html": renderer.not_found_page()}
    pages.update(renderer.archive_pages(records))
    pages.update(renderer.group_pages("openxla", records))
    pages.update(renderer.year_pages(records))
    return pages


# -- layout ------------------------------------------------------------------------------


def test_every_page_has_one_h1_lang_skip_link_landmarks_and_stylesheet(renderer):
    for path, html in all_pages(renderer).items():
        tags = Tags(html, page=path)
        assert len(tags.find("h1")) == 1, path
        assert tags.find("html", lang="en"), path
        assert tags.find("meta", charset="utf-8"), path
        assert tags.find("meta", name="viewport"), path
        first_link = next(a for t, a in tags.tags if t == "a")
        assert first_link == {"class": "skip-link", "href": "#main"}, path
        assert tags.find("main", id="main"), path
        for landmark in ("header", "nav", "footer"):
            assert tags.find(landmark), (path, landmark)
        assert tags.find("link", rel="stylesheet", href=renderer.stylesheet_path), path
        assert not tags.find("script"), path


def test_canonical_and_open_graph_are_absolute(renderer):
    meeting = record()
    tags = Tags(renderer.meeting_page(meeting))
    expected = f"{SITE}/openxla/2022-09-20-sig/"
    assert [a["href"] for a in tags.find("link", rel="canonical")] == [expected]
    assert tags.find("meta", property="og:url", content=expected)
    assert tags.find("meta", property="og:type", content="article")
    assert tags.find("meta", property="og:title", content=meeting.title)
    assert tags.find("meta", name="description", content=meeting.summary)
    archive = Tags(renderer.archive_pages([meeting])["/index.html"])
    assert [a["href"] for a in archive.find("link", rel="canonical")] == [f"{SITE}/"]


def test_trailing_slash_in_site_url_is_tolerated():
    renderer = PageRenderer(SiteConfig(site_url=SITE + "/"))
    tags = Tags(renderer.meeting_page(record()))
    assert tags.find("link", rel="canonical", href=f"{SITE}/openxla/2022-09-20-sig/")


def feed_hrefs(html: str) -> set[str | None]:
    return {a["href"] for a in Tags(html).find("link", rel="alternate")}


def test_feed_autodiscovery_site_wide_and_per_group(renderer):
    site_feeds = {f"{SITE}/feed.xml", f"{SITE}/atom.xml"}
    group_feeds = {f"{SITE}/openxla/feed.xml", f"{SITE}/openxla/atom.xml", f"{SITE}/openxla/meetings.ics"}
    records = [record()]
    assert feed_hrefs(renderer.archive_pages(records)["/index.html"]) == site_feeds
    assert feed_hrefs(renderer.group_pages("openxla", records)["/openxla/index.html"]) == site_feeds | group_feeds
    assert feed_hrefs(renderer.meeting_page(records[0])) == site_feeds | group_feeds
    types = {a["type"] for a in Tags(renderer.meeting_page(records[0])).find("link", rel="alternate")}
    assert types == {"application/rss+xml", "application/atom+xml", "text/calendar"}


def test_group_and_meeting_pages_link_to_the_group_feeds_and_calendar(renderer):
    meeting = record()
    group = Tags(renderer.group_pages("openxla", [meeting])["/openxla/index.html"], page="/openxla/")
    page = Tags(renderer.meeting_page(meeting), page=meeting.url_path)
    for tags in (group, page):
        assert tags.find("a", href="/openxla/feed.xml", type="application/rss+xml")
        assert tags.find("a", href="/openxla/atom.xml", type="application/atom+xml")
        assert tags.find("a", href="/openxla/meetings.ics", type="text/calendar")


def test_not_found_page_has_noindex_no_canonical_and_links_from_the_root(renderer):
    tags = Tags(renderer.not_found_page())
    assert tags.h1_text == ["Page not found"]
    assert tags.find("meta", name="robots", content="noindex")
    assert not tags.find("link", rel="canonical")
    # Served at any missing address, so its links cannot be relative.
    assert {"/", "/search/", "/feed.xml"} <= set(tags.hrefs())
    assert tags.find("link", rel="stylesheet", href=renderer.stylesheet_path)


def test_not_found_page_under_a_path_prefix():
    prefixed = PageRenderer(SiteConfig(site_url="https://example.org/minutes"))
    tags = Tags(prefixed.not_found_page())
    assert "/minutes/" in tags.hrefs()
    assert tags.find("link", rel="stylesheet", href="/minutes" + prefixed.stylesheet_path)


# -- links -------------------------------------------------------------------------------


def test_internal_links_are_relative_files_that_work_from_disk(renderer):
    """No root paths ("/openxla/") and no directory URLs ("../"): opened from file:// a root
    path points at the disk's root and a directory shows a folder listing."""
    for path, html in all_pages(renderer).items():
        if path == "/404.html":
            continue
        for tag, attrs in Tags(html).tags:
            for name in ("href", "src"):
                value = attrs.get(name)
                if value is None or tag in ("link", "meta") and value.startswith(SITE):
                    continue
                if value.startswith(("#", "https://", "mailto:")):
                    continue
                assert not value.startswith("/"), (path, tag, value)
                assert value.split("#")[0].endswith((".html", ".css", ".xml", ".ics", ".js")), (path, tag, value)


def test_meeting_page_links_resolve_to_the_right_pages(renderer):
    older, this, newer = (record(day=d) for d in days(3))
    raw = renderer.meeting_page(this, previous=older, next=newer)
    plain = Tags(raw)
    assert plain.hrefs(rel="prev") == ["../2021-01-01-sig/index.html"]
    assert plain.hrefs(rel="next") == ["../2021-01-15-sig/index.html"]
    assert plain.find("link", rel="stylesheet", href="../.." + renderer.stylesheet_path)
    tags = Tags(raw, page=this.url_path)
    assert {"/", "/openxla/", "/search/", "/feed.xml"} <= set(tags.hrefs())


def test_root_paths_in_the_content_become_relative(renderer):
    content = ('<p><a href="/openxla/2022-09-20-sig/Slides%20v2.pdf">slides</a> '
               '<img src="/openxla/2022-09-20-sig/chart.png" alt="Chart"> '
               '<a href="/openxla/2022-09-13-sig/#decisions">last week</a> '
               '<a href="#local">here</a> <a href="https://example.org/x">out</a> '
               '<a href="//cdn.example.org/x">cdn</a></p>'
               '<pre><code>&lt;a href="/not/a/link"&gt;</code></pre>')
    html = renderer.meeting_page(record(content_html=content))
    assert 'href="Slides%20v2.pdf"' in html
    assert 'src="chart.png"' in html
    assert 'href="../2022-09-13-sig/index.html#decisions"' in html
    assert 'href="#local"' in html and 'href="https://example.org/x"' in html
    assert 'href="//cdn.example.org/x"' in html
    assert '&lt;a href="/not/a/link"&gt;' in html   # text that looks like a tag is left alone


def test_attachment_links_are_relative_to_the_meeting_page(renderer):
    meeting = record(attachments=(Attachment("a b+[c].pdf", "/openxla/2022-09-20-sig/a%20b%2B%5Bc%5D.pdf",
                                             "application/pdf", 10),))
    html = renderer.meeting_page(meeting)
    assert 'href="a%20b%2B%5Bc%5D.pdf"' in html
    assert Tags(html, page=meeting.url_path).find("a", href="/openxla/2022-09-20-sig/a%20b%2B%5Bc%5D.pdf")


# -- escaping ----------------------------------------------------------------------------


def test_hostile_title_is_escaped_everywhere(renderer):
    hostile = record(title=HOSTILE, summary=HOSTILE, attendees=(HOSTILE,), tags=(HOSTILE,))
    pages = {"meeting": renderer.meeting_page(hostile), **renderer.archive_pages([hostile]),
             **renderer.group_pages("openxla", [hostile]), **renderer.year_pages([hostile])}
    for path, html in pages.items():
        assert "<script" not in html, path
        assert not Tags(html).find("script"), path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    assert Tags(pages["meeting"]).h1_text == [HOSTILE]


def test_content_html_is_trusted_as_sanitised(renderer):
    html = renderer.meeting_page(record(content_html='<h2 id="a">A <a class="anchor" href="#a"></a></h2><p><em>x</em></p>'))
    assert '<h2 id="a">A <a class="anchor" href="#a"></a></h2><p><em>x</em></p>' in html


# -- meeting page ------------------------------------------------------------------------


def test_meeting_header_shows_group_date_time_attendees_tags_attachments(renderer):
    meeting = record(
        time="08:00", timezone="Europe/Berlin", attendees=("Ann", "Bo"), tags=("xla", "compilers"),
        attachments=(Attachment("[Public] Slides.pdf", "/openxla/2022-09-20-sig/%5BPublic%5D%20Slides.pdf",
                                "application/pdf", 1_234_567),),
    )
    html = renderer.meeting_page(meeting)
    tags = Tags(html, page=meeting.url_path)
    assert "/openxla/" in tags.hrefs()
    assert tags.find("time", datetime="2022-09-20")
    assert tags.find("time", datetime="2022-09-20T08:00")
    assert "20 September 2022" in html and "Europe/Berlin" in html
    assert "Ann" in html and "Bo" in html and "compilers" in html
    assert tags.find("a", href="/openxla/2022-09-20-sig/%5BPublic%5D%20Slides.pdf", type="application/pdf")
    assert "[Public] Slides.pdf" in html and "(PDF, 1.2 MB)" in html
    assert {"/openxla/feed.xml", "/openxla/atom.xml"} <= set(tags.hrefs())


def test_optional_meeting_fields_are_omitted_when_unknown(renderer):
    html = renderer.meeting_page(record())
    assert "Attendees" not in html and "Attachments" not in html and "Tags" not in html
    assert not Tags(html).find("time", datetime="2022-09-20T08:00")


def headings(n: int) -> tuple[Heading, ...]:
    return tuple(Heading(2 if i % 2 == 0 else 3, f"h-{i}", f"Heading {i}") for i in range(n))


def test_table_of_contents_only_with_four_or_more_headings(renderer):
    three = Tags(renderer.meeting_page(record(headings=headings(3))))
    assert not three.find("nav", **{"aria-label": "Table of contents"})
    four = Tags(renderer.meeting_page(record(headings=headings(4))))
    assert four.find("nav", **{"aria-label": "Table of contents"})
    assert [h for h in four.hrefs() if h.startswith("#h-")] == ["#h-0", "#h-1", "#h-2", "#h-3"]
    assert len(four.find("ol")) == 3  # outline: the list and one nested list per h2 with h3 under it


def _outline(headings) -> str:
    """The table of contents as the nested outline it must be: each heading under the nearest
    heading above it of a higher rank (a tree, written recursively)."""
    roots, path = [], []
    for heading in headings:
        node = (heading, [])
        while path and path[-1][0].level >= heading.level:
            path.pop()
        (path[-1][1] if path else roots).append(node)
        path.append(node)

    def write(nodes) -> str:
        out = ""
        for heading, children in nodes:
            out += f'<li><a href="#{heading.anchor}">{heading.text}</a>'
            out += f"<ol>\n{write(children)}</ol>\n</li>\n" if children else "</li>\n"
        return out
    return f'<h2>Contents</h2>\n<ol>\n{write(roots)}</ol>\n</nav>'


@pytest.mark.parametrize("levels", [
    (2, 3, 4, 2), (2, 4, 3, 2, 3), (4, 2, 3, 6, 2), (2, 2, 2, 2), (2, 3, 4, 5, 6),
    (6, 5, 4, 3, 2), (3, 2, 4, 4, 3, 2, 2, 6)])
def test_table_of_contents_nests_headings_as_an_outline(renderer, levels):
    marks = tuple(Heading(level, f"h-{i}", f"Heading {i} <{level}>") for i, level in enumerate(levels))
    html = renderer.meeting_page(record(headings=marks))
    start = html.index("<h2>Contents</h2>")
    assert html[start:html.index("</nav>", start) + 6] == _outline(marks).replace("<2>", "&lt;2&gt;") \
        .replace("<3>", "&lt;3&gt;").replace("<4>", "&lt;4&gt;").replace("<5>", "&lt;5&gt;") \
        .replace("<6>", "&lt;6&gt;")


def test_table_of_contents_of_random_outlines_is_well_nested(renderer):
    rng = random.Random(5)
    for _ in range(200):
        marks = tuple(Heading(rng.randint(2, 6), f"h-{i}", f"H{i}") for i in range(rng.randint(4, 14)))
        html = renderer.meeting_page(record(headings=marks))
        start = html.index("<h2>Contents</h2>")
        assert html[start:html.index("</nav>", start) + 6] == _outline(marks)


# The table of contents as meeting.html.j2 wrote it before pages.toc_html (decision 70): the
# items from pages' old flat outline, through a jinja2 loop with autoescape. toc_html must give
# these bytes for any headings.
_OLD_TOC_LOOP = """{% for anchor, text, opens, closes in toc %}
<li><a href="#{{ anchor }}">{{ text }}</a>
{%- if opens %}
<ol>
{% else %}
</li>
{% endif %}
{% for _ in closes %}
</ol>
</li>
{% endfor %}
{% endfor %}
"""


def _old_toc_items(headings):
    path, closed = [], []
    for heading in headings:
        count = 0
        while path and path[-1] >= heading.level:
            path.pop()
            count += 1
        closed.append(count)
        path.append(heading.level)
    closed.append(len(path))
    items = []
    for at, heading in enumerate(headings):
        opens = at + 1 < len(headings) and headings[at + 1].level > heading.level
        items.append((heading.anchor, heading.text, opens, range(0 if opens else closed[at + 1] - 1)))
    return items


def test_table_of_contents_items_are_what_the_template_loop_wrote():
    import jinja2

    from minutes.pages import toc_html
    loop = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True).from_string(_OLD_TOC_LOOP)
    rng = random.Random(70)
    alphabet = ["a", "Z", " ", "&", "<", ">", '"', "'", "&amp;", "<b>", "\u00e9", "\u2028", "\n",
                "\t", "{{", "%}", "#", "\x00", "\ud800", "&#39;", "\U0001f600"]
    cases = [(), (Heading(2, "a", "A"),), tuple(Heading(level, f"h{i}", HOSTILE) for i, level
                                                in enumerate((6, 5, 4, 3, 2, 1, 1, 6)))]
    for _ in range(600):
        count = rng.randint(1, 30)
        cases.append(tuple(
            Heading(rng.randint(1, 6), "".join(rng.choices(alphabet, k=rng.randint(0, 6))),
                    "".join(rng.choices(alphabet, k=rng.randint(0, 12)))) for _ in range(count)))
    for marks in cases:
        made = toc_html(marks)
        assert str(made) == loop.render(toc=_old_toc_items(marks)), marks
        assert made.__html__() == str(made)   # markup: the page places it as it is


def test_previous_and_next_meeting_links(renderer):
    older, this, newer = (record(day=d) for d in days(3))
    tags = Tags(renderer.meeting_page(this, previous=older, next=newer), page=this.url_path)
    assert tags.hrefs(rel="prev") == [older.url_path]
    assert tags.hrefs(rel="next") == [newer.url_path]
    first = Tags(renderer.meeting_page(older, next=this), page=older.url_path)
    assert first.hrefs(rel="prev") == [] and first.hrefs(rel="next") == [this.url_path]


def test_neighbours_must_be_in_the_same_group(renderer):
    with pytest.raises(ValueError):
        renderer.meeting_page(record(), previous=record(group="jax"))


def test_draft_page_has_badge_and_noindex(renderer):
    draft = Tags(renderer.meeting_page(record(status="draft")))
    assert draft.find("meta", name="robots", content="noindex")
    assert draft.find("link", rel="canonical", href=f"{SITE}/openxla/_drafts/2022-09-20-sig/")
    assert "Draft — not listed" in renderer.meeting_page(record(status="draft"))
    published = renderer.meeting_page(record())
    assert "noindex" not in published and "Draft" not in published
    assert "Upcoming" in renderer.meeting_page(record(status="upcoming"))


# -- listings ----------------------------------------------------------------------------


def test_drafts_never_listed(renderer):
    shown, draft = record(slug="shown"), record(slug="secret", status="draft")
    pages = {**renderer.archive_pages([shown, draft]), **renderer.group_pages("openxla", [shown, draft]),
             **renderer.year_pages([shown, draft])}
    for path, html in pages.items():
        assert shown.url_path in Tags(html, page=path).entry_links(), path
        assert "secret" not in html and "_drafts" not in html, path


def test_archive_pages_are_numbered_from_the_oldest_so_a_new_meeting_changes_only_the_front(renderer):
    records = [record(day=d) for d in days(45)]
    random.Random(7).shuffle(records)
    pages = renderer.archive_pages(records)
    assert list(pages) == ["/index.html", "/page/1/index.html", "/page/2/index.html"]
    newest_first = [r.url_path for r in sorted(records, key=lambda r: r.date, reverse=True)]
    front, second, first = (Tags(pages[p + "index.html"], page=p) for p in ("/", "/page/2/", "/page/1/"))
    assert front.entry_links() == newest_first[:20]
    assert second.entry_links() == newest_first[5:25]     # only full pages: ranks 20-39
    assert first.entry_links() == newest_first[25:]       # the oldest 20
    assert (front.hrefs(rel="prev"), front.hrefs(rel="next")) == ([], ["/page/2/"])
    assert (second.hrefs(rel="prev"), second.hrefs(rel="next")) == (["/"], ["/page/1/"])
    assert (first.hrefs(rel="prev"), first.hrefs(rel="next")) == (["/page/2/"], [])
    assert second.find("link", rel="canonical", href=f"{SITE}/page/2/")
    assert second.h1_text == ["Meeting minutes — page 2"]

    again = renderer.archive_pages([*records, record(day=days(46)[-1])])
    assert {p for p in again if again[p] != pages.get(p)} == {"/index.html"}


def test_archive_mixes_groups_and_shows_group_links(renderer):
    a, b = record(group="openxla", day=dt.date(2022, 1, 1)), record(group="jax", day=dt.date(2022, 2, 1))
    tags = Tags(renderer.archive_pages([a, b])["/index.html"], page="/")
    assert tags.entry_links() == [b.url_path, a.url_path]
    assert {"/openxla/", "/jax/"} <= set(tags.hrefs())


def test_single_page_listing_has_no_pagination_and_empty_listing_still_renders(renderer):
    one = Tags(renderer.archive_pages([record()])["/index.html"])
    assert not one.find("nav", **{"aria-label": "Pages"})
    empty = renderer.archive_pages([])
    assert list(empty) == ["/index.html"] and "No minutes yet." in empty["/index.html"]


def test_group_page_lists_upcoming_separately_on_first_page_only(renderer):
    held = [record(day=d) for d in days(25)]
    later, soon = record(day=dt.date(2030, 2, 1), status="upcoming"), record(day=dt.date(2030, 1, 1), status="upcoming")
    other = record(group="jax")
    pages = renderer.group_pages("openxla", [*held, later, soon, other])
    assert list(pages) == ["/openxla/index.html", "/openxla/page/1/index.html"]
    first = Tags(pages["/openxla/index.html"], page="/openxla/")
    second = Tags(pages["/openxla/page/1/index.html"], page="/openxla/page/1/")
    html = pages["/openxla/index.html"]
    upcoming_part, minutes_part = html.split('id="minutes-heading"')
    assert 'id="upcoming-heading"' in upcoming_part
    upcoming_links = Tags(upcoming_part, page="/openxla/").entry_links()
    assert upcoming_links == [soon.url_path, later.url_path]  # soonest first
    assert soon.url_path not in Tags(minutes_part, page="/openxla/").entry_links()
    assert len(first.entry_links()) == 2 + 20 and len(second.entry_links()) == 20
    assert "upcoming-heading" not in pages["/openxla/page/1/index.html"]
    assert other.url_path not in first.entry_links()
    assert second.hrefs(rel="prev") == ["/openxla/"] and first.hrefs(rel="next") == ["/openxla/page/1/"]
    assert first.h1_text == ["openxla"]


def test_year_pages_across_groups_and_per_group(renderer):
    records = [record(day=dt.date(2021, 5, 1)), record(day=dt.date(2022, 5, 1)),
               record(group="jax", day=dt.date(2022, 6, 1)), record(group="jax", day=dt.date(2023, 1, 1), status="draft")]
    pages = renderer.year_pages(records)
    assert set(pages) == {"/2021/index.html", "/2022/index.html", "/openxla/2021/index.html",
                          "/openxla/2022/index.html", "/jax/2022/index.html"}
    all_2022 = Tags(pages["/2022/index.html"], page="/2022/")
    assert all_2022.entry_links() == [records[2].url_path, records[1].url_path]
    assert all_2022.find("a", href="/2021/") and all_2022.find("a", href="/2022/", **{"aria-current": "page"})
    jax = Tags(pages["/jax/2022/index.html"], page="/jax/2022/")
    assert jax.entry_links() == [records[2].url_path]
    assert jax.find("link", rel="canonical", href=f"{SITE}/jax/2022/")
    assert f"{SITE}/jax/feed.xml" in feed_hrefs(pages["/jax/2022/index.html"])


def test_listings_link_to_year_archives(renderer):
    records = [record(day=dt.date(2021, 5, 1)), record(day=dt.date(2022, 5, 1))]
    assert {"/2022/", "/2021/"} <= set(Tags(renderer.archive_pages(records)["/index.html"], page="/").hrefs())
    assert {"/openxla/2022/", "/openxla/2021/"} <= set(
        Tags(renderer.group_pages("openxla", records)["/openxla/index.html"], page="/openxla/").hrefs())


def test_subscribe_form_only_when_configured(renderer):
    tags = Tags(renderer.group_pages("openxla", [record()])["/openxla/index.html"])
    [form] = tags.find("form")
    assert form["method"] == "post" and form["action"] == SUBSCRIBE
    assert tags.find("input", type="hidden", name="group", value="openxla")
    assert tags.find("input", type="email", name="email", autocomplete="email")
    html = renderer.group_pages("openxla", [record()])["/openxla/index.html"]
    assert '<label>Email address <input name="email"' in html   # the label wraps its field
    assert Tags(renderer.archive_pages([record()])["/index.html"]).find("input", name="group", value="*")
    plain = PageRenderer(SiteConfig(site_url=SITE))
    assert not Tags(plain.archive_pages([record()])["/index.html"]).find("form")
    assert not Tags(plain.meeting_page(record())).find("form")


def test_meeting_page_offers_the_group_subscription_but_not_on_drafts(renderer):
    tags = Tags(renderer.meeting_page(record()))
    [form] = tags.find("form")
    assert form["action"] == SUBSCRIBE and form["aria-labelledby"] == "subscribe"
    assert tags.find("input", type="hidden", name="group", value="openxla")
    assert not Tags(renderer.meeting_page(record(status="draft"))).find("form")


# -- assets and determinism --------------------------------------------------------------


def test_assets_carry_their_content_hash(renderer):
    assets = renderer.assets()
    assert list(assets) == [renderer.stylesheet_path, renderer.search_script_path]
    css = assets[renderer.stylesheet_path]
    assert renderer.stylesheet_path == f"/assets/style.{hashlib.sha256(css).hexdigest()[:8]}.css"
    assert 0 < len(css) < 8 * 1024
    assert b"prefers-color-scheme: dark" in css and b"@media print" in css
    js = assets[renderer.search_script_path]
    assert renderer.search_script_path == f"/assets/search.{hashlib.sha256(js).hexdigest()[:8]}.js"
    # "a few KB of JavaScript": what a reader downloads is the compressed file; the raw bound
    # leaves room for the comments that explain it. 3.5 KB since the count of term files is
    # read from meta.json and read again after a re-shard (decision 64): 2.7 -> 3.1 KB.
    assert 0 < len(js) < 8 * 1024 and len(gzip.compress(js)) < 3.5 * 1024


def test_same_input_gives_same_bytes_whatever_the_order():
    records = [record(day=d) for d in days(30)] + [record(group="jax", day=d) for d in days(5)]
    shuffled = random.Random(3).sample(records, len(records))

    def build(rs):
        r = PageRenderer(SiteConfig(site_url=SITE, subscribe_url=SUBSCRIBE))
        return (r.archive_pages(rs), r.group_pages("openxla", rs), r.year_pages(rs),
                r.meeting_page(rs[0]), r.not_found_page(), r.search_page(), r.assets())

    assert build(records)[:3] == build(shuffled)[:3]
    assert build(records) == build(records)


def test_the_parts_every_page_of_a_group_shares_are_made_once_and_change_nothing():
    """The head's links, header, footer, group lines and form (_chrome.html.j2) are made once
    per group and set of links: each page equals the page a fresh renderer makes alone."""
    config = SiteConfig(site_url=SITE, per_page=2, subscribe_url=SUBSCRIBE)
    shared = PageRenderer(config)
    records = [record(day=d) for d in days(5)] + [record(group="jax", day=d) for d in days(3)] + [
        record(day=days(1)[0], slug="timed", time="09:30", timezone="America/New_York"),
        record(day=days(1)[0], slug="utc", time="09:30"),
        record(group="jax", day=dt.date(2030, 1, 1), slug="next", status="upcoming")]
    for one in records:
        assert shared.meeting_page(one) == PageRenderer(config).meeting_page(one)
    assert len(shared._chromes) == 2            # one per group for its meeting pages
    assert len(shared._whens) == 5 + 2 + 1     # five days, two times on the first, one upcoming
    for scope in (shared.archive_pages, shared.year_pages):
        assert scope(records) == getattr(PageRenderer(config), scope.__name__)(records)
    assert shared.group_pages("jax", records) == PageRenderer(config).group_pages("jax", records)
    assert shared.not_found_page() == PageRenderer(config).not_found_page()
    assert shared.search_page() == PageRenderer(config).search_page()


def test_the_shared_parts_use_only_the_links_they_are_keyed_by(renderer):
    """Every part renders with url() answering only the links in the key: a part that linked
    anywhere else could differ between pages that share it, and fails here instead."""
    from minutes.links import page_linker
    for group in ("openxla", None):
        chrome = renderer._chrome(group, page_linker("/openxla/2022-09-20-sig/"))
        parts = ["head", "header", "footer", "subscribe"] + (["group_line", "more", "follow"] if group else [])
        assert all(getattr(chrome, part) for part in parts)


def test_a_renderer_with_other_groups_shows_their_names_not_the_old_parts(renderer):
    from minutes.group import GroupInfo
    one = record()
    assert "SIG OpenXLA" not in renderer.meeting_page(one)
    named = renderer.with_groups({"openxla": GroupInfo(group="openxla", name="SIG OpenXLA")}, {})
    assert named.meeting_page(one).count("SIG OpenXLA") >= 3       # header, group line, more
    assert "SIG OpenXLA" not in renderer.meeting_page(one)


# -- helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize("size, text", [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1.0 kB"),
                                        (1_234_567, "1.2 MB"), (999_999, "1.0 MB"), (5 * 10**9, "5.0 GB")])
def test_human_size(size, text):
    assert human_size(size) == text


def test_long_date_ignores_locale():
    assert long_date(dt.date(2022, 9, 3)) == "3 September 2022"
