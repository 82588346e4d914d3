"""bench/moto_scale.py (moto's Query by partition key and its transactions without whole-table
copies, for the scale bench only) answers every Query and transaction exactly as unpatched moto
does: same items in the same order, same counts, same pages, same tables afterwards."""
from __future__ import annotations

import contextlib
import random

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key

from botocore.exceptions import ClientError

from bench.moto_scale import moto_at_scale


@pytest.fixture
def tables(aws_environment):
    from moto import mock_aws
    with mock_aws():
        yield _tables(boto3.resource("dynamodb", region_name="us-east-1"))


def _tables(dynamodb):
    """A table with a range key and two indexes (one sparse, one without a range key), and a
    table with a hash key only, seeded with the same pseudo-random items every time."""
    ranged = dynamodb.create_table(
        TableName="ranged", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "day", "at", "email")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by-day", "Projection": {"ProjectionType": "INCLUDE",
                                                   "NonKeyAttributes": ["status"]},
             "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"},
                           {"AttributeName": "at", "KeyType": "RANGE"}]},
            {"IndexName": "by-email", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}]}])
    plain = dynamodb.create_table(
        TableName="plain", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    draw = random.Random(20261129)
    with ranged.batch_writer() as batch:
        for n in range(600):
            item = {"pk": f"p{draw.randrange(12)}", "sk": f"{draw.randrange(10**6):07d}",
                    "status": draw.choice(["published", "draft", "removed"]),
                    "n": draw.randrange(100), "body": "x" * draw.randrange(2000)}
            if draw.random() < 0.6:   # a sparse index: not every item has its keys
                item["day"], item["at"] = f"d{draw.randrange(5)}", f"{draw.randrange(50):03d}"
            if draw.random() < 0.5:
                item["email"] = f"e{draw.randrange(30)}@x.org"
            batch.put_item(Item=item)
    with plain.batch_writer() as batch:
        for n in range(50):
            batch.put_item(Item={"pk": f"k{n}", "v": n})
    return ranged, plain


QUERIES = [
    {"KeyConditionExpression": Key("pk").eq("p3")},
    {"KeyConditionExpression": Key("pk").eq("p3"), "ScanIndexForward": False},
    {"KeyConditionExpression": Key("pk").eq("p5") & Key("sk").gte("0400000")},
    {"KeyConditionExpression": Key("pk").eq("p5") & Key("sk").lt("0400000"), "ScanIndexForward": False},
    {"KeyConditionExpression": Key("pk").eq("p7") & Key("sk").between("0200000", "0700000")},
    {"KeyConditionExpression": Key("pk").eq("p1") & Key("sk").begins_with("03")},
    {"KeyConditionExpression": Key("pk").eq("p2"), "FilterExpression": Attr("status").eq("draft")},
    {"KeyConditionExpression": Key("pk").eq("p4"), "ProjectionExpression": "sk, n"},
    {"KeyConditionExpression": Key("pk").eq("nobody")},
    {"KeyConditionExpression": Key("pk").eq("p0"), "ConsistentRead": True, "Select": "COUNT"},
    {"IndexName": "by-day", "KeyConditionExpression": Key("day").eq("d2")},
    {"IndexName": "by-day", "KeyConditionExpression": Key("day").eq("d1"), "ScanIndexForward": False},
    {"IndexName": "by-day", "KeyConditionExpression": Key("day").eq("d3") & Key("at").gt("020")},
    {"IndexName": "by-email", "KeyConditionExpression": Key("email").eq("e7@x.org")},
    {"IndexName": "by-email", "KeyConditionExpression": Key("email").eq("e9@x.org"),
     "ScanIndexForward": False},
]


def _pages(table, query: dict, limit: int | None) -> list[dict]:
    """Every page of a Query, following LastEvaluatedKey (the answer without its metadata)."""
    args, pages = dict(query), []
    if limit is not None:
        args["Limit"] = limit
    while True:
        page = table.query(**args)
        pages.append({k: v for k, v in page.items() if k != "ResponseMetadata"})
        if "LastEvaluatedKey" not in page:
            return pages
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.mark.parametrize("limit", [None, 4, 25])
def test_every_query_answers_as_unpatched_moto(tables, limit):
    ranged, plain = tables
    cases = [(ranged, q) for q in QUERIES]
    cases += [(plain, {"KeyConditionExpression": Key("pk").eq(k)}) for k in ("k3", "k49", "none")]
    expected = [_pages(table, query, limit) for table, query in cases]
    with moto_at_scale():
        for (table, query), pages in zip(cases, expected):
            assert _pages(table, query, limit) == pages, query
    # Not vacuous: the queries found items, over several pages when a limit is set.
    assert sum(len(p.get("Items", [])) for pages in expected for p in pages) > 300
    if limit is not None:
        assert max(len(pages) for pages in expected) > 3


def test_the_patch_is_in_place_only_inside_the_block(tables):
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    def patched():
        return (Table.all_items, Table.query, DynamoDBBackend.transact_write_items,
                Table.__dict__.get("__deepcopy__"))
    original = patched()
    with moto_at_scale():
        assert all(a != b for a, b in zip(patched(), original))
    assert patched() == original


def test_a_table_query_reads_only_its_partition(tables, monkeypatch):
    """With the patch, a table Query never lists the whole table (which is what made it slow);
    an index Query still sees every item, as it must."""
    from bench import moto_scale
    ranged, _ = tables
    listed = []
    chosen = moto_scale._partition_items
    monkeypatch.setattr(moto_scale, "_partition_items",
                        lambda *args: listed.append(len(chosen(*args))) or chosen(*args))
    with moto_at_scale():
        ranged.query(KeyConditionExpression=Key("pk").eq("p3"))
        ranged.query(IndexName="by-day", KeyConditionExpression=Key("day").eq("d2"))
    partition = len(ranged.query(KeyConditionExpression=Key("pk").eq("p3"))["Items"])
    assert listed == [partition, 600]


def _transactions(ranged, plain) -> list[list[dict]]:
    """Transactions that commit, that a condition cancels after earlier actions ran, and that
    moto refuses as invalid (one item named twice)."""
    def put(table, item, **more):
        return {"Put": {"TableName": table, "Item": item, **more}}
    return [
        [put("ranged", {"pk": "p3", "sk": "new-1", "n": 1}),
         {"Delete": {"TableName": "ranged", "Key": {"pk": "p5", "sk": _first_sk(ranged, "p5")}}},
         {"Update": {"TableName": "ranged", "Key": {"pk": "p0", "sk": "counter"},
                     "UpdateExpression": "ADD n :d", "ExpressionAttributeValues": {":d": 3}}},
         put("plain", {"pk": "k7", "v": 70})],
        [put("ranged", {"pk": "p3", "sk": "new-2"}),                  # runs, then is taken back
         {"Delete": {"TableName": "ranged", "Key": {"pk": "p6", "sk": _first_sk(ranged, "p6")}}},
         {"Update": {"TableName": "ranged", "Key": {"pk": "p0", "sk": "counter"},
                     "UpdateExpression": "ADD n :d", "ExpressionAttributeValues": {":d": 5}}},
         put("plain", {"pk": "k8", "v": 0}, ConditionExpression="attribute_not_exists(pk)")],
        [put("ranged", {"pk": "p4", "sk": "new-3"}),
         put("ranged", {"pk": "p4", "sk": "new-3", "n": 2})],          # the same item twice
    ]


def _first_sk(table, pk: str) -> str:
    return table.query(KeyConditionExpression=Key("pk").eq(pk), Limit=1)["Items"][0]["sk"]


def _state(ranged, plain) -> list[list[dict]]:
    return [sorted(t.scan()["Items"], key=lambda i: (i["pk"], i.get("sk", ""))) for t in (ranged, plain)]


def _run(client, transactions) -> list[str]:
    outcomes = []
    for actions in transactions:
        try:
            client.transact_write_items(TransactItems=actions)
            outcomes.append("committed")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    return outcomes


def test_transactions_leave_the_tables_as_unpatched_moto_does(aws_environment):
    from moto import mock_aws
    results = []
    for patched in (False, True):
        with mock_aws():
            dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
            ranged, plain = _tables(dynamodb)
            client = dynamodb.meta.client
            transactions = _transactions(ranged, plain)
            with (moto_at_scale() if patched else contextlib.nullcontext()):
                outcomes = _run(client, transactions)
                results.append((outcomes, _state(ranged, plain)))
    assert results[0][0] == ["committed", "TransactionCanceledException", "ValidationException"]
    assert results[1] == results[0]


def _stack_state(stack) -> dict:
    """Every item of the two tables and every object of the site bucket (bytes, ETag, content type, cache control)."""
    state = {}
    for logical_id in ("MeetingsTable", "ListingsTable"):
        table, args, items = stack.table(logical_id), {}, []
        while True:
            page = table.scan(**args)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        state[logical_id] = sorted(items, key=lambda i: repr(sorted(i.items())))
    # The site's objects from moto's store itself (a GET per file would take most of the test).
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_bucket(stack.settings("IndexFunction").site_bucket)
    # (moto also keeps two headers of the request that carried the object: not the object's.)
    objects = {key.name: (key.value, key.etag, key.metadata.get("content-type"),
                          key.metadata.get("cache-control")) for key in bucket.keys.values()}
    state["site"] = objects
    return state


def test_a_bulk_load_leaves_the_stack_as_publish_and_rebuild_do(aws_environment):
    """bench/bulk_load.py writes straight into moto's backends: the same items and site files
    as the boto3 path (seed, then Indexer.rebuild())."""
    from moto import mock_aws

    from bench.bulk_load import load_archive
    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    from tests.support.aws import PARAMETERS, REPO, Harness
    from tests.support.scale import archive, seed
    records = archive(25)
    states = []
    for direct in (False, True):
        with mock_aws():
            runtime.reset()
            stack = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
            if direct:
                load_archive(stack, records)
            else:
                seed(stack.table("MeetingsTable"), records)
                stack.indexer().rebuild()
            states.append(_stack_state(stack))
            runtime.reset()
    assert len(states[0]["MeetingsTable"]) == 25 and len(states[0]["ListingsTable"]) > 100
    # Pages, listings, feeds and the search index (4 term files for 25 meetings: decision 64).
    assert len(states[0]["site"]) > 150 and "search/meta.json" in states[0]["site"]
    for part in ("MeetingsTable", "ListingsTable", "site"):
        assert states[1][part] == states[0][part], part
