"""Publish dies between any two of its AWS calls, and Lambda runs the event again (decision 109):
for each change below, the event is crashed before its 1st call, its 2nd, ... until it runs to
the end, each time on a fresh stack, then delivered again; the site must then equal a fresh build
of the bucket, and each subscriber have one email per announced meeting. (test_faults.py fails
each named call; this walks every point, the calls' order as it is.) The suite takes every
5th point (a different 5th for each change); `HUNT_CRASH_STRIDE=1` takes them all."""
from __future__ import annotations

import os

import pytest

from tests.conftest import fake_aws_environment
from tests.support.aws import local_stack
from tests.support.chaos import Crashed, CrashSwitch
from tests.support.soak import SUBSCRIBERS, email_differences, site_differences

BASE = ("minutes/base/2024-01-01-base.md", b"# Base\n\n- a\n- b\n- c\n")
NOTES = b"# Weekly\n\n- one\n- two\n- three\n"
DRAFT = b"---\ndraft: true\n---\n" + NOTES
OTHER = b"# Weekly, corrected\n\nA longer text.\n\n- one\n- two\n"
FILE = "minutes/g/2024-05-07-weekly.md"
FOLDER = "minutes/g/2024-06-01-sync/"
UNDATED = "minutes/g/weekly.md"    # its URL has the front matter's date
GROUP_YAML = "minutes/g/group.yaml"
UNTITLED = b"- one\n- two\n- three\n"   # titled "<group's name> meeting <date>"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

NOTES_FILE = "minutes/g/notes.md"     # a running-notes file: each dated section is a meeting
TWO_SECTIONS = b"# Running notes\n\n## 2024-05-07\n\n- one\n- two\n\n## 2024-05-14\n\n- three\n- four\n"
ONE_SECTION = b"# Running notes\n\n## 2024-05-14\n\n- three\n- four\n"
EDITED_SECTION = TWO_SECTIONS.replace(b"- one\n", b"- one, corrected\n")
REDATED_SECTION = TWO_SECTIONS.replace(b"## 2024-05-07", b"## 2024-05-08")
OLDER_NOTES = "minutes/g/older-notes.md"   # holds 2024-05-07 too; notes.md (sorts first) shows it
OLDER_SECTION = b"# Older\n\n## 2024-05-07\n\n- one, as the archive has it\n"
DATED_NOTES = b"---\ndate: 2024-05-21\n---\n" + TWO_SECTIONS   # one meeting, whatever its headings
TWIN = "minutes/g/2024-05-07.md"   # wants the URL of the section 2024-05-07, and sorts first

