"""What an SES bounce or complaint event says about which address (services.bounces, pure)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from minutes.services.bounces import COMPLAINT, HARD, SOFT, Feedback, feedback_from

EVENTS = Path(__file__).resolve().parents[2] / "events"


def ses_message(name: str) -> dict:
    return json.loads(json.loads((EVENTS / name).read_text())["Records"][0]["Sns"]["Message"])


def bounce(bounce_type: str, subtype: str = "General", *emails: str, key: str = "eventType") -> dict:
    return {key: "Bounce", "mail": {"messageId": "m-1"},
            "bounce": {"bounceType": bounce_type, "bounceSubType": subtype,
                       "bouncedRecipients": [{"emailAddress": e} for e in emails or ("ada@example.org",)]}}


def test_the_sample_bounce_is_a_hard_bounce():
    assert feedback_from(ses_message("sns-ses-bounce.json")) == [
        Feedback("grace@example.org", HARD, "0100019a1b2c3d4e-5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c-000000", "General")]


def test_the_sample_complaint_is_a_complaint():
    (found,) = feedback_from(ses_message("sns-ses-complaint.json"))
    assert (found.email, found.kind, found.detail) == ("linus@example.org", COMPLAINT, "abuse")


@pytest.mark.parametrize("message, kinds", [
    (bounce("Permanent", "NoEmail"), [HARD]),
    (bounce("Permanent", "OnAccountSuppressionList"), [HARD]),
    (bounce("Transient", "MailboxFull"), [SOFT]),
    (bounce("Transient", "General"), [SOFT]),
    (bounce("Undetermined", "Undetermined"), [SOFT]),
    (bounce("Transient", "MessageTooLarge"), []),     # about the message, not the address
    (bounce("Transient", "ContentRejected"), []),
    (bounce("Permanent", "General", key="notificationType"), [HARD]),   # identity notifications
    ({"eventType": "Complaint", "mail": {"messageId": "m"},
      "complaint": {"complaintFeedbackType": "not-spam", "complainedRecipients": [{"emailAddress": "a@b.org"}]}}, []),
    ({"eventType": "Complaint", "mail": {"messageId": "m"},
      "complaint": {"complainedRecipients": [{"emailAddress": "a@b.org"}]}}, [COMPLAINT]),
    ({"eventType": "Delivery", "mail": {"messageId": "m"}}, []),
    ({}, []),
])
def test_kinds(message, kinds):
    assert [f.kind for f in feedback_from(message)] == kinds


def test_addresses_are_normalised_and_junk_is_skipped():
    found = feedback_from(bounce("Permanent", "General", "Ada <ADA@Example.org>", "not an address", "b@x.org"))
    assert [f.email for f in found] == ["ada@example.org", "b@x.org"]
