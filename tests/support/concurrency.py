"""Concurrent Lambdas on threads: each thread is one container, with its own boto3 session and
its own services (as two invocations running at once never share a container), all talking to
the same moto server over HTTP.
"""
from __future__ import annotations

import concurrent.futures
import threading

import boto3

from minutes import runtime

from tests.support.models import sharing_models


def atomic_dynamodb(monkeypatch) -> None:
    """DynamoDB applies each request to an item atomically: a conditional write cannot
    interleave with another write. moto's server runs requests on threads without that
    guarantee, so two conditional claims could both succeed there and never on AWS. Serialise
    moto's DynamoDB requests (S3, SQS and the handlers still run concurrently)."""
    from moto.dynamodb.responses import DynamoHandler
    lock = threading.Lock()
    call_action = DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            return call_action(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)


class PerThread:
    """Stands in for a service: each thread gets its own, built on first use (a container)."""

    def __init__(self, build):
        self._build, self._local = build, threading.local()

    def __getattr__(self, name):
        if not hasattr(self._local, "service"):
            self._local.service = self._build(container_session())
        return getattr(self._local.service, name)


def container_session() -> boto3.session.Session:
    """A boto3 session of its own (its own clients, connections and credentials), reading the
    service models (botocore's JSON files, the same in every container) through one shared
    loader: parsing them again per thread cost ~0.16 s of CPU each, not concurrency."""
    return sharing_models(boto3.session.Session())


def publisher(session):
    """What runtime.publisher() builds, on this container's own clients."""
    from minutes.aws.dynamo import MeetingsTable
    from minutes.aws.listings import ListingsTable
    from minutes.aws.queues import Notifications, SiteUpdates
    from minutes.aws.s3 import MinutesStore, SiteStore
    from minutes.aws.sns import ScribeNotices
    from minutes.pages import PageRenderer, SiteConfig
    from minutes.services.publish import Publisher
    s = runtime.settings()
    s3, sqs = session.client("s3"), session.client("sqs")
    return Publisher(
        settings=s, minutes=MinutesStore(s3, s.minutes_bucket), site=SiteStore(s3, s.site_bucket),
        meetings=MeetingsTable(session.resource("dynamodb").Table(s.meetings_table)),
        listings=ListingsTable(session.resource("dynamodb").Table(s.listings_table)),
        site_updates=SiteUpdates(sqs, s.site_updates_queue_url),
        notifications=Notifications(sqs, s.notifications_queue_url),
        notices=ScribeNotices(session.client("sns"), s.scribe_topic_arn),
        renderer=PageRenderer(SiteConfig(site_url=s.site_url, subscribe_url=s.subscriptions_url or None)))


def bounces(session):
    from minutes.aws.dynamo import SubscribersTable
    from minutes.services.bounces import Bounces
    s = runtime.settings()
    return Bounces(settings=s, subscribers=SubscribersTable(session.resource("dynamodb").Table(s.subscribers_table)))


def at_once(cloud, function: str, events: list[dict]) -> list:
    """Invoke one function's handler with every event at the same moment, one thread each
    (a barrier releases them together). Returns the results in order; an exception is
    returned, not raised, so the caller sees every outcome."""
    cloud.prepare(function)
    start = threading.Barrier(len(events))

    def run(event):
        start.wait()
        try:
            return cloud.invoke(function, event)
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            return exc

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(run, events))