# (what is in place first, the change whose event crashes): each ("put", key, bytes) or
# ("delete", key).
CHANGES = {
    "new meeting": ([], ("put", FILE, NOTES)),
    "draft published": ([("put", FILE, DRAFT)], ("put", FILE, NOTES)),
    "published made a draft": ([("put", FILE, NOTES)], ("put", FILE, DRAFT)),
    "edited": ([("put", FILE, NOTES)], ("put", FILE, OTHER)),
    "deleted": ([("put", FILE, NOTES)], ("delete", FILE)),
    "put back": ([("put", FILE, NOTES), ("delete", FILE)], ("put", FILE, OTHER)),
    "date moved": ([("put", UNDATED, b"---\ndate: 2024-05-07\n---\n" + NOTES)],
                   ("put", UNDATED, b"---\ndate: 2024-05-08\n---\n" + NOTES)),
    "attachment added": ([("put", FOLDER + "NOTES.md", NOTES)], ("put", FOLDER + "slides.pdf", PDF)),
    "attachment deleted": ([("put", FOLDER + "NOTES.md", NOTES), ("put", FOLDER + "slides.pdf", PDF)],
                           ("delete", FOLDER + "slides.pdf")),
    "folder notes deleted": ([("put", FOLDER + "NOTES.md", NOTES), ("put", FOLDER + "AGENDA.md", OTHER)],
                             ("delete", FOLDER + "NOTES.md")),
    "group named": ([("put", FILE, UNTITLED)], ("put", GROUP_YAML, b"name: Gee\n")),
    "group renamed": ([("put", GROUP_YAML, b"name: Gee\n"), ("put", FILE, UNTITLED)],
                      ("put", GROUP_YAML, b"name: Other\n")),
    "group.yaml deleted": ([("put", GROUP_YAML, b"name: Gee\n"), ("put", FILE, UNTITLED)],
                           ("delete", GROUP_YAML)),
    # running-notes files (decision 116): each dated section is a meeting
    "notes new": ([], ("put", NOTES_FILE, TWO_SECTIONS)),
    "section added": ([("put", NOTES_FILE, ONE_SECTION)], ("put", NOTES_FILE, TWO_SECTIONS)),
    "section dropped": ([("put", NOTES_FILE, TWO_SECTIONS)], ("put", NOTES_FILE, ONE_SECTION)),
    "section edited": ([("put", NOTES_FILE, TWO_SECTIONS)], ("put", NOTES_FILE, EDITED_SECTION)),
    "section re-dated": ([("put", NOTES_FILE, TWO_SECTIONS)], ("put", NOTES_FILE, REDATED_SECTION)),
    "section handed over": ([("put", NOTES_FILE, TWO_SECTIONS), ("put", OLDER_NOTES, OLDER_SECTION)],
                            ("put", NOTES_FILE, ONE_SECTION)),
    "notes deleted": ([("put", NOTES_FILE, TWO_SECTIONS)], ("delete", NOTES_FILE)),
    "notes made one meeting": ([("put", NOTES_FILE, TWO_SECTIONS)], ("put", NOTES_FILE, DATED_NOTES)),
    "one meeting made notes": ([("put", NOTES_FILE, DATED_NOTES)], ("put", NOTES_FILE, TWO_SECTIONS)),
    "twin of a section deleted": ([("put", TWIN, NOTES), ("put", NOTES_FILE, TWO_SECTIONS)],
                                  ("delete", TWIN)),
    "twin of a section added": ([("put", NOTES_FILE, TWO_SECTIONS)], ("put", TWIN, NOTES)),
}


def event_of(stack, change):
    return stack.put_event(change[1], change[2]) if change[0] == "put" else stack.delete_event(change[1])


def crashed_at(name: str, call: int) -> tuple[bool, list[str]]:
    """(whether the crash happened, what differs once the event ran again)."""
    before, change = CHANGES[name]
    with fake_aws_environment(), local_stack() as stack:
        for address, groups in SUBSCRIBERS.items():
            stack.subscribe(address, list(groups))
        stack.publish(*BASE)
        for step in before:
            stack.invoke_publish(event_of(stack, step))
            stack.drain()
        crash = CrashSwitch(stack).install()
        try:
            event = event_of(stack, change)
            crash.arm("PublishFunction", call)
            try:
                stack.cloud.invoke("PublishFunction", event)
            except Crashed:
                pass
            fired = crash.disarm()
            if fired and call % 2:       # index may run on what the crashed attempt sent
                stack.drain()
            stack.cloud.invoke("PublishFunction", event)
            stack.drain()
        finally:
            crash.uninstall()
        # (the email of a meeting that moved names its first URL, which the check cannot map)
        mail = email_differences(stack) if name != "date moved" else []
        return fired, site_differences(stack) + mail


# A section moved by a twin of its URL (RunningNotesPublisher.move: record written, then page,
# then the old page deleted) is not crash-safe yet: run again, the record is at its place
# already and nothing is redone (a page missing or left at g/2024-05-07-2/); and the check
# cannot map a moved meeting's email (it names the URL it had then). Decision 116.
MOVE_NOT_CRASH_SAFE = pytest.mark.xfail(strict=True, reason="decision 116: a section moved by "
                                        "a twin: move() redoes nothing when run again")
