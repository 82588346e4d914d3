"""index: SiteUpdatesQueue (FIFO) -> only the pages, listings and feeds a change touches."""
from __future__ import annotations

import json

from minutes import runtime, search

from tests.support.aws import SAMPLE_KEY, load_event, minutes_text, sample_minutes

OPENXLA = ["2022-08-16-sig-openxla", "2022-10-18-sig-openxla", "2022-12-13-sig-openxla"]
INFRA = ["001-20190701", "002-20200806"]


def publish_site(stack):
    for meeting in OPENXLA:
        stack.publish(f"minutes/openxla/{meeting}.md", minutes_text(f"OpenXLA {meeting[:10]}"))
    for meeting in INFRA:
        stack.publish(f"minutes/onnx-infra/{meeting}.md", minutes_text(f"ONNX infra {meeting[:3]}"))
    stack.drain()


def site_update(stack, *bodies: dict) -> dict:
    return stack.sqs_event("sqs-site-update.json", list(bodies), queue="SiteUpdatesQueue")


def test_the_sample_site_update_event_builds_the_listings(stack):
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.take_messages("SiteUpdatesQueue")  # index runs from the sample event instead
    event = load_event("sqs-site-update.json")
    event["Records"][0]["eventSourceARN"] = stack.cloud.stack.attrs[("SiteUpdatesQueue", "Arn")]

    response = stack.cloud.invoke("IndexFunction", event)

    assert response == {"batchItemFailures": []}
    keys = stack.site_keys()
    for listing in ("index.html", "feed.xml", "atom.xml", "sitemap.xml", "404.html", "robots.txt",
                    "openxla/index.html", "openxla/feed.xml", "openxla/atom.xml", "2022/index.html"):
        assert listing in keys, listing
    assert stack.site_object("feed.xml")["ContentType"] == "application/rss+xml; charset=utf-8"
    assert stack.site_object("atom.xml")["ContentType"] == "application/atom+xml; charset=utf-8"
    assert "https://minutes.example.org/openxla/2022-09-20-sig-openxla/" in stack.sitemap_urls()


def test_a_second_identical_rebuild_writes_nothing(stack):
    publish_site(stack)
    stack.version_site()
    before = stack.site_versions()
    indexer = stack.indexer()
    runtime.provide(indexer=indexer)

    response = stack.cloud.invoke("IndexFunction", site_update(
        stack, {"group": "openxla", "meeting": OPENXLA[1], "action": "upsert"},
        {"group": "onnx-infra", "meeting": INFRA[0], "action": "upsert"}))

    assert response == {"batchItemFailures": []}
    assert indexer.site.writes == 0
    assert indexer.site.deleted == 0
    assert indexer.site.skipped > 10
    assert stack.site_versions() == before


def test_a_new_meeting_rewrites_only_its_page_neighbours_group_listings_and_overall_feeds(stack):
    publish_site(stack)
    stack.version_site()
    before = stack.site_versions()

    stack.publish("minutes/openxla/2022-09-20-sig-openxla.md", sample_minutes())
    stack.drain()

    after = stack.site_versions()
    rewritten = {k for k in after if after[k] != before.get(k)}
    new_page = "openxla/2022-09-20-sig-openxla/index.html"
    neighbours = {f"openxla/{OPENXLA[0]}/index.html", f"openxla/{OPENXLA[1]}/index.html"}
    assert new_page in rewritten
    assert neighbours <= rewritten, "previous/next links of both neighbours change"
    assert f"openxla/{OPENXLA[2]}/index.html" not in rewritten
    assert {"openxla/index.html", "openxla/feed.xml", "openxla/atom.xml", "openxla/2022/index.html",
            "index.html", "feed.xml", "atom.xml", "2022/index.html", "openxla/sitemap-2022.xml"} <= rewritten
    assert "sitemap.xml" not in rewritten, "the sitemap index changes only when a group or year appears"
    assert not {k for k in rewritten if k.startswith("onnx-infra/")}, "other groups stay untouched"
    assert not {k for k in rewritten if k.startswith(("2019/", "2020/", "assets/"))}
    assert "404.html" not in rewritten and "robots.txt" not in rewritten
    allowed_elsewhere = {"index.html", "feed.xml", "atom.xml", "2022/index.html"}
    other = {k for k in rewritten if not k.startswith("openxla/") and k not in allowed_elsewhere}
    # Whatever else the site lists across groups (a search index, say) may change too, but no
    # page of another group and no other meeting.
    assert all("/" not in k or k.split("/")[0] not in {"onnx-infra", "openxla"} for k in other)


