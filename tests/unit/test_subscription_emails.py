"""The confirmation and digest emails, read back the way a mail client reads them."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from html.parser import HTMLParser

import pytest

from minutes.mail import InvalidRecipient, confirmation_email, digest_email
from minutes.model import MeetingRecord
from minutes.problems import ConfigError

SITE = "https://minutes.example.org"
CONFIRM = f"{SITE}/api/confirm?token=" + "Y29uZmlybQ" * 8 + ".abc_-"
UNSUB = f"{SITE}/api/unsubscribe?token=" + "dW5zdWI" * 10
PREFS = f"{SITE}/api/preferences?token=" + "dW5zdWI" * 10
WHEN = dt.datetime(2026, 7, 13, 8, 0, tzinfo=dt.timezone.utc)


def parse(message):
    raw = message.as_bytes()
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def parts(parsed):
    return (parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content())


class Links(HTMLParser):
    def __init__(self, markup):
        super().__init__()
        self.hrefs, self.tags = [], []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        href = dict(attrs).get("href")
        if href:
            self.hrefs.append(href)


def confirmation(**changes):
    options = dict(recipient="ada@example.org", sender="Minutes <minutes@example.org>", confirm_url=CONFIRM,
                   site_url=SITE, list_domain="minutes.example.org", groups=("openxla", "xla"), mode="each",
                   expires=WHEN + dt.timedelta(days=7), when=WHEN)
    options.update(changes)
    return confirmation_email(**options)


def record(group, segment, title, day, summary=""):
    return MeetingRecord(group=group, meeting=segment, segment=segment, title=title, date=day,
                         summary=summary, feed_id=f"tag:minutes.example.org,2026:{group}/{segment}")


WEEK = [record("openxla", "2026-07-07-sig", "SIG OpenXLA", dt.date(2026, 7, 7), "Roadmap & Q&A."),
        record("onnx", "2026-07-09-infra", "Infra <sync>", dt.date(2026, 7, 9)),
        record("openxla", "2026-07-10-community", "Community meeting", dt.date(2026, 7, 10))]


def digest(records=WEEK, **changes):
    options = dict(recipient="grace@example.org", sender="minutes@example.org", site_url=SITE,
                   list_domain="minutes.example.org", unsubscribe_url=UNSUB, preferences_url=PREFS,
                   start=dt.date(2026, 7, 6), end=dt.date(2026, 7, 12), when=WHEN)
    options.update(changes)
    return digest_email(records, **options)


# --- confirmation ------------------------------------------------------------------------------

def test_confirmation_headers():
    raw, mail = parse(confirmation())
    assert mail["Subject"] == "Confirm your subscription to the minutes on minutes.example.org"
    (sender,) = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Minutes", "minutes@example.org")
    assert mail["To"] == "ada@example.org"
    assert mail["Date"] == "Mon, 13 Jul 2026 08:00:00 +0000"
    assert re.fullmatch(r"<confirm\.[0-9a-f]{12}\.[0-9a-f]{16}@minutes\.example\.org>", mail["Message-ID"])
    assert mail["Auto-Submitted"] == "auto-generated"
    # Not list mail: nothing to unsubscribe from yet.
    assert mail["List-Unsubscribe"] is None and mail["List-Id"] is None
    assert raw.isascii() and max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_confirmation_parts_and_link():
    _, mail = parse(confirmation())
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    text, page = parts(mail)
    assert CONFIRM in text and "openxla and xla" in text and "13 July 2026" not in text
    assert "20 July 2026" in text                            # when the link stops working
    links = Links(page)
    assert CONFIRM in links.hrefs and "script" not in links.tags
    assert all(h.startswith("https://") for h in links.hrefs)
    assert 'style="' in page and "<link" not in page           # inlined CSS, no stylesheet
    assert "ignore this email" in text


def test_confirmation_for_a_digest_says_so():
    text, _ = parts(parse(confirmation(mode="digest", groups=("*",)))[1])
    assert "every group" in text and "weekly digest" in text


def test_confirmation_refuses_bad_recipients_and_urls():
    with pytest.raises(InvalidRecipient):
        confirmation(recipient="ada@example.org\r\nBcc: eve@example.org")
    with pytest.raises(ConfigError):
        confirmation(confirm_url="javascript:alert(1)")


def test_confirmation_is_deterministic():
    assert confirmation().as_bytes() == confirmation().as_bytes()


# --- digest --------------------------------------------------------------------------------------

def test_digest_headers_are_list_headers_with_one_click():
    raw, mail = parse(digest())
    assert mail["Subject"] == "Minutes digest: 3 meetings, 6 July to 12 July 2026"
    assert mail["List-Id"] == "Weekly digest <digest.minutes.example.org>"
    assert mail["List-Unsubscribe"] == f"<{UNSUB}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Precedence"] == "list" and mail["Auto-Submitted"] == "auto-generated"
    line = next(l for l in raw.split(b"\r\n") if l.startswith(b"List-Unsubscribe:"))
    assert UNSUB.encode() in line and b"=?" not in line


def test_digest_lists_every_meeting_by_group_with_absolute_links():
    _, mail = parse(digest())
    text, page = parts(mail)
    for url in (f"{SITE}/openxla/2026-07-07-sig/", f"{SITE}/onnx/2026-07-09-infra/",
                f"{SITE}/openxla/2026-07-10-community/"):
        assert url in text and url in Links(page).hrefs
    assert text.index("onnx <") < text.index("openxla <")      # groups in order
    assert text.index("SIG OpenXLA") < text.index("Community meeting")
    assert "Infra <sync>" in text and "Infra &lt;sync&gt;" in page and "<sync>" not in page
    assert UNSUB in text and PREFS in text and UNSUB in Links(page).hrefs and PREFS in Links(page).hrefs
    assert "Roadmap & Q&A." in text


def test_digest_titles_cannot_reach_the_headers():
    hostile = [record("openxla", "x", "Evil\r\nBcc: eve@example.org", dt.date(2026, 7, 7))]
    raw, mail = parse(digest(hostile))
    assert mail["Bcc"] is None and not re.search(rb"(?im)^bcc:", raw)
    assert mail["Subject"] == "Minutes digest: 1 meeting, 6 July to 12 July 2026"


def test_a_digest_needs_meetings_and_https_links():
    with pytest.raises(ValueError):
        digest([])
    with pytest.raises(ConfigError):
        digest(unsubscribe_url="http://minutes.example.org/api/unsubscribe?token=x")


def test_a_digest_across_new_year_names_both_years():
    _, mail = parse(digest(start=dt.date(2026, 12, 28), end=dt.date(2027, 1, 3)))
    assert mail["Subject"] == "Minutes digest: 3 meetings, 28 December 2026 to 3 January 2027"
