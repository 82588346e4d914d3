"""Loading an archive of N meetings into the emulated stack fast, for the scale bench only.

What is loaded is what the product makes: the Meetings items from `dynamo.item_from_record`
(tests/support/scale.seed), the Listings table from `ListingsTable.load` and every site file from
`Indexer.rebuild(records)` through `SiteStore`. Only the last step of each write, the boto3 round
trip into moto, is skipped: batch writes of the two tables and the site's PutObjects are handed
straight to moto's backends (`moto_loading`). That round trip (botocore's validation,
serialisation and signing, moto's parsing and its answer) costs about 1 ms per item and 7 ms per
PutObject, so loading 10,000 meetings (~80,000 items, ~40,000 site files) took longer than
everything the bench measures; straight into the backend it is ~0.4 ms each. Reads and every
call of the publish that is measured go through boto3 as before.

tests/integration/test_moto_scale.py loads a small archive both ways and asserts the same tables
(every item) and the same site bucket (every key, its bytes, ETag, content type and cache
control).
"""
from __future__ import annotations

import contextlib
import threading

from boto3.dynamodb.types import TypeSerializer


class _BackendBatch:
    """boto3's batch_writer, writing each item into moto's table at once."""

    def __init__(self, backend, name: str):
        self._backend, self._name, self._serialise = backend, name, TypeSerializer().serialize

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def put_item(self, *, Item: dict) -> None:   # noqa: N803 (boto3's argument name)
        self._backend.put_item(self._name, {k: self._serialise(v) for k, v in Item.items()})

    def delete_item(self, *, Key: dict) -> None:   # noqa: N803
        self._backend.delete_item(self._name, {k: self._serialise(v) for k, v in Key.items()})


class DirectTable:
    """A boto3 Table whose batch writes go straight into moto's backend (everything else is the
    Table's own)."""

    def __init__(self, table, backend):
        self._table, self._backend = table, backend

    def batch_writer(self, **_):
        return _BackendBatch(self._backend, self._table.name)

    def __getattr__(self, name):
        return getattr(self._table, name)


class DirectS3:
    """A boto3 S3 client whose PutObject goes straight into moto's backend, with the metadata
    moto's own PutObject keeps (content type, cache control); every other call is the client's."""

    def __init__(self, client, backend):
        self._client, self._backend = client, backend
        self._lock = threading.Lock()   # SiteStore.put_many writes from a few threads

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str,  # noqa: N803
                   CacheControl: str, ContentMD5: str | None = None) -> dict:
        with self._lock:
            bucket = self._backend.get_bucket(Bucket)
            stored = self._backend.put_object(Bucket, Key, Body)
            stored.set_metadata({"Content-Type": ContentType, "Cache-Control": CacheControl})
            stored.set_acl(bucket.acl)
        return {"ETag": stored.etag}

    def __getattr__(self, name):
        return getattr(self._client, name)


@contextlib.contextmanager
def moto_loading(stack):
    """(table(logical_id), s3): the stack's tables and site client, writing straight into moto."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends
    region = stack.dynamodb.meta.client.meta.region_name
    dynamodb = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    s3 = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    yield (lambda logical_id: DirectTable(stack.table(logical_id), dynamodb)), DirectS3(stack.s3, s3)


def load_archive(stack, records) -> None:
    """The stack as N publishes and then `Indexer.rebuild()` would leave it: the records in the
    Meetings table, the Listings projection, every site file."""
    from minutes.aws.listings import ListingsTable
    from minutes.aws.s3 import SiteStore
    from minutes.services.index import Indexer

    from tests.support.scale import seed
    with moto_loading(stack) as (table, s3):
        seed(table("MeetingsTable"), records)
        usual = stack.indexer()
        Indexer(meetings=usual.meetings, listings=ListingsTable(table("ListingsTable")),
                site=SiteStore(s3, stack.settings("IndexFunction").site_bucket),
                renderer=usual.renderer).rebuild(records)
