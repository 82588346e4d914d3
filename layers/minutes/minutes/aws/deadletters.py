"""Dead-letter queues, for the operator (`minutes dlq list|replay`): what is in them, and replay.

Two kinds, told apart by the message itself:
- An SQS dead-letter queue (site updates, notifications, digest batches) holds the message as it
  was, moved there after its queue's maxReceiveCount failed receives. Replay sends it back to
  the queue whose redrive policy names this one (FIFO: the same message group, a fresh
  deduplication id) and deletes it here.
- A Lambda OnFailure destination (publish, digest schedule, bounces) holds an invocation record:
  the event (`requestPayload`), the function, the error. Replay invokes that function
  asynchronously with the event again and deletes the record.
Every handler is idempotent (a replayed S3 event that was answered meanwhile is stale, a
delivery already sent is skipped), so replaying is always safe; a message that fails again
comes back to its dead-letter queue.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class DeadLetter:
    queue_url: str
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int
    group_id: str | None = None

    @property
    def record(self) -> dict | None:
        """The Lambda invocation record, when this is one."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return None
        return data if isinstance(data, dict) and "requestPayload" in data else None

    def reason(self) -> str:
        record = self.record
        if record:
            error = record.get("responsePayload") or {}
            return f"{error.get('errorType', 'Error')}: {error.get('errorMessage', '')}".strip()
        return f"failed {self.receive_count} receives (the function's logs say why)"

    def about(self) -> str:
        """What the message is about, in one line: the S3 keys, or the queue message."""
        record = self.record
        if record:
            payload = record["requestPayload"]
            keys = [r.get("s3", {}).get("object", {}).get("key") for r in payload.get("Records", [])
                    if isinstance(r, dict)] if isinstance(payload, dict) else []
            function = record.get("requestContext", {}).get("functionArn", "?").split(":function:")[-1]
            return f"{function} " + (", ".join(filter(None, keys)) or json.dumps(payload)[:120])
        return self.body[:160]


class DeadLetterQueues:
    """`invoke(function_arn, payload)` re-invokes a function asynchronously (Lambda's
    InvocationType Event on AWS)."""

    def __init__(self, sqs, *, invoke: Callable[[str, dict], None]):
        self._sqs, self._invoke = sqs, invoke

    def depth(self, url: str) -> int:
        return int(self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
            ["ApproximateNumberOfMessages"])

    def peek(self, url: str, *, limit: int = 100) -> list[DeadLetter]:
        """Up to `limit` messages, left in place (made visible again). A FIFO queue shows the
        first batch of its message group only: SQS hands out no more while it is in flight."""
        found: list[DeadLetter] = []
        while len(found) < limit:
            batch = self._receive(url)
            if not batch:
                break
            found += batch
        for letter in found:
            self._sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=letter.receipt_handle,
                                                VisibilityTimeout=0)
        return found[:limit]

    def replay(self, url: str, *, limit: int | None = None) -> list[DeadLetter]:
        """Send every message back where it failed; the ones replayed."""
        source = None
        done: list[DeadLetter] = []
        while limit is None or len(done) < limit:
            batch = self._receive(url)
            if not batch:
                return done
            for letter in batch[:None if limit is None else limit - len(done)]:
                record = letter.record
                if record:
                    self._invoke(record["requestContext"]["functionArn"], record["requestPayload"])
                else:
                    source = source or self.source_of(url)
                    self._send_back(source, letter)
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=letter.receipt_handle)
                done.append(letter)
        return done

    def source_of(self, url: str) -> str:
        """The queue whose redrive policy sends its failures to `url`."""
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for candidate in self._sqs.list_queues().get("QueueUrls", []):
            policy = self._sqs.get_queue_attributes(QueueUrl=candidate, AttributeNames=["RedrivePolicy"]) \
                .get("Attributes", {}).get("RedrivePolicy")
            if policy and json.loads(policy).get("deadLetterTargetArn") == arn:
                return candidate
        raise LookupError(f"no queue sends its failures to {url}: nothing to replay into")

    def _send_back(self, source: str, letter: DeadLetter) -> None:
        args = {"QueueUrl": source, "MessageBody": letter.body}
        if source.endswith(".fifo"):
            args.update(MessageGroupId=letter.group_id or "site", MessageDeduplicationId=hashlib.sha256(
                f"replay|{letter.message_id}".encode()).hexdigest())
        self._sqs.send_message(**args)

    def _receive(self, url: str) -> list[DeadLetter]:
        messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                             MessageSystemAttributeNames=["All"]).get("Messages", [])
        return [DeadLetter(url, m["MessageId"], m["ReceiptHandle"], m["Body"],
                           int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                           m.get("Attributes", {}).get("MessageGroupId")) for m in messages]
