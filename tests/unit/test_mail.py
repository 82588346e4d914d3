"""The meeting email, checked the way a mail client sees it: bytes on the wire, parsed back."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re
from html.parser import HTMLParser

import pytest

from minutes.mail import InvalidRecipient, html_to_text, meeting_email
from minutes.model import Attachment, MeetingRecord
from minutes.problems import ConfigError

SITE = "https://minutes.example.org"
PAGE = f"{SITE}/openxla/2022-09-20-sig-openxla/"
UNSUB = f"{SITE}/unsubscribe?group=openxla&token=" + "Zm9vYmFy" * 12  # long, like a real token

CONTENT = """<h1>SIG OpenXLA</h1>
<p>Notes by Ann. See <a href="slides.pdf">the slides</a> and <a href="/openxla/">all meetings</a>.</p>
<h2 id="agenda">Agenda</h2>
<ul><li>Roadmap<ul><li>StableHLO</li></ul></li><li>Q&amp;A</li></ul>
<p><img src="team_photo-2022.png"> <img src="chart.png" alt="Compile times"></p>
"""


def make_record(**changes) -> MeetingRecord:
    record = MeetingRecord(
        group="openxla",
        meeting="2022-09-20-sig-openxla",
        segment="2022-09-20-sig-openxla",
        title="SIG OpenXLA",
        date=dt.date(2022, 9, 20),
        time="08:00",
        timezone="America/Los_Angeles",
        summary="Roadmap, StableHLO, and Q&A.",
        content_html=CONTENT,
        attachments=(Attachment("slides.pdf", "/openxla/2022-09-20-sig-openxla/slides.pdf",
                                "application/pdf", 2_000_000),),
        feed_id="tag:minutes.example.org,2022:openxla/2022-09-20-sig-openxla",
        published=dt.datetime(2022, 9, 21, 9, 30, tzinfo=dt.timezone.utc),
        updated=dt.datetime(2022, 9, 22, 10, 0, tzinfo=dt.timezone.utc),
    )
    return record.with_changes(**changes)


def build(record: MeetingRecord | None = None, **options):
    options = {
        "recipient": "ann@example.com",
        "sender": "OpenXLA minutes <minutes@example.org>",
        "site_url": SITE + "/",
        "unsubscribe_url": UNSUB,
        "list_domain": "minutes.example.org",
        **options,
    }
    return meeting_email(record or make_record(), **options)


def wire(record: MeetingRecord | None = None, **options):
    """(raw bytes, message parsed back as a client would)."""
    raw = build(record, **options).as_bytes()
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def head_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def parts(parsed) -> tuple[str, str]:
    return (parsed.get_body(preferencelist=("plain",)).get_content(),
            parsed.get_body(preferencelist=("html",)).get_content())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(markup: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags


# --- headers ---------------------------------------------------------------------------------

def test_subject_is_group_and_title():
    _, parsed = wire()
    assert parsed["Subject"] == "[openxla] SIG OpenXLA"


def test_group_name_replaces_group_id_in_subject():
    _, parsed = wire(group_name="OpenXLA SIG")
    assert parsed["Subject"] == "[OpenXLA SIG] SIG OpenXLA"
    assert parsed["List-Id"] == "OpenXLA SIG <openxla.minutes.example.org>"


def test_hostile_title_cannot_inject_headers():
    raw, parsed = wire(make_record(title="Evil\r\nBcc: victim@example.com"))
    head = head_of(raw)
    assert len(re.findall(rb"(?im)^subject:", head)) == 1
    assert not re.search(rb"(?im)^bcc:", raw)
    assert parsed.get_all("Bcc") is None
    assert parsed["Subject"] == "[openxla] Evil Bcc: victim@example.com"


@pytest.mark.parametrize("hostile", ["=?utf-8?q?Evil=0D=0ABcc:_victim@example.com?=",
                                     "=?utf-8?b?RXZpbA0KQmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?="])
def test_encoded_words_in_title_or_group_cannot_inject_headers(hostile):
    # The stdlib decodes RFC 2047 words in a value it is handed and would write the CRLF raw.
    raw, parsed = wire(make_record(title=hostile), group_name=hostile)
    assert not re.search(rb"(?im)^bcc:", raw)
    assert parsed.get_all("Bcc") is None
    assert len(parsed["Subject"].splitlines()) == 1
    assert parsed["List-Id"] == "<openxla.minutes.example.org>"


@pytest.mark.parametrize("title", ["Line\u2028separator", "Tab\there", "NEL\x85x", "Form\x0cfeed"])
def test_every_line_breaking_character_is_flattened(title):
    _, parsed = wire(make_record(title=title))
    subject = parsed["Subject"]
    assert len(subject.splitlines()) == 1
    assert subject.startswith("[openxla] ") and "  " not in subject


def test_non_ascii_title_round_trips_encoded():
    title = "Réunion – 東京"
    raw, parsed = wire(make_record(title=title), group_name="Groupe Été")
    head = head_of(raw)
    assert head.isascii()
    assert b"=?utf-8?" in head
    assert parsed["Subject"] == f"[Groupe Été] {title}"
    text, page = parts(parsed)
    assert title in text and html.escape(title) in page


def test_long_title_is_folded_not_truncated():
    title = "A very long meeting title " * 8
    raw, parsed = wire(make_record(title=title))
    assert parsed["Subject"] == "[openxla] " + " ".join(title.split())
    assert all(len(line) <= 78 for line in head_of(raw).split(b"\r\n") if not line.startswith(b"List-"))


def test_from_and_to_are_addresses_with_encoded_names():
    raw, parsed = wire(recipient='"Doe, Jane" <jane@example.com>',
                       sender="Procès-verbaux <minutes@example.org>")
    assert head_of(raw).isascii()
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Doe, Jane", "jane@example.com")
    (sender,) = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Procès-verbaux", "minutes@example.org")


@pytest.mark.parametrize("recipient", ["ann@example.com\r\nBcc: victim@example.com",
                                       "a@example.com, b@example.com", "not an address", "a@"])
def test_a_bad_recipient_is_refused(recipient):
    with pytest.raises(InvalidRecipient):
        build(recipient=recipient)


def test_list_unsubscribe_one_click():
    raw, parsed = wire(unsubscribe_mailto="unsubscribe@example.org")
    assert parsed["List-Unsubscribe"] == (
        f"<{UNSUB}>, <mailto:unsubscribe@example.org?subject=unsubscribe>")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # One line, never RFC 2047 encoded: clients read it raw.
    line = next(l for l in head_of(raw).split(b"\r\n") if l.startswith(b"List-Unsubscribe:"))
    assert b"=?" not in line and UNSUB.encode() in line


def test_list_unsubscribe_without_mailto_has_only_https():
    _, parsed = wire()
    assert parsed["List-Unsubscribe"] == f"<{UNSUB}>"


@pytest.mark.parametrize("options", [
    {"unsubscribe_url": "http://minutes.example.org/unsubscribe?t=1"},  # RFC 8058: https only
    {"unsubscribe_url": UNSUB + ">, <https://evil.example/"},
    {"unsubscribe_url": UNSUB + "x" * 1000},
    {"sender": "minutes@example.org\r\nBcc: victim@example.com"},
    {"list_domain": "lists.example.org>"},
])
def test_bad_configuration_is_refused(options):
    with pytest.raises(ConfigError):
        build(**options)


def test_list_and_auto_reply_headers():
    _, parsed = wire()
    assert parsed["List-Id"] == "openxla <openxla.minutes.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Precedence"] == "list"


def test_date_and_message_id_are_deterministic():
    _, parsed = wire()
    assert parsed["Date"] == "Thu, 22 Sep 2022 10:00:00 +0000"
    message_id = parsed["Message-ID"]
    assert re.fullmatch(r"<minutes\.[0-9a-f]{16}\.[0-9a-f]{16}@minutes\.example\.org>", message_id)
    assert "ann" not in message_id
    _, other = wire(recipient="bob@example.com")
    assert other["Message-ID"] != message_id
    _, unpublished = wire(make_record(updated=None, published=None))
    assert unpublished["Date"] == "Tue, 20 Sep 2022 00:00:00 +0000"


def test_same_inputs_give_same_bytes():
    assert build().as_bytes() == build().as_bytes()


def test_wire_format_is_crlf_seven_bit_and_short_lines():
    raw, _ = wire(make_record(title="Réunion – 東京", content_html="<p>" + "très long " * 500 + "</p>"))
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


# --- body ------------------------------------------------------------------------------------

def test_two_alternative_parts():
    _, parsed = wire()
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_both_parts_have_title_link_and_unsubscribe():
    _, parsed = wire()
    text, page = parts(parsed)
    for body in (text, html.unescape(page)):
        assert "SIG OpenXLA" in body
        assert PAGE in body
        assert UNSUB in body
    assert f"View on the web: {PAGE}" in text


def test_relative_links_become_absolute_against_the_meeting_page():
    _, parsed = wire()
    text, page = parts(parsed)
    hrefs = [attrs["href"] for tag, attrs in tags(page) if tag == "a"]
    assert f"{PAGE}slides.pdf" in hrefs and f"{SITE}/openxla/" in hrefs
    assert all(h.startswith(("https://", "mailto:")) for h in hrefs)
    assert f"the slides <{PAGE}slides.pdf>" in text


def test_html_is_inlined_and_scriptless():
    _, parsed = wire(make_record(content_html=CONTENT + '<script>alert(1)</script>'
                                 '<link rel="stylesheet" href="https://evil.example/x.css">'
                                 '<p onclick="alert(1)"><a href="javascript:alert(1)">x</a></p>'))
    _, page = parts(parsed)
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "onclick" not in lowered
    assert not [a for t, a in tags(page) if t == "link"]
    assert lowered.startswith("<!doctype html>")
    assert 'role="presentation"' in page and 'bgcolor="#ffffff"' in page
    styled = [a for t, a in tags(page) if t in ("p", "h2", "td", "a") and "style" in a]
    assert len(styled) > 5
    assert "max-width: 640px" in page


def test_every_image_has_alt_text():
    _, parsed = wire()
    _, page = parts(parsed)
    images = {a["src"]: a.get("alt") for t, a in tags(page) if t == "img"}
    assert images == {f"{PAGE}team_photo-2022.png": "team photo 2022", f"{PAGE}chart.png": "Compile times"}


def test_title_is_escaped_in_html():
    _, parsed = wire(make_record(title="<script>alert(1)</script>"))
    _, page = parts(parsed)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


def test_preheader_carries_the_summary():
    _, parsed = wire()
    _, page = parts(parsed)
    assert re.search(r'<div class="mp-preheader"[^>]*>Roadmap, StableHLO, and Q&amp;A\.</div>', page)


def test_title_heading_is_not_repeated():
    _, parsed = wire()
    text, page = parts(parsed)
    assert text.count("SIG OpenXLA") == 1
    assert len(re.findall(r"<h1\b", page)) == 1


def test_attachments_are_listed_with_absolute_links():
    _, parsed = wire()
    text, page = parts(parsed)
    assert f"slides.pdf (1.9 MB) <{PAGE}slides.pdf>" in text
    assert f'href="{PAGE}slides.pdf"' in page


# --- html_to_text ----------------------------------------------------------------------------

def test_html_to_text_structure():
    fragment = """<h1>Title</h1><h2>Part</h2><h3>Detail</h3>
    <p>One  <strong>two</strong>
    three.</p><p>Next <a href="/x">link</a> and <a href="https://a.example/">https://a.example/</a>
    and <a href="#top">anchor</a>.<br>New line</p>
    <ul><li>a<ol><li>b</li><li>c</li></ol></li><li><input type="checkbox" disabled> todo</li></ul>
    <pre><code>x = 1
  y</code></pre><blockquote><p>q</p></blockquote>
    <table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table>"""
    assert html_to_text(fragment, base_url="https://s.example/g/m/") == "\n".join([
        "Title", "=====", "",
        "Part", "----", "",
        "### Detail", "",
        "One two three.", "",
        "Next link <https://s.example/x> and https://a.example/ and anchor.",
        "New line", "",
        "- a", "  1. b", "  2. c", "- [ ] todo", "",
        "    x = 1", "      y", "",
        "> q", "",
        "k | v", "1 | 2",
    ])


def test_html_to_text_keeps_tag_like_text_and_drops_scripts():
    text = html_to_text("<p>Vec&lt;T&gt;</p><script>alert(1)</script><p><a href='javascript:x()'>no</a></p>",
                        base_url="https://s.example/")
    assert text == "Vec<T>\n\nno"


def test_html_to_text_underlines_wide_characters_fully():
    assert html_to_text("<h1>東京</h1>", base_url="https://s.example/") == "東京\n===="


def test_html_to_text_survives_deep_nesting():
    nested = "<blockquote>" * 3000 + "deep" + "</blockquote>" * 3000
    text = html_to_text(nested, base_url="https://s.example/")
    assert text.endswith("deep")


def test_heading_anchor_links_stay_on_the_web_page():
    html = '<h2 id="notes">Notes <a class="header-anchor" href="#notes" rel="noopener">#</a></h2><p>x</p>'
    text, markup = parts(wire(make_record(content_html=html))[1])
    assert "Notes" in markup and "header-anchor" not in markup
    assert "#notes" not in text
