"""SQS adapters: the site-update FIFO queue (index, one at a time), the notifications queue and
the digest queue (the last two can bring a received message back sooner: `retry_in`)."""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable

from botocore.exceptions import ClientError

from ..messages import Announce, Deliver, SiteUpdate


class SiteUpdates:
    GROUP = "site"  # one message group: index runs strictly one change at a time

    def __init__(self, sqs, url: str):
        self._sqs, self._url = sqs, url

    def send(self, update: SiteUpdate, *, dedup: str) -> None:
        body = json.dumps(update.as_dict(), sort_keys=True)
        self._sqs.send_message(QueueUrl=self._url, MessageBody=body, MessageGroupId=self.GROUP,
                               MessageDeduplicationId=hashlib.sha256(f"{body}|{dedup}".encode()).hexdigest())


class _ReceivedQueue:
    """A queue whose messages a function receives (through its SQS event source)."""

    def __init__(self, sqs, url: str):
        self._sqs, self._url = sqs, url

    def retry_in(self, receipt_handle: str, seconds: int) -> bool:
        """Make a received message visible again in `seconds` (instead of the visibility
        timeout the queue gives every message). False when SQS no longer knows the receipt
        (then the message simply comes back after the queue's own timeout)."""
        try:
            self._sqs.change_message_visibility(QueueUrl=self._url, ReceiptHandle=receipt_handle,
                                                VisibilityTimeout=seconds)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("ReceiptHandleIsInvalid", "MessageNotInflight",
                                                 "AWS.SimpleQueueService.MessageNotInflight"):
                return False
            raise
        return True


class Notifications(_ReceivedQueue):
    """Announcements (publish) and batches of recipients (notify's fan-out)."""

    def announce(self, message: Announce) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(message.as_dict()))

    def deliver(self, messages: Iterable[Deliver]) -> None:
        """Queue the batches as they come (an iterable may be a stream), ten per call."""
        messages = iter(messages)
        while chunk := list(itertools.islice(messages, 10)):   # SQS takes at most 10 per batch
            entries = [{"Id": str(n), "MessageBody": json.dumps(m.as_dict())} for n, m in enumerate(chunk)]
            result = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} fan-out messages: "
                                   f"{result['Failed'][0].get('Message')}")


class DigestQueue(_ReceivedQueue):
    """Batches of weekly-digest recipients (DigestFunction plans, then sends batch by batch)."""

    def send(self, bodies: list[dict]) -> None:
        for start in range(0, len(bodies), 10):  # SQS takes at most 10 per batch
            entries = [{"Id": str(n), "MessageBody": json.dumps(body, sort_keys=True)}
                       for n, body in enumerate(bodies[start:start + 10])]
            result = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)
            if result.get("Failed"):
                raise RuntimeError(f"SQS refused {len(result['Failed'])} digest batches: "
                                   f"{result['Failed'][0].get('Message')}")
