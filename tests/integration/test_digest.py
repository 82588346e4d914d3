"""digest: the weekly schedule plans one email per digest reader with every meeting of their
groups announced that week; nothing for a quiet week; exactly once per (week, reader)."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from minutes import runtime

from tests.support.aws import SAMPLE_KEY, load_event, minutes_text, outbox, sample_minutes
from tests.support.faults import Faults
from tests.support.subscriptions import (API_BASE, add_digest_reader, body_of, call, link_path,
                                         link_token, secret, statuses, subscribers)


@pytest.fixture
def week(stack):
    """Three meetings announced now, in two groups; readers in both modes. The digests are
    paced on the harness's fake clock, as the notifier is (real sleeps were ~10 s a test)."""
    runtime.provide(notifier=stack.notifier(token_secret=secret(stack)),
                    digester=_digester(stack, sleep=stack.clock.sleep, monotonic=stack.clock.monotonic))
    add_digest_reader(stack, "grace@example.org", ["openxla"])
    add_digest_reader(stack, "katherine@example.org", ["*"])
    add_digest_reader(stack, "ken@example.org", ["k8s"])                  # nothing of k8s this week
    subscribers(stack).add_confirmed("ada@example.org", ["openxla"], when=dt.datetime.now(dt.timezone.utc))
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.publish("minutes/openxla/2022-10-18-sig-openxla.md", minutes_text("SIG OpenXLA, October"))
    stack.publish("minutes/onnx-converters/020-20210507.md", minutes_text("ONNX converters"))
    stack.drain()
    return stack


