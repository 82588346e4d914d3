"""One claimed email, sent: paced, retried with backoff on throttling, and its delivery record
settled by the outcome; a batch left with throttled recipients comes back soon. notify and
digest both send this way."""
from __future__ import annotations

from email.message import EmailMessage

from ..aws.dynamo import DeliveriesTable
from ..aws.ses import Mailer, RecipientRefused, SendingBroken, Throttled
from ..messages import Receipt
from ..pacing import Pacer

SENT, REFUSED, UNSENT = "sent", "rejected", "unsent"
BACKOFF_SECONDS = (1, 2, 4)
LONGEST_RETRY_SECONDS = 900     # SQS allows 12 hours; five receives then span 15 minutes


class DeliveryIncomplete(Exception):
    """Some recipients were throttled: the message is retried, the sent ones are skipped."""

    def __init__(self, unsent: list[str]):
        super().__init__(f"{len(unsent)} recipients not sent yet (throttled)")
        self.unsent = unsent


def retry_soon(queue, receipt: Receipt, *, first_seconds: int) -> int:
    """Bring a throttled batch back in `first_seconds` (about a minute), doubled on each receive
    up to 15 minutes, instead of after the queue's whole visibility timeout (30 minutes: six
    times the function's). `queue` is the adapter the batch came from (aws.queues). The
    delay chosen."""
    delay = min(first_seconds * 2 ** max(receipt.receive_count - 1, 0), LONGEST_RETRY_SECONDS)
    queue.retry_in(receipt.handle, delay)
    return delay


def send_claimed(message: EmailMessage | bytes, *, mailer: Mailer, sender: str, recipient: str,
                 deliveries: DeliveriesTable, group: str, meeting: str, pacer: Pacer,
                 sleep, logger=None) -> str:
    """SENT (recorded), REFUSED (the claim stays: never retried) or UNSENT (throttled through
    every backoff: the claim is given back for the retry). SendingBroken gives the claim
    back and propagates: nobody can get mail until an operator acts, so the queue message
    fails, is retried, and ends in the dead-letter queue (alarmed)."""
    for delay in (*BACKOFF_SECONDS, None):
        pacer.wait()
        try:
            message_id = mailer.send(message, sender=sender, recipient=recipient)
        except Throttled:
            if delay is None:
                break
            sleep(delay)
            continue
        except RecipientRefused as exc:
            if logger:
                logger.warning("SES refused a recipient", extra={"error": exc.code})
            return REFUSED
        except SendingBroken:
            deliveries.release(group, meeting, recipient)
            raise
        deliveries.sent(group, meeting, recipient, message_id)
        return SENT
    deliveries.release(group, meeting, recipient)
    return UNSENT
