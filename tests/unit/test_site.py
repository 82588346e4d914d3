"""The site plan (site.py), relative links (links.py), links surfaced from the text
(resources.py) and the local preview server (`minutes serve`)."""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from minutes.build import write_site
from minutes.links import page_linker, relative_fragment, relative_url, site_path, without_heading_anchors
from minutes.model import Attachment, MeetingRecord
from minutes.pages import PageRenderer, SiteConfig
from minutes.preview import make_server, url_of
from minutes.resources import classify, find_resources
from minutes.search import META_PATH, meta_count, word_path
from minutes.site import SiteFile, content_type, listing_files, whole_site

SITE = "https://minutes.example.org"


def record(group="openxla", day=dt.date(2022, 9, 20), slug="sig", **changes) -> MeetingRecord:
    segment = f"{day.isoformat()}-{slug}"
    return MeetingRecord(group=group, meeting=segment, segment=segment, title=f"{group} {slug}",
                         date=day, summary="Short.", content_html="<p>Notes.</p>",
                         feed_id=f"tag:minutes.example.org,{day.year}:{group}/{segment}").with_changes(**changes)


RECORDS = [record(), record(day=dt.date(2022, 10, 4), slug="next"), record(group="jax"),
           record(day=dt.date(2030, 1, 1), slug="future", status="upcoming"),
           record(slug="hidden", status="draft")]


# -- the plan ----------------------------------------------------------------------------


def test_listing_files_include_calendars_search_robots_404_and_assets():
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    files = {f.path: f for f in listing_files(renderer, RECORDS)}
    count = meta_count(files[META_PATH].body)
    for path, kind in [("/openxla/meetings.ics", "text/calendar; charset=utf-8"),
                       ("/jax/meetings.ics", "text/calendar; charset=utf-8"),
                       ("/search/index.html", "text/html; charset=utf-8"),
                       (word_path("openxla", count), "application/json"),
                       (META_PATH, "application/json"),
                       ("/robots.txt", "text/plain; charset=utf-8"),
                       ("/404.html", "text/html; charset=utf-8"),
                       (renderer.stylesheet_path, "text/css; charset=utf-8"),
                       (renderer.search_script_path, "text/javascript; charset=utf-8")]:
        assert files[path].content_type == kind, path
    results = [doc for p, f in files.items() if p.startswith("/search/d/") for doc in json.loads(f.body).values()]
    assert len(results) == 4 and "hidden" not in str(results)   # the draft is not searchable
    assert b"hidden" not in files["/openxla/meetings.ics"].body
    assert b"future" in files["/openxla/meetings.ics"].body
    assert b"<loc>https://minutes.example.org/search/</loc>" in files["/sitemap-pages.xml"].body
    assert b"<loc>https://minutes.example.org/sitemap-pages.xml</loc>" in files["/sitemap.xml"].body


@pytest.mark.parametrize("path, kind", [("/a/feed.xml", "application/rss+xml; charset=utf-8"),
                                        ("/a/x/slides.pdf", "application/pdf"),
                                        ("/a/x/photo.webp", "image/webp"),
                                        ("/a/x/unknown.bin", "application/octet-stream")])
def test_content_types(path, kind):
    assert content_type(path) == kind


def test_every_internal_link_of_a_written_site_reaches_a_file(tmp_path):
    """The promise of relative links: open the folder's index.html and every link works."""
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    with_file = record(slug="files", attachments=(Attachment("a b.pdf", "/openxla/2022-09-20-files/a%20b.pdf",
                                                             "application/pdf", 3),),
                       content_html='<p><a href="/openxla/2022-09-20-files/a%20b.pdf">slides</a>'
                                    ' <a href="/openxla/2022-10-04-next/#notes">next</a></p>')
    records = RECORDS + [with_file]
    files = whole_site(renderer, records)
    files.append(SiteFile("/openxla/2022-09-20-files/a%20b.pdf", b"%PDF", "application/pdf"))
    write_site(files, tmp_path)
    checked = 0
    for page in tmp_path.rglob("*.html"):
        if page.name == "404.html":
            continue
        here = "/" + page.relative_to(tmp_path).as_posix()
        for href in re.findall(r'(?:href|src)="([^"#][^"]*)"', page.read_text()):
            target = site_path(href.replace("&amp;", "&"), page=here)
            if target is None:
                continue
            assert (tmp_path / urllib.request.url2pathname(target.lstrip("/"))).is_file(), (here, href)
            checked += 1
    assert checked > 100


# -- relative links ----------------------------------------------------------------------


