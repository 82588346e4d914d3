"""Bounces and complaints from SES (configuration-set events through SNS) -> suppression.

- A hard (Permanent) bounce or a complaint suppresses the address at once: every group item and
  the address's own item are marked, so neither notify nor digest nor a new subscription ever
  mails it again.
- A soft bounce (Transient: mailbox full, general; or Undetermined) counts; `soft_bounce_limit`
  of them within `soft_bounce_window_days` suppress. A bounce of a message that was counted
  already (SNS delivers at least once) counts once. Soft bounces about the message rather than
  the address (too large, content or attachment rejected) do not count.
- A complaint of type `not-spam` is the opposite of a complaint and changes nothing.
Both event-publishing messages (`eventType`) and identity notifications (`notificationType`)
are understood.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Callable

from ..aws.dynamo import SubscribersTable
from ..settings import Settings
from ..subscriptions import InvalidInput, normalise_email

HARD, SOFT, COMPLAINT = "hard-bounce", "soft-bounce", "complaint"
_SOFT_SUBTYPES = frozenset({"General", "MailboxFull", ""})
_NOT_COMPLAINTS = frozenset({"not-spam"})


@dataclass(frozen=True)
class Feedback:
    email: str
    kind: str        # hard-bounce | soft-bounce | complaint
    mail_id: str     # the SES message id the feedback is about
    detail: str = ""  # bounce subtype or complaint feedback type, for logs


def feedback_from(message: dict) -> list[Feedback]:
    """What one SES event says about which addresses (pure; unknown events say nothing)."""
    kind = message.get("eventType") or message.get("notificationType") or ""
    mail_id = str((message.get("mail") or {}).get("messageId", ""))
    found: list[Feedback] = []
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        bounce_type, subtype = bounce.get("bounceType", ""), bounce.get("bounceSubType", "")
        if bounce_type == "Permanent":
            what = HARD
        elif bounce_type in ("Transient", "Undetermined") and subtype in _SOFT_SUBTYPES | {"Undetermined"}:
            what = SOFT
        else:
            return []
        recipients = bounce.get("bouncedRecipients") or []
        found = [Feedback(e, what, mail_id, subtype) for e in _addresses(recipients)]
    elif kind == "Complaint":
        complaint = message.get("complaint") or {}
        feedback_type = complaint.get("complaintFeedbackType", "")
        if feedback_type in _NOT_COMPLAINTS:
            return []
        recipients = complaint.get("complainedRecipients") or []
        found = [Feedback(e, COMPLAINT, mail_id, feedback_type or "complaint") for e in _addresses(recipients)]
    return found


def _addresses(recipients: list) -> list[str]:
    emails = []
    for recipient in recipients:
        raw = recipient.get("emailAddress", "") if isinstance(recipient, dict) else ""
        try:
            emails.append(normalise_email(parseaddr(raw)[1] or raw))
        except InvalidInput:
            continue  # not an address we could have stored
    return emails


@dataclass
class Outcome:
    suppressed: list[str] = field(default_factory=list)
    counted: list[tuple[str, int]] = field(default_factory=list)   # (email, soft bounces so far)
    repeated: list[str] = field(default_factory=list)              # a soft bounce counted already


@dataclass
class Bounces:
    settings: Settings
    subscribers: SubscribersTable
    clock: Callable[[], float] = time.time

    def handle(self, message: dict) -> Outcome:
        outcome = Outcome()
        now = self.clock()
        when = dt.datetime.fromtimestamp(now, dt.timezone.utc)
        for item in feedback_from(message):
            if item.kind in (HARD, COMPLAINT):
                self.subscribers.suppress(item.email, reason=f"{item.kind}:{item.detail}", when=when)
                outcome.suppressed.append(item.email)
                continue
            count = self.subscribers.record_soft_bounce(
                item.email, mail_id=item.mail_id or f"unknown-{now}", now=now,
                window=self.settings.soft_bounce_window_days * 86400)
            if count is None:
                outcome.repeated.append(item.email)
            elif count >= self.settings.soft_bounce_limit:
                self.subscribers.suppress(item.email, reason=f"{SOFT}:{count}", when=when)
                outcome.suppressed.append(item.email)
            else:
                outcome.counted.append((item.email, count))
        return outcome
