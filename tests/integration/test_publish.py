"""publish: S3 events (events/*.json, real-shaped) -> verdict, page, Meetings item, queues,
report and scribe notice. Every call goes through boto3 to moto."""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from tests.support.aws import (SAMPLE_FEED_ID, SAMPLE_KEY, SAMPLE_PAGE, SITE_URL, encode_key,
                               load_event, minutes_text, outbox, recipients, sample_minutes)

SAMPLE_URL = f"{SITE_URL}/openxla/2022-09-20-sig-openxla/"
ATOM = "{http://www.w3.org/2005/Atom}"


def rss_links(xml: str) -> list[str]:
    return [item.findtext("link") for item in ET.fromstring(xml).iter("item")]


def atom_ids(xml: str) -> list[str]:
    return [entry.findtext(f"{ATOM}id") for entry in ET.fromstring(xml).iter(f"{ATOM}entry")]


# --- the sample event, as AWS sends it -------------------------------------------------------

def test_the_sample_put_event_publishes_the_page_record_and_follow_ups(stack):
    put = stack.put(SAMPLE_KEY, sample_minutes())
    event = load_event("s3-put.json")
    obj = event["Records"][0]["s3"]["object"]
    assert obj["key"] == SAMPLE_KEY
    event["Records"][0]["s3"]["bucket"]["name"] = stack.minutes_bucket
    obj["versionId"] = put["VersionId"]

    verdict = stack.invoke_publish(event)

    assert verdict["status"] == "published"
    assert verdict["url"] == SAMPLE_URL
    page = stack.site_object(SAMPLE_PAGE)
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert "SIG OpenXLA" in page["Body"].read().decode()
    item = stack.meeting_item("openxla", "2022-09-20-sig-openxla")
    assert item["feed_id"] == SAMPLE_FEED_ID
    assert item["status"] == "published"
    assert item[f"seq:{SAMPLE_KEY}"] == obj["sequencer"].upper().ljust(32, "0")
    assert item["source_keys"] == [SAMPLE_KEY]
    assert stack.queue_bodies("SiteUpdatesQueue") == [
        {"group": "openxla", "meeting": "2022-09-20-sig-openxla", "action": "upsert"}]
    assert stack.queue_bodies("NotificationsQueue") == [
        {"kind": "announce", "group": "openxla", "meeting": "2022-09-20-sig-openxla"}]


def test_the_site_update_is_on_the_fifo_queue_in_the_site_group(stack):
    stack.publish(SAMPLE_KEY, sample_minutes())
    (message,) = stack.take_messages("SiteUpdatesQueue")
    assert message["Attributes"]["MessageGroupId"] == "site"
    assert stack.ref("SiteUpdatesQueue").endswith(".fifo")


def test_a_url_encoded_key_is_decoded_to_the_real_key(stack):
    folder = "minutes/openxla/2022-10-18-openxla-community-meeting/"
    pdf_key = folder + "[Public] SIG OpenXLA Meeting 2022-10-17.pdf"
    pdf = b"%PDF-1.4\n% slides\n"
    stack.put(folder + "NOTES.md", minutes_text("OpenXLA community meeting"))
    put = stack.put(pdf_key, pdf)
    event = load_event("s3-put-encoded-key.json")
    encoded = event["Records"][0]["s3"]["object"]["key"]
    assert encoded == encode_key(pdf_key) and "+" in encoded and "%5B" in encoded
    event = stack.s3_event("s3-put-encoded-key.json", key=pdf_key, encoded_key=encoded,
                           version_id=put["VersionId"], sequencer=stack.next_sequencer(), size=len(pdf))

    verdict = stack.invoke_publish(event)

    assert verdict["key"] == pdf_key
    assert verdict["status"] == "published"
    assert stack.tags(pdf_key, put["VersionId"]) == {"minutes-status": "published"}
    report, _ = stack.report(pdf_key)
    assert report["key"] == pdf_key
    # S3 website hosting decodes the request path into the key: the object is stored under the
    # real name, and the page links to it percent-encoded.
    site_key = "openxla/2022-10-18-openxla-community-meeting/[Public] SIG OpenXLA Meeting 2022-10-17.pdf"
    assert stack.site_object(site_key)["Body"].read() == pdf
    assert stack.site_object(site_key)["ContentType"] == "application/pdf"
    page = stack.site_text("openxla/2022-10-18-openxla-community-meeting/index.html")
    assert '%5BPublic%5D%20SIG%20OpenXLA%20Meeting%202022-10-17.pdf"' in page


