"""Test helpers for the AWS side: a harness around minutes.aws.emulated.LocalCloud on moto.

Everything goes through boto3 against moto (in-process `mock_aws`, or moto's HTTP server);
nothing here fakes AWS. Events are the real-shaped files in events/ with the bucket, key,
version and sequencer of objects the test really put into the emulated bucket.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import email
import email.policy
import itertools
import json
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from minutes.aws.dynamo import DeliveriesTable, MeetingsTable, SubscribersTable
from minutes.aws.listings import ListingsTable
from minutes.aws.queues import Notifications
from minutes.aws.ses import Mailer
from minutes.aws.emulated import LocalCloud
from minutes.local.demo import sent_messages
from minutes.services.notify import Notifier
from minutes.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EVENTS = REPO / "events"
DATA = REPO / "tests" / "data"
SITE_URL = "https://minutes.example.org"
SENDER = "minutes@example.org"
PARAMETERS = {"SiteUrl": SITE_URL, "SenderAddress": SENDER}
REGION = "us-east-1"

SAMPLE_KEY = "minutes/openxla/2022-09-20-sig-openxla.md"
SAMPLE_PAGE = "openxla/2022-09-20-sig-openxla/index.html"
SAMPLE_FEED_ID = "tag:minutes.example.org,2022:openxla/2022-09-20-sig-openxla"


def sample_minutes() -> bytes:
    return (REPO / "samples" / "2022-09-20-sig-openxla.md").read_bytes()


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def encode_key(key: str) -> str:
    """As S3 writes keys into notifications: URL-encoded, '+' for a space."""
    return urllib.parse.quote_plus(key, safe="/")


def minutes_text(title: str, body: str = "", *, front: str = "") -> bytes:
    """A small but complete set of minutes (long enough not to be a stub)."""
    lines = [f"---\n{front.strip()}\n---\n" if front else "", f"# {title}\n", "",
             "## Attendees", "", "- Ada", "- Grace", "", "## Notes", "",
             body or "We discussed the roadmap and agreed on the next steps.",
             "", "## Action items", "", "- [ ] Ada: write the proposal", ""]
    return "\n".join(lines).encode()


@dataclass
class FakeClock:
    """Injected into Notifier: pacing and back-off advance this clock instead of sleeping."""
    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


class ThrottlingSesV2:
    """A real sesv2 client (to moto) whose sends number `throttled` fail with `code`
    (TooManyRequests by default, as SES answers a burst over the send rate)."""

    def __init__(self, client, throttled: set[int], *, code: str = "TooManyRequestsException",
                 status: int = 429):
        self._client, self._throttled = client, set(throttled)
        self._code, self._status = code, status
        self.attempts = 0

    def send_email(self, **args):
        from botocore.exceptions import ClientError
        self.attempts += 1
        if self.attempts in self._throttled:
            raise ClientError({"Error": {"Code": self._code, "Message": f"{self._code} (injected)"},
                               "ResponseMetadata": {"HTTPStatusCode": self._status}}, "SendEmail")
        return self._client.send_email(**args)

    def __getattr__(self, name):
        return getattr(self._client, name)


@dataclass(frozen=True)
class Notice:
    """One message the ScribeNotifications topic delivered (read from a subscribed queue)."""
    subject: str
    message: str
    attributes: dict


class Harness:
    """A LocalCloud plus the reads and writes the tests need, each through boto3."""

    def __init__(self, cloud: LocalCloud):
        self.cloud = cloud
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.dynamodb = boto3.resource("dynamodb", region_name=REGION)
        self.clock = FakeClock()
        self._sequencer = itertools.count(0x0066F0A6E8D7A3B1C2)
        self._inbox = self._subscribe_scribe_inbox()

    # --- names -------------------------------------------------------------------------

    def ref(self, logical_id: str) -> str:
        return self.cloud.stack.refs[logical_id]

    @property
    def minutes_bucket(self) -> str:
        return self.ref("MinutesBucket")

    @property
    def site_bucket(self) -> str:
        return self.ref("SiteBucket")

    def settings(self, function: str = "NotifyFunction", **changes) -> Settings:
        return dataclasses.replace(Settings.from_env(self.cloud.functions[function].environment),
                                   **changes)

    # --- uploads and S3 events ---------------------------------------------------------

    def next_sequencer(self) -> str:
        return f"{next(self._sequencer):018X}"

    def put(self, key: str, body: bytes) -> dict:
        return self.s3.put_object(Bucket=self.minutes_bucket, Key=key, Body=body)

    def s3_event(self, sample: str, *, key: str, version_id: str | None, sequencer: str,
                 size: int = 0, etag: str = "", encoded_key: str | None = None) -> dict:
        event = copy.deepcopy(load_event(sample))
        record = event["Records"][0]
        record["s3"]["bucket"].update(name=self.minutes_bucket,
                                      arn=f"arn:aws:s3:::{self.minutes_bucket}")
        obj = record["s3"]["object"]
        obj.update(key=encoded_key or encode_key(key), sequencer=sequencer)
        if version_id is None:
            obj.pop("versionId", None)
        else:
            obj["versionId"] = version_id
        if "size" in obj:
            obj.update(size=size, eTag=etag)
        return event

    def put_event(self, key: str, body: bytes, *, sequencer: str | None = None) -> dict:
        """Put the object into MinutesBucket and return the S3 event AWS would send for it."""
        put = self.put(key, body)
        return self.s3_event("s3-put.json", key=key, version_id=put["VersionId"],
                             sequencer=sequencer or self.next_sequencer(), size=len(body),
                             etag=put["ETag"].strip('"'))

    def publish(self, key: str, body: bytes, *, sequencer: str | None = None) -> dict:
        """Upload and invoke PublishFunction with the event; the one verdict it returns."""
        return self.invoke_publish(self.put_event(key, body, sequencer=sequencer))

    def delete_version_event(self, key: str, version_id: str, *, sequencer: str | None = None) -> dict:
        """Delete one version for good (no marker): S3 sends ObjectRemoved:Delete."""
        self.s3.delete_object(Bucket=self.minutes_bucket, Key=key, VersionId=version_id)
        event = self.s3_event("s3-delete.json", key=key, version_id=version_id,
                              sequencer=sequencer or self.next_sequencer())
        event["Records"][0]["eventName"] = "ObjectRemoved:Delete"
        return event

    def delete_event(self, key: str, *, sequencer: str | None = None) -> dict:
        removed = self.s3.delete_object(Bucket=self.minutes_bucket, Key=key)
        assert removed.get("DeleteMarker"), "MinutesBucket is versioned: a delete leaves a marker"
        return self.s3_event("s3-delete.json", key=key, version_id=removed["VersionId"],
                             sequencer=sequencer or self.next_sequencer())

    def invoke_publish(self, event: dict) -> dict:
        result = self.cloud.invoke("PublishFunction", event)
        (verdict,) = result["verdicts"]
        return verdict

    # --- SQS ---------------------------------------------------------------------------

    def queue_bodies(self, logical_id: str) -> list[dict]:
        """Every message waiting on a queue (received, then made visible again)."""
        url = self.ref(logical_id)
        found: dict[str, dict] = {}
        handles = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                VisibilityTimeout=30).get("Messages", [])
            if not messages:
                break
            for m in messages:
                found[m["MessageId"]] = json.loads(m["Body"])
                handles.append(m["ReceiptHandle"])
        for handle in handles:
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        return list(found.values())

    def queue_depth(self, logical_id: str) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.ref(logical_id), AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + \
            int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def receive_now(self, logical_id: str) -> list[dict]:
        """What one receive gets now (no wait), with attributes; left in flight for the
        queue's visibility timeout, as Lambda's poller leaves them."""
        return self.sqs.receive_message(QueueUrl=self.ref(logical_id), MessageSystemAttributeNames=["All"],
                                        WaitTimeSeconds=0).get("Messages", [])

    def invoke_with_message(self, function: str, logical_id: str, message: dict):
        """Invoke `function` with one received message of its queue, as its event source would."""
        from minutes.aws.emulated import _sqs_record
        arn = self.cloud.stack.attrs[(logical_id, "Arn")]
        return self.cloud.invoke(function, {"Records": [_sqs_record(message, arn)]})

    def take_messages(self, logical_id: str) -> list[dict]:
        """Receive (and delete) every waiting message, as raw SQS messages."""
        url = self.ref(logical_id)
        taken = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"],
                VisibilityTimeout=30).get("Messages", [])
            if not messages:
                return taken
            for m in messages:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            taken += messages

    def sqs_event(self, sample: str, bodies: list[dict], *, queue: str) -> dict:
        """An SQS event shaped like events/<sample>, one record per body."""
        template = load_event(sample)["Records"][0]
        arn = self.cloud.stack.attrs[(queue, "Arn")]
        records = []
        for body in bodies:
            record = copy.deepcopy(template)
            record.update(messageId=str(uuid.uuid4()), body=json.dumps(body), eventSourceARN=arn)
            records.append(record)
        return {"Records": records}

    def drain(self) -> int:
        return self.cloud.drain()

    def redeliver(self, logical_id: str) -> int:
        """At-least-once delivery: the function gets the waiting messages of a queue (its event
        source), and they stay on the queue (as when the visibility timeout runs out before the
        delete), so the next drain delivers them again. Returns how many were delivered."""
        from minutes.aws.emulated import _sqs_record
        url = self.ref(logical_id)
        for fn in self.cloud.functions.values():
            for trigger in fn.sqs_triggers:
                if trigger.queue_url != url:
                    continue
                messages = self.sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=min(trigger.batch_size, 10),
                    MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
                if messages:
                    try:
                        self.cloud.invoke(fn.name, {"Records": [_sqs_record(m, trigger.queue_arn)
                                                                for m in messages]})
                    finally:
                        for m in messages:
                            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"],
                                                               VisibilityTimeout=0)
                return len(messages)
        raise KeyError(f"no function reads {logical_id}")

    # --- tables ------------------------------------------------------------------------

    def table(self, logical_id: str):
        return self.dynamodb.Table(self.ref(logical_id))

    def items(self, logical_id: str) -> list[dict]:
        """Every item of a table: a Scan answers a page (1 MB) at a time."""
        table, args, items = self.table(logical_id), {"ConsistentRead": True}, []
        while True:
            page = table.scan(**args)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def meeting_item(self, group: str, meeting: str) -> dict | None:
        return self.table("MeetingsTable").get_item(
            Key={"group": group, "meeting": meeting}, ConsistentRead=True).get("Item")

    def meetings(self) -> MeetingsTable:
        return MeetingsTable(self.table("MeetingsTable"))

    def subscribe(self, email_address: str, groups: list[str], *, status: str = "confirmed") -> None:
        import datetime as dt
        now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc).isoformat()
        for group in groups:
            self.table("SubscribersTable").put_item(Item={
                "group": group, "email": email_address, "status": status, "created_at": now,
                **({"confirmed_at": now} if status == "confirmed" else {})})

    # --- site --------------------------------------------------------------------------

    def site_keys(self) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.site_bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def site_contents(self) -> dict[str, bytes]:
        """Every SiteBucket object's bytes, by key."""
        return {key: self.site_object(key)["Body"].read() for key in self.site_keys()}

    def source_objects(self) -> dict[str, bytes]:
        """The current version of every object under minutes/ in MinutesBucket, by key."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.minutes_bucket,
                                                                  Prefix="minutes/")
        return {item["Key"]: self.s3.get_object(Bucket=self.minutes_bucket, Key=item["Key"])["Body"].read()
                for page in pages for item in page.get("Contents", [])}

    def site_object(self, key: str) -> dict:
        return self.s3.get_object(Bucket=self.site_bucket, Key=key)

    def site_text(self, key: str) -> str:
        return self.site_object(key)["Body"].read().decode()

    def sitemap_urls(self) -> set[str]:
        """Every URL the sitemaps list (following the sitemap index)."""
        from .sitemaps import sitemap_urls
        return sitemap_urls(self.site_text, SITE_URL)

    def site_etags(self) -> dict[str, tuple[str, object]]:
        """key -> (ETag, LastModified) of every site object: what changed between two calls."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.site_bucket)
        return {item["Key"]: (item["ETag"], item["LastModified"])
                for page in pages for item in page.get("Contents", [])}

    def site_versions(self) -> dict[str, int]:
        """key -> how many times it was written (needs versioning on: see version_site())."""
        counts: dict[str, int] = {}
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=self.site_bucket):
            for version in page.get("Versions", []):
                counts[version["Key"]] = counts.get(version["Key"], 0) + 1
        return counts

    def version_site(self) -> None:
        """Keep every write to SiteBucket as a version, so a test can see what was rewritten."""
        self.s3.put_bucket_versioning(Bucket=self.site_bucket,
                                      VersioningConfiguration={"Status": "Enabled"})

    def report(self, key: str) -> tuple[dict, str]:
        base = "reports/" + key
        data = self.s3.get_object(Bucket=self.minutes_bucket, Key=base + ".json")["Body"].read()
        text = self.s3.get_object(Bucket=self.minutes_bucket, Key=base + ".txt")["Body"].read()
        return json.loads(data), text.decode()

    def report_status(self, key: str) -> str | None:
        """The status in a key's last report (an encoded event key is decoded), or None."""
        from minutes.keys import decode_event_key
        try:
            return self.report(decode_event_key(key))[0]["status"]
        except self.s3.exceptions.NoSuchKey:
            return None

    def tags(self, key: str, version_id: str) -> dict[str, str]:
        found = self.s3.get_object_tagging(Bucket=self.minutes_bucket, Key=key, VersionId=version_id)
        return {t["Key"]: t["Value"] for t in found["TagSet"]}

    # --- SNS and SES -------------------------------------------------------------------

    def _subscribe_scribe_inbox(self) -> str:
        url = self.sqs.create_queue(QueueName="test-scribe-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=self.ref("ScribeNotificationsTopic"), Protocol="sqs", Endpoint=arn)
        return url

    def scribe_notices(self) -> list[Notice]:
        """Notices published to ScribeNotifications since the last call."""
        notices = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self._inbox, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return notices
            for m in messages:
                envelope = json.loads(m["Body"])
                notices.append(Notice(envelope.get("Subject", ""), envelope["Message"],
                                      {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}))
                self.sqs.delete_message(QueueUrl=self._inbox, ReceiptHandle=m["ReceiptHandle"])

    def indexer(self):
        """An Indexer built as runtime.indexer() builds it, whose SiteStore the test can read."""
        from minutes.aws.s3 import SiteStore
        from minutes.pages import PageRenderer, SiteConfig
        from minutes.services.index import Indexer
        s = self.settings("IndexFunction")
        return Indexer(meetings=MeetingsTable(self.dynamodb.Table(s.meetings_table)),
                       listings=ListingsTable(self.dynamodb.Table(s.listings_table)),
                       site=SiteStore(self.s3, s.site_bucket),
                       renderer=PageRenderer(SiteConfig(site_url=s.site_url,
                                                        subscribe_url=s.subscriptions_url or None)))

    def notifier(self, *, mailer: Mailer | None = None, **settings) -> Notifier:
        """A Notifier built from NotifyFunction's own settings, on this harness's fake clock."""
        s = self.settings("NotifyFunction", **settings)
        if s.token_secret_name and "token_secret" not in settings:  # as runtime reads it
            secret = boto3.client("secretsmanager", region_name=REGION).get_secret_value(
                SecretId=s.token_secret_name)["SecretString"]
            s = dataclasses.replace(s, token_secret=secret)
        return Notifier(
            settings=s, meetings=MeetingsTable(self.dynamodb.Table(s.meetings_table)),
            subscribers=SubscribersTable(self.dynamodb.Table(s.subscribers_table)),
            deliveries=DeliveriesTable(self.dynamodb.Table(s.deliveries_table)),
            queue=Notifications(self.sqs, s.notifications_queue_url),
            mailer=mailer or Mailer(boto3.client("sesv2", region_name=REGION),
                                    boto3.client("ses", region_name=REGION),
                                    configuration_set=s.mail_configuration_set or None),
            sleep=self.clock.sleep, monotonic=self.clock.monotonic)


def outbox() -> list[email.message.EmailMessage]:
    """Every email moto's SES accepted, parsed as a mail client would."""
    parsed = []
    for message in sent_messages():
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
            parsed.append(email.message_from_bytes(data, policy=email.policy.default))
    return parsed


def recipients(messages) -> list[str]:
    return sorted(str(m["To"]) for m in messages)


@contextlib.contextmanager
def local_stack():
    """The stack template.yaml declares, on moto (inside fake credentials: aws_environment),
    with a Notifier on a fake clock; for a fixture, or for each example of a Hypothesis test
    (a fresh stack per example)."""
    from moto import mock_aws

    from minutes import runtime
    with mock_aws():
        runtime.reset()
        harness = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        runtime.provide(notifier=harness.notifier())
        try:
            yield harness
        finally:
            runtime.reset()
