"""notify: announce -> batches of recipients on NotificationsQueue -> one SES email each,
exactly once per (meeting, subscriber), within the send rate, retrying throttles."""
from __future__ import annotations

import json

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from minutes import runtime
from minutes.aws.ses import Mailer

from tests.support.aws import (REGION, SAMPLE_KEY, SITE_URL, ThrottlingSesV2, load_event, outbox,
                               recipients, sample_minutes)

GROUP, MEETING = "openxla", "2022-09-20-sig-openxla"
PAGE_URL = f"{SITE_URL}/openxla/2022-09-20-sig-openxla/"


def published(stack):
    """The sample meeting, published; the announce publish queued is taken off the queue."""
    stack.publish(SAMPLE_KEY, sample_minutes())
    stack.take_messages("NotificationsQueue")


def deliver(stack, *batches: list[str]) -> dict:
    return stack.sqs_event("sqs-notify-deliver.json", [
        {"kind": "deliver", "group": GROUP, "meeting": MEETING, "recipients": list(b)} for b in batches],
        queue="NotificationsQueue")


def announce(stack) -> dict:
    event = load_event("sqs-notify-announce.json")
    event["Records"][0]["eventSourceARN"] = stack.cloud.stack.attrs[("NotificationsQueue", "Arn")]
    return event


def test_the_sample_deliver_event_sends_one_email_per_recipient(stack):
    published(stack)
    event = load_event("sqs-notify-deliver.json")
    event["Records"][0]["eventSourceARN"] = stack.cloud.stack.attrs[("NotificationsQueue", "Arn")]

    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}

    mails = outbox()
    assert recipients(mails) == ["ada@example.org", "grace@example.org"]
    for mail in mails:
        assert str(mail["From"]) == "minutes@example.org"
        assert PAGE_URL in mail.get_body(("plain",)).get_content()
        unsubscribe = str(mail["List-Unsubscribe"])
        assert unsubscribe.startswith("<https://minutes.example.org/api/unsubscribe?token=")
        assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    items = stack.table("DeliveriesTable").scan()["Items"]
    assert sorted(i["delivery"] for i in items) == [
        f"{GROUP}/{MEETING}#ada@example.org", f"{GROUP}/{MEETING}#grace@example.org"]
    assert all(i["state"] == "sent" and i["message_id"] and int(i["expires_at"]) > 0 for i in items)


def test_announce_fans_out_in_batches_of_recipients(stack):
    people = [f"reader{n}@example.org" for n in range(5)]
    for person in people:
        stack.subscribe(person, [GROUP])
    runtime.provide(notifier=stack.notifier(recipients_per_message=2))
    published(stack)

    assert stack.cloud.invoke("NotifyFunction", announce(stack)) == {"batchItemFailures": []}

    batches = [m["recipients"] for m in stack.queue_bodies("NotificationsQueue")]
    assert sorted(len(b) for b in batches) == [1, 2, 2]
    assert sorted(r for b in batches for r in b) == people
    stack.drain()
    assert recipients(outbox()) == people


def test_sends_are_paced_to_the_accounts_send_rate(stack):
    people = [f"reader{n}@example.org" for n in range(4)]
    for person in people:
        stack.subscribe(person, [GROUP])
    published(stack)
    stack.cloud.invoke("NotifyFunction", announce(stack))
    stack.drain()
    assert len(outbox()) == 4
    # moto's SES quota allows 1 message per second, of which one notify container takes its
    # share (SEND_RATE_SHARE): 4 sends take at least 3 intervals.
    share = float(stack.cloud.functions["NotifyFunction"].environment["SEND_RATE_SHARE"])
    interval = 1.0 / (1.0 * share)
    assert sum(stack.clock.slept) >= 3 * interval - 1e-6
    assert stack.clock.slept and all(s <= interval + 1e-6 for s in stack.clock.slept)


def test_only_confirmed_subscribers_of_the_group_and_of_every_group_get_mail(stack):
    stack.subscribe("ada@example.org", [GROUP])
    stack.subscribe("grace@example.org", ["*"])
    stack.subscribe("both@example.org", [GROUP, "*"])
    stack.subscribe("linus@example.org", ["onnx-infra"])
    stack.subscribe("pending@example.org", [GROUP], status="pending")
    stack.subscribe("left@example.org", [GROUP], status="unsubscribed")
    stack.subscribe("bounced@example.org", [GROUP, "*"], status="suppressed")
    published(stack)

    stack.cloud.invoke("NotifyFunction", announce(stack))
    stack.drain()

    assert recipients(outbox()) == ["ada@example.org", "both@example.org", "grace@example.org"]