def test_the_folder_notes_event_publishes_one_meeting_for_the_folder(stack):
    key = "minutes/openxla/2022-09-20-community-meeting/NOTES.md"
    put = stack.put(key, minutes_text("Community meeting"))
    event = stack.s3_event("s3-put-folder-notes.json", key=key, version_id=put["VersionId"],
                           sequencer=stack.next_sequencer())
    verdict = stack.invoke_publish(event)
    assert verdict["status"] == "published"
    assert verdict["url"] == f"{SITE_URL}/openxla/2022-09-20-community-meeting/"
    assert stack.meeting_item("openxla", "2022-09-20-community-meeting")["source_keys"] == [key]


# --- the verdict reaches the scribe ----------------------------------------------------------

def _assert_nothing_published(stack):
    assert stack.site_keys() == set()
    assert stack.table("MeetingsTable").scan()["Items"] == []
    assert stack.queue_bodies("SiteUpdatesQueue") == []
    assert stack.queue_bodies("NotificationsQueue") == []


def test_a_rejected_upload_publishes_nothing_and_tells_the_scribe_every_problem(stack):
    body = b"---\ntitel: SIG OpenXLA\n---\n# SIG OpenXLA\n\nNotes.\n"
    put = stack.put(SAMPLE_KEY, body)
    event = stack.s3_event("s3-put.json", key=SAMPLE_KEY, version_id=put["VersionId"],
                           sequencer=stack.next_sequencer(), size=len(body))

    verdict = stack.invoke_publish(event)

    assert verdict["status"] == "rejected"
    _assert_nothing_published(stack)
    # The upload stays as it is: one version, the same bytes; only tagged with its status.
    versions = stack.s3.list_object_versions(Bucket=stack.minutes_bucket, Prefix=SAMPLE_KEY)["Versions"]
    assert [v["VersionId"] for v in versions] == [put["VersionId"]]
    stored = stack.s3.get_object(Bucket=stack.minutes_bucket, Key=SAMPLE_KEY)
    assert stored["Body"].read() == body and stored["VersionId"] == put["VersionId"]
    assert stack.tags(SAMPLE_KEY, put["VersionId"]) == {"minutes-status": "rejected"}

    report, text = stack.report(SAMPLE_KEY)
    assert report["status"] == "rejected" and report["key"] == SAMPLE_KEY
    assert report["version_id"] == put["VersionId"]
    assert report["url"] is None and report["errors"] >= 1
    (problem,) = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem["code"] == "front-matter-typo"
    assert problem["line"] == 2
    assert "title" in problem["hint"]
    assert "front-matter-typo" in text and f"{SAMPLE_KEY}:2" in text and "title" in text

    (notice,) = stack.scribe_notices()
    assert notice.subject == f"Rejected: {SAMPLE_KEY}"
    assert notice.message == text
    assert notice.attributes == {"status": "rejected", "group": "openxla"}


def test_a_file_that_is_not_utf8_is_published_with_a_warning_naming_the_byte(stack):
    body = "# Réunion du groupe\n\nNotes.\n".encode("latin-1")
    verdict = stack.publish(SAMPLE_KEY, body)
    assert verdict["status"] == "published"
    assert "Réunion du groupe" in stack.site_text(SAMPLE_PAGE)
    report, _ = stack.report(SAMPLE_KEY)
    problem = report["problems"][0]
    assert (problem["code"], problem["severity"], problem["line"]) == ("encoding", "warning", 1)
    assert "offset 3" in problem["message"] and problem["hint"]
    assert [n.attributes["status"] for n in stack.scribe_notices()] == ["published"]


