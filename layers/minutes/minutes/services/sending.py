"""One claimed email, sent: paced, retried with backoff on throttling, and its delivery record
settled by the outcome. notify and digest both send this way."""
from __future__ import annotations

from email.message import EmailMessage

from ..aws.dynamo import DeliveriesTable
from ..aws.ses import Mailer, RecipientRefused, SendingBroken, Throttled
from ..pacing import Pacer

SENT, REFUSED, UNSENT = "sent", "rejected", "unsent"
BACKOFF_SECONDS = (1, 2, 4)


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
