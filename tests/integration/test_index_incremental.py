"""The incremental index: after any sequence of events the site bucket holds exactly the files
(and bytes) of a whole build of the surviving records, and one publish makes the same AWS calls
whatever the size of the archive."""
from __future__ import annotations

import contextlib
import json
import os
import random

import pytest

from minutes import runtime, search
from minutes.aws.dynamo import MeetingsTable
from minutes.aws.listings import ListingsTable
from minutes.aws.s3 import SiteStore
from minutes.pages import PageRenderer, SiteConfig
from minutes.services.index import Indexer
from minutes.site import whole_site

from tests.support.aws import PARAMETERS, REPO, SITE_URL, Harness, minutes_text
from tests.support.scale import CallCounter, archive, seed

PER_PAGE, FEED_LIMIT = 3, 4   # small, so a few dozen meetings fill many pages and overflow feeds


def small_indexer(stack: Harness) -> Indexer:
    s = stack.settings("IndexFunction")
    renderer = PageRenderer(SiteConfig(site_url=s.site_url, per_page=PER_PAGE,
                                       subscribe_url=s.subscriptions_url or None))
    return Indexer(meetings=MeetingsTable(stack.table("MeetingsTable")),
                   listings=ListingsTable(stack.table("ListingsTable")),
                   site=SiteStore(stack.s3, s.site_bucket), renderer=renderer, feed_limit=FEED_LIMIT)


def assert_site_is_a_whole_build(stack: Harness, indexer: Indexer) -> None:
    records = [r for r in stack.meetings().all() if r.status != "removed"]
    expected = {f.key: f.body for f in whole_site(indexer.renderer, records, feed_limit=FEED_LIMIT)}
    actual = stack.site_keys()
    assert sorted(actual - set(expected)) == [], "files a whole build does not have"
    assert sorted(set(expected) - actual) == [], "files a whole build has"
    differ = [k for k in sorted(expected) if stack.s3.get_object(
        Bucket=stack.site_bucket, Key=k)["Body"].read() != expected[k]]
    assert differ == []


def upload(stack: Harness, key: str, body: bytes) -> None:
    assert stack.publish(key, body)["status"] in ("published", "draft", "upcoming"), key
    stack.drain()


def remove(stack: Harness, key: str) -> None:
    assert stack.invoke_publish(stack.delete_event(key))["status"] == "removed", key
    stack.drain()


def test_any_sequence_of_events_leaves_the_site_a_whole_build_would_make(stack):
    indexer = small_indexer(stack)
    runtime.provide(indexer=indexer)
    rng = random.Random(9)
    live: list[str] = []
    days = [f"2023-{m:02d}-{d:02d}" for m in (3, 7, 11) for d in (2, 16)] + \
           [f"2024-{m:02d}-{d:02d}" for m in (1, 5, 9) for d in (4, 18)] + ["2025-01-07", "2025-02-11"]
    rng.shuffle(days)                      # old meetings arrive after newer ones (backfill)
    for n, day in enumerate(days):
        group = "alpha" if n % 3 else "beta"
        key = f"minutes/{group}/{day}-sync.md"
        front = f"time: '{8 + n % 3}:30'" if n % 4 == 0 else ""
        upload(stack, key, minutes_text(f"{group} sync {day}", front=front))
        live.append(key)
    assert_site_is_a_whole_build(stack, indexer)

    upload(stack, live[3], minutes_text("Retitled, with a summary", front="summary: Now shorter."))
    remove(stack, live[5])
    remove(stack, live[0])
    upload(stack, live[7], minutes_text("Not ready", front="draft: true"))     # listed -> draft
    upload(stack, "minutes/beta/2025-03-04-hidden.md", minutes_text("Draft", front="draft: true"))
    upload(stack, "minutes/alpha/2026-01-13-plan/AGENDA.md", b"# Agenda\n\n- Roadmap\n")   # upcoming
    upload(stack, "minutes/gamma/2022-12-01-kickoff.md", minutes_text("A new group, a new year"))
    upload(stack, live[7], minutes_text("Ready after all"))                     # draft -> listed
    assert_site_is_a_whole_build(stack, indexer)

    for key in [k for k in live if k not in (live[0], live[5])] + ["minutes/gamma/2022-12-01-kickoff.md"]:
        remove(stack, key)                 # the last of a year, of a group: their files go
    assert_site_is_a_whole_build(stack, indexer)