@pytest.mark.parametrize("target, base, expected", [
    ("/", "/", "index.html"),
    ("/openxla/", "/", "openxla/index.html"),
    ("/", "/openxla/2022-09-20-sig/", "../../index.html"),
    ("/openxla/", "/openxla/2022-09-20-sig/", "../index.html"),
    ("/openxla/2022-09-20-sig/a%20b.pdf", "/openxla/2022-09-20-sig/", "a%20b.pdf"),
    ("/openxla/2022-09-20-sig/#notes", "/openxla/2022-09-20-sig/", "#notes"),
    ("/openxla/2022-09-13-sig/#notes", "/openxla/2022-09-20-sig/", "../2022-09-13-sig/index.html#notes"),
    ("/search/?q=x", "/404.html", "search/index.html?q=x"),
    ("/assets/style.css", "/openxla/page/2/", "../../../assets/style.css"),
    ("/g/x/a:b.pdf", "/g/x/", "./a:b.pdf"),
])
def test_relative_url(target, base, expected):
    assert relative_url(target, base=base) == expected
    assert page_linker(base)(target) == expected
    path = target.split("#")[0].split("?")[0]
    if expected.startswith("#"):
        return
    assert site_path(expected, page=base) == (path + "index.html" if path.endswith("/") else path)


def test_a_pages_linker_gives_what_relative_url_gives():
    """page_linker splits the page's folder once and takes plain site paths its own way:
    the same answer as relative_url for any pair, odd ones included (dot segments, empty
    folders, queries, fragments, "a:b", relative bases), or the same error."""
    rng = random.Random(5)
    parts = ["g", "m", "index.html", "feed.xml", ".", "..", "", "x:y", "2022", "page", "a b",
             "%2F", "g.x", "?q", "#f", "a?b#c", ":", "é"]

    def path() -> str:
        made = "/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 4)))
        made += "/" if rng.random() < 0.4 else ""
        made = made.lstrip("/") if rng.random() < 0.1 else made
        return made + (rng.choice(["?q=1", "#x", "?a#b"]) if rng.random() < 0.1 else "")

    def outcome(call):
        try:
            return call()
        except Exception as error:      # the same kind of error, where relative_url raises
            return type(error)
    for _ in range(20_000):
        base, target = path(), path()
        assert outcome(lambda: page_linker(base)(target)) == outcome(lambda: relative_url(target, base=base)), \
            (base, target)


def test_relative_fragment_rewrites_only_root_paths_in_tags():
    fragment = ('<p title="a > b"><a href="/g/x/f.pdf" title="/g/">f</a> <img src="/g/x/i.png" alt="">'
                ' href="/g/" <a href="//cdn/x">c</a> <a href="https://e/x">e</a> <a href="#y">y</a>'
                ' <a title="a > b" href="/g/y/">z</a></p>')
    assert relative_fragment(fragment, base="/g/x/") == (
        '<p title="a > b"><a href="f.pdf" title="/g/">f</a> <img src="i.png" alt="">'
        ' href="/g/" <a href="//cdn/x">c</a> <a href="https://e/x">e</a> <a href="#y">y</a>'
        ' <a title="a > b" href="../y/index.html">z</a></p>')
    assert relative_fragment('<p>"href="/g/"</p>', base="/g/x/") == '<p>"href="/g/"</p>'


def test_without_heading_anchors_removes_each_anchor_and_the_one_space_before_it():
    fragment = ('<h2 id="a">A <a class="header-anchor" href="#a" rel="noopener">#</a></h2>\n'
                '<h3 id="b">B  <a class="header-anchor" href="#b" rel="noopener">#</a></h3>'
                '<a class="header-anchor" href="#c">#</a><p>text <a href="#a">#</a></p>')
    assert without_heading_anchors(fragment) == (
        '<h2 id="a">A</h2>\n<h3 id="b">B </h3><p>text <a href="#a">#</a></p>')
    assert without_heading_anchors("<p>none</p>") == "<p>none</p>"


# -- links surfaced from the text --------------------------------------------------------


@pytest.mark.parametrize("href, text, kind", [
    ("https://docs.google.com/presentation/d/abc/edit", "deck", "slides"),
    ("https://example.org/talk.pptx", "here", "slides"),
    ("https://example.org/paper.pdf", "the paper", None),
    ("https://example.org/x/slides-v2.pdf", "the PDF", "slides"),
    ("https://github.com/o/r/issues/1", "Slides from the talk", "slides"),
    ("https://www.youtube.com/watch?v=abc", "Youtube", "recording"),
    ("https://youtu.be/abc", "here", "recording"),
    ("https://zoom.us/rec/share/abc", "zoom", "recording"),
    ("https://zoom.us/j/123", "Join", None),
    ("https://hackmd.io/abc", "Agenda", "agenda"),
    ("https://paper.dropbox.com/doc/Team-Agenda--abc", "document", "agenda"),
    ("https://en.wikipedia.org/wiki/Class_invariant", "representation invariant", None),
    ("https://github.com/o/r/issues/9", "Discontinue meeting recordings", None),
])
def test_classify(href, text, kind):
    assert classify(href, text) == kind


