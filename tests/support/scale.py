"""An archive of N meetings in the emulated Meetings table, and the AWS calls one publish makes.

Seeding goes straight into the table through the adapter's item shape (batch writes, 25 items a
call), so 10,000 meetings take seconds, not the hours that 10,000 publishes would. The records
carry real rendered minutes (corpus files, assembled once each) under made-up keys: 20 groups
meeting weekly, going back in time, so N = 10,000 is ten years of a large foundation.

CallCounter counts the real boto3 calls of the clients the functions use (botocore `after-call`
hooks on the container's cached clients): per operation, plus the DynamoDB items each call
returned and the read capacity it consumed, and the S3 objects written.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import threading
from dataclasses import dataclass, field

import boto3

from minutes.aws.dynamo import item_from_record
from minutes.feeds import feed_id_for
from minutes.model import MeetingRecord

from .corpus import corpus_files

GROUPS = [f"wg-{n:02d}" for n in range(20)]
NEWEST = dt.date(2025, 6, 2)          # the newest seeded meeting; a new one comes after it
HOST = "minutes.example.org"
SEEDED_AT = dt.datetime(2025, 6, 3, 9, 0, tzinfo=dt.timezone.utc)
_COUNTING = threading.Lock()


@functools.cache
def _rendered() -> tuple[MeetingRecord, ...]:
    """A few dozen real minutes, assembled once: the content every seeded record reuses."""
    from minutes.meeting import SourceFile, assemble
    from minutes.problems import Rejected
    out = []
    for key, path in corpus_files().items():
        if not key.endswith(".md") or len(out) >= 40:
            continue
        try:
            out.append(assemble([SourceFile(key, path.read_bytes())], site_host=HOST).record)
        except Rejected:
            continue
    return tuple(out)


def archive(n: int, *, groups: int = len(GROUPS)) -> list[MeetingRecord]:
    """N listed meetings in `groups` groups: a group's k-th newest meeting is k weeks before
    NEWEST (a few days earlier for some groups, so groups do not all meet on one day)."""
    sources = _rendered()
    records = []
    for i in range(n):
        group, week = GROUPS[i % groups], i // groups
        date = NEWEST - dt.timedelta(weeks=week, days=i % groups % 5)
        meeting = f"{date.isoformat()}-weekly"
        source = sources[i % len(sources)]
        records.append(dataclasses.replace(
            source, group=group, meeting=meeting, segment=meeting, date=date, status="published",
            attachments=(), source_keys=(f"minutes/{group}/{meeting}.md",),
            feed_id=feed_id_for(site_host=HOST, group=group, meeting=meeting, key_date=date,
                                date=date),
            published=SEEDED_AT, updated=SEEDED_AT, warnings=()))
    return records


def seed(table, records: list[MeetingRecord]) -> None:
    """Batch-write the records as publish would have stored them (25 items per call)."""
    with table.batch_writer() as batch:
        for record in records:
            batch.put_item(Item=item_from_record(record))


@dataclass
class CallCounter:
    """Counts the boto3 calls of the functions' clients between start() and stop()."""
    calls: collections.Counter = field(default_factory=collections.Counter)
    items_read: int = 0
    read_capacity: float = 0.0
    _on: bool = False

    def attach(self) -> "CallCounter":
        """Hook the default boto3 session, which every client of the functions comes from
        (the runtime makes clients afresh per function, so hooking one client is not enough)."""
        boto3._get_default_session().events.register(
            "after-call", self._after_call, unique_id=f"call-counter-{id(self)}")
        return self

    def detach(self) -> None:
        boto3._get_default_session().events.unregister(
            "after-call", unique_id=f"call-counter-{id(self)}")

    def start(self) -> None:
        self.calls.clear()
        self.items_read, self.read_capacity, self._on = 0, 0.0, True

    def stop(self) -> "CallCounter":
        self._on = False
        return self

    def _after_call(self, http_response=None, parsed=None, model=None, **_) -> None:
        if not self._on or model is None:
            return
        with _COUNTING:   # the index makes S3 calls from a few threads at once
            self._count(parsed, model)

    def _count(self, parsed, model) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}.{model.name}"] += 1
        if service == "dynamodb" and parsed:
            self.items_read += len(parsed.get("Items", [])) + ("Item" in parsed) + sum(
                len(v) for v in parsed.get("Responses", {}).values())
            for used in _capacities(parsed.get("ConsumedCapacity")):
                self.read_capacity += float(used.get("ReadCapacityUnits")
                                            or used.get("CapacityUnits") or 0)

    def count(self, *operations: str) -> int:
        return sum(n for name, n in self.calls.items() if name.split(".", 1)[1] in operations)

    @property
    def s3_writes(self) -> int:
        return self.count("PutObject", "DeleteObject", "DeleteObjects", "CopyObject")

    @property
    def dynamodb_reads(self) -> int:
        return self.count("GetItem", "BatchGetItem", "Query", "Scan")

    def summary(self) -> str:
        return (f"S3 writes {self.s3_writes}, S3 reads {self.count('HeadObject', 'GetObject', 'ListObjectsV2')}, "
                f"DynamoDB reads {self.dynamodb_reads} ({self.items_read} items), "
                f"DynamoDB writes {self.count('PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems')}")


def _capacities(value) -> list[dict]:
    if not value:
        return []
    return value if isinstance(value, list) else [value]