CASES = [pytest.param(name, marks=MOVE_NOT_CRASH_SAFE) if name.startswith("twin of a section")
         else name for name in CHANGES]


@pytest.mark.parametrize("name", CASES)
def test_publish_crashed_before_any_call_then_run_again_equals_a_fresh_build(name):
    stride = int(os.environ.get("HUNT_CRASH_STRIDE", "5"))
    found, call = {}, 1 + list(CHANGES).index(name) % stride
    while True:
        fired, differences = crashed_at(name, call)
        if differences:
            found[call if fired else "no crash"] = differences
        if not fired:
            break
        call += stride
    assert call > 5, "the crash never landed: the test proves nothing"
    assert found == {}, f"{name}: crashed before call n, then run again: {found}"


def crashed_then_retried(stack, key: str, body: bytes | None, at: str) -> None:
    """Put `body` at `key` (None: delete it); publish of its event dies before its first `at`
    call (an "service.Operation"); then Lambda's retry runs it whole and the queues are drained."""
    crash = CrashSwitch(stack).install()
    try:
        event = stack.put_event(key, body) if body is not None else stack.delete_event(key)
        crash.arm("PublishFunction", at=at)
        with pytest.raises(Crashed):
            stack.cloud.invoke("PublishFunction", event)
        assert crash.disarm()
        stack.invoke_publish(event)      # Lambda's retry
        stack.drain()
    finally:
        crash.uninstall()


def test_a_draft_published_by_an_event_that_died_after_the_record_write_leaves_no_draft_page(stack):
    """Publish died right after storing the published record (before queueing the site update,
    writing the page and deleting the draft's): run again, it read that record as the one
    before it and never deleted /g/_drafts/<meeting>/ (a page a fresh build does not have)."""
    stack.publish(FILE, DRAFT)
    stack.drain()
    crashed_then_retried(stack, FILE, NOTES, "sqs.SendMessage")
    assert "g/_drafts/2024-05-07-weekly/index.html" not in stack.site_keys()
    assert site_differences(stack) == []


def test_a_group_named_by_an_event_that_died_after_storing_it_retitles_when_run_again(stack):
    """Publish of a group.yaml died after storing it, before retitling the group's made-up
    titles ("G meeting 2024-05-07"): run again, it read the new name as the one before it and
    retitled nothing, so the archive, feeds and page kept "G meeting" where a fresh build says
    "Gee meeting"."""
    stack.publish(FILE, UNTITLED)
    stack.drain()
    # dies at the retitle's read of the group
    crashed_then_retried(stack, GROUP_YAML, b"name: Gee\n", "dynamodb.Query")
    assert stack.meeting_item("g", "2024-05-07-weekly")["title"] == "Gee meeting 2024-05-07"
    assert site_differences(stack) == []


def test_a_meeting_deleted_by_an_event_that_died_before_deleting_its_page_goes_when_run_again(stack):
    """Publish of a delete died after tombstoning the record, before deleting the page: run
    again, it read the tombstone as a meeting taken down already (whose URL may be another's
    now) and left the page (decision 116: a retry finishes the removal while the meeting still
    holds its URL segment)."""
    stack.publish(FILE, NOTES)
    stack.drain()
    crashed_then_retried(stack, FILE, None, "s3.DeleteObjects")
    assert "g/2024-05-07-weekly/index.html" not in stack.site_keys()
    assert site_differences(stack) == []


def test_a_section_dropped_by_an_event_that_died_before_deleting_its_page_goes_when_run_again(stack):
    stack.publish(NOTES_FILE, TWO_SECTIONS)
    stack.drain()
    crashed_then_retried(stack, NOTES_FILE, ONE_SECTION, "s3.ListObjectsV2")  # its page's delete
    assert site_differences(stack) == []