def schedule(when: dt.datetime) -> dict:
    event = copy.deepcopy(load_event("schedule-digest.json"))
    event["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def next_monday() -> dt.datetime:
    today = dt.datetime.now(dt.timezone.utc).date()
    return dt.datetime.combine(today + dt.timedelta(days=7 - today.weekday()), dt.time(8),
                               tzinfo=dt.timezone.utc)


def digests():
    return {str(m["To"]): m for m in outbox() if str(m["Subject"]).startswith("Minutes digest")}


def test_one_digest_per_reader_with_their_groups_meetings(week):
    per_meeting = {str(m["To"]) for m in outbox()}
    assert per_meeting == {"ada@example.org"}            # digest readers got no per-meeting email

    slept = len(week.clock.slept)
    assert week.cloud.invoke("DigestFunction", schedule(next_monday())) == {"readers": 2}
    week.drain()
    # Paced to the container's share of moto's 1 message a second: the second digest waited.
    interval = 1.0 / float(week.cloud.functions["DigestFunction"].environment["SEND_RATE_SHARE"])
    assert sum(week.clock.slept[slept:]) >= interval - 1e-6

    found = digests()
    assert set(found) == {"grace@example.org", "katherine@example.org"}
    grace = found["grace@example.org"].get_body(("plain",)).get_content()
    assert "SIG OpenXLA, October" in grace and "onnx" not in grace.lower()
    katherine = found["katherine@example.org"]
    text = katherine.get_body(("plain",)).get_content()
    assert "ONNX converters" in text and "SIG OpenXLA, October" in text
    assert str(katherine["Subject"]).startswith("Minutes digest: 3 meetings, ")
    assert katherine.get_content_type() == "multipart/alternative"
    assert str(katherine["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert f"{API_BASE}/preferences?token=" in text
    deliveries = week.table("DeliveriesTable").scan()["Items"]
    label = f"{(next_monday() - dt.timedelta(days=7)).isocalendar().year}-W" \
            f"{(next_monday() - dt.timedelta(days=7)).isocalendar().week:02d}"
    assert {d["delivery"] for d in deliveries if d["delivery"].startswith("#digest/")} == {
        f"#digest/{label}#grace@example.org", f"#digest/{label}#katherine@example.org"}


def test_exactly_once_per_week_and_reader(week):
    for _ in range(3):                                    # the schedule fires again, the plan retries
        week.cloud.invoke("DigestFunction", schedule(next_monday()))
        week.drain()
    week.cloud.invoke("DigestFunction", schedule(next_monday() + dt.timedelta(hours=30)))
    week.drain()
    assert sorted(str(m["To"]) for m in outbox() if str(m["Subject"]).startswith("Minutes digest")) == [
        "grace@example.org", "katherine@example.org"]


def test_nothing_for_a_week_without_meetings(week):
    quiet = next_monday() + dt.timedelta(days=7)
    assert week.cloud.invoke("DigestFunction", schedule(quiet)) == {"readers": 0}
    assert week.queue_depth("DigestQueue") == 0
    assert digests() == {}


def test_the_digest_unsubscribe_link_works_with_one_click(week):
    week.cloud.invoke("DigestFunction", schedule(next_monday()))
    week.drain()
    mail = digests()["grace@example.org"]
    url = str(mail["List-Unsubscribe"]).strip("<>")
    response = call(week.cloud, "POST", link_path(url), query={"token": link_token(url)},
                    form="List-Unsubscribe=One-Click")
    assert response["statusCode"] == 200 and "unsubscribed" in body_of(response)
    assert statuses(week, "grace@example.org") == {"openxla": "unsubscribed"}


def test_a_throttled_digest_batch_comes_back_in_about_a_minute_and_sends_only_the_unsent(week):
    """SES throttles katherine's send through every backoff: the batch fails, and instead of
    the queue's 30-minute visibility timeout it is visible again after throttle_retry_seconds
    (60 by default, doubling per receive; 1 here, so the test can watch SQS bring it back).
    The retry sends katherine's digest and skips grace's."""
    import time

    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    faults = Faults().install()
    try:
        throttled = faults.fail("sesv2", "SendEmail", times=4, code="TooManyRequestsException",
                                when=lambda p: "katherine@example.org" in str(p["Destination"]))
        runtime.provide(digester=_digester(week, sleep=lambda s: None, throttle_retry_seconds=1))
        assert week.cloud.invoke("DigestFunction", schedule(next_monday())) == {"readers": 2}
        url = week.ref("DigestQueue")
        assert week.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
            "Attributes"]["VisibilityTimeout"] == "1800"

        def receive():
            return week.receive_now("DigestQueue")

        (batch,) = receive()
        with pytest.raises(BatchProcessingError):    # its only record failed: Lambda retries it
            week.invoke_with_message("DigestFunction", "DigestQueue", batch)
        assert throttled.failed == 4, "throttled through every backoff"
        assert sorted(digests()) == ["grace@example.org"]
        assert receive() == [], "hidden for now"
        time.sleep(1.5)
        (again,) = receive()
        assert again["Attributes"]["ApproximateReceiveCount"] == "2"
        assert week.invoke_with_message("DigestFunction", "DigestQueue", again) == \
            {"batchItemFailures": []}
    finally:
        faults.uninstall()
    week.sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    week.drain()
    assert sorted(str(m["To"]) for m in outbox() if str(m["Subject"]).startswith("Minutes digest")) == [
        "grace@example.org", "katherine@example.org"]


def _digester(stack, *, sleep, monotonic=None, **settings):
    import dataclasses

    import boto3

    from minutes.aws.dynamo import DeliveriesTable, MeetingsDirectory, MeetingsTable
    from minutes.aws.queues import DigestQueue
    from minutes.aws.ses import Mailer
    from minutes.services.digest import Digester
    s = dataclasses.replace(stack.settings("DigestFunction"), token_secret=secret(stack), **settings)
    return Digester(settings=s, meetings=MeetingsTable(stack.table("MeetingsTable")),
                    directory=MeetingsDirectory(stack.table("MeetingsTable")), subscribers=subscribers(stack),
                    deliveries=DeliveriesTable(stack.table("DeliveriesTable")),
                    queue=DigestQueue(stack.sqs, s.digest_queue_url),
                    mailer=Mailer(boto3.client("sesv2", region_name="us-east-1"),
                                  boto3.client("ses", region_name="us-east-1")), sleep=sleep,
                    **({"monotonic": monotonic} if monotonic else {}))


def test_every_digest_batch_redelivered_three_times_sends_each_digest_once(week):
    week.cloud.invoke("DigestFunction", schedule(next_monday()))
    while week.queue_depth("DigestQueue"):
        for _ in range(3):
            week.redeliver("DigestQueue")          # processed, and still on the queue
        week.drain()
    assert sorted(str(m["To"]) for m in outbox() if str(m["Subject"]).startswith("Minutes digest")) == [
        "grace@example.org", "katherine@example.org"]


def test_a_digest_send_failing_for_good_ends_in_its_dead_letter_queue_and_the_replay_sends_once(week):
    from minutes.aws.deadletters import DeadLetterQueues
    faults = Faults().install()
    try:
        faults.fail("sesv2", "SendEmail", times=None, code="AccessDeniedException")
        runtime.provide(digester=_digester(week, sleep=lambda s: None))
        week.cloud.invoke("DigestFunction", schedule(next_monday()))
        week.drain()
        assert digests() == {} and week.queue_depth("DigestDeadLetterQueue") == 1
    finally:
        faults.uninstall()
    replayed = DeadLetterQueues(week.sqs, invoke=lambda arn, payload: pytest.fail("no invocation")
                                ).replay(week.ref("DigestDeadLetterQueue"))
    assert len(replayed) == 1
    week.drain()
    assert sorted(str(m["To"]) for m in outbox() if str(m["Subject"]).startswith("Minutes digest")) == [
        "grace@example.org", "katherine@example.org"]


def test_the_plan_asks_the_weeks_days_of_the_announced_index_not_the_whole_archive(week):
    from minutes.aws.dynamo import ANNOUNCED_INDEX, MeetingsDirectory
    from minutes.services.digest import digest_week
    table = week.table("MeetingsTable")
    announced = sorted((m["group"], m["meeting"]) for m in table.scan()["Items"]
                       if m.get("announced_at") and m["status"] == "published")
    asked = []
    table.meta.client.meta.events.register(
        "before-parameter-build.dynamodb",
        lambda model, params, **_: asked.append((model.name, params.get("IndexName"))))
    this_week = digest_week(next_monday())
    found = MeetingsDirectory(table).announced_between(this_week.start, this_week.end)
    assert sorted((m.group, m.meeting) for m in found) == announced
    assert len(found) == 3
    assert asked == [("Query", ANNOUNCED_INDEX)] * 7          # one per day, Monday to Sunday
    asked.clear()
    assert MeetingsDirectory(table).announced_between(this_week.end, this_week.end + dt.timedelta(days=7)) == []
    assert asked == [("Query", ANNOUNCED_INDEX)] * 7
