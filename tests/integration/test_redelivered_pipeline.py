"""The pipeline hunt (test_differential_pipeline) with every queued message delivered twice,
as SQS may (at-least-once; a visibility timeout running out under load): the site after each
phase must still equal a fresh build of the bucket. Forced deterministically: each message's
first delivery leaves it on the queue, so the next poll delivers it again."""
from __future__ import annotations

import pytest
from minutes.aws.emulated import LocalCloud, _sqs_record
from tests.integration.test_differential_pipeline import (
    test_any_order_of_hostile_uploads_and_deletes_leaves_a_fresh_build as hunt)


@pytest.fixture
def every_message_twice(monkeypatch):
    once = LocalCloud._poll
    seen: set[str] = set()
    again: list[int] = []

    def twice(self, fn, trigger):
        messages = self.sqs.receive_message(
            QueueUrl=trigger.queue_url, MaxNumberOfMessages=min(trigger.batch_size, 10),
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"],
            VisibilityTimeout=0).get("Messages", [])
        first = [m for m in messages if m["MessageId"] not in seen]
        if first:
            seen.update(m["MessageId"] for m in first)
            try:
                self.invoke(fn.name, {"Records": [_sqs_record(m, trigger.queue_arn) for m in first]})
            except Exception:  # noqa: BLE001 - delivered again below, as on AWS
                pass
            return len(first)
        again.append(once(self, fn, trigger))
        return again[-1]

    monkeypatch.setattr(LocalCloud, "_poll", twice)
    return again


def test_the_hunt_with_every_message_delivered_twice(every_message_twice):
    hunt()
    assert sum(every_message_twice) > 0   # messages were delivered a second time