def test_find_resources_in_text_order_once_each_without_own_attachments_or_anchors():
    html = ('<p><a href="https://youtu.be/a">https://youtu.be/a</a> <a href="https://youtu.be/a">again</a>'
            ' <a href="/g/x/s.pdf">Slides</a> <a href="#agenda">Agenda</a>'
            ' <a href="https://docs.google.com/presentation/d/1">Deck <em>v2</em></a>'
            ' <a href="/g/2022-01-01/">Next agenda</a></p>')
    found = find_resources(html, exclude={"/g/x/s.pdf"})
    assert [(r.href, r.text) for r in found["recording"]] == [("https://youtu.be/a", "YouTube")]
    assert [(r.href, r.text) for r in found["slides"]] == [("https://docs.google.com/presentation/d/1", "Deck v2")]
    assert [r.href for r in found["agenda"]] == ["/g/2022-01-01/"]


def test_meeting_header_lists_slides_recordings_and_agenda():
    renderer = PageRenderer(SiteConfig(site_url=SITE))
    meeting = record(content_html='<p><a href="https://youtu.be/a">Recording</a> '
                                  '<a href="https://docs.google.com/presentation/d/1">slides</a> '
                                  '<a href="/openxla/2022-09-13-sig/">Agenda of last week</a></p>')
    html = renderer.meeting_page(meeting)
    header = html[html.index('<dl class="meeting-meta">'):html.index("</dl>")]
    assert "<dt>Slides</dt>" in header and "<dt>Recording</dt>" in header and "<dt>Agenda</dt>" in header
    assert header.index("<dt>Slides</dt>") < header.index("<dt>Recording</dt>") < header.index("<dt>Agenda</dt>")
    assert 'href="../2022-09-13-sig/index.html"' in header
    assert "Resources" not in renderer.meeting_page(record()) and "<dt>Slides</dt>" not in renderer.meeting_page(record())


# -- minutes serve -----------------------------------------------------------------------


@pytest.fixture
def built(tmp_path) -> Path:
    renderer = PageRenderer(SiteConfig(site_url="http://127.0.0.1:8000"))
    write_site(whole_site(renderer, RECORDS), tmp_path)
    return tmp_path


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_preview_server_serves_index_for_directories_right_types_and_the_404(built):
    server = make_server(built, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, kind, body = fetch(url_of(server, "/openxla/"))
        assert (status, kind) == (200, "text/html; charset=utf-8") and b"<h1>openxla</h1>" in body
        assert fetch(url_of(server, "/openxla/feed.xml"))[1] == "application/rss+xml; charset=utf-8"
        assert fetch(url_of(server, "/openxla/atom.xml"))[1] == "application/atom+xml; charset=utf-8"
        assert fetch(url_of(server, "/openxla/meetings.ics"))[1] == "text/calendar; charset=utf-8"
        assert fetch(url_of(server, word_path("openxla", meta_count((built / "search/meta.json").read_bytes()))))[1] \
            == "application/json"
        status, kind, body = fetch(url_of(server, "/no/such/page/"))
        assert status == 404 and b"Page not found" in body
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_minutes_serve_command_previews_a_site(built):
    process = subprocess.Popen([sys.executable, "-m", "minutes.cli", "serve", str(built), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"at (http://\S+/)", line).group(1)
        status, kind, body = fetch(url)
        assert status == 200 and b"Meeting minutes" in body
    finally:
        process.terminate()
        process.wait(10)


def test_minutes_serve_refuses_a_folder_that_is_not_a_built_site(tmp_path):
    from minutes.cli import main
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2


def test_a_records_order_key_is_made_from_its_own_fields_whatever_it_was_before():
    """order_key is kept in the record once made (decision 73): a record made from another
    (moved, changed) has its own, a pickled one keeps the same, and none of it is a field
    (equality, repr and the stored fields are the record's alone)."""
    import pickle

    from minutes.model import order_key

    record = MeetingRecord(group="g", meeting="2024-05-07-sync", segment="2024-05-07-sync",
                           title="Sync", date=dt.date(2024, 5, 7), time="08:00")
    plain = repr(record)
    assert order_key(record) == "2024-05-07 08:00 g 2024-05-07-sync"
    moved = record.moved_to("2024-05-07-sync-2")
    later = record.with_changes(date=dt.date(2024, 5, 8), time=None)
    assert (order_key(moved), order_key(later)) == ("2024-05-07 08:00 g 2024-05-07-sync-2",
                                                    "2024-05-08  g 2024-05-07-sync")
    again = pickle.loads(pickle.dumps(record))
    assert again == record and order_key(again) == order_key(record) and repr(record) == plain
