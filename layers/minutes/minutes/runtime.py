"""Composition root for the Lambda functions: settings + adapters + services, built once per
container (cached) from the environment template.yaml sets.

Nothing here is imported before a factory first runs: a handler's cold start pays for boto3,
the adapters and the services only when its path needs them (tests/unit/test_cold_start.py).

Tests may hand in ready-made services with `provide(notifier=Notifier(...))` (for example a
Notifier whose mailer is throttled, or whose clock does not really sleep); `reset()` forgets
everything, including what was provided.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from .aws import clients
from .settings import Settings

if TYPE_CHECKING:
    from .aws.ses import Mailer
    from .pages import PageRenderer

_SERVICES = frozenset({"publisher", "indexer", "notifier", "subscriptions", "bounces", "digester"})
_provided: dict[str, object] = {}


@functools.cache
def settings() -> Settings:
    return Settings.from_env(required=("minutes_bucket", "site_bucket", "meetings_table"))


def _table(name: str):
    return clients.resource("dynamodb").Table(name)


def _renderer() -> PageRenderer:
    from .pages import PageRenderer, SiteConfig
    return PageRenderer(SiteConfig(site_url=settings().site_url,
                                   subscribe_url=settings().subscriptions_url or None))


@functools.cache
def publisher():
    if "publisher" in _provided:
        return _provided["publisher"]
    from .aws.dynamo import MeetingsTable
    from .aws.listings import ListingsTable
    from .aws.queues import Notifications, SiteUpdates
    from .aws.s3 import MinutesStore, SiteStore
    from .aws.sns import ScribeNotices
    from .services.publish import Publisher
    s = settings()
    return Publisher(
        settings=s, minutes=MinutesStore(clients.client("s3"), s.minutes_bucket),
        site=SiteStore(clients.client("s3"), s.site_bucket), meetings=MeetingsTable(_table(s.meetings_table)),
        listings=ListingsTable(_table(s.listings_table)),
        site_updates=SiteUpdates(clients.client("sqs"), s.site_updates_queue_url),
        notifications=Notifications(clients.client("sqs"), s.notifications_queue_url),
        notices=ScribeNotices(clients.client("sns"), s.scribe_topic_arn), renderer=_renderer())


@functools.cache
def indexer():
    if "indexer" in _provided:
        return _provided["indexer"]
    from .aws.dynamo import MeetingsTable
    from .aws.listings import ListingsTable
    from .aws.s3 import SiteStore
    from .services.index import Indexer
    s = settings()
    return Indexer(meetings=MeetingsTable(_table(s.meetings_table)),
                   listings=ListingsTable(_table(s.listings_table)),
                   site=SiteStore(clients.client("s3"), s.site_bucket), renderer=_renderer())


@functools.cache
def notifier():
    if "notifier" in _provided:
        return _provided["notifier"]
    from .aws.dynamo import DeliveriesTable, MeetingsTable, SubscribersTable
    from .aws.queues import Notifications
    from .services.notify import Notifier
    s = settings()
    return Notifier(settings=_with_token_secret(s), meetings=MeetingsTable(_table(s.meetings_table)),
                    subscribers=SubscribersTable(_table(s.subscribers_table)),
                    deliveries=DeliveriesTable(_table(s.deliveries_table)),
                    queue=Notifications(clients.client("sqs"), s.notifications_queue_url),
                    mailer=mailer())


def provide(**services) -> None:
    """Serve these instances instead of building them (publisher, indexer, notifier)."""
    unknown = set(services) - _SERVICES
    if unknown:
        raise TypeError(f"cannot provide {', '.join(sorted(unknown))}; only {', '.join(sorted(_SERVICES))}")
    _provided.update(services)
    _clear_caches()


def reset(*, keep_provided: bool = False) -> None:
    """Forget the cached settings, services and clients (and what was provided, unless kept)."""
    if not keep_provided:
        _provided.clear()
    _clear_caches()


def _clear_caches() -> None:
    for factory in (settings, publisher, indexer, notifier, *_SUBSCRIPTION_FACTORIES):
        factory.cache_clear()
    clients.reset()


# --- subscriptions, bounces, digest (issue 6) ----------------------------------------------


@functools.cache
def secrets():
    from .aws.parameters import SecretReader
    return SecretReader(ssm=clients.client("ssm"), secretsmanager=clients.client("secretsmanager"))


def token_secret() -> str:
    """The link-signing secret: read through Powertools parameters (cached) when TOKEN_SECRET_NAME
    names one, else TOKEN_SECRET (local runs)."""
    s = settings()
    return secrets().get(s.token_secret_name) if s.token_secret_name else s.token_secret


def _with_token_secret(s: Settings) -> Settings:
    import dataclasses
    return dataclasses.replace(s, token_secret=token_secret()) if s.token_secret_name else s


@functools.cache
def mailer() -> Mailer:
    """SESv2 sends through the configuration set (bounce and complaint events -> BouncesFunction)."""
    from .aws.ses import Mailer
    return Mailer(clients.client("sesv2"), clients.client("ses"),
                  configuration_set=settings().mail_configuration_set or None)


@functools.cache
def subscriptions():
    if "subscriptions" in _provided:
        return _provided["subscriptions"]
    from .aws.dynamo import SubscribersTable
    from .aws.listings import ListingsTable
    from .services.subscriptions import Subscriptions
    s = settings()
    return Subscriptions(settings=s, subscribers=SubscribersTable(_table(s.subscribers_table)),
                         listings=ListingsTable(_table(s.listings_table)), mailer=mailer(),
                         secret=token_secret)


@functools.cache
def bounces():
    if "bounces" in _provided:
        return _provided["bounces"]
    from .aws.dynamo import SubscribersTable
    from .services.bounces import Bounces
    s = settings()
    return Bounces(settings=s, subscribers=SubscribersTable(_table(s.subscribers_table)))


@functools.cache
def digester():
    if "digester" in _provided:
        return _provided["digester"]
    from .aws.dynamo import DeliveriesTable, MeetingsDirectory, MeetingsTable, SubscribersTable
    from .aws.queues import DigestQueue
    from .services.digest import Digester
    s = settings()
    return Digester(settings=_with_token_secret(s), meetings=MeetingsTable(_table(s.meetings_table)),
                    directory=MeetingsDirectory(_table(s.meetings_table)),
                    subscribers=SubscribersTable(_table(s.subscribers_table)),
                    deliveries=DeliveriesTable(_table(s.deliveries_table)),
                    queue=DigestQueue(clients.client("sqs"), s.digest_queue_url), mailer=mailer())


_SUBSCRIPTION_FACTORIES = (secrets, mailer, subscriptions, bounces, digester)
