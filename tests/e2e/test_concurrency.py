"""Concurrency (issue 11): handlers running at the same moment, as concurrent Lambdas do, each
thread its own container, all against moto's server over HTTP."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import boto3
import pytest

from minutes import runtime
from minutes.aws.emulated import LocalCloud

from tests.support import concurrency
from tests.support.aws import PARAMETERS, REPO, SITE_URL, load_event, minutes_text
from tests.support.sitemaps import sitemap_urls

pytestmark = pytest.mark.slow
GROUPS = ("openxla", "onnx-infra", "k8s-sig-apps")


@pytest.fixture
def cloud(moto_server, monkeypatch):
    concurrency.atomic_dynamodb(monkeypatch)
    cloud = LocalCloud(REPO, parameters=PARAMETERS).create()
    runtime.provide(publisher=concurrency.PerThread(concurrency.publisher),
                    bounces=concurrency.PerThread(concurrency.bounces))
    yield cloud
    runtime.reset()


def upload(cloud, key: str, body: bytes) -> dict:
    """Put the object; the S3 event AWS sends for it (real-shaped, with a sequencer)."""
    put = cloud.s3.put_object(Bucket=cloud.bucket("MinutesBucket"), Key=key, Body=body)
    return cloud.s3_event(cloud.bucket("MinutesBucket"), key, "ObjectCreated:Put", size=len(body),
                          etag=put["ETag"].strip('"'), version_id=put["VersionId"])


def site_text(cloud, key: str) -> str:
    return cloud.s3.get_object(Bucket=cloud.bucket("SiteBucket"), Key=key)["Body"].read().decode()


def rss_links(xml: str) -> set[str]:
    return {item.findtext("link") for item in ET.fromstring(xml).iter("item")}


def test_fifty_uploads_at_once_all_end_up_in_the_archive_group_pages_and_feeds(cloud):
    keys = [f"minutes/{GROUPS[n % 3]}/2023-{1 + n % 12:02d}-{1 + n // 12:02d}-sync-{n}.md"
            for n in range(50)]
    events = [upload(cloud, key, minutes_text(f"Sync number {n}")) for n, key in enumerate(keys)]

    results = concurrency.at_once(cloud, "PublishFunction", events)

    assert [r["verdicts"][0]["status"] if isinstance(r, dict) else repr(r) for r in results] == \
        ["published"] * 50
    cloud.drain()
    assert cloud.failures == []
    urls = {f"{SITE_URL}/{k.split('/')[1]}/{k.rsplit('/', 1)[1][:-3]}/" for k in keys}
    assert rss_links(site_text(cloud, "feed.xml")) == urls          # the overall feed holds 50
    assert urls <= sitemap_urls(lambda key: site_text(cloud, key), SITE_URL)
    for group in GROUPS:
        mine = {u for u in urls if f"/{group}/" in u}
        assert rss_links(site_text(cloud, f"{group}/feed.xml")) == mine
        listing = site_text(cloud, f"{group}/index.html") + "".join(
            site_text(cloud, k) for k in _keys(cloud, f"{group}/page/"))
        assert all(f"Sync number {n}<" in listing for n, k in enumerate(keys) if f"/{group}/" in k)
    archive = "".join(site_text(cloud, k) for k in ["index.html", *_keys(cloud, "page/")])
    assert all(f"Sync number {n}<" in archive for n in range(50))


def _keys(cloud, prefix: str) -> list[str]:
    found = cloud.s3.list_objects_v2(Bucket=cloud.bucket("SiteBucket"), Prefix=prefix)
    return [item["Key"] for item in found.get("Contents", []) if item["Key"].endswith("index.html")]


def test_two_keys_with_one_url_uploaded_at_the_same_moment_are_placed_in_meeting_order(cloud):
    """2019-04-18.md and 2019.04.18.md both want /rust-lang/2019-04-18/ (decision 110): each
    counts itself among the URL's holders with one write, and reads them again once its page
    is written, so whichever is second to write sees the other, however close, and moves
    whichever is not at its place: 2019-04-18 at the URL, 2019.04.18 at -2."""
    for day in range(10, 20):
        pair = [upload(cloud, f"minutes/rust-lang/2019-04-{day}.md", minutes_text("Lang team")),
                upload(cloud, f"minutes/rust-lang/2019.04.{day}.md", minutes_text("Lang team again"))]
        concurrency.at_once(cloud, "PublishFunction", pair)
        assert sorted(_keys(cloud, f"rust-lang/2019-04-{day}")) == [
            f"rust-lang/2019-04-{day}-2/index.html", f"rust-lang/2019-04-{day}/index.html"]
        table = boto3.resource("dynamodb").Table(cloud.stack.refs["MeetingsTable"])
        for meeting, segment in ((f"2019-04-{day}", f"2019-04-{day}"), (f"2019.04.{day}", f"2019-04-{day}-2")):
            assert table.get_item(Key={"group": "rust-lang", "meeting": meeting})["Item"]["segment"] == segment


def test_concurrent_soft_bounces_are_each_counted(cloud):
    """SNS may deliver twenty bounce notifications for one address at once: each counts."""
    table = boto3.resource("dynamodb").Table(cloud.stack.refs["SubscribersTable"])
    template = load_event("sns-ses-bounce.json")
    events = []
    for n in range(20):
        message = json.loads(template["Records"][0]["Sns"]["Message"])
        message["bounce"].update(bounceType="Transient", bounceSubType="MailboxFull")
        message["mail"]["messageId"] = f"mail-{n}"
        event = json.loads(json.dumps(template))
        event["Records"][0]["Sns"]["Message"] = json.dumps(message)
        events.append(event)

    results = concurrency.at_once(cloud, "BouncesFunction", events + events[:5])  # 5 repeated

    assert not [r for r in results if isinstance(r, Exception)]
    item = table.get_item(Key={"group": "#address", "email": "grace@example.org"},
                          ConsistentRead=True)["Item"]
    assert int(item["soft_bounces"]) == 20
    assert item["soft_bounce_ids"] == {f"mail-{n}" for n in range(20)}
    assert "suppressed_at" in item   # past the limit (3)