@contextlib.contextmanager
def seeded_stack(n: int, groups: int):
    from moto import mock_aws

    from minutes.aws.emulated import LocalCloud
    with mock_aws():
        runtime.reset()
        stack = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        records = archive(n, groups=groups)
        seed(stack.table("MeetingsTable"), records)
        ListingsTable(stack.table("ListingsTable")).load(records)
        yield stack
        runtime.reset()


def one_publish_calls(n: int, groups: int) -> tuple[CallCounter, CallCounter]:
    """The boto3 calls of publish, then of index, for one new meeting in an archive of n."""
    publish, index = CallCounter(), CallCounter()
    try:
        with seeded_stack(n, groups=groups) as stack:
            publish.attach(), index.attach()   # the stack set up boto3's default session afresh
            # A first meeting in another group: the site's catalog (sitemap index, search
            # manifest) and root pages exist from then on, as on any running site.
            upload(stack, "minutes/wg-01/2025-06-05-warm-up.md", minutes_text("Warm-up"))
            event = stack.put_event("minutes/wg-00/2025-06-09-new.md", minutes_text("A new meeting"))
            publish.start()
            assert stack.invoke_publish(event)["status"] == "published"
            publish.stop()
            bodies = [json.loads(m["Body"]) for m in stack.take_messages("SiteUpdatesQueue")]
            update = stack.sqs_event("sqs-site-update.json", bodies, queue="SiteUpdatesQueue")
            index.start()
            assert stack.cloud.invoke("IndexFunction", update) == {"batchItemFailures": []}
            index.stop()
    finally:
        publish.detach()
        index.detach()
    return publish, index


# The larger archive: 3 groups of 110 meetings by default; SCALE_LONG=1 makes it 9 groups of
# 110 (990 meetings; moto walks a whole table for every Query, so that takes minutes).
LARGE = (990, 9) if os.environ.get("SCALE_LONG") else (330, 3)


def test_one_publish_makes_the_same_calls_into_an_archive_of_210_and_of_a_larger_one(aws_environment,
                                                                                     monkeypatch):
    """Both archives are larger than every window a publish reads (a page of 20, 50 feed
    entries, 100 calendar events, a year of one group) and span the same three years (front
    pages link every year); in neither does the new meeting fill a page. 2 groups of 105
    meetings, then more groups of 110 (LARGE). The search index has SHARDS term files at both
    sizes, as every archive of more than 5,120 listed meetings has: below that the count
    follows the archive (decision 64), so a meeting's words fall in fewer files on a smaller
    one (fewer writes, never more), and a publish that crosses a power of two re-shards once
    (test_a_publish_that_crosses_a_power_of_two_re_shards_once)."""
    monkeypatch.setattr(search, "PER_SHARD", 0)
    small, large = one_publish_calls(210, groups=2), one_publish_calls(LARGE[0], groups=LARGE[1])
    for when, (a, b) in {"publish": (small[0], large[0]), "index": (small[1], large[1])}.items():
        assert a.calls == b.calls, when
        assert (a.items_read, a.s3_writes, a.dynamodb_reads) == (b.items_read, b.s3_writes,
                                                                 b.dynamodb_reads), when
    assert small[1].count("Scan") == 0 and small[1].s3_writes > 0


def search_calls(stack: Harness, key: str, body: bytes | None) -> list[tuple[str, str]]:
    """Publish (or, without a body, delete) one meeting and run the index (small_indexer: the
    harness's client), recording the S3 calls the index makes on search files."""
    if body is None:
        assert stack.invoke_publish(stack.delete_event(key))["status"] == "removed"
    else:
        assert stack.publish(key, body)["status"] == "published"
    calls: list[tuple[str, str]] = []

    def record(params, model, **_):
        calls.append((model.name, params.get("Key") or params.get("Prefix") or ""))

    events = stack.s3.meta.events
    events.register("before-parameter-build.s3", record, unique_id="search-calls")
    try:
        stack.drain()
    finally:
        events.unregister("before-parameter-build.s3", unique_id="search-calls")
    return [(name, key) for name, key in calls if key.startswith("search/")]


