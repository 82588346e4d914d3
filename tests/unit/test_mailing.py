"""The fast per-recipient email (minutes.mailing) is the meeting email: parsed by Python's email
parser, every header (name, order, value) and every part (type, headers, decoded content) equals
what mail.meeting_email gives for the same meeting and recipient. Also on the real corpus, on
hostile titles and addresses, and with the same refusals."""
from __future__ import annotations

import email
import email.policy

import pytest

from minutes.mail import InvalidRecipient, meeting_email
from minutes.mailing import MeetingMailing, meeting_mailing
from minutes.meeting import SourceFile, assemble
from minutes.problems import ConfigError, Rejected

from tests.support.corpus import corpus_files
from tests.unit.test_mail import SITE, UNSUB, make_record

OPTIONS = {"sender": "OpenXLA minutes <minutes@example.org>", "site_url": SITE + "/",
           "list_domain": "minutes.example.org"}
RECIPIENTS = [
    "ann@example.com",
    "Ann.Lee+minutes@Example.COM",
    "Ann Example <ann@example.com>",
    "\u00c5sa Lind <asa@example.se>",                 # a non-ASCII name: an encoded word
    '"odd person"@example.com',                       # a quoted local part
    "a" * 60 + "@" + "b" * 40 + ".example.org",        # longer than the one-line fast path
    "o'brien@example.ie",
]


def structure(raw: bytes) -> tuple:
    """What a mail client sees: headers in order, then each part's headers and decoded content."""
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.defects == [] and parsed.is_multipart()
    parts = tuple((part.get_content_type(), tuple(part.items()), part.get_content(), tuple(part.defects))
                  for part in parsed.iter_parts())
    return tuple(parsed.items()), parsed.get_content_type(), parts


def assert_same_email(record, recipient: str, unsubscribe_url: str = UNSUB, **options) -> bytes:
    options = {**OPTIONS, **options}
    fast = MeetingMailing(record, **options).message(recipient=recipient, unsubscribe_url=unsubscribe_url)
    reference = meeting_email(record, recipient=recipient, unsubscribe_url=unsubscribe_url, **options)
    assert structure(fast) == structure(reference.as_bytes())
    return fast


@pytest.mark.parametrize("recipient", RECIPIENTS)
def test_every_kind_of_address_gets_the_same_email(recipient):
    raw = assert_same_email(make_record(), recipient)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"].addresses[0].addr_spec in parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize("changes, options", [
    ({"title": "Evil\r\nBcc: victim@example.com"}, {}),
    ({"title": "=?utf-8?q?Evil=0D=0ABcc:_victim@example.com?="}, {"group_name": "=?utf-8?q?x=0D=0Ay?="}),
    ({"title": "R\u00e9union du groupe \u00b7 \u65e5\u672c\u8a9e " * 6}, {"group_name": "Gr\u00fcppe"}),
    ({"content_html": "<p>.</p>\n<pre>trailing spaces   \n\ttab\n.\nFrom here\n=3D</pre>"}, {}),
    ({"content_html": "<p>" + "x" * 5000 + "</p>", "attachments": ()}, {}),
    ({}, {"unsubscribe_mailto": "unsubscribe@example.org"}),
])
def test_hostile_and_unusual_meetings_give_the_same_email(changes, options):
    for recipient in RECIPIENTS[:4]:
        assert_same_email(make_record(**changes), recipient, **options)


def test_each_recipient_has_their_own_links_and_ids():
    mailing = MeetingMailing(make_record(), **OPTIONS)
    one = email.message_from_bytes(mailing.message(recipient="a@example.org", unsubscribe_url=UNSUB + "A"),
                                   policy=email.policy.default)
    two = email.message_from_bytes(mailing.message(recipient="b@example.org", unsubscribe_url=UNSUB + "B"),
                                   policy=email.policy.default)
    assert one["List-Unsubscribe"] == f"<{UNSUB}A>" and two["List-Unsubscribe"] == f"<{UNSUB}B>"
    assert one["Message-ID"] != two["Message-ID"] and one.get_boundary() != two.get_boundary()
    assert UNSUB + "B" not in one.as_string() and "b@example.org" not in one.as_string()


def test_the_same_refusals_as_the_meeting_email():
    mailing = MeetingMailing(make_record(), **OPTIONS)
    for bad in ("not an address", "a@b@c", "ann@example.com\r\nBcc: x@example.com", ""):
        with pytest.raises(InvalidRecipient):
            mailing.message(recipient=bad, unsubscribe_url=UNSUB)
    with pytest.raises(ConfigError):
        mailing.message(recipient="ann@example.com", unsubscribe_url="http://insecure.example.org/u")
    with pytest.raises(ConfigError):
        MeetingMailing(make_record(), **{**OPTIONS, "sender": "not a sender"})
    long_url = SITE + "/u?t=" + "x" * 700
    long_mailto = "mailto:" + "u" * 500 + "@example.org"
    with pytest.raises(ValueError):
        meeting_email(make_record(), recipient="a@example.org", unsubscribe_url=long_url,
                      unsubscribe_mailto=long_mailto, **OPTIONS).as_bytes()
    with pytest.raises(ValueError):
        MeetingMailing(make_record(), unsubscribe_mailto=long_mailto, **OPTIONS).message(
            recipient="a@example.org", unsubscribe_url=long_url)


def test_a_meeting_is_composed_once_for_all_its_batches():
    record = make_record()
    assert meeting_mailing(record, **OPTIONS) is meeting_mailing(record, **OPTIONS)


def _corpus_records(every: int):
    for n, (key, path) in enumerate(sorted(corpus_files().items())):
        if n % every or not key.endswith(".md"):
            continue
        try:
            yield key, assemble([SourceFile(key, path.read_bytes())], site_host="minutes.example.org").record
        except Rejected:
            continue


def test_real_minutes_give_the_same_email():
    """Every 7th corpus file (all of them: MAILING_CORPUS_EVERY=1)."""
    import os
    checked = 0
    for key, record in _corpus_records(int(os.environ.get("MAILING_CORPUS_EVERY", "7"))):
        assert_same_email(record, "reader@example.org")
        checked += 1
    assert checked >= 20
