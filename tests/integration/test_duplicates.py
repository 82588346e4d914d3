"""Duplicates and order (issue 11): S3 and SQS deliver at least once and in any order. The
same event twice, ten times or interleaved with others changes nothing and sends nothing twice;
an older event never overwrites a newer one; a delete is never undone by a late create.
(More single cases are in test_publish.py and test_notify.py.)"""
from __future__ import annotations

import random

import pytest

from tests.support.aws import SAMPLE_KEY, SAMPLE_PAGE, minutes_text, outbox, recipients, sample_minutes
from tests.support.soak import site_differences

FOLDER = "minutes/openxla/2022-10-18-community-meeting/"


@pytest.fixture
def readers(stack):
    stack.subscribe("ada@example.org", ["openxla"])
    stack.subscribe("grace@example.org", ["*"])
    return stack


def test_the_same_s3_event_ten_times_publishes_once_and_emails_once(readers):
    stack = readers
    stack.version_site()
    event = stack.put_event(SAMPLE_KEY, sample_minutes())
    verdicts = []
    for _ in range(10):
        verdicts.append(stack.invoke_publish(event))
        stack.drain()
    assert all(v == verdicts[0] for v in verdicts) and verdicts[0]["status"] == "published"
    assert stack.site_versions()[SAMPLE_PAGE] == 1, "the page was written once"
    assert max(stack.site_versions().values()) == 1, "nothing on the site was written twice"
    assert len(stack.scribe_notices()) == 1
    assert recipients(outbox()) == ["ada@example.org", "grace@example.org"]
    assert site_differences(stack) == []


def test_events_of_several_keys_delivered_three_times_each_interleaved(readers):
    stack = readers
    events = [stack.put_event(SAMPLE_KEY, sample_minutes()),
              stack.put_event(FOLDER + "NOTES.md", minutes_text("Community meeting")),
              stack.put_event(FOLDER + "AGENDA.md", minutes_text("Agenda")),
              stack.put_event(FOLDER + "slides.pdf", b"%PDF-1.4 slides"),
              stack.put_event(SAMPLE_KEY, minutes_text("SIG OpenXLA, corrected")),
              stack.put_event("minutes/onnx-infra/2023-01-10-sync.md", minutes_text("Infra sync"))]
    deliveries = events * 3
    random.Random(11).shuffle(deliveries)
    for n, event in enumerate(deliveries):
        stack.invoke_publish(event)
        if n % 4 == 0:
            stack.drain()
    stack.drain()

    assert site_differences(stack) == []
    assert "SIG OpenXLA, corrected" in stack.site_text(SAMPLE_PAGE)
    got = sorted(recipients(outbox()))
    assert got == sorted(["ada@example.org", "grace@example.org"] * 2 + ["grace@example.org"])
    assert len(stack.scribe_notices()) <= len(events), "a verdict is told once per event"


@pytest.mark.parametrize("queue", ["SiteUpdatesQueue", "NotificationsQueue"])
def test_every_sqs_message_redelivered_three_times_changes_nothing_and_sends_once(readers, queue):
    stack = readers
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.publish("minutes/onnx-infra/2023-01-10-sync.md", minutes_text("Infra sync"))
    while stack.queue_depth(queue):
        for _ in range(3):
            stack.redeliver(queue)          # processed, and still on the queue
        stack.drain()                       # and once more
    stack.drain()
    assert site_differences(stack) == []
    assert recipients(outbox()) == sorted(["ada@example.org", "grace@example.org", "grace@example.org"])


def test_an_older_folder_file_event_after_a_newer_one_never_overwrites_it(readers):
    stack = readers
    older = stack.put_event(FOLDER + "NOTES.md", minutes_text("Community meeting, first draft"))
    newer = stack.put_event(FOLDER + "NOTES.md", minutes_text("Community meeting, final"))
    assert stack.invoke_publish(newer)["status"] == "published"
    assert stack.invoke_publish(older)["status"] == "stale"
    stack.drain()
    assert "final" in stack.site_text("openxla/2022-10-18-community-meeting/index.html")
    assert site_differences(stack) == []


@pytest.mark.parametrize("published_first", [True, False], ids=["published", "never published"])
def test_a_delete_followed_by_a_late_create_of_an_older_version_does_not_resurrect(readers,
                                                                                   published_first):
    stack = readers
    create = stack.put_event(SAMPLE_KEY, sample_minutes())
    if published_first:
        stack.invoke_publish(create)
        stack.drain()
    delete = stack.delete_event(SAMPLE_KEY)
    stack.invoke_publish(delete)
    stack.invoke_publish(create)            # late (again, or for the first time)
    stack.drain()
    assert SAMPLE_PAGE not in stack.site_keys()
    if published_first:
        assert site_differences(stack) == []
        assert len(outbox()) == 2
    else:                                   # nothing was ever published: nothing was written
        assert stack.site_keys() == set() and outbox() == []


def test_a_folder_meeting_deleted_then_a_late_older_create_does_not_resurrect(readers):
    stack = readers
    create = stack.put_event(FOLDER + "NOTES.md", minutes_text("Community meeting"))
    stack.invoke_publish(create)
    stack.drain()
    stack.invoke_publish(stack.delete_event(FOLDER + "NOTES.md"))
    stack.invoke_publish(create)            # late
    stack.drain()
    assert not {k for k in stack.site_keys() if "2022-10-18-community-meeting" in k}
    assert site_differences(stack) == []
    assert len(outbox()) == 2, "its one announcement, never a second"
