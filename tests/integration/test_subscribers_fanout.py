"""Thousands of subscribers: one meeting fans out through notify (announce -> batches on the
queue -> SES), and every subscriber receives exactly one email; digest readers, unsubscribed
and suppressed addresses none. Seeded with batch writes.

1,000 readers by default (the suite's budget; moto's DynamoDB and SES take most of the time);
FANOUT_READERS=10000 for the full size. `python -m bench.mail_fanout` times 10,000."""
from __future__ import annotations

import collections
import datetime as dt
import email
import email.policy
import os

import pytest

from minutes.local.demo import sent_messages

from tests.support.aws import minutes_text
from tests.support.subscriptions import secret

READERS = int(os.environ.get("FANOUT_READERS", "1000"))
KEY = "minutes/openxla/2026-07-07-sig-openxla.md"
MEETING = "2026-07-07-sig-openxla"


@pytest.mark.slow
def test_every_one_of_thousands_of_subscribers_gets_exactly_one_email(stack):
    from minutes import runtime
    notifier = stack.notifier(token_secret=secret(stack))
    runtime.provide(notifier=notifier)
    now = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc).isoformat()
    readers = [f"reader{n:05d}@example.org" for n in range(READERS)]
    with stack.table("SubscribersTable").batch_writer() as batch:
        for n, address in enumerate(readers):
            # Half follow the group, half every group; all confirmed, every meeting.
            batch.put_item(Item={"group": "openxla" if n % 2 else "*", "email": address,
                                 "status": "confirmed", "mode": "each", "created_at": now, "confirmed_at": now})
        for address, status, mode in (("digest@example.org", "confirmed", "digest"),
                                      ("bounced@example.org", "suppressed", "each"),
                                      ("gone@example.org", "unsubscribed", "each")):
            batch.put_item(Item={"group": "openxla", "email": address, "status": status, "mode": mode,
                                 "created_at": now})

    stack.publish(KEY, minutes_text("SIG OpenXLA"))
    stack.drain()

    per_recipient = collections.Counter(m.destinations[0] for m in sent_messages())
    assert len(per_recipient) == READERS and set(per_recipient) == set(readers)
    assert set(per_recipient.values()) == {1}
    deliveries = sum(page["Count"] for page in stack.dynamodb.meta.client.get_paginator("scan").paginate(
        TableName=stack.ref("DeliveriesTable"), Select="COUNT"))
    assert deliveries == READERS
    for message in sent_messages()[:: READERS // 10]:      # ten of them, read as a mail client would
        mail = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
        assert str(mail["Subject"]) == "[openxla] SIG OpenXLA"
        assert str(mail["To"]) == message.destinations[0]
        assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    # A redelivered batch sends nothing more.
    batch = readers[:50]
    stack.cloud.invoke("NotifyFunction", stack.sqs_event(
        "sqs-notify-deliver.json", [{"kind": "deliver", "group": "openxla", "meeting": MEETING, "recipients": batch}],
        queue="NotificationsQueue"))
    assert len(sent_messages()) == READERS
    # Pacing went through the injected clock (never a real sleep): one interval per send at the
    # account's rate as SES reports it, of which NotifyFunction takes its SEND_RATE_SHARE.
    rate = notifier.mailer.max_send_rate() * stack.settings().send_rate_share
    assert sum(stack.clock.slept) == pytest.approx(READERS / rate, rel=0.01)