def term_files(stack: Harness) -> set[str]:
    return {k for k in stack.site_keys() if k.startswith("search/t/")}


def meta(stack: Harness) -> dict:
    return json.loads(stack.s3.get_object(Bucket=stack.site_bucket, Key="search/meta.json")["Body"].read())


def test_a_publish_that_crosses_a_power_of_two_re_shards_once(stack):
    """The count of term files follows the number of listed meetings (search.shard_count: 1 up
    to PER_SHARD meetings, 2 up to twice that, ...). The publish that crosses a power of two
    lists the term folder whole, reads every term file and writes the index of the new count
    (meta.json last), once; the publishes on either side of it touch only their words' files.
    A delete back across it merges them again. After each, the site is a whole build's."""
    indexer = small_indexer(stack)
    runtime.provide(indexer=indexer)
    keys = [f"minutes/alpha/2024-{1 + n // 28:02d}-{1 + n % 28:02d}-sync.md" for n in range(search.PER_SHARD + 2)]
    for n, key in enumerate(keys[:search.PER_SHARD]):
        upload(stack, key, minutes_text(f"Sync {n}", f"Topic{n} roadmap review compiler release notes."))
    assert term_files(stack) == {"search/t/000.json"}
    assert meta(stack) == {"shards": 1}

    crossing = search_calls(stack, keys[search.PER_SHARD], minutes_text("Sync 10", "Zebrafish roadmap."))
    full_listings = [key for name, key in crossing if name == "ListObjectsV2"]
    assert full_listings.count("search/t/") == 2   # the re-shard's listing, then the plan's page
    assert ("PutObject", "search/meta.json") in crossing
    assert term_files(stack) == {"search/t/000.json", "search/t/001.json"}
    assert meta(stack) == {"shards": 2}
    assert_site_is_a_whole_build(stack, indexer)

    after = search_calls(stack, keys[search.PER_SHARD + 1], minutes_text("Sync 11", "Quokka roadmap."))
    assert [key for name, key in after if name == "ListObjectsV2"] == ["search/t/"]   # the plan's page only
    assert ("PutObject", "search/meta.json") not in after
    assert_site_is_a_whole_build(stack, indexer)

    search_calls(stack, keys[0], None)                  # 11 listed: still two files
    assert meta(stack) == {"shards": 2}
    search_calls(stack, keys[1], None)                  # 10 listed: one file again
    assert term_files(stack) == {"search/t/000.json"}
    assert meta(stack) == {"shards": 1}
    assert_site_is_a_whole_build(stack, indexer)


def test_a_re_shard_cut_short_and_dead_lettered_leaves_no_stale_file_once_later_batches_and_the_replay_run(stack):
    """The crossing publish dies after writing the new term file (its meta.json write fails on
    every try), so its message is dead-lettered with meta.json naming the old count. Later
    batches bring the count back below the boundary: the file the cut left is deleted, not
    merged back (with a deleted meeting's words) at the next crossing; the replay of the dead
    message, and a crossing after it, leave a whole build's site."""
    from botocore.exceptions import ClientError

    from minutes.aws.deadletters import DeadLetterQueues
    indexer = small_indexer(stack)
    runtime.provide(indexer=indexer)
    keys = [f"minutes/alpha/2024-{1 + n // 28:02d}-{1 + n % 28:02d}-sync.md" for n in range(search.PER_SHARD + 4)]
    for n, key in enumerate(keys[:search.PER_SHARD]):
        upload(stack, key, minutes_text(f"Sync {n}", f"Topic{n} roadmap review compiler release notes."))

    def fail_the_move(params, **_):
        if params.get("Key") == "search/meta.json" and b'"from"' in params.get("Body", b""):
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, "PutObject")
    events = stack.s3.meta.events
    events.register("before-parameter-build.s3.PutObject", fail_the_move, unique_id="cut-the-move")
    try:
        upload(stack, keys[search.PER_SHARD], minutes_text("Sync 10", "Zebrafish roadmap."))
    finally:
        events.unregister("before-parameter-build.s3.PutObject", unique_id="cut-the-move")
    assert stack.queue_depth("SiteUpdatesDeadLetterQueue") == 1
    assert term_files(stack) == {"search/t/000.json", "search/t/001.json"} and meta(stack) == {"shards": 1}

    remove(stack, keys[0])                                  # 10 listed (the dead one committed)
    remove(stack, keys[1])                                  # 9: one file, the cut's file deleted
    assert term_files(stack) == {"search/t/000.json"} and meta(stack) == {"shards": 1}

    queues = DeadLetterQueues(stack.sqs, invoke=lambda arn, payload: stack.cloud.invoke_async(
        stack.cloud.function_for_arn(arn), payload))
    assert len(queues.replay(stack.ref("SiteUpdatesDeadLetterQueue"))) == 1
    stack.drain()
    assert_site_is_a_whole_build(stack, indexer)
    for n, key in enumerate(keys[search.PER_SHARD + 1:]):   # 12 listed: the next crossing
        upload(stack, key, minutes_text(f"Sync {n + 11}", "Quokka release."))
    assert meta(stack) == {"shards": 2} and len(term_files(stack)) == 2
    assert_site_is_a_whole_build(stack, indexer)
    # meta.json is revalidated by every reader (a re-shard changes it); term files are cached.
    cached = {key: stack.s3.head_object(Bucket=stack.site_bucket, Key=key)["CacheControl"]
              for key in ("search/meta.json", "search/t/001.json")}
    assert cached == {"search/meta.json": "no-cache", "search/t/001.json": "public, max-age=300"}


