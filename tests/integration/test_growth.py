"""Growth (issue 11): what the pipeline stores per event expires, and everything else is bounded
by the meetings and keys that exist, never by how often they were delivered or edited.

What stays for good, on purpose: one Meetings item per meeting ever published (a tombstone after
removal keeps the announced mark) and one per URL segment claimed; one report pair per key ever
uploaded; every version of every source in the MinutesBucket (versioned: nothing is deleted
because it failed; a lifecycle rule for old versions is the operator's choice).
"""
from __future__ import annotations

import time

import boto3

from tests.support.aws import REGION, SAMPLE_KEY, minutes_text, outbox, sample_minutes

DAY = 86400


def counts(stack) -> dict[str, int]:
    reports = stack.s3.list_objects_v2(Bucket=stack.minutes_bucket, Prefix="reports/").get("KeyCount", 0)
    return {"meetings items": stack.table("MeetingsTable").scan()["Count"],
            "deliveries": stack.table("DeliveriesTable").scan()["Count"],
            "reports": reports, "site objects": len(stack.site_keys()),
            "queued": stack.queue_depth("SiteUpdatesQueue") + stack.queue_depth("NotificationsQueue")}


def test_the_tables_that_grow_per_send_expire_by_ttl(stack):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for table in ("DeliveriesTable", "SubscribersTable"):
        ttl = dynamodb.describe_time_to_live(TableName=stack.ref(table))["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}, table
    stack.subscribe("ada@example.org", ["openxla"])
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    (delivery,) = stack.table("DeliveriesTable").scan()["Items"]
    assert delivery["state"] == "sent"
    assert 29 * DAY < int(delivery["expires_at"]) - time.time() <= 30 * DAY


def test_redeliveries_edits_deletes_and_comebacks_store_nothing_more(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    event = stack.put_event(SAMPLE_KEY, sample_minutes())
    stack.invoke_publish(event)
    stack.drain()
    first = counts(stack)
    assert first["meetings items"] == 2, "the record and its URL claim"
    assert first["queued"] == 0

    for n in range(10):
        stack.invoke_publish(event)                                     # delivered again
        stack.publish(SAMPLE_KEY, minutes_text(f"SIG OpenXLA, take {n}"))  # corrected
        stack.drain()
    for _ in range(3):
        stack.invoke_publish(stack.delete_event(SAMPLE_KEY))           # removed ...
        stack.drain()
        stack.publish(SAMPLE_KEY, sample_minutes())                     # ... and back
        stack.drain()

    assert counts(stack) == first
    assert len(outbox()) == 1
