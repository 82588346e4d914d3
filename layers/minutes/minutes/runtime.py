"""Composition root for the Lambda functions: settings + adapters + services, built once per
container (cached) from the environment template.yaml sets. Tests call `reset()`."""
from __future__ import annotations

import functools

from .aws import clients
from .aws.dynamo import DeliveriesTable, MeetingsTable, SubscribersTable
from .aws.queues import Notifications, SiteUpdates
from .aws.s3 import MinutesStore, SiteStore
from .aws.ses import Mailer
from .aws.sns import ScribeNotices
from .pages import PageRenderer, SiteConfig
from .settings import Settings


@functools.cache
def settings() -> Settings:
    return Settings.from_env(required=("minutes_bucket", "site_bucket", "meetings_table"))


def _table(name: str):
    return clients.resource("dynamodb").Table(name)


def _renderer() -> PageRenderer:
    return PageRenderer(SiteConfig(site_url=settings().site_url,
                                   subscribe_url=settings().subscriptions_url or None))


@functools.cache
def publisher():
    from .services.publish import Publisher
    s = settings()
    return Publisher(
        settings=s, minutes=MinutesStore(clients.client("s3"), s.minutes_bucket),
        site=SiteStore(clients.client("s3"), s.site_bucket), meetings=MeetingsTable(_table(s.meetings_table)),
        site_updates=SiteUpdates(clients.client("sqs"), s.site_updates_queue_url),
        notifications=Notifications(clients.client("sqs"), s.notifications_queue_url),
        notices=ScribeNotices(clients.client("sns"), s.scribe_topic_arn), renderer=_renderer())


@functools.cache
def indexer():
    from .services.index import Indexer
    s = settings()
    return Indexer(meetings=MeetingsTable(_table(s.meetings_table)),
                   site=SiteStore(clients.client("s3"), s.site_bucket), renderer=_renderer())


@functools.cache
def notifier():
    from .services.notify import Notifier
    s = settings()
    return Notifier(settings=s, meetings=MeetingsTable(_table(s.meetings_table)),
                    subscribers=SubscribersTable(_table(s.subscribers_table)),
                    deliveries=DeliveriesTable(_table(s.deliveries_table)),
                    queue=Notifications(clients.client("sqs"), s.notifications_queue_url),
                    mailer=Mailer(clients.client("sesv2"), clients.client("ses")))


def reset() -> None:
    for factory in (settings, publisher, indexer, notifier):
        factory.cache_clear()
    clients.reset()
