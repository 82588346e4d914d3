"""Faults (issue 11): each AWS call publish, index and notify make fails, on the first try and
on every try (tests/support/faults.py fails the real boto3 call before it reaches moto).

On the first try, Lambda's retry (S3 events: two more attempts; SQS: the message comes back)
converges to the site a fresh build makes, with one email. On every try, the event ends in its
dead-letter queue with the reason, the site shows no broken link or feed meanwhile, and once
the fault is gone a replay (`minutes dlq replay`) converges too.
"""
from __future__ import annotations

import posixpath
import re
import urllib.parse

import boto3
import feedparser
import pytest

from minutes import runtime
from minutes.aws.deadletters import DeadLetterQueues
from minutes.aws.queues import Notifications
from minutes.cli import main

from tests.support.aws import REGION, SAMPLE_KEY, minutes_text, outbox, recipients, sample_minutes
from tests.support.faults import Faults
from tests.support.soak import site_differences

OTHER_KEY = "minutes/openxla/2023-01-10-infra-sync.md"   # same group: see decision 32
MEETING = "2022-09-20-sig-openxla"
PAGE_PREFIX = f"openxla/{MEETING}/"


@pytest.fixture
def faults(stack):
    faults = Faults().install()
    runtime.reset()                          # the functions' clients are made again, with the hook
    runtime.provide(notifier=stack.notifier())
    stack.subscribe("ada@example.org", ["openxla"])
    yield faults
    faults.uninstall()


def dead_letters(stack) -> DeadLetterQueues:
    return DeadLetterQueues(stack.sqs, invoke=lambda arn, payload: stack.cloud.invoke_async(
        stack.cloud.function_for_arn(arn), payload))


def broken(stack) -> list[str]:
    """Links between site pages that lead nowhere, and feeds a reader would reject."""
    site = stack.site_contents()
    problems = []
    for key, body in site.items():
        if key.endswith(".xml") and key.rsplit("/", 1)[-1] in ("feed.xml", "atom.xml"):
            if feedparser.parse(body).bozo:
                problems.append(f"feed does not parse: {key}")
        if not key.endswith(".html"):
            continue
        for href in re.findall(r'href="([^"#?]+)', body.decode()):
            if "://" in href or href.startswith(("mailto:", "/")):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(key), urllib.parse.unquote(href)))
            if target not in site and posixpath.join(target, "index.html") not in site:
                problems.append(f"{key} links to {href}, which is not there")
    return problems


def converged(stack) -> None:
    stack.drain()
    assert site_differences(stack) == []
    assert broken(stack) == []
    assert recipients(outbox()) == ["ada@example.org", "ada@example.org"]   # one per meeting


# What publish calls, in the order it makes them (each matched by its parameters).
PUBLISH_CALLS = {
    "record write": ("dynamodb", "UpdateItem",
                     lambda p: any(n.startswith("seq:") for n in p.get("ExpressionAttributeNames", {}).values())),
    "page": ("s3", "PutObject", lambda p: p["Key"].startswith(PAGE_PREFIX)),   # publish's own
    "site update send": ("sqs", "SendMessage", lambda p: p["QueueUrl"].endswith(".fifo")),
    "announcement claim": ("dynamodb", "UpdateItem",
                           lambda p: "announce_pending = " in p.get("UpdateExpression", "")),
    "announcement send": ("sqs", "SendMessage", lambda p: '"announce"' in p["MessageBody"]),
    "announcement sent mark": ("dynamodb", "UpdateItem",
                               lambda p: p.get("UpdateExpression") == "REMOVE announce_pending"),
    "scribe notice": ("sns", "Publish", lambda p: True),
    "report write": ("s3", "PutObject", lambda p: p["Key"].startswith("reports/")),
}