def test_a_throttled_send_fails_only_its_message_and_the_retry_mails_only_the_unsent(stack):
    published(stack)
    # Send attempts 2 to 5 are throttled: the second recipient's send and its three back-offs.
    ses = ThrottlingSesV2(boto3.client("sesv2", region_name=REGION), throttled={2, 3, 4, 5})
    runtime.provide(notifier=stack.notifier(mailer=Mailer(ses, boto3.client("ses", region_name=REGION))))
    event = deliver(stack, ["a@example.org", "b@example.org", "c@example.org"], ["d@example.org"])
    first, second = (r["messageId"] for r in event["Records"])

    response = stack.cloud.invoke("NotifyFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": first}]}
    assert recipients(outbox()) == ["a@example.org", "c@example.org", "d@example.org"]
    assert {1, 2, 4} <= set(stack.clock.slept), "throttles back off before giving up"
    deliveries = {i["delivery"].split("#")[1] for i in stack.table("DeliveriesTable").scan()["Items"]}
    assert deliveries == {"a@example.org", "c@example.org", "d@example.org"}

    retry = {"Records": [dict(event["Records"][0], attributes=dict(
        event["Records"][0]["attributes"], ApproximateReceiveCount="2"))]}
    assert stack.cloud.invoke("NotifyFunction", retry) == {"batchItemFailures": []}

    assert recipients(outbox()) == ["a@example.org", "b@example.org", "c@example.org", "d@example.org"]


def test_throttling_through_the_queue_ends_with_one_email_each(stack):
    people = [f"reader{n}@example.org" for n in range(6)]
    for person in people:
        stack.subscribe(person, [GROUP])
    ses = ThrottlingSesV2(boto3.client("sesv2", region_name=REGION), throttled={3, 4, 5, 6, 9, 10, 11, 12})
    runtime.provide(notifier=stack.notifier(
        recipients_per_message=2, mailer=Mailer(ses, boto3.client("ses", region_name=REGION))))
    stack.publish(SAMPLE_KEY, sample_minutes())  # queues the announce

    stack.drain()  # announce, deliver, redeliver what failed

    assert recipients(outbox()) == people
    assert stack.queue_depth("NotificationsQueue") == 0
    assert stack.queue_depth("NotificationsDeadLetterQueue") == 0


def test_redelivered_messages_send_nothing_twice(stack):
    stack.subscribe("ada@example.org", [GROUP])
    stack.subscribe("grace@example.org", ["*"])
    published(stack)
    announced = announce(stack)
    sent = deliver(stack, ["ada@example.org", "grace@example.org"])

    for _ in range(3):
        assert stack.cloud.invoke("NotifyFunction", announced) == {"batchItemFailures": []}
        assert stack.cloud.invoke("NotifyFunction", sent) == {"batchItemFailures": []}
        stack.drain()

    assert recipients(outbox()) == ["ada@example.org", "grace@example.org"]


def test_a_permanently_refused_address_is_not_retried_and_does_not_fail_the_batch(stack):
    published(stack)

    class Refusing(ThrottlingSesV2):
        def send_email(self, **args):
            if args["Destination"]["ToAddresses"] == ["gone@example.org"]:
                self.attempts += 1
                raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Address blacklisted."}},
                                  "SendEmail")
            return super().send_email(**args)

    ses = Refusing(boto3.client("sesv2", region_name=REGION), throttled=set())
    runtime.provide(notifier=stack.notifier(mailer=Mailer(ses, boto3.client("ses", region_name=REGION))))
    event = deliver(stack, ["ada@example.org", "gone@example.org", "grace@example.org"])

    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}
    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}

    assert recipients(outbox()) == ["ada@example.org", "grace@example.org"]
    assert ses.attempts == 3, "the refused address is tried once, never again"


def test_an_address_no_message_can_be_made_for_is_skipped(stack):
    published(stack)
    event = deliver(stack, ["ada@example.org", "not an address\r\nBcc: x@example.org", "grace@example.org"])
    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}
    assert recipients(outbox()) == ["ada@example.org", "grace@example.org"]