def test_random_publishes_and_deletes_across_a_boundary_some_cut_and_dead_lettered_then_replayed(stack):
    """Publishes and deletes that move the archive back and forth across 10/11 listed meetings
    (one term file / two); some index runs are cut after a random number of search writes and
    dead-lettered (every retry fails), and later batches run over what they left. After each
    replay of the dead-letter queue the site is a whole build's."""
    from botocore.exceptions import ClientError

    from minutes.aws.deadletters import DeadLetterQueues
    indexer = small_indexer(stack)
    runtime.provide(indexer=indexer)
    queues = DeadLetterQueues(stack.sqs, invoke=lambda arn, payload: stack.cloud.invoke_async(
        stack.cloud.function_for_arn(arn), payload))
    rng = random.Random(5)
    pool = [f"minutes/alpha/2024-03-{1 + n:02d}-sync.md" for n in range(14)]
    live: list[str] = []
    dead: set[str] = set()
    cuts = 0
    for n in range(9):
        upload(stack, pool[n], minutes_text(f"Sync {n}", f"Topic{n} roadmap {rng.choice(['quokka', 'tapir'])}."))
        live.append(pool[n])
    for step in range(16):
        grow = len(live) <= 10 if step % 6 < 3 else len(live) < 10
        free = [k for k in pool if k not in live and k not in dead]
        key = rng.choice(free) if grow and free else rng.choice([k for k in live if k not in dead])
        left = [rng.randrange(1, 8)] if rng.random() < 0.5 else None   # search writes let through

        def cut(params, model, **_):
            if left is not None and params.get("Key", params.get("Prefix", "search/")).startswith("search/") \
                    and model.name in ("PutObject", "DeleteObjects"):
                if left[0] <= 0:
                    raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"},
                                       "ResponseMetadata": {"HTTPStatusCode": 500}}, model.name)
                left[0] -= 1
        events, depth = stack.s3.meta.events, stack.queue_depth("SiteUpdatesDeadLetterQueue")
        events.register("before-parameter-build.s3", cut, unique_id="cut-search")
        try:
            if key in live:
                remove(stack, key)
                live.remove(key)
            else:
                upload(stack, key, minutes_text(f"Sync {step}", f"Step{step} roadmap {rng.choice(['okapi', 'gecko'])}."))
                live.append(key)
        finally:
            events.unregister("before-parameter-build.s3", unique_id="cut-search")
        if stack.queue_depth("SiteUpdatesDeadLetterQueue") > depth:
            dead.add(key)
            cuts += 1
        if dead and (rng.random() < 0.3 or step == 15):
            assert len(queues.replay(stack.ref("SiteUpdatesDeadLetterQueue"))) == len(dead)
            stack.drain()
            dead = set()
            assert_site_is_a_whole_build(stack, indexer)
    assert cuts >= 3 and not dead