@pytest.mark.parametrize("call", PUBLISH_CALLS)
def test_publish_retried_after_a_failed_call_converges(stack, faults, call):
    service, operation, matches = PUBLISH_CALLS[call]
    faults.fail(service, operation, times=1, when=lambda p: matches(p) and MEETING in str(p)
                and stack.cloud.current_function == "PublishFunction")
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))

    assert sum(faults.failed.values()) == 1, f"the {call} failed once"
    assert stack.cloud.failures == []
    converged(stack)


@pytest.mark.parametrize("call", PUBLISH_CALLS)
def test_publish_failing_on_every_try_ends_in_its_dead_letter_queue_and_a_replay_converges(
        stack, faults, call):
    service, operation, matches = PUBLISH_CALLS[call]
    faults.fail(service, operation, times=None, when=lambda p: matches(p) and MEETING in str(p)
                and stack.cloud.current_function == "PublishFunction")
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))
    stack.drain()

    queue = stack.ref("PublishFailuresQueue")
    (letter,) = dead_letters(stack).peek(queue)
    assert letter.reason() == "ClientError: An error occurred (InternalError) when calling the " \
        f"{operation} operation: InternalError (injected)"
    assert SAMPLE_KEY in letter.about()
    assert broken(stack) == [], "partial work never shows as a broken page or feed"

    faults.heal()
    assert len(dead_letters(stack).replay(queue)) == 1
    assert stack.queue_depth("PublishFailuresQueue") == 0
    converged(stack)


def test_index_failing_on_every_try_ends_in_its_dead_letter_queue_and_the_cli_replays_it(
        stack, faults, capsys):
    """(The group already has a page: the first meeting of a new group links to the group page
    that index makes, so while index fails for good that one link waits for the replay.)"""
    stack.cloud.invoke_async("PublishFunction", stack.put_event(
        "minutes/openxla/2022-08-09-community-meeting.md", minutes_text("Community meeting")))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))
    stack.drain()
    faults.fail("s3", "PutObject", when=lambda p: p["Key"] == "index.html", times=None)
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.drain()
    dlq = stack.ref("SiteUpdatesDeadLetterQueue")
    assert stack.queue_depth("SiteUpdatesDeadLetterQueue") == 1
    assert main(["dlq", "list", "--queue", dlq]) == 0
    listed = capsys.readouterr().out
    assert "1 message(s)" in listed and '"meeting": "2022-09-20-sig-openxla"' in listed
    assert broken(stack) == [], "the archive is one meeting behind, nothing links to nothing"

    faults.heal()
    assert main(["dlq", "replay", "--queue", dlq]) == 0
    assert "replayed 1" in capsys.readouterr().out
    assert stack.queue_depth("SiteUpdatesDeadLetterQueue") == 0
    stack.drain()
    assert site_differences(stack) == [] and broken(stack) == []
    assert recipients(outbox()) == ["ada@example.org"] * 3


@pytest.mark.parametrize("times", [1, None], ids=["first try", "every try"])
def test_a_failed_send_converges_to_one_email_each(stack, faults, times):
    faults.fail("sesv2", "SendEmail", times=times, code="AccessDeniedException")
    runtime.provide(notifier=stack.notifier())
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))
    stack.drain()
    if times is None:
        assert outbox() == []
        assert stack.queue_depth("NotificationsDeadLetterQueue") == 2
        faults.heal()
        assert len(dead_letters(stack).replay(stack.ref("NotificationsDeadLetterQueue"))) == 2
    converged(stack)


# The loss cases: the first announcement fails for good, the scribe publishes a correction
# (which announces nothing: the meeting was announced), and only then the operator replays.
# The replayed message is older than the correction, yet the one email must still go out, once,
# with the corrected content.
CORRECTED = "SIG OpenXLA, corrected"


def correct_then_replay(stack, faults, dead_letter_queue: str, healed: bool) -> None:
    """healed: the fault is gone by the time of the correction (else it fails too, and the
    operator replays both)."""
    assert outbox() == []
    if healed:
        faults.heal()
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, minutes_text(CORRECTED)))
    stack.drain()
    faults.heal()
    dead_letters(stack).replay(stack.ref(dead_letter_queue))
    assert stack.queue_depth(dead_letter_queue) == 0
    stack.drain()
    (email,) = outbox()
    assert recipients([email]) == ["ada@example.org"]
    assert CORRECTED in email.get_body(("plain",)).get_content()
    assert site_differences(stack) == [] and broken(stack) == []