def test_nothing_is_sent_for_a_meeting_that_is_not_published(stack):
    stack.subscribe("ada@example.org", [GROUP])
    stack.publish("minutes/openxla/2022-10-04-sig-openxla.md", b"---\ndraft: true\n---\n# Draft\n\nText.\n")
    stack.take_messages("NotificationsQueue")
    for meeting in ("2022-10-04-sig-openxla", "2099-01-01-unknown"):
        event = stack.sqs_event("sqs-notify-announce.json", [
            {"kind": "announce", "group": GROUP, "meeting": meeting}], queue="NotificationsQueue")
        assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}
        event = stack.sqs_event("sqs-notify-deliver.json", [
            {"kind": "deliver", "group": GROUP, "meeting": meeting, "recipients": ["ada@example.org"]}],
            queue="NotificationsQueue")
        assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}
    assert stack.queue_depth("NotificationsQueue") == 0
    assert outbox() == []


def test_a_malformed_notification_fails_alone(stack):
    published(stack)
    event = deliver(stack, ["ada@example.org"])
    bad = dict(event["Records"][0], messageId="bad-one", body='{"kind": "shout", "group": "openxla"}')
    event["Records"].insert(0, bad)
    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    assert recipients(outbox()) == ["ada@example.org"]


def test_when_sending_is_broken_nothing_is_lost_and_the_message_fails(stack):
    """AccessDenied (say, a policy mistake) is no reason to drop the subscribers' emails:
    the claims are given back and the message fails, to be retried and then alarmed."""
    published(stack)
    ses = ThrottlingSesV2(boto3.client("sesv2", region_name=REGION), throttled={1},
                          code="AccessDeniedException", status=403)
    runtime.provide(notifier=stack.notifier(mailer=Mailer(ses, boto3.client("ses", region_name=REGION))))
    event = deliver(stack, ["a@example.org", "b@example.org"])

    # Every record failed: Powertools fails the invocation, so SQS keeps the whole batch.
    with pytest.raises(BatchProcessingError):
        stack.cloud.invoke("NotifyFunction", event)

    assert outbox() == []
    assert stack.table("DeliveriesTable").scan()["Items"] == []
    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}  # fixed
    assert recipients(outbox()) == ["a@example.org", "b@example.org"]


def test_an_address_ses_refuses_is_recorded_and_the_rest_are_sent(stack):
    published(stack)
    ses = ThrottlingSesV2(boto3.client("sesv2", region_name=REGION), throttled={1},
                          code="MessageRejected", status=400)
    runtime.provide(notifier=stack.notifier(mailer=Mailer(ses, boto3.client("ses", region_name=REGION))))
    event = deliver(stack, ["refused@example.org", "b@example.org"])

    assert stack.cloud.invoke("NotifyFunction", event) == {"batchItemFailures": []}
    assert recipients(outbox()) == ["b@example.org"]
    claimed = {i["delivery"].split("#")[1] for i in stack.table("DeliveriesTable").scan()["Items"]}
    assert claimed == {"refused@example.org", "b@example.org"}  # never retried


# --- found by the soak: a meeting unpublished before its email went out --------------------

@pytest.mark.parametrize("unpublish", ["draft", "delete"])
def test_a_meeting_unpublished_before_its_email_is_announced_when_published_again(stack, unpublish):
    stack.subscribe("ada@example.org", [GROUP])
    stack.publish(SAMPLE_KEY, sample_minutes())        # claims the announcement, queues it
    if unpublish == "draft":
        stack.publish(SAMPLE_KEY, b"---\ndraft: true\n---\n" + sample_minutes())
    else:
        stack.invoke_publish(stack.delete_event(SAMPLE_KEY))
    stack.drain()                                      # the announcement finds nothing published
    assert outbox() == []
    assert "announced_at" not in stack.meeting_item(GROUP, MEETING)

    stack.publish(SAMPLE_KEY, sample_minutes())        # published again
    stack.drain()

    assert recipients(outbox()) == ["ada@example.org"]
    assert "announced_at" in stack.meeting_item(GROUP, MEETING)
    stack.publish(SAMPLE_KEY, sample_minutes().replace(b"SIG OpenXLA", b"SIG OpenXLA (fixed)", 1))
    stack.drain()
    assert len(outbox()) == 1, "a correction afterwards sends nothing"


def test_a_meeting_published_again_while_its_announcement_was_due_is_announced_once(stack):
    """The release is conditional: if the meeting is published again by the time notify gives
    the announcement back, notify announces it instead (no email lost, none twice)."""
    stack.subscribe("ada@example.org", [GROUP])
    stack.publish(SAMPLE_KEY, sample_minutes())
    item = stack.meeting_item(GROUP, MEETING)
    assert stack.meetings().release_announcement(GROUP, MEETING) is False, "published: kept"
    assert stack.meeting_item(GROUP, MEETING)["announced_at"] == item["announced_at"]
    stack.drain()
    assert recipients(outbox()) == ["ada@example.org"]


