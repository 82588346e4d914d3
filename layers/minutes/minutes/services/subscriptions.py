"""Subscribe (double opt-in), confirm, unsubscribe, preferences: the use cases behind the API.

- Subscribing never says whether an address was known: whatever the state (new, pending,
  confirmed, suppressed, in the cooldown), the caller gets the same answer. Only the owner of the
  address learns more, through the email.
- A confirmation email goes out at most once per cooldown per address (a conditional write on
  the address's state item), never to a suppressed address, and only for groups that still need
  confirming.
- Links carry signed tokens bound to a purpose and an address (minutes.tokens): `confirm`
  tokens expire (settings.confirm_token_days), `unsubscribe` tokens never do, because old emails
  must keep working; an unsubscribe token also opens the preferences page of its address.
- Reading a link's page never changes anything; only the POST from its one button does.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from ..settings import Settings
from ..subscriptions import EVERY_GROUP, Subscription
from ..tokens import CONFIRM, UNSUBSCRIBE, InvalidLink, InvalidToken, make_token, read_token

if TYPE_CHECKING:
    from ..subscription_requests import PreferencesRequest, SubscribeRequest
    from ..aws.dynamo import SubscribersTable
    from ..aws.listings import ListingsTable
    from ..aws.ses import Mailer

GROUPS_MAX_AGE = 300  # seconds the list of known groups is reused


@dataclass(frozen=True)
class Links:
    """The public URLs of the API (behind the site's /api, or the API's own endpoint)."""
    base: str

    def confirm(self, token: str) -> str:
        return f"{self.base}/confirm?token={token}"

    def unsubscribe(self, token: str) -> str:
        return f"{self.base}/unsubscribe?token={token}"

    def preferences(self, token: str) -> str:
        return f"{self.base}/preferences?token={token}"


@dataclass(frozen=True)
class Preferences:
    email: str
    subscription: Subscription
    known_groups: tuple[str, ...]
    manage_token: str

    @property
    def every_group(self) -> bool:
        return EVERY_GROUP in self.subscription.confirmed

    @property
    def choices(self) -> list[tuple[str, bool]]:
        """(group, chosen) for every group worth showing: known ones and the address's own."""
        mine = set(self.subscription.confirmed) - {EVERY_GROUP}
        return [(g, g in mine) for g in sorted(set(self.known_groups) | mine)]


@dataclass
class Subscriptions:
    settings: Settings
    subscribers: SubscribersTable
    listings: ListingsTable   # the groups to offer: one query, never a scan of the archive
    mailer: Mailer
    secret: Callable[[], str]
    clock: Callable[[], float] = time.time
    logger: object = None
    _groups: tuple[float, tuple[str, ...]] | None = field(default=None, repr=False)

    @property
    def links(self) -> Links:
        return Links(self.settings.api_url)

    # --- subscribe -----------------------------------------------------------------------

    def subscribe(self, request: SubscribeRequest) -> str:
        """Store the wish and send a confirmation email when one is due. The outcome is for
        logs and metrics only: callers must answer every request the same way."""
        email = request.email
        current = self.subscribers.subscription(email)
        if current.suppressed:
            return "suppressed"
        missing = current.needs_confirmation(request.groups)
        if not missing:
            return "already-confirmed"
        now = self.clock()
        token_expires = int(now + self.settings.confirm_token_days * 86400)
        self.subscribers.add_pending(email, missing, mode=request.mode, when=_utc(now),
                                     expires_at=token_expires + 86400)
        if not self.subscribers.claim_confirmation_email(
                email, now=now, cooldown=self.settings.confirm_cooldown_seconds,
                expires_at=token_expires + 86400):
            return "cooldown"
        from ..aws.ses import MailError  # only subscribing sends mail: imported when it does
        from ..mail import InvalidRecipient, confirmation_email
        try:
            message = confirmation_email(
                recipient=email, sender=self.settings.sender_address,
                confirm_url=self.links.confirm(make_token(self.secret(), purpose=CONFIRM, email=email,
                                                          expires_at=token_expires)),
                site_url=self.settings.site_url, list_domain=self.settings.site_host,
                groups=tuple(missing), mode=request.mode, expires=_utc(token_expires), when=_utc(now))
            self.mailer.send(message, sender=self.settings.sender_address, recipient=email)
        except (MailError, InvalidRecipient) as exc:
            # Same answer to the caller; the cooldown is released so a retry can send.
            self.subscribers.release_confirmation_email(email)
            if self.logger:
                self.logger.warning("confirmation email not sent",
                                    extra={"error": getattr(exc, "code", type(exc).__name__)})
            return "not-sent"
        return "sent"

    # --- links ---------------------------------------------------------------------------

    def address(self, token: str, purpose: str) -> str:
        secret = self.secret()
        try:
            return read_token(secret, token, purpose=purpose, now=self.clock())
        except InvalidToken:
            try:  # the same token, ignoring time: valid then means it expired
                read_token(secret, token, purpose=purpose, now=0)
            except InvalidToken:
                raise InvalidLink(purpose, expired=False) from None
            raise InvalidLink(purpose, expired=True) from None

    def manage_token(self, email: str) -> str:
        return make_token(self.secret(), purpose=UNSUBSCRIBE, email=email)

    def pending(self, token: str) -> Subscription:
        """What confirming would confirm (GET /confirm: reads only)."""
        return self.subscribers.subscription(self.address(token, CONFIRM))

    def confirm(self, token: str) -> tuple[str, list[str]]:
        email = self.address(token, CONFIRM)
        if self.subscribers.is_suppressed(email):
            return email, []
        return email, self.subscribers.confirm(email, when=_utc(self.clock()))

    def unsubscribe(self, token: str) -> str:
        email = self.address(token, UNSUBSCRIBE)
        self.subscribers.unsubscribe(email, when=_utc(self.clock()))
        return email

    def preferences(self, token: str) -> Preferences:
        email = self.address(token, UNSUBSCRIBE)
        return Preferences(email, self.subscribers.subscription(email), self.known_groups(), token)

    def save_preferences(self, token: str, request: PreferencesRequest) -> Preferences:
        email = self.address(token, UNSUBSCRIBE)
        if not self.subscribers.is_suppressed(email):
            self.subscribers.set_choice(email, request.groups, mode=request.mode, when=_utc(self.clock()))
        return self.preferences(token)

    def known_groups(self) -> tuple[str, ...]:
        now = self.clock()
        if self._groups is None or self._groups[0] < now - GROUPS_MAX_AGE:
            self._groups = (now, tuple(self.listings.groups()))
        return self._groups[1]


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