HEALED = pytest.mark.parametrize("healed", [True, False], ids=["fixed before the correction",
                                                              "fixed after the correction"])


@HEALED
def test_a_send_failing_for_good_then_a_correction_then_the_replay_sends_one_email(stack, faults,
                                                                                  healed):
    faults.fail("sesv2", "SendEmail", times=None, code="AccessDeniedException")
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.drain()
    assert stack.queue_depth("NotificationsDeadLetterQueue") == 1
    correct_then_replay(stack, faults, "NotificationsDeadLetterQueue", healed)


@HEALED
def test_an_announcement_send_failing_for_good_then_a_correction_sends_one_email(stack, faults,
                                                                                healed):
    """The S3 event ends in PublishFailuresQueue after the meeting was published and marked
    announced; its replay is older than the correction (stale), so the correction must be
    the one that announces."""
    service, operation, matches = PUBLISH_CALLS["announcement send"]
    faults.fail(service, operation, times=None, when=matches)
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.drain()
    assert stack.queue_depth("PublishFailuresQueue") == 1
    correct_then_replay(stack, faults, "PublishFailuresQueue", healed)


# --- the other calls: notify's fan-out, index on the first try, a rejection's report ---------

@pytest.mark.parametrize("times", [1, None], ids=["first try", "every try"])
def test_a_failed_fan_out_converges_to_one_email_each(stack, faults, times):
    notifier = stack.notifier()
    notifier.queue = Notifications(boto3.client("sqs", region_name=REGION), notifier.queue._url)
    runtime.provide(notifier=notifier)                  # its queue client made with the fault hook
    faults.fail("sqs", "SendMessageBatch", times=times,
                when=lambda p: p["QueueUrl"] == stack.ref("NotificationsQueue"))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))
    stack.drain()
    if times is None:
        assert outbox() == [] and stack.queue_depth("NotificationsDeadLetterQueue") == 2
        faults.heal()
        assert len(dead_letters(stack).replay(stack.ref("NotificationsDeadLetterQueue"))) == 2
    converged(stack)


def test_index_retried_after_a_failed_listing_write_converges(stack, faults):
    faults.fail("s3", "PutObject", times=1, when=lambda p: p["Key"] == "index.html"
                and stack.cloud.current_function == "IndexFunction")
    stack.cloud.invoke_async("PublishFunction", stack.put_event(SAMPLE_KEY, sample_minutes()))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(OTHER_KEY, minutes_text("Infra sync")))
    stack.drain()
    assert faults.failed == {"s3.PutObject": 1}
    assert stack.queue_depth("SiteUpdatesDeadLetterQueue") == 0
    converged(stack)


@pytest.mark.parametrize("times", [1, None], ids=["first try", "every try"])
def test_a_rejection_whose_report_write_fails_changes_nothing_and_is_reported(stack, faults, times):
    key = "minutes/openxla/notes-from-last-week.md"            # no date anywhere: rejected
    faults.fail("s3", "PutObject", times=times, when=lambda p: p["Key"].startswith("reports/"))
    stack.cloud.invoke_async("PublishFunction", stack.put_event(key, minutes_text("Notes")))
    stack.drain()
    if times is None:
        assert stack.report_status(key) is None
        faults.heal()
        assert len(dead_letters(stack).replay(stack.ref("PublishFailuresQueue"))) == 1
        stack.drain()
    assert stack.report_status(key) == "rejected"
    assert stack.site_keys() == set() and outbox() == []
    assert stack.table("MeetingsTable").scan()["Count"] == 0
    assert stack.queue_depth("PublishFailuresQueue") == 0
