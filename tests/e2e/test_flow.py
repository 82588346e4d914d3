"""The whole flow, checked with real clients: upload -> page, archive, feeds, email.

`minutes demo` runs the handlers on moto in-process exactly as `make demo` does; the output is
then read the way readers read it: feeds with feedparser (and a strict checker), emails with
Python's email package, the archive as HTML. One more test runs the flow over HTTP against
moto's server, so the handlers are proven against the wire API too.
"""
from __future__ import annotations

import collections
import datetime as dt
import email
import email.policy
import html
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from minutes import keys
from minutes.group import is_group_file
from minutes.local.demo import DEMO_SITE_URL, DEMO_SUBSCRIBERS, DEMO_UPLOADS

from tests.support.sitemaps import sitemap_urls
from tests.support.feedcheck import check_feed

pytestmark = pytest.mark.slow

AGENDA_ONLY = "2023-03-21-community-meeting"  # an upcoming meeting: listed, never emailed


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def links(page: Path, site: Path) -> set[str]:
    """Every link on a page, as an absolute path on the site."""
    parser = Links()
    parser.feed(page.read_text())
    url = DEMO_SITE_URL + "/" + page.relative_to(site).as_posix().removesuffix("index.html")
    # Pages link relatively and to ".../index.html" (so the folder also works from file://).
    return {urllib.parse.urlsplit(urllib.parse.urljoin(url, href)).path.removesuffix("index.html")
            for href in parser.hrefs}


def demo_meetings() -> dict[str, tuple[str, str]]:
    """URL path -> (group, meeting) of every demo upload."""
    found = {}
    for key, _ in DEMO_UPLOADS:
        if is_group_file(key):
            continue   # the group's group.yaml: not a meeting
        meeting_key = keys.parse_key(key + "NOTES.md" if key.endswith("/") else key)
        found[f"/{meeting_key.group}/{meeting_key.segment()}/"] = (meeting_key.group, meeting_key.meeting)
    return found


def feeds(site: Path) -> list[Path]:
    return sorted(site.rglob("feed.xml")) + sorted(site.rglob("atom.xml"))


def outbox(demo) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(demo.outbox.glob("*.eml"))]


def announcements(demo) -> list[email.message.EmailMessage]:
    """The meeting emails: what the demo's seeded subscribers got (the outbox also holds the
    demo's confirmation and digest emails, to other addresses)."""
    return [m for m in outbox(demo) if str(m["To"]) in DEMO_SUBSCRIBERS]


def feed_entries(site: Path) -> dict[str, str]:
    """Absolute link -> title of every meeting in the overall Atom feed."""
    parsed = feedparser.parse((site / "atom.xml").read_bytes())
    return {entry.link: entry.title for entry in parsed.entries}


# --- feeds -----------------------------------------------------------------------------------

def test_every_feed_parses_without_error_and_passes_the_strict_checks(demo):
    found = feeds(demo.site)
    groups = {g for g, _ in demo_meetings().values()}
    assert len(found) == 2 * (len(groups) + 1), [str(p) for p in found]
    for path in found:
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
        assert parsed.version in ("rss20", "atom10"), path
        assert parsed.entries, path
        assert check_feed(data) == [], path
        for entry in parsed.entries:
            assert entry.link.startswith(DEMO_SITE_URL + "/"), (path, entry.link)


def test_the_overall_feeds_hold_every_published_demo_meeting(demo):
    urls = {DEMO_SITE_URL + path for path, (_, meeting) in demo_meetings().items()
            if meeting != AGENDA_ONLY}
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse((demo.site / name).read_bytes())
        assert {e.link for e in parsed.entries} == urls, name
        assert len({e.id for e in parsed.entries}) == len(urls)


# --- the archive -----------------------------------------------------------------------------

def test_the_archive_lists_every_demo_meeting(demo):
    pages = [demo.site / "index.html", *sorted((demo.site / "page").glob("*/index.html"))]
    listed = set().union(*(links(p, demo.site) for p in pages))
    missing = set(demo_meetings()) - listed
    assert not missing, missing


def test_every_meeting_has_its_page_and_every_group_its_listing(demo):
    for path, (group, _) in demo_meetings().items():
        page = demo.site / path.strip("/") / "index.html"
        assert page.is_file(), path
        assert group in page.read_text()
        assert path in links(demo.site / group / "index.html", demo.site)
    sitemap = sitemap_urls(lambda key: (demo.site / key).read_text(), DEMO_SITE_URL)
    assert {DEMO_SITE_URL + path for path in demo_meetings()} <= sitemap


def test_attachments_are_served_from_their_decoded_keys(demo):
    folder = demo.site / "openxla" / "2022-10-18-openxla-community-meeting"
    pdfs = sorted(p.name for p in folder.glob("*.pdf"))
    assert "[Public] SIG OpenXLA Meeting 2022-10-17.pdf" in pdfs
    hrefs = links(folder / "index.html", demo.site)
    for name in pdfs:
        assert "/openxla/2022-10-18-openxla-community-meeting/" + urllib.parse.quote(name) in hrefs