def test_a_malformed_site_update_fails_alone_and_fifo_order_holds_the_rest(stack):
    publish_site(stack)
    event = site_update(stack, {"group": "openxla", "meeting": OPENXLA[0], "action": "upsert"},
                        {"group": "openxla", "action": "rebuild-everything"},
                        {"group": "onnx-infra", "meeting": INFRA[0], "action": "upsert"})
    ids = [r["messageId"] for r in event["Records"]]

    response = stack.cloud.invoke("IndexFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[2]}]}


def test_a_site_update_for_an_unknown_meeting_changes_nothing(stack):
    publish_site(stack)
    stack.version_site()
    before = stack.site_versions()
    response = stack.cloud.invoke("IndexFunction", site_update(
        stack, {"group": "openxla", "meeting": "2099-01-01-nothing", "action": "upsert"}))
    assert response == {"batchItemFailures": []}
    assert stack.site_versions() == before



def index_s3_calls(stack, key: str, body: bytes) -> list[tuple[str, str]]:
    """Publish, then run the index on the update with every S3 call it makes recorded."""
    import boto3
    stack.publish(key, body)
    update = site_update(stack, *[json.loads(m["Body"]) for m in stack.take_messages("SiteUpdatesQueue")])
    calls: list[tuple[str, str]] = []

    def record(params, model, **_):
        calls.append((model.name, params.get("Key") or params.get("Prefix") or ""))

    events = boto3._get_default_session().events   # the functions' clients come from it
    events.register("before-parameter-build.s3", record, unique_id="index-s3-calls")
    try:
        assert stack.cloud.invoke("IndexFunction", update) == {"batchItemFailures": []}
    finally:
        events.unregister("before-parameter-build.s3", unique_id="index-s3-calls")
    return calls


def shards_of_new_meeting(stack, keys_before: set[str]) -> set[str]:
    """The shards named by the k/ file of the new meeting's week (a week no meeting had)."""
    [new_keys] = [k for k in stack.site_keys() - keys_before if k.startswith("search/k/")]
    [shards] = json.loads(stack.s3.get_object(Bucket=stack.site_bucket, Key=new_keys)["Body"].read()).values()
    return {f"search/t/{shard}.json" for shard in shards}


def test_search_reads_only_the_shards_that_exist_and_writes_changed_shards_without_asking(stack, monkeypatch):
    """The search update (search.plan_days): one page of the shard folder's listing, then a GET
    of only the shards that exist among the new meeting's; no HEAD before writing a shard (the
    plan holds only shards whose bytes changed), and every shard of the new meeting is written.
    SHARDS term files (as from 5,121 listed meetings on), so most words have a file of their own."""
    monkeypatch.setattr(search, "PER_SHARD", 0)
    stack.publish(f"minutes/openxla/{OPENXLA[0]}.md", minutes_text("Roadmap review"))
    stack.drain()
    keys_before = stack.site_keys()
    shards_before = {k for k in keys_before if k.startswith("search/t/")}
    calls = index_s3_calls(stack, f"minutes/openxla/{OPENXLA[1]}.md",
                           minutes_text("Roadmap triage", "Zanzibar quokkas reviewed the roadmap."))

    its_shards = shards_of_new_meeting(stack, keys_before)
    on_shards = [(name, key) for name, key in calls if key.startswith("search/t")]
    assert its_shards - shards_before, "the new meeting has words no shard had"
    assert its_shards & shards_before, "and words that were there already"
    assert [key for name, key in on_shards if name == "ListObjectsV2"] == ["search/t/"]
    assert sorted(key for name, key in on_shards if name == "GetObject") == sorted(its_shards & shards_before)
    assert sorted(key for name, key in on_shards if name == "PutObject") == sorted(its_shards)
    assert [key for name, key in on_shards if name == "HeadObject"] == []


def test_search_on_a_large_site_fetches_shards_past_the_first_page_of_the_listing(stack, monkeypatch):
    """More shards than one listing page holds (1,000 keys; 5 here): shards sorting after the
    page's last key may exist, so they are fetched (a 404 for the new ones), with one listing."""
    from minutes.services import index
    monkeypatch.setattr(index, "SHARD_LISTING", 5)
    monkeypatch.setattr(search, "PER_SHARD", 0)   # SHARDS term files
    stack.publish(f"minutes/openxla/{OPENXLA[0]}.md", minutes_text("Roadmap review"))
    stack.drain()
    for n in range(6):   # keys that sort before any shard's (three hex digits)
        stack.s3.put_object(Bucket=stack.site_bucket, Key=f"search/t/-{n:04d}.json", Body=b"{}")
    keys_before = stack.site_keys()
    calls = index_s3_calls(stack, f"minutes/openxla/{OPENXLA[1]}.md",
                           minutes_text("Roadmap triage", "Zanzibar quokkas reviewed the roadmap."))

    its_shards = shards_of_new_meeting(stack, keys_before)
    on_shards = [(name, key) for name, key in calls if key.startswith("search/t")]
    assert its_shards - keys_before and its_shards & keys_before
    assert [key for name, key in on_shards if name == "ListObjectsV2"] == ["search/t/"]
    assert sorted(key for name, key in on_shards if name == "GetObject") == sorted(its_shards)


def test_a_rebuild_lists_the_bucket_once_writes_only_what_differs_and_prunes_stale_listings(stack):
    """Indexer.rebuild (`minutes reindex`, bulk loads): one listing gives every file's ETag, so
    nothing is asked for file by file; a stale listing page goes, a meeting's page never."""
    publish_site(stack)
    stack.s3.put_object(Bucket=stack.site_bucket, Key="openxla/page/9/index.html", Body=b"old")
    stack.s3.put_object(Bucket=stack.site_bucket, Key="openxla/index.html", Body=b"tampered")
    keys_before = stack.site_keys()
    calls = []

    def record(params, model, **_):
        calls.append(model.name)

    stack.s3.meta.events.register("before-parameter-build.s3", record)   # the indexer's client
    result = stack.indexer().rebuild()

    assert (result.written, result.deleted) == (1, 1)
    assert stack.site_keys() == keys_before - {"openxla/page/9/index.html"}
    assert b"tampered" not in stack.s3.get_object(Bucket=stack.site_bucket, Key="openxla/index.html")["Body"].read()
    assert "HeadObject" not in calls and calls.count("PutObject") == 1


def test_a_first_run_that_lists_nothing_makes_the_archive_and_a_half_done_run_is_finished(stack):
    """One probe a batch (the sitemap index, written last): a first batch holding only a draft
    still makes the front page and the sitemap index; when a run stopped after some listing files
    but before the sitemap index, the next batch, whatever it lists, makes them again."""
    stack.publish("minutes/openxla/2022-08-16-sig-openxla.md",
                  minutes_text("Not yet", front="draft: true"))
    stack.drain()
    keys = stack.site_keys()
    assert {"index.html", "sitemap.xml", "sitemap-pages.xml"} <= keys
    for lost in ("index.html", "sitemap.xml", "sitemap-pages.xml"):   # a run that stopped half-way
        stack.s3.delete_object(Bucket=stack.site_bucket, Key=lost)
    stack.publish("minutes/openxla/2022-09-20-sig-openxla.md",
                  minutes_text("Still not", front="draft: true"))
    stack.drain()
    assert {"index.html", "sitemap.xml", "sitemap-pages.xml"} <= stack.site_keys()