def test_one_invisible_control_character_is_removed_not_a_rejection(stack):
    body = "# SIG OpenXLA\n\n- Notes\x7f on the roadmap.\n- More.\n".encode()
    verdict = stack.publish(SAMPLE_KEY, body)
    assert verdict["status"] == "published"
    page = stack.site_text(SAMPLE_PAGE)
    assert "Notes on the roadmap." in page and "\x7f" not in page
    report, text = stack.report(SAMPLE_KEY)
    (problem,) = [p for p in report["problems"] if p["code"] == "control-char"]
    assert (problem["line"], problem["column"]) == (3, 8) and "U+007F" in problem["message"]
    assert f"{SAMPLE_KEY}:3:8" in text


def test_a_rejected_correction_keeps_the_published_page(stack):
    stack.publish(SAMPLE_KEY, sample_minutes())
    before = stack.site_text(SAMPLE_PAGE)
    stack.scribe_notices()
    verdict = stack.publish(SAMPLE_KEY, b"---\ntitle: [unclosed\n---\n# x\n")
    assert verdict["status"] == "rejected"
    assert stack.site_text(SAMPLE_PAGE) == before
    assert stack.meeting_item("openxla", "2022-09-20-sig-openxla")["status"] == "published"
    assert stack.report(SAMPLE_KEY)[0]["status"] == "rejected"


def test_a_key_with_an_unsafe_group_is_rejected_and_reported(stack):
    key = "minutes/Assets/2022-09-20-sync.md"
    put = stack.put(key, minutes_text("Sync"))
    verdict = stack.invoke_publish(stack.s3_event("s3-put.json", key=key, version_id=put["VersionId"],
                                                  sequencer=stack.next_sequencer()))
    assert verdict["status"] == "rejected"
    _assert_nothing_published(stack)
    report, _ = stack.report(key)
    assert [p["code"] for p in report["problems"]] == ["group-name"]
    assert stack.tags(key, put["VersionId"]) == {"minutes-status": "rejected"}
    assert [n.attributes["status"] for n in stack.scribe_notices()] == ["rejected"]


def test_a_published_upload_reports_its_url_and_warnings(stack):
    key = "minutes/openxla/2022-09-27-sig-openxla.md"
    # An unused key is an info (not reported); a date in the title that is not the meeting's
    # is a warning.
    verdict = stack.publish(key, minutes_text("SIG OpenXLA sync 2022-09-28", front="venue: Zoom"))
    assert verdict["status"] == "published"
    report, text = stack.report(key)
    assert report["status"] == "published"
    assert report["url"] == f"{SITE_URL}/openxla/2022-09-27-sig-openxla/"
    assert report["title"] == "SIG OpenXLA sync 2022-09-28"
    assert report["errors"] == 0 and report["warnings"] == 1
    (warning,) = report["problems"]
    assert warning["severity"] == "warning" and warning["code"] == "title-date-mismatch"
    assert warning["hint"]
    assert report["url"] in text and "title-date-mismatch" in text
    assert "front-matter-unknown-key" not in text
    (notice,) = stack.scribe_notices()
    assert notice.subject == f"Published: {key}" and report["url"] in notice.message
    stored = stack.s3.list_object_versions(Bucket=stack.minutes_bucket, Prefix=key)["Versions"][0]
    assert stack.tags(key, stored["VersionId"]) == {"minutes-status": "published"}


# --- corrections, deletions, drafts ----------------------------------------------------------

