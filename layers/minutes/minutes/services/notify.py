"""notify: announce a meeting to its group's confirmed subscribers through SES, exactly once.

announce -> fan out the recipients in batches (one queue message each); deliver -> for each
recipient, claim the (meeting, subscriber) record, then send. A claim is written before the
send, so a retried batch never repeats a send; a throttled send releases its claim and fails
that message, so only the unsent are retried. A crash between claim and send loses that one
email rather than risking a duplicate: at most once is the right failure for email.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from ..aws.dynamo import DeliveriesTable, MeetingsTable, SubscribersTable
from ..aws.queues import Notifications
from ..aws.ses import Mailer
from ..mail import InvalidRecipient
from ..mailing import meeting_mailing
from ..pacing import Pacer
from .sending import DeliveryIncomplete, retry_soon, send_claimed
from ..messages import Announce, Deliver, Receipt
from ..settings import Settings
from ..tokens import make_token

@dataclass
class DeliveryResult:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)     # already sent by an earlier attempt
    rejected: list[str] = field(default_factory=list)    # SES refused the address for good


class Notifier:
    def __init__(self, *, settings: Settings, meetings: MeetingsTable, subscribers: SubscribersTable,
                 deliveries: DeliveriesTable, queue: Notifications, mailer: Mailer,
                 sleep=time.sleep, monotonic=time.monotonic, logger=None):
        self.settings, self.meetings, self.subscribers = settings, meetings, subscribers
        self.deliveries, self.queue, self.mailer = deliveries, queue, mailer
        self._sleep, self._monotonic, self._log = sleep, monotonic, logger
        # Each container takes its share of the account's rate (template: SEND_RATE_SHARE).
        self._pacer = Pacer(lambda: mailer.max_send_rate() * settings.send_rate_share,
                            sleep=sleep, monotonic=monotonic)

    def announce(self, message: Announce) -> int:
        """Fan out: one deliver message per batch of recipients. Returns the recipient count."""
        record = self._published(message.group, message.meeting)
        if record is None:
            return 0
        # Streamed: the roster is read a page at a time and each batch queued as it fills, so
        # memory stays flat however large the group (a retried announce re-queues batches whose
        # recipients' claims then skip them).
        counted = 0

        def batches():
            nonlocal counted
            roster = iter(self.subscribers.each_confirmed(message.group))
            while batch := tuple(itertools.islice(roster, self.settings.recipients_per_message)):
                counted += len(batch)
                yield Deliver(message.group, message.meeting, batch)

        self.queue.deliver(batches())
        return counted

    def deliver(self, message: Deliver, *, receipt: Receipt | None = None) -> DeliveryResult:
        """Send to each recipient not sent yet. Throttled ones: DeliveryIncomplete, and the
        message (when its receipt is given) comes back in about a minute."""
        record = self._published(message.group, message.meeting)
        result = DeliveryResult()
        if record is None:
            return result
        unsent = []
        for email in message.recipients:
            if not self.deliveries.claim(message.group, message.meeting, email):
                result.skipped.append(email)
                continue
            outcome = self._send_one(record, email)
            if outcome == "sent":
                result.sent.append(email)
            elif outcome == "rejected":
                result.rejected.append(email)
            else:
                unsent.append(email)
        if unsent:
            if receipt is not None:
                retry_soon(self.queue, receipt, first_seconds=self.settings.throttle_retry_seconds)
            raise DeliveryIncomplete(unsent)
        return result

    def _published(self, group: str, meeting: str):
        """The meeting's record when it is published; None (and the announcement given back,
        so its next publication announces it) when it became a draft or was removed before
        its email went out."""
        record = self.meetings.get(group, meeting)
        if record is None or record.status == "published":
            return record
        if self.meetings.release_announcement(group, meeting):
            return None
        record = self.meetings.get(group, meeting)   # published again meanwhile
        return record if record is not None and record.status == "published" else None

    def _send_one(self, record, email: str) -> str:
        try:
            # Composed once per meeting, filled in per recipient (minutes.mailing).
            message = meeting_mailing(
                record, sender=self.settings.sender_address, site_url=self.settings.site_url,
                list_domain=self.settings.site_host).message(
                recipient=email, unsubscribe_url=self.unsubscribe_url(email))
        except InvalidRecipient as exc:
            # An address no message can be made for: keep the claim (retrying cannot help)
            # and let the rest of the batch go on.
            if self._log:
                self._log.warning("invalid recipient", extra={"error": str(exc)})
            return "rejected"
        return send_claimed(message, mailer=self.mailer, sender=self.settings.sender_address,
                            recipient=email, deliveries=self.deliveries, group=record.group,
                            meeting=record.meeting, pacer=self._pacer, sleep=self._sleep,
                            logger=self._log)

    def unsubscribe_url(self, email: str) -> str:
        token = make_token(self.settings.token_secret, purpose="unsubscribe", email=email)
        return f"{self.settings.api_url}/unsubscribe?token={token}"