# --- email -----------------------------------------------------------------------------------

def test_every_email_parses_into_a_text_and_an_html_part(demo):
    mails = outbox(demo)
    assert len(mails) == demo.emails
    for mail in mails:
        assert mail.get_content_type() == "multipart/alternative", mail["Subject"]
        assert mail.get_body(("plain",)).get_content().strip()
        assert mail.get_body(("html",)).get_content().strip()
        assert mail["Subject"] and mail["From"] and mail["To"] and mail["Message-ID"]


def test_each_meeting_email_has_the_title_absolute_link_and_one_click_unsubscribe(demo):
    entries = feed_entries(demo.site)
    mails = announcements(demo)
    assert mails
    for mail in mails:
        assert mail.get_content_type() == "multipart/alternative"
        text = mail.get_body(("plain",)).get_content()
        markup = mail.get_body(("html",)).get_content()
        assert mail.get_body(("plain",)).get_content_type() == "text/plain"
        assert mail.get_body(("html",)).get_content_type() == "text/html"
        (link,) = [url for url in entries if url in text]
        title = entries[link]
        assert title in text
        assert title in html.unescape(markup)
        assert f'href="{link}"' in markup
        assert title in str(mail["Subject"])
        unsubscribe = str(mail["List-Unsubscribe"])
        assert unsubscribe.startswith("<https://minutes.example.org/api/unsubscribe?token=")
        assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert str(mail["From"]) == "minutes@example.org"


def test_each_subscriber_gets_one_email_per_published_meeting_of_their_groups(demo):
    entries = feed_entries(demo.site)
    got = collections.Counter()
    for mail in announcements(demo):
        text = mail.get_body(("plain",)).get_content()
        (link,) = [url for url in entries if url in text]
        got[(str(mail["To"]), urllib.parse.urlsplit(link).path)] += 1
    expected = collections.Counter()
    for subscriber, groups in DEMO_SUBSCRIBERS.items():
        for path, (group, meeting) in demo_meetings().items():
            if group in groups and meeting != AGENDA_ONLY:
                expected[(subscriber, path)] = 1
    assert got == expected
    assert not any(AGENDA_ONLY in path for _, path in got)


def test_the_agenda_only_meeting_is_shown_as_upcoming(demo):
    page = (demo.site / "openxla" / AGENDA_ONLY / "index.html").read_text()
    assert "pcoming" in page


# --- the same flow over HTTP (moto's server) -------------------------------------------------

def test_upload_to_page_to_email_over_the_http_api(moto_server, tmp_path):
    import boto3

    from minutes.aws.dynamo import SubscribersTable
    from minutes.aws.emulated import LocalCloud
    from minutes.local.demo import repo_root, sent_messages

    cloud = LocalCloud(repo_root(), parameters={"SiteUrl": DEMO_SITE_URL,
                                                "SenderAddress": "minutes@example.org"}).create()
    assert cloud.s3.meta.endpoint_url == moto_server
    table = boto3.resource("dynamodb").Table(cloud.stack.refs["SubscribersTable"])
    SubscribersTable(table).add_confirmed("ada@example.org", ["openxla"],
                                          when=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    source = repo_root() / "samples" / "2022-09-20-sig-openxla.md"

    cloud.put_object("MinutesBucket", "minutes/openxla/2022-09-20-sig-openxla.md", source.read_bytes())
    cloud.drain()

    assert cloud.failures == []
    s3 = boto3.client("s3")
    assert s3.meta.endpoint_url == moto_server
    site = cloud.bucket("SiteBucket")
    page = s3.get_object(Bucket=site, Key="openxla/2022-09-20-sig-openxla/index.html")["Body"].read().decode()
    assert "SIG OpenXLA" in page
    feed = feedparser.parse(s3.get_object(Bucket=site, Key="openxla/feed.xml")["Body"].read())
    assert feed.bozo == 0
    assert [e.link for e in feed.entries] == [f"{DEMO_SITE_URL}/openxla/2022-09-20-sig-openxla/"]
    report = s3.get_object(Bucket=cloud.bucket("MinutesBucket"),
                           Key="reports/minutes/openxla/2022-09-20-sig-openxla.md.json")["Body"].read()
    assert b'"status": "published"' in report
    (sent,) = [m for m in sent_messages() if getattr(m, "raw_data", None)]
    mail = email.message_from_string(sent.raw_data, policy=email.policy.default)
    assert str(mail["To"]) == "ada@example.org"
    assert f"{DEMO_SITE_URL}/openxla/2022-09-20-sig-openxla/" in mail.get_body(("plain",)).get_content()


def test_the_demo_group_yaml_names_its_group(demo):
    page = (demo.site / "openxla" / "index.html").read_text()
    assert "<h1>SIG OpenXLA</h1>" in page and "The third Tuesday of every month" in page
    assert "SIG OpenXLA" in (demo.site / "index.html").read_text()
