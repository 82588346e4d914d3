"""publish, for running-notes files, on moto: one meeting per dated section; a new section on top
is one email per subscriber; an edit of an older section sends nothing; a section that goes is
removed; the yearly archive move loses, duplicates and re-sends nothing. The site always equals a
fresh `minutes build` of the sources (build times aside)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from minutes.build import build
from tests.support.aws import outbox, recipients
from tests.support.soak import without_build_times

RUNNING = "minutes/sig-node/meeting-notes.md"
ARCHIVE = "minutes/sig-node/archive/meeting-notes-2024.md"
HEADER = "# SIG Node Meeting Notes\n\nTuesdays 10:00am Pacific.\n"


def notes(*sections: str, header: str = HEADER) -> bytes:
    return (header + "".join(f"\n## {s}\n\n10:00am Pacific (18:00 UTC)\n\n- notes of {s}\n"
                             for s in sections)).encode()


def meetings(stack) -> dict[str, dict]:
    items = stack.table("MeetingsTable").scan(ConsistentRead=True)["Items"]
    return {i["meeting"]: i for i in items if i["meeting"].endswith("@notes")}


def published(stack) -> list[str]:
    return sorted(m for m, i in meetings(stack).items() if i["status"] == "published")


def assert_site_is_a_fresh_build(stack) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src", Path(tmp) / "site"
        for key, body in stack.source_objects().items():
            target = src / key[len("minutes/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        settings = stack.settings("IndexFunction")
        build(src, out, site_url=settings.site_url,
              subscribe_url=settings.subscriptions_url or None, workers=1)
        expected = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    actual = stack.site_contents()
    assert sorted(expected) == sorted(actual)
    differ = [k for k in expected if without_build_times(expected[k]) != without_build_times(actual[k])]
    assert differ == []


def test_each_dated_section_is_a_meeting_with_its_page_feed_entry_and_email(stack):
    stack.subscribe("ada@example.org", ["sig-node"])
    verdict = stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    stack.drain()
    assert verdict["status"] == "published"
    assert [m["url"] for m in verdict["meetings"]] == [
        "https://minutes.example.org/sig-node/2024-12-31/",
        "https://minutes.example.org/sig-node/2024-12-24/"]
    page = stack.site_text("sig-node/2024-12-31/index.html")
    assert "notes of Dec 31, 2024" in page and "notes of Dec 24, 2024" not in page
    assert "Tuesdays" not in page                          # the header is not a meeting
    item = meetings(stack)["2024-12-31@notes"]
    assert (item["time"], item["timezone"]) == ("10:00", "America/Los_Angeles")
    assert "tag:minutes.example.org,2024:sig-node/2024-12-31@notes" in stack.site_text("sig-node/atom.xml")
    assert recipients(outbox()) == ["ada@example.org", "ada@example.org"]
    report, text = stack.report(RUNNING)
    assert "Running notes: 2 meetings" in text and "/sig-node/2024-12-24/" in text
    assert_site_is_a_fresh_build(stack)


def test_a_new_section_on_top_is_one_meeting_and_one_email_per_subscriber(stack):
    stack.subscribe("ada@example.org", ["sig-node"])
    stack.subscribe("bob@example.org", ["sig-node"])
    stack.publish(RUNNING, notes("Dec 24, 2024", "Dec 17, 2024"))
    stack.drain()
    before = len(outbox())

    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024", "Dec 17, 2024"))
    stack.drain()

    new = outbox()[before:]
    assert recipients(new) == ["ada@example.org", "bob@example.org"]
    assert all("Dec 31, 2024" in str(m["Subject"]) for m in new)
    assert published(stack) == ["2024-12-17@notes", "2024-12-24@notes", "2024-12-31@notes"]
    assert_site_is_a_fresh_build(stack)


def test_an_edit_of_an_older_section_updates_its_page_and_sends_nothing(stack):
    stack.subscribe("ada@example.org", ["sig-node"])
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    stack.drain()
    feed_id = meetings(stack)["2024-12-24@notes"]["feed_id"]
    before = len(outbox())

    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024").replace(
        b"notes of Dec 24, 2024", b"corrected notes of Dec 24"))
    stack.drain()

    assert len(outbox()) == before
    assert "corrected notes of Dec 24" in stack.site_text("sig-node/2024-12-24/index.html")
    assert meetings(stack)["2024-12-24@notes"]["feed_id"] == feed_id
    assert_site_is_a_fresh_build(stack)


def test_a_section_edited_to_hold_raw_html_keeps_no_earlier_text_form(stack):
    # Mail sends a stored text form beside the HTML: the earlier one must not outlive an edit
    # that has none (a section with raw HTML mails from its HTML).
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    assert "text_gz" in meetings(stack)["2024-12-24@notes"]
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024").replace(
        b"- notes of Dec 24, 2024", b"<details><summary>Vote</summary>Seven for.</details>"))
    item = meetings(stack)["2024-12-24@notes"]
    assert "text_gz" not in item and "text_gz" in meetings(stack)["2024-12-31@notes"]
    assert stack.meetings().get("sig-node", "2024-12-24@notes").content_text is None


def test_a_section_that_disappears_is_removed_like_a_deleted_file(stack):
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024", "Dec 17, 2024"))
    stack.drain()
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 17, 2024"))
    stack.drain()
    assert not any(k.startswith("sig-node/2024-12-24/") for k in stack.site_keys())
    assert "2024-12-24" not in stack.site_text("sig-node/index.html")
    assert meetings(stack)["2024-12-24@notes"]["status"] == "removed"
    assert_site_is_a_fresh_build(stack)

    stack.invoke_publish(stack.delete_event(RUNNING))
    stack.drain()
    assert published(stack) == []
    assert not any(k.startswith("sig-node/") for k in stack.site_keys())


def _archive_move(stack, *, archive_first: bool) -> None:
    stack.subscribe("ada@example.org", ["sig-node"])
    stack.publish(RUNNING, notes("Jan 7, 2025", "Dec 31, 2024", "Dec 24, 2024"))
    stack.drain()
    urls = {m: i["segment"] for m, i in meetings(stack).items()}
    ids = {m: i["feed_id"] for m, i in meetings(stack).items()}
    before = len(outbox())
    uploads = [(ARCHIVE, notes("Dec 31, 2024", "Dec 24, 2024", header="# SIG Node 2024\n")),
               (RUNNING, notes("Jan 7, 2025"))]
    for key, body in uploads if archive_first else reversed(uploads):
        stack.publish(key, body)
        stack.drain()
    assert len(outbox()) == before                                   # no second email
    assert published(stack) == ["2024-12-24@notes", "2024-12-31@notes", "2025-01-07@notes"]
    assert {m: i["segment"] for m, i in meetings(stack).items()} == urls   # URLs never move
    assert {m: i["feed_id"] for m, i in meetings(stack).items()} == ids
    assert sorted(meetings(stack)["2024-12-31@notes"]["holders"]) == [ARCHIVE]
    assert "SIG Node 2024" in stack.site_text("sig-node/2024-12-31/index.html")
    assert_site_is_a_fresh_build(stack)


def test_the_archive_move_archive_first_loses_duplicates_and_resends_nothing(stack):
    _archive_move(stack, archive_first=True)


def test_the_archive_move_trimmed_file_first_loses_duplicates_and_resends_nothing(stack):
    _archive_move(stack, archive_first=False)


def test_while_two_files_hold_a_section_the_first_key_is_published_like_build(stack):
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    stack.publish(ARCHIVE, notes("Dec 24, 2024", header="# Archive\n").replace(b"notes of", b"archived"))
    stack.drain()
    assert "archived Dec 24" in stack.site_text("sig-node/2024-12-24/index.html")
    assert_site_is_a_fresh_build(stack)
    stack.invoke_publish(stack.delete_event(ARCHIVE))       # the running file's copy comes back
    stack.drain()
    assert "notes of Dec 24" in stack.site_text("sig-node/2024-12-24/index.html")
    assert_site_is_a_fresh_build(stack)


def test_an_older_event_of_the_file_changes_nothing_and_a_duplicate_sends_nothing(stack):
    stack.subscribe("ada@example.org", ["sig-node"])
    old = stack.put_event(RUNNING, notes("Dec 24, 2024"), sequencer="0001")
    new = stack.put_event(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"), sequencer="0002")
    stack.invoke_publish(new)
    assert stack.invoke_publish(old)["status"] == "stale"
    assert stack.invoke_publish(new)["status"] == "published"      # delivered twice
    stack.drain()
    assert published(stack) == ["2024-12-24@notes", "2024-12-31@notes"]
    assert recipients(outbox()) == ["ada@example.org", "ada@example.org"]
    assert_site_is_a_fresh_build(stack)


def test_a_bad_section_rejects_the_upload_and_changes_nothing(stack):
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    stack.drain()
    before = stack.site_contents()
    verdict = stack.publish(RUNNING, notes("Jan 7, 2025", "Dec 31, 2024") + b"\n" + b"> " * 200 + b"x\n")
    stack.drain()
    assert verdict["status"] == "rejected"
    assert stack.site_contents() == before
    assert published(stack) == ["2024-12-24@notes", "2024-12-31@notes"]


def test_a_one_meeting_file_that_becomes_running_notes_and_back_leaves_nothing_behind(stack):
    one = b"---\ndate: 2024-12-20\n---\n# Planning\n\n- one meeting\n- a\n- b\n"
    stack.publish(RUNNING, one)
    stack.drain()
    assert "sig-node/2024-12-20-meeting-notes/index.html" in stack.site_keys()
    stack.publish(RUNNING, notes("Dec 31, 2024", "Dec 24, 2024"))
    stack.drain()
    assert not any(k.startswith("sig-node/2024-12-20-meeting-notes/") for k in stack.site_keys())
    assert published(stack) == ["2024-12-24@notes", "2024-12-31@notes"]
    assert_site_is_a_fresh_build(stack)
    stack.publish(RUNNING, one)
    stack.drain()
    assert published(stack) == []
    assert "sig-node/2024-12-20-meeting-notes/index.html" in stack.site_keys()
    assert_site_is_a_fresh_build(stack)
