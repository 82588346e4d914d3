"""DynamoDB adapters: Meetings (records, ordering by S3 sequencer, the announced mark),
Subscribers and Deliveries (exactly-once sends). Key schemas are in docs/architecture.md.
"""
from __future__ import annotations

import datetime as dt
import gzip
import time

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from ..model import Attachment, Heading, MeetingRecord

DELIVERY_TTL = dt.timedelta(days=30)


def normalise_sequencer(sequencer: str) -> str:
    """S3 sequencers compare as hex after right-padding the shorter one with zeros."""
    return sequencer.upper().ljust(32, "0")


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


class MeetingsTable:
    def __init__(self, table):
        self._table = table

    def get(self, group: str, meeting: str) -> MeetingRecord | None:
        item = self._table.get_item(Key={"group": group, "meeting": meeting},
                                    ConsistentRead=True).get("Item")
        return record_from_item(item) if item else None

    def group(self, group: str) -> list[MeetingRecord]:
        return [record_from_item(i) for i in self._query(KeyConditionExpression=Key("group").eq(group))]

    def all(self) -> list[MeetingRecord]:
        items, args = [], {}
        while True:
            page = self._table.scan(**args)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return [record_from_item(i) for i in items]
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def upsert(self, record: MeetingRecord, *, key: str, sequencer: str) -> MeetingRecord | None:
        """Write the record unless a later event for `key` already won. Returns what is stored
        (feed id and first publication are kept from the first write), or None when stale."""
        item = item_from_record(record)
        keep_first = {"feed_id", "published"}
        names = {"#seq": f"seq:{key}"}
        values = {":seq": normalise_sequencer(sequencer)}
        sets = ["#seq = :seq"]
        for n, (attr, value) in enumerate(sorted(item.items())):
            if attr in ("group", "meeting"):
                continue
            names[f"#a{n}"] = attr
            values[f":v{n}"] = value
            sets.append(f"#a{n} = if_not_exists(#a{n}, :v{n})" if attr in keep_first
                        else f"#a{n} = :v{n}")
        removed = [attr for attr in ("time", "timezone") if attr not in item]
        for n, attr in enumerate(removed):
            names[f"#r{n}"] = attr
        expression = "SET " + ", ".join(sets)
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removed)))
        try:
            stored = self._table.update_item(
                Key={"group": record.group, "meeting": record.meeting},
                UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
                ConditionExpression="attribute_not_exists(#seq) OR #seq <= :seq")
        except ClientError as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return record_from_item(stored["Attributes"])

    def mark_removed(self, group: str, meeting: str, *, key: str, sequencer: str,
                     when: dt.datetime) -> bool:
        """Tombstone, not delete: the announced mark must outlive the page (no second email)."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting},
                UpdateExpression="SET #seq = :seq, #status = :removed, #updated = :when",
                ConditionExpression="attribute_exists(#meeting) AND "
                                    "(attribute_not_exists(#seq) OR #seq <= :seq)",
                ExpressionAttributeNames={"#seq": f"seq:{key}", "#status": "status",
                                          "#updated": "updated", "#meeting": "meeting"},
                ExpressionAttributeValues={":seq": normalise_sequencer(sequencer),
                                           ":removed": "removed", ":when": when.isoformat()})
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def claim_announcement(self, group: str, meeting: str, *, sequencer: str,
                           when: dt.datetime) -> bool:
        """True once per meeting, for ever (and again only for a retry of the same event)."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting},
                UpdateExpression="SET announced_at = :when, announce_seq = :seq",
                ConditionExpression="attribute_exists(#meeting) AND "
                                    "(attribute_not_exists(announced_at) OR announce_seq = :seq)",
                ExpressionAttributeNames={"#meeting": "meeting"},
                ExpressionAttributeValues={":when": when.isoformat(),
                                           ":seq": normalise_sequencer(sequencer)})
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def segments(self, group: str) -> dict[str, str]:
        """URL segment -> meeting, for every meeting of a group (removed ones keep theirs)."""
        items = self._query(KeyConditionExpression=Key("group").eq(group),
                            ProjectionExpression="#m, #s",
                            ExpressionAttributeNames={"#m": "meeting", "#s": "segment"})
        return {i["segment"]: i["meeting"] for i in items if "segment" in i}

    def _query(self, **args) -> list[dict]:
        items = []
        while True:
            page = self._table.query(**args)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def item_from_record(record: MeetingRecord) -> dict:
    item = {
        "group": record.group, "meeting": record.meeting, "segment": record.segment,
        "title": record.title, "date": record.date.isoformat(), "status": record.status,
        "summary": record.summary, "content_gz": gzip.compress(record.content_html.encode(), mtime=0),
        "headings": [{"level": h.level, "anchor": h.anchor, "text": h.text} for h in record.headings],
        "attendees": list(record.attendees), "tags": list(record.tags),
        "attachments": [{"name": a.name, "url_path": a.url_path, "content_type": a.content_type,
                         "size": a.size} for a in record.attachments],
        "source_keys": list(record.source_keys), "feed_id": record.feed_id,
        "warnings": list(record.warnings),
    }
    for name in ("time", "timezone"):
        if getattr(record, name):
            item[name] = getattr(record, name)
    for name in ("published", "updated"):
        if getattr(record, name):
            item[name] = getattr(record, name).isoformat()
    return item


