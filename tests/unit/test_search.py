"""The static search: the prebuilt index and the progressive page around it."""
from __future__ import annotations

import datetime as dt
import json

from minutes.model import MeetingRecord
from minutes.pages import PageRenderer, SiteConfig
from minutes.search import plain_text, search_index, words
from tests.unit.test_pages import Tags

SITE = "https://minutes.example.org"


def record(day=dt.date(2022, 9, 20), slug="sig", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    return MeetingRecord(group="openxla", meeting=segment, segment=segment, title=f"Meeting {slug}",
                         date=day, summary="Short.", content_html="<p>x</p>").with_changes(**changes)


def test_index_holds_title_date_group_path_summary_and_the_words_of_the_text():
    meeting = record(content_html='<h2 id="a">StableHLO &amp; XLA</h2><p>We <em>agreed</em> on v1.2.'
                                  ' We agreed!</p><pre><code>don\'t&lt;T&gt;</code></pre>')
    [entry] = json.loads(search_index([meeting]))["meetings"]
    assert entry == {"title": "Meeting sig", "date": "2022-09-20", "group": "openxla",
                     "path": "/openxla/2022-09-20-sig/", "status": "published", "summary": "Short.",
                     "words": "stablehlo xla we agreed on v1.2 don't t"}


def test_index_lists_upcoming_never_drafts_newest_first_and_is_deterministic():
    records = [record(day=dt.date(2022, 1, 1), slug="old"), record(day=dt.date(2023, 1, 1), slug="new"),
               record(slug="draft", status="draft"), record(day=dt.date(2030, 1, 1), slug="next", status="upcoming")]
    entries = json.loads(search_index(records))["meetings"]
    assert [e["path"] for e in entries] == ["/openxla/2030-01-01-next/", "/openxla/2023-01-01-new/",
                                            "/openxla/2022-01-01-old/"]
    assert search_index(records) == search_index(list(reversed(records)))


def test_words_are_distinct_lowercase_in_order_and_block_boundaries_split_them():
    assert words("Rust rust RUST, Go; go-lang") == ["rust", "go", "go-lang"]
    assert plain_text("<p>end</p><p>start</p><ul><li>a</li><li>b</li></ul>") == "end start a b"
    assert plain_text('<a title="a>b" href="#x">link</a>') == "link"


def test_search_page_is_progressive_and_its_script_is_the_only_one_on_the_site():
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    html = renderer.search_page()
    tags = Tags(html, page="/search/")
    [form] = tags.find("form", role="search")
    assert "hidden" in form                       # shown by the script, so never a dead form
    assert form["data-index"] == "index.json" and form["data-root"] == "../index.html"
    assert tags.find("input", type="search", name="q")
    assert "Search needs JavaScript" in html
    assert "/" in tags.hrefs()                    # the archive works without it
    [script] = tags.find("script")
    assert script["src"] == renderer.search_script_path and "defer" in script
    assert tags.find("link", rel="canonical", href=f"{SITE}/search/")
