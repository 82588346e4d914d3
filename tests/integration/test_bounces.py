"""bounces: SES events (configuration set -> SNS) suppress addresses; notify, digest and the
subscriptions API then leave them alone."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from minutes import runtime

from tests.support.aws import SAMPLE_KEY, load_event, outbox, sample_minutes
from tests.support.subscriptions import call, items, secret, statuses, subscribers

NOW = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def readers(stack):
    runtime.provide(notifier=stack.notifier(token_secret=secret(stack)))
    for email in ("grace@example.org", "linus@example.org", "ada@example.org"):
        subscribers(stack).add_confirmed(email, ["openxla", "onnx"], when=NOW)
    return stack


def sns_event(sample: str, **changes) -> dict:
    """The sample SNS notification with its SES message changed (bounce or complaint fields)."""
    event = copy.deepcopy(load_event(sample))
    record = event["Records"][0]["Sns"]
    message = json.loads(record["Message"])
    for key, value in changes.items():
        if key == "mail_id":
            message["mail"]["messageId"] = value
        else:
            message[message["eventType"].lower()][key] = value
    record["Message"] = json.dumps(message)
    return event


def test_a_hard_bounce_suppresses_at_once(readers):
    result = readers.cloud.invoke("BouncesFunction", load_event("sns-ses-bounce.json"))
    assert result == {"suppressed": 1}
    assert statuses(readers, "grace@example.org") == {"onnx": "suppressed", "openxla": "suppressed"}
    assert subscribers(readers).is_suppressed("grace@example.org")
    assert subscribers(readers).confirmed("openxla") == ["ada@example.org", "linus@example.org"]


def test_a_complaint_suppresses_at_once(readers):
    readers.cloud.invoke("BouncesFunction", load_event("sns-ses-complaint.json"))
    assert statuses(readers, "linus@example.org") == {"onnx": "suppressed", "openxla": "suppressed"}


def test_suppressed_addresses_get_no_meeting_email(readers):
    readers.cloud.invoke("BouncesFunction", load_event("sns-ses-bounce.json"))
    readers.cloud.invoke("BouncesFunction", load_event("sns-ses-complaint.json"))
    readers.publish(SAMPLE_KEY, sample_minutes())
    readers.drain()
    assert [str(m["To"]) for m in outbox()] == ["ada@example.org"]


def test_a_suppressed_address_cannot_subscribe_again_and_is_told_the_same(readers):
    readers.cloud.invoke("BouncesFunction", load_event("sns-ses-bounce.json"))
    before = items(readers)
    response = call(readers.cloud, "POST", "/subscriptions", form={"email": "grace@example.org", "group": "xla"})
    fresh = call(readers.cloud, "POST", "/subscriptions", form={"email": "new@example.org", "group": "xla"})
    assert response["statusCode"] == fresh["statusCode"] == 202
    assert response["body"].replace("grace@example.org", "X") == fresh["body"].replace("new@example.org", "X")
    assert [str(m["To"]) for m in outbox()] == ["new@example.org"]
    assert [i for i in items(readers) if i["email"] == "grace@example.org"] == \
        [i for i in before if i["email"] == "grace@example.org"]


def test_soft_bounces_suppress_after_the_limit_and_count_each_message_once(readers):
    assert readers.settings("BouncesFunction").soft_bounce_limit == 3
    soft = {"bounceType": "Transient", "bounceSubType": "MailboxFull"}
    for n in (1, 2):
        readers.cloud.invoke("BouncesFunction", sns_event("sns-ses-bounce.json", mail_id=f"m-{n}", **soft))
        readers.cloud.invoke("BouncesFunction", sns_event("sns-ses-bounce.json", mail_id=f"m-{n}", **soft))  # SNS again
    assert statuses(readers, "grace@example.org") == {"onnx": "confirmed", "openxla": "confirmed"}
    readers.cloud.invoke("BouncesFunction", sns_event("sns-ses-bounce.json", mail_id="m-3", **soft))
    assert statuses(readers, "grace@example.org") == {"onnx": "suppressed", "openxla": "suppressed"}


def test_message_problems_and_not_spam_change_nothing(readers):
    before = items(readers)
    readers.cloud.invoke("BouncesFunction", sns_event("sns-ses-bounce.json", bounceType="Transient",
                                                      bounceSubType="MessageTooLarge"))
    readers.cloud.invoke("BouncesFunction", sns_event("sns-ses-complaint.json", complaintFeedbackType="not-spam"))
    assert items(readers) == before


def test_a_malformed_notification_fails_so_lambda_retries_then_dead_letters(readers):
    event = copy.deepcopy(load_event("sns-ses-bounce.json"))
    event["Records"][0]["Sns"]["Message"] = "{not json"
    readers.cloud.invoke_async("BouncesFunction", event)
    assert readers.cloud.failures and readers.cloud.failures[0]["function"] == "BouncesFunction"
    assert readers.queue_depth("BouncesFailuresQueue") == 1


def test_every_email_goes_through_the_configuration_set(stack):
    """Bounce and complaint events exist only for mail sent with the configuration set: notify,
    the confirmation email and the digest all name it."""
    import boto3

    from tests.support.subscriptions import add_digest_reader
    runtime.reset()                       # the functions' own notifier, built as on Lambda
    seen: list[tuple[str, str]] = []

    def capture(params, **_):
        seen.append((params["Destination"]["ToAddresses"][0], params.get("ConfigurationSetName")))

    events = boto3._get_default_session().events
    events.register("provide-client-params.sesv2.SendEmail", capture)
    try:
        subscribers(stack).add_confirmed("ada@example.org", ["openxla"], when=NOW)
        add_digest_reader(stack, "grace@example.org", ["openxla"])
        call(stack.cloud, "POST", "/subscriptions", form={"email": "new@example.org", "group": "openxla"})
        stack.publish(SAMPLE_KEY, sample_minutes())
        stack.drain()
        today = dt.datetime.now(dt.timezone.utc)
        monday = today + dt.timedelta(days=7 - today.weekday())
        schedule = load_event("schedule-digest.json")
        schedule["time"] = monday.strftime("%Y-%m-%dT08:00:00Z")
        stack.cloud.invoke("DigestFunction", schedule)
        stack.drain()
    finally:
        events.unregister("provide-client-params.sesv2.SendEmail", capture)
    configuration_set = stack.ref("EmailConfigurationSet")
    assert sorted(seen) == [("ada@example.org", configuration_set), ("grace@example.org", configuration_set),
                            ("new@example.org", configuration_set)]


def test_a_bounce_failing_for_good_waits_in_its_failure_queue_and_the_replay_counts_it_once(readers):
    from minutes.aws.deadletters import DeadLetterQueues

    from tests.support.faults import Faults
    faults = Faults().install()
    runtime.reset()                                    # the function's clients, with the fault
    try:
        faults.fail("dynamodb", "UpdateItem", times=None)
        readers.cloud.invoke_async("BouncesFunction", sns_event("sns-ses-bounce.json"))
        assert readers.queue_depth("BouncesFailuresQueue") == 1
        assert statuses(readers, "grace@example.org") == {"onnx": "confirmed", "openxla": "confirmed"}
    finally:
        faults.uninstall()
    letters = DeadLetterQueues(readers.sqs, invoke=lambda arn, payload: readers.cloud.invoke_async(
        readers.cloud.function_for_arn(arn), payload))
    assert len(letters.replay(readers.ref("BouncesFailuresQueue"))) == 1
    assert statuses(readers, "grace@example.org") == {"onnx": "suppressed", "openxla": "suppressed"}
    assert readers.queue_depth("BouncesFailuresQueue") == 0
