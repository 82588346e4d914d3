"""The weekly digest: one email per digest subscriber with every meeting of their groups first
published (announced) in the week, and nothing for a week without any.

plan (EventBridge schedule) -> the week before the Monday on or before the event's time, in UTC;
its meetings; the digest readers; batches of readers to DigestQueue. deliver (each batch) ->
per reader, claim the (week, reader) record in the Deliveries table (a conditional write),
then send. The schedule firing twice, a retried plan or a redelivered batch sends nothing twice;
a throttled send releases its claim and fails the batch so that only the unsent are retried,
in about a minute (sending.retry_soon), not after the queue's 30-minute visibility timeout.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Callable

from ..aws.dynamo import DeliveriesTable, MeetingsDirectory, MeetingsTable, SubscribersTable
from ..aws.queues import DigestQueue
from ..aws.ses import Mailer
from ..mail import InvalidRecipient, digest_email
from ..messages import DigestBatch, DigestReader, Receipt
from ..model import MeetingRecord
from ..pacing import Pacer
from .sending import DeliveryIncomplete, retry_soon, send_claimed
from ..settings import Settings
from ..subscriptions import EVERY_GROUP
from ..tokens import make_token

DIGEST = "#digest"   # the Deliveries "group" of digests: never a real group name


@dataclass(frozen=True)
class Week:
    start: dt.datetime   # Monday 00:00 UTC, included
    end: dt.datetime     # the next Monday 00:00 UTC, excluded

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def last_day(self) -> dt.date:
        return (self.end - dt.timedelta(days=1)).date()


def digest_week(when: dt.datetime) -> Week:
    """The last full week (Monday to Sunday, UTC) before `when`."""
    when = (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    monday = dt.datetime.combine(when.date() - dt.timedelta(days=when.weekday()), dt.time(0),
                                 tzinfo=dt.timezone.utc)
    return Week(monday - dt.timedelta(days=7), monday)


def wanted(meetings: list[MeetingRecord], groups) -> list[MeetingRecord]:
    groups = set(groups)
    return [m for m in meetings if EVERY_GROUP in groups or m.group in groups]


@dataclass
class DigestResult:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)    # sent by an earlier attempt
    empty: list[str] = field(default_factory=list)      # nothing of their groups that week
    rejected: list[str] = field(default_factory=list)   # SES refused the address for good


@dataclass
class Digester:
    settings: Settings
    meetings: MeetingsTable
    directory: MeetingsDirectory
    subscribers: SubscribersTable
    deliveries: DeliveriesTable
    queue: DigestQueue
    mailer: Mailer
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    logger: object = None
    _pacer: Pacer | None = field(default=None, repr=False)

    def plan(self, when: dt.datetime) -> int:
        """Queue the week's digests; the number of readers with something to read."""
        week = digest_week(when)
        meetings = self.directory.announced_between(week.start, week.end)
        if not meetings:
            return 0
        keys = sorted((m.group, m.meeting) for m in meetings)
        readers = [DigestReader(email, tuple(sorted(groups)))
                   for email, groups in sorted(self.subscribers.digest_readers().items())
                   if wanted(meetings, groups)]
        size = self.settings.recipients_per_message
        bodies = [DigestBatch(week.label, week.start, week.end, tuple(keys),
                              tuple(readers[i:i + size])).as_dict()
                  for i in range(0, len(readers), size)]
        self.queue.send(bodies)
        return len(readers)

    def deliver(self, batch: DigestBatch, *, receipt: Receipt | None = None) -> DigestResult:
        """Send each reader's digest not sent yet. Throttled ones: DeliveryIncomplete, and the
        batch (when its receipt is given) comes back in about a minute."""
        records = [r for r in (self.meetings.get(g, m) for g, m in batch.meetings)
                   if r is not None and r.status == "published"]
        week = Week(batch.start, batch.end)
        result, unsent = DigestResult(), []
        for reader in batch.readers:
            mine = wanted(records, reader.groups)
            if not mine:
                result.empty.append(reader.email)
                continue
            if not self.deliveries.claim(DIGEST, batch.week, reader.email):
                result.skipped.append(reader.email)
                continue
            outcome = self._send(mine, reader.email, week, batch.week)  # sent | rejected | unsent
            (unsent if outcome == "unsent" else getattr(result, outcome)).append(reader.email)
        if unsent:
            if receipt is not None:
                retry_soon(self.queue, receipt, first_seconds=self.settings.throttle_retry_seconds)
            raise DeliveryIncomplete(unsent)
        return result

    def _send(self, records: list[MeetingRecord], email: str, week: Week, label: str) -> str:
        token = make_token(self.settings.token_secret, purpose="unsubscribe", email=email)
        base = self.settings.api_url
        try:
            message = digest_email(records, recipient=email, sender=self.settings.sender_address,
                                   site_url=self.settings.site_url, list_domain=self.settings.site_host,
                                   unsubscribe_url=f"{base}/unsubscribe?token={token}",
                                   preferences_url=f"{base}/preferences?token={token}",
                                   start=week.start.date(), end=week.last_day, when=week.end)
        except InvalidRecipient:
            return "rejected"  # keep the claim: this address can never be mailed
        return send_claimed(message, mailer=self.mailer, sender=self.settings.sender_address,
                            recipient=email, deliveries=self.deliveries, group=DIGEST,
                            meeting=label, pacer=self._paced(), sleep=self.sleep,
                            logger=self.logger)

    def _paced(self) -> Pacer:
        """This container's share of the account's send rate (read once, when first needed)."""
        if self._pacer is None:
            self._pacer = Pacer(lambda: self.mailer.max_send_rate() * self.settings.send_rate_share,
                                sleep=self.sleep, monotonic=self.monotonic)
        return self._pacer