def test_a_throttled_batch_comes_back_in_about_a_minute_not_after_the_visibility_timeout(stack):
    """The queue hides a received message for 30 minutes (6 x the function's timeout); a
    throttled batch is made visible again after throttle_retry_seconds (60 by default),
    doubling on each receive. Here 1 second, so the test can watch SQS bring it back."""
    import time

    published(stack)
    ses = ThrottlingSesV2(boto3.client("sesv2", region_name=REGION), throttled={1, 2, 3, 4})
    runtime.provide(notifier=stack.notifier(throttle_retry_seconds=1, mailer=Mailer(
        ses, boto3.client("ses", region_name=REGION))))
    url = stack.ref("NotificationsQueue")
    stack.sqs.send_message(QueueUrl=url, MessageBody='{"kind": "deliver", "group": "openxla", '
                           '"meeting": "2022-09-20-sig-openxla", "recipients": ["ada@example.org"]}')

    def receive():
        return stack.receive_now("NotificationsQueue")

    (message,) = receive()
    with pytest.raises(BatchProcessingError):   # the whole batch failed: Lambda retries it
        stack.invoke_with_message("NotifyFunction", "NotificationsQueue", message)
    assert receive() == [], "hidden for now"
    time.sleep(1.5)
    (again,) = receive()
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert stack.invoke_with_message("NotifyFunction", "NotificationsQueue", again) == \
        {"batchItemFailures": []}
    assert recipients(outbox()) == ["ada@example.org"]


@pytest.mark.parametrize("queue", ["NotificationsQueue", "DigestQueue"])
def test_the_throttle_retry_delay_starts_at_a_minute_and_doubles_up_to_fifteen(stack, queue):
    """One rule for notify's and the digest's batches (services/sending.retry_soon)."""
    from minutes.aws.queues import DigestQueue, Notifications
    from minutes.messages import Receipt
    from minutes.services.sending import retry_soon
    url = stack.ref(queue)
    adapter = {"NotificationsQueue": Notifications, "DigestQueue": DigestQueue}[queue](stack.sqs, url)
    first = stack.settings({"NotificationsQueue": "NotifyFunction",
                            "DigestQueue": "DigestFunction"}[queue]).throttle_retry_seconds
    stack.sqs.send_message(QueueUrl=url, MessageBody="{}")
    handle = stack.sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    delays = [retry_soon(adapter, Receipt(handle, n), first_seconds=first) for n in range(1, 7)]
    assert delays == [60, 120, 240, 480, 900, 900]
    assert sum(delays[:4]) == 900, "five receives (the redrive policy) take 15 minutes"


def test_an_announce_streams_the_roster_and_queues_batches_as_pages_come(stack, monkeypatch):
    """A large group's roster is never held whole: subscribers are read a page at a time and
    batches are queued while pages are still being read. Every address once, in order, also
    one that follows both the group and every group; digest readers none."""
    from minutes.aws.dynamo import SubscribersTable
    from minutes.messages import Announce
    monkeypatch.setattr(SubscribersTable, "ROSTER_PAGE", 40)
    published(stack)
    readers = [f"r{n:04d}@example.org" for n in range(700)]
    with stack.table("SubscribersTable").batch_writer() as batch:
        for n, address in enumerate(readers):
            for group in ([GROUP, "*"] if n % 7 == 0 else [GROUP if n % 2 else "*"]):
                batch.put_item(Item={"group": group, "email": address, "status": "confirmed",
                                     "mode": "each"})
        batch.put_item(Item={"group": GROUP, "email": "digest@example.org", "status": "confirmed",
                             "mode": "digest"})
    notifier = stack.notifier()
    calls = []
    for client in (notifier.subscribers._table.meta.client, notifier.queue._sqs):
        client.meta.events.register("after-call", lambda model, **_: calls.append(model.name))

    assert notifier.announce(Announce(GROUP, MEETING)) == len(readers)

    queries = [n for n, name in enumerate(calls) if name == "Query"]
    sends = [n for n, name in enumerate(calls) if name == "SendMessageBatch"]
    assert len(queries) >= len(readers) // 40 and len(sends) == 2   # 14 batches of 50, 10 per send
    assert sends[0] < queries[-1]          # the first batches left before the last page was read
    queued = [json.loads(m["Body"]) for m in stack.take_messages("NotificationsQueue")]
    assert [r for body in sorted(queued, key=lambda b: b["recipients"][0])
            for r in body["recipients"]] == readers
    assert {len(body["recipients"]) for body in queued} == {50}