def test_a_reupload_updates_the_page_in_place_and_sends_no_second_email(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    first = stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    item = stack.meeting_item("openxla", "2022-09-20-sig-openxla")
    assert len(outbox()) == 1

    corrected = sample_minutes().replace(b"SIG OpenXLA", b"SIG OpenXLA (corrected)", 1)
    second = stack.publish(SAMPLE_KEY, corrected)
    stack.drain()

    assert second["status"] == "published" and second["url"] == first["url"]
    again = stack.meeting_item("openxla", "2022-09-20-sig-openxla")
    assert again["feed_id"] == item["feed_id"] == SAMPLE_FEED_ID
    assert again["published"] == item["published"]
    assert dt.datetime.fromisoformat(again["updated"]) > dt.datetime.fromisoformat(item["updated"])
    assert "(corrected)" in stack.site_text(SAMPLE_PAGE)
    assert atom_ids(stack.site_text("openxla/atom.xml")) == [SAMPLE_FEED_ID]
    assert "(corrected)" in stack.site_text("atom.xml")
    assert len(outbox()) == 1, "a correction sends no second email"
    assert stack.queue_bodies("NotificationsQueue") == []


def test_a_correction_without_a_text_form_removes_the_earlier_versions(stack):
    # Mail sends a stored text form beside the HTML; a later version that has none (raw HTML
    # in the body) must not leave the earlier text to be mailed with the new page.
    key = "minutes/openxla/2024-05-07.md"
    stack.publish(key, minutes_text("Plain meeting", "We agreed on the plain text."))
    assert "text_gz" in stack.meeting_item("openxla", "2024-05-07")
    raw = "<details><summary>Vote</summary>Seven for, none against.</details>"
    assert stack.publish(key, minutes_text("Plain meeting", raw))["status"] == "published"
    item = stack.meeting_item("openxla", "2024-05-07")
    assert "text_gz" not in item
    record = stack.meetings().get("openxla", "2024-05-07")
    assert record.content_text is None and "Seven for" in record.content_html


def test_a_reupload_months_later_sends_nothing_though_the_delivery_records_expired(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    deliveries = stack.table("DeliveriesTable")
    for item in deliveries.scan()["Items"]:  # what DynamoDB's TTL does after 30 days
        deliveries.delete_item(Key={"delivery": item["delivery"]})
    stack.invoke_publish(stack.delete_event(SAMPLE_KEY))
    stack.drain()

    assert stack.publish(SAMPLE_KEY, sample_minutes())["status"] == "published"
    stack.drain()

    assert SAMPLE_PAGE in stack.site_keys()
    assert stack.meeting_item("openxla", "2022-09-20-sig-openxla")["feed_id"] == SAMPLE_FEED_ID
    assert len(outbox()) == 1, "the announced mark on the meeting is permanent"


def test_deleting_the_key_removes_the_page_and_its_feed_entries(stack):
    other = "minutes/openxla/2022-10-04-sig-openxla.md"
    stack.publish(other, minutes_text("SIG OpenXLA 2022-10-04"))
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    assert SAMPLE_URL in rss_links(stack.site_text("openxla/feed.xml"))
    stack.scribe_notices()

    event = stack.delete_event(SAMPLE_KEY)
    assert event["Records"][0]["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    verdict = stack.invoke_publish(event)
    stack.drain()

    assert verdict["status"] == "removed"
    assert not any(k.startswith("openxla/2022-09-20-sig-openxla/") for k in stack.site_keys())
    for feed in ("feed.xml", "openxla/feed.xml"):
        assert SAMPLE_URL not in rss_links(stack.site_text(feed))
    for feed in ("atom.xml", "openxla/atom.xml"):
        assert SAMPLE_FEED_ID not in atom_ids(stack.site_text(feed))
    for listing in ("index.html", "openxla/index.html"):
        assert "2022-09-20-sig-openxla" not in stack.site_text(listing)
    assert not any("2022-09-20-sig-openxla" in url for url in stack.sitemap_urls())
    report, text = stack.report(SAMPLE_KEY)
    assert report["status"] == "removed" and report["url"] == SAMPLE_URL
    assert "Removed" in text
    assert [n.attributes["status"] for n in stack.scribe_notices()] == ["removed"]
    # The neighbour's page no longer links to the removed meeting.
    assert "2022-09-20-sig-openxla" not in stack.site_text("openxla/2022-10-04-sig-openxla/index.html")


def test_deleting_the_only_meeting_of_a_group_leaves_no_listing_behind(stack):
    stack.publish("minutes/onnx-infra/001-20190701.md", minutes_text("ONNX infra 1"))
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.drain()
    assert SAMPLE_URL in rss_links(stack.site_text("openxla/feed.xml"))

    stack.invoke_publish(stack.delete_event(SAMPLE_KEY))
    stack.drain()

    left = {k for k in stack.site_keys() if k.startswith("openxla/") or k.startswith("2022/")}
    assert left == set(), "the group's pages, feeds and year pages go with its last meeting"
    assert "openxla" not in stack.site_text("index.html")


def test_deleting_an_old_version_for_good_keeps_the_page(stack):
    first = stack.put_event(SAMPLE_KEY, sample_minutes())
    stack.invoke_publish(first)
    stack.publish(SAMPLE_KEY, sample_minutes().replace(b"SIG OpenXLA", b"SIG OpenXLA v2", 1))
    stack.drain()
    page, report = stack.site_text(SAMPLE_PAGE), stack.report(SAMPLE_KEY)
    stack.scribe_notices()

    old = first["Records"][0]["s3"]["object"]["versionId"]
    verdict = stack.invoke_publish(stack.delete_version_event(SAMPLE_KEY, old))
    stack.drain()

    assert verdict["status"] == "stale"
    assert stack.site_text(SAMPLE_PAGE) == page and "v2" in page
    assert stack.report(SAMPLE_KEY) == report
    assert stack.scribe_notices() == []


def test_deleting_the_current_version_for_good_publishes_the_previous_one(stack):
    stack.publish(SAMPLE_KEY, sample_minutes())
    second = stack.put_event(SAMPLE_KEY, sample_minutes().replace(b"SIG OpenXLA", b"SIG OpenXLA v2", 1))
    stack.invoke_publish(second)
    stack.drain()
    assert "v2" in stack.site_text(SAMPLE_PAGE)

    current = second["Records"][0]["s3"]["object"]["versionId"]
    verdict = stack.invoke_publish(stack.delete_version_event(SAMPLE_KEY, current))
    stack.drain()

    assert verdict["status"] == "published"
    assert verdict["version_id"] != current
    assert "v2" not in stack.site_text(SAMPLE_PAGE)
    assert "SIG OpenXLA" in stack.site_text(SAMPLE_PAGE)


def test_a_draft_gets_an_unlisted_preview_and_no_email(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    key = "minutes/openxla/2022-10-04-sig-openxla.md"
    verdict = stack.publish(key, minutes_text("Draft of the sync", front="draft: true"))
    stack.drain()

    assert verdict["status"] == "draft"
    assert verdict["url"] == f"{SITE_URL}/openxla/_drafts/2022-10-04-sig-openxla/"
    preview = stack.site_text("openxla/_drafts/2022-10-04-sig-openxla/index.html")
    assert "Draft of the sync" in preview and "noindex" in preview
    assert "openxla/2022-10-04-sig-openxla/index.html" not in stack.site_keys()
    for listing in ("index.html", "feed.xml", "atom.xml"):
        assert "2022-10-04" not in stack.site_text(listing), listing
    assert not any("2022-10-04" in url for url in stack.sitemap_urls())
    assert "2022/index.html" not in stack.site_keys()
    assert not any(k.startswith("openxla/") and "_drafts" not in k for k in stack.site_keys())
    assert outbox() == []
    assert stack.report(key)[0]["status"] == "draft"


def test_a_draft_made_final_moves_to_its_public_url_and_is_announced(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    key = "minutes/openxla/2022-10-04-sig-openxla.md"
    stack.publish(key, minutes_text("Sync", front="draft: true"))
    stack.drain()
    verdict = stack.publish(key, minutes_text("Sync"))
    stack.drain()
    assert verdict["status"] == "published"
    keys = stack.site_keys()
    assert "openxla/2022-10-04-sig-openxla/index.html" in keys
    assert not any("_drafts" in k for k in keys)
    assert recipients(outbox()) == ["ada@example.org"]


# --- ordering and duplicates -----------------------------------------------------------------

def test_an_older_event_arriving_after_a_newer_one_changes_nothing(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    older = stack.put_event(SAMPLE_KEY, sample_minutes(), sequencer="0066F0A6E8D7A3B1C2")
    newer = stack.put_event(SAMPLE_KEY, sample_minutes().replace(b"SIG OpenXLA", b"SIG OpenXLA v2", 1),
                            sequencer="0066F0A6E8D7A3B1D0")
    assert stack.invoke_publish(newer)["status"] == "published"
    stack.drain()
    item, page, site = (stack.meeting_item("openxla", "2022-09-20-sig-openxla"),
                        stack.site_text(SAMPLE_PAGE), stack.site_etags())
    report = stack.report(SAMPLE_KEY)
    stack.scribe_notices()

    assert stack.invoke_publish(older)["status"] == "stale"
    stack.drain()

    assert stack.meeting_item("openxla", "2022-09-20-sig-openxla") == item
    assert stack.site_text(SAMPLE_PAGE) == page and "v2" in page
    assert stack.site_etags() == site
    assert stack.report(SAMPLE_KEY) == report
    assert stack.scribe_notices() == []
    assert len(outbox()) == 1


def test_an_older_rejected_event_does_not_overwrite_the_newer_verdict(stack):
    older = stack.put_event(SAMPLE_KEY, b"---\ntitel: x\n---\n# x\n", sequencer="0066F0A6E8D7A3B1C2")
    newer = stack.put_event(SAMPLE_KEY, sample_minutes(), sequencer="0066F0A6E8D7A3B1D0")
    stack.invoke_publish(newer)
    report = stack.report(SAMPLE_KEY)
    stack.scribe_notices()
    older_version = older["Records"][0]["s3"]["object"]["versionId"]

    assert stack.invoke_publish(older)["status"] == "stale"

    assert stack.report(SAMPLE_KEY) == report
    assert stack.scribe_notices() == []
    assert stack.tags(SAMPLE_KEY, older_version).get("minutes-status") != "rejected"


def test_an_older_put_after_the_delete_does_not_bring_the_page_back(stack):
    put = stack.put_event(SAMPLE_KEY, sample_minutes(), sequencer="0066F0A6E8D7A3B1C2")
    stack.invoke_publish(put)
    delete = stack.delete_event(SAMPLE_KEY, sequencer="0066F0A6E8D7A3B1D0")
    stack.invoke_publish(delete)
    stack.drain()
    assert stack.invoke_publish(put)["status"] == "stale"
    stack.drain()
    assert SAMPLE_PAGE not in stack.site_keys()
    assert stack.meeting_item("openxla", "2022-09-20-sig-openxla")["status"] == "removed"


def test_the_same_event_delivered_twice_publishes_once_and_emails_once(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    stack.subscribe("grace@example.org", ["*"])
    event = stack.put_event(SAMPLE_KEY, sample_minutes())
    first = stack.invoke_publish(event)
    item = stack.meeting_item("openxla", "2022-09-20-sig-openxla")
    page = stack.site_object(SAMPLE_PAGE)
    stack.drain()
    site = stack.site_etags()
    report = stack.report(SAMPLE_KEY)
    assert len(stack.scribe_notices()) == 1

    second = stack.invoke_publish(event)
    stack.drain()

    assert second == first
    assert stack.meeting_item("openxla", "2022-09-20-sig-openxla") == item
    assert stack.site_object(SAMPLE_PAGE)["LastModified"] == page["LastModified"]
    assert stack.site_etags() == site
    assert stack.report(SAMPLE_KEY) == report
    assert stack.scribe_notices() == [], "the scribe hears once"
    assert recipients(outbox()) == ["ada@example.org", "grace@example.org"]


def test_concurrent_uploads_all_end_up_in_the_archive_and_the_feeds(stack):
    stack.subscribe("ada@example.org", ["*"])
    groups = ["openxla", "onnx-infra", "k8s-sig-apps"]
    uploads = [(f"minutes/{groups[n % 3]}/2023-{1 + n // 3:02d}-{10 + n:02d}-sync.md", f"Sync number {n}")
               for n in range(20)]
    events = [stack.put_event(key, minutes_text(title)) for key, title in uploads]
    # S3 delivers in any order; publish runs concurrently and index catches up afterwards.
    for event in reversed(events):
        assert stack.invoke_publish(event)["status"] == "published"
    assert stack.queue_depth("SiteUpdatesQueue") == 20

    stack.drain()

    urls = {f"{SITE_URL}/{key.split('/')[1]}/{key.rsplit('/', 1)[1][:-3]}/" for key, _ in uploads}
    assert set(rss_links(stack.site_text("feed.xml"))) == urls
    assert len(atom_ids(stack.site_text("atom.xml"))) == 20
    archive = stack.site_text("index.html")
    assert all(f"Sync number {n}<" in archive for n in range(20))
    for group in groups:
        mine = {u for u in urls if f"/{group}/" in u}
        assert set(rss_links(stack.site_text(f"{group}/feed.xml"))) == mine
    assert urls <= stack.sitemap_urls()
    assert len(outbox()) == 20


def test_an_event_for_an_object_that_is_gone_changes_nothing(stack):
    event = stack.put_event(SAMPLE_KEY, sample_minutes())
    stack.s3.delete_object(Bucket=stack.minutes_bucket, Key=SAMPLE_KEY,
                           VersionId=event["Records"][0]["s3"]["object"]["versionId"])
    verdict = stack.invoke_publish(event)
    assert verdict["status"] == "stale"
    _assert_nothing_published(stack)


def test_the_handler_returns_json_serialisable_verdicts(stack):
    event = stack.put_event(SAMPLE_KEY, sample_minutes())
    result = stack.cloud.invoke("PublishFunction", event)
    assert json.loads(json.dumps(result)) == result


# --- big and hostile uploads -------------------------------------------------------------------

def test_an_upload_with_thousands_of_problems_is_published_and_reported_in_full(stack):
    # 8,000 missing files, each its own warning. The links' text is one word: numbered texts
    # ('slides 0' to 'slides 7999') made ~1,000 search shards, and the index's S3 calls for
    # them (3,000 on moto) were 52 s of this test's 69, none of it about problems.
    body = "# Big sync\n\n" + "\n".join(f"- [slides](deck-{n}.pdf)" for n in range(8000)) + "\n"
    key = "minutes/openxla/2022-09-27-big-sync.md"
    verdict = stack.publish(key, body.encode())
    stack.drain()
    assert verdict["status"] == "published"
    report, text = stack.report(key)
    assert report["warnings"] == len(report["problems"]) >= 8000
    assert "deck-7999.pdf" in text
    (notice,) = stack.scribe_notices()
    assert len(notice.message.encode()) < 256 * 1024
    assert f"reports/{key}.txt" in notice.message
    assert "openxla/2022-09-27-big-sync/index.html" in stack.site_keys()


def test_an_upload_too_big_for_the_meetings_table_is_rejected_not_crashed(stack):
    import random
    noise = random.Random(7).randbytes(380_000).hex()  # pasted logs or hashes barely compress
    body = ("# Huge\n\n" + "\n\n".join(noise[i:i + 80] for i in range(0, len(noise), 80)) + "\n").encode()
    assert len(body) < 1024 * 1024, "under the size limit: the validator lets it through"
    key = "minutes/openxla/2022-09-27-huge.md"

    verdict = stack.publish(key, body)

    assert verdict["status"] == "rejected"
    _assert_nothing_published(stack)
    report, _ = stack.report(key)
    assert [p["code"] for p in report["problems"]] == ["too-large-to-store"]
    assert report["problems"][0]["hint"]
    assert [n.attributes["status"] for n in stack.scribe_notices()] == ["rejected"]


def test_files_of_one_folder_uploaded_at_once_all_end_up_in_the_meeting(stack, monkeypatch):
    """The race: publish for NOTES.md reads the folder, the slides arrive and are published
    by their own event, then the NOTES.md run writes what it read (without the slides)."""
    from minutes import runtime
    folder = "minutes/openxla/2022-09-20-community-meeting/"
    notes_event = stack.put_event(folder + "NOTES.md", minutes_text("Community meeting"))
    slides_key = folder + "[Public] Slides 2022.9.20.pdf"
    for name, value in stack.cloud.functions["PublishFunction"].environment.items():
        monkeypatch.setenv(name, value)
    runtime.reset()
    stack.cloud._last_function = "PublishFunction"  # keep this publisher for the invocations
    publisher = runtime.publisher()
    real_get = publisher.minutes.get
    interleaved = []

    def get_while_the_slides_arrive(key, version_id=None):
        if not interleaved:  # once: the slides' own publish runs inside this read
            interleaved.append(None)
            interleaved[0] = stack.publish(slides_key, b"%PDF-1.4 slides")
        return real_get(key, version_id)

    monkeypatch.setattr(publisher.minutes, "get", get_while_the_slides_arrive)
    verdict = stack.invoke_publish(notes_event)

    assert interleaved[0]["status"] == "published" and verdict["status"] == "published"
    item = stack.meeting_item("openxla", "2022-09-20-community-meeting")
    assert sorted(item["source_keys"]) == sorted([folder + "NOTES.md", slides_key])
    assert [a["name"] for a in item["attachments"]] == ["[Public] Slides 2022.9.20.pdf"]
    assert "openxla/2022-09-20-community-meeting/[Public] Slides 2022.9.20.pdf" in stack.site_keys()


def test_deleting_an_old_version_of_a_folder_attachment_keeps_the_served_file(stack):
    folder = "minutes/openxla/2022-09-20-community-meeting/"
    slides = folder + "slides.pdf"
    first = stack.put(slides, b"%PDF-1.4 first")
    stack.publish(slides, b"%PDF-1.4 second")
    stack.publish(folder + "NOTES.md", minutes_text("Community meeting"))
    verdict = stack.invoke_publish(stack.delete_version_event(slides, first["VersionId"]))
    assert verdict["status"] in ("published", "stale")
    served = stack.site_object("openxla/2022-09-20-community-meeting/slides.pdf")["Body"].read()
    assert served == b"%PDF-1.4 second"


def test_a_draft_keeps_its_attachments_in_its_unlisted_folder(stack):
    folder = "minutes/openxla/2022-09-20-community-meeting/"
    stack.publish(folder + "slides.pdf", b"%PDF-1.4 slides")
    verdict = stack.publish(folder + "NOTES.md", minutes_text("Community meeting", front="draft: true"))
    assert verdict["status"] == "draft"
    site = stack.site_keys()
    assert "openxla/_drafts/2022-09-20-community-meeting/slides.pdf" in site
    assert not any(k.startswith("openxla/2022-09-20-community-meeting/") for k in site)


def test_files_the_site_does_not_serve_are_never_read_and_get_a_warning(stack):
    folder = "minutes/openxla/2022-09-20-community-meeting/"
    stack.put(folder + "recording.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    verdict = stack.publish(folder + "NOTES.md", minutes_text("Community meeting"))
    assert verdict["status"] == "published"
    assert [p["code"] for p in verdict["problems"]] == ["attachment-type"]
    assert not any(k.endswith("recording.mp4") for k in stack.site_keys())


def test_two_keys_with_one_url_are_placed_in_meeting_order_not_by_arrival(stack):
    """Decision 110 (was: first come, first served, the second at -2; then, 103: refused)."""
    first = stack.publish("minutes/rust-lang/2019.04.18.md", minutes_text("Lang team"))
    assert first["url"] == f"{SITE_URL}/rust-lang/2019-04-18/"
    second = stack.publish("minutes/rust-lang/2019-04-18.md", minutes_text("Lang team, again"))
    assert second["url"] == f"{SITE_URL}/rust-lang/2019-04-18/"   # sorts first: takes the URL
    assert "Lang team" in stack.site_text("rust-lang/2019-04-18-2/index.html")   # moved
    again = stack.publish("minutes/rust-lang/2019.04.18.md", minutes_text("Lang team, retitled"))
    assert again["url"] == f"{SITE_URL}/rust-lang/2019-04-18-2/"
    stack.invoke_publish(stack.delete_event("minutes/rust-lang/2019-04-18.md"))
    assert "Lang team, retitled" in stack.site_text("rust-lang/2019-04-18/index.html")
    assert not any(k.startswith("rust-lang/2019-04-18-2") for k in stack.site_keys())


# --- found by the soak: a delete delivered before the create of a key never published --------

def test_a_delete_delivered_before_the_create_keeps_the_meeting_unpublished(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    create = stack.put_event(SAMPLE_KEY, sample_minutes())
    delete = stack.delete_event(SAMPLE_KEY)

    # nothing was published yet: answered, with a report, as a delete of nothing (decision 118)
    assert stack.invoke_publish(delete)["status"] == "removed"
    assert stack.report(SAMPLE_KEY)[0]["url"] is None
    assert stack.invoke_publish(create)["status"] == "stale"   # the late create: no resurrection
    stack.drain()

    assert stack.site_keys() == set()
    assert stack.meetings().get("openxla", "2022-09-20-sig-openxla") is None
    assert stack.meetings().all() == []
    assert outbox() == []
    # The key uploaded again later publishes as usual.
    assert stack.publish(SAMPLE_KEY, sample_minutes())["status"] == "published"
    stack.drain()
    assert SAMPLE_PAGE in stack.site_keys() and recipients(outbox()) == ["ada@example.org"]