def record_from_item(item: dict) -> MeetingRecord:
    content = item.get("content_gz")
    html = gzip.decompress(bytes(content.value if hasattr(content, "value") else content)).decode() if content else ""
    return MeetingRecord(
        group=item["group"], meeting=item["meeting"], segment=item.get("segment", item["meeting"]),
        title=item.get("title", ""), date=dt.date.fromisoformat(item["date"]),
        status=item.get("status", "published"), time=item.get("time"), timezone=item.get("timezone"),
        summary=item.get("summary", ""), content_html=html,
        headings=tuple(Heading(int(h["level"]), h["anchor"], h["text"]) for h in item.get("headings", [])),
        attendees=tuple(item.get("attendees", [])), tags=tuple(item.get("tags", [])),
        attachments=tuple(Attachment(a["name"], a["url_path"], a["content_type"], int(a["size"]))
                          for a in item.get("attachments", [])),
        source_keys=tuple(item.get("source_keys", [])), feed_id=item.get("feed_id", ""),
        published=_datetime(item.get("published")), updated=_datetime(item.get("updated")),
        warnings=tuple(item.get("warnings", [])))


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class SubscribersTable:
    """HASH group, RANGE email; group '*' is every group."""

    EVERY_GROUP = "*"

    def __init__(self, table):
        self._table = table

    def confirmed(self, group: str) -> list[str]:
        emails: set[str] = set()
        for name in (group, self.EVERY_GROUP):
            args = {"KeyConditionExpression": Key("group").eq(name),
                    "FilterExpression": Attr("status").eq("confirmed"),
                    "ProjectionExpression": "#e", "ExpressionAttributeNames": {"#e": "email"}}
            while True:
                page = self._table.query(**args)
                emails.update(i["email"] for i in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(emails)

    def add_confirmed(self, email: str, groups: list[str], *, when: dt.datetime) -> None:
        with self._table.batch_writer() as batch:
            for group in groups:
                batch.put_item(Item={"group": group, "email": email, "status": "confirmed",
                                     "created_at": when.isoformat(), "confirmed_at": when.isoformat()})


class DeliveriesTable:
    """One item per (meeting, subscriber) send, written before the send, expiring in 30 days."""

    def __init__(self, table, *, clock=time.time):
        self._table, self._clock = table, clock

    @staticmethod
    def delivery_id(group: str, meeting: str, email: str) -> str:
        return f"{group}/{meeting}#{email}"

    def claim(self, group: str, meeting: str, email: str) -> bool:
        try:
            self._table.put_item(
                Item={"delivery": self.delivery_id(group, meeting, email), "state": "sending",
                      "expires_at": int(self._clock() + DELIVERY_TTL.total_seconds())},
                ConditionExpression="attribute_not_exists(delivery)")
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def sent(self, group: str, meeting: str, email: str, message_id: str) -> None:
        self._table.update_item(Key={"delivery": self.delivery_id(group, meeting, email)},
                                UpdateExpression="SET #s = :sent, message_id = :id",
                                ExpressionAttributeNames={"#s": "state"},
                                ExpressionAttributeValues={":sent": "sent", ":id": message_id})

    def release(self, group: str, meeting: str, email: str) -> None:
        """The send failed before SES took it: let the retry try again."""
        self._table.delete_item(Key={"delivery": self.delivery_id(group, meeting, email)})
