"""minutes.doctor: the checks on plain facts (no AWS)."""
from __future__ import annotations

import dataclasses

from minutes.doctor import (EXIT_FIX, EXIT_READY, Alarm, Bucket, Distribution, Level, SendQuota,
                            StackFacts, Topic, diagnose, exit_code, format_text)

ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:minutes-AlarmTopic"


def healthy(**changes) -> StackFacts:
    facts = StackFacts(
        stack_name="minutes", status="UPDATE_COMPLETE",
        parameters={"SiteUrl": "https://minutes.example.org", "SenderAddress": "minutes@example.org"},
        outputs={"AlarmTopicArn": ALARM_TOPIC},
        identities={"example.org": "Success"},
        quota=SendQuota(50_000, 14, 120),
        topics={"AlarmTopicArn": Topic(ALARM_TOPIC, confirmed=1),
                "ScribeNotificationsTopicArn": Topic("arn:scribe", confirmed=3),
                "EmailFeedbackTopicArn": Topic("arn:feedback", confirmed=1, protocols=("lambda",))},
        minutes_bucket=Bucket("minutes-minutes-123456789012", versioning="Enabled", public_access_blocked=True,
                              notifies_lambda=True),
        site_bucket=Bucket("minutes-sitebucket-abc", public_access_blocked=True, policy_names_distribution=True),
        distribution=Distribution("E1", enabled=True, status="Deployed", domain_name="d1.cloudfront.net",
                                  aliases=("minutes.example.org",),
                                  origin_domains=("minutes-sitebucket-abc.s3.eu-west-1.amazonaws.com", "x.execute-api"),
                                  origins_with_access_control=("minutes-sitebucket-abc.s3.eu-west-1.amazonaws.com",)),
        alarms=(Alarm("minutes-IndexErrorsAlarm-1", True, (ALARM_TOPIC,)),),
    )
    return dataclasses.replace(facts, **changes)


def codes(facts: StackFacts, level: Level) -> set[str]:
    return {f.code for f in diagnose(facts) if f.level is level}


def test_a_healthy_stack_is_ready():
    found = diagnose(healthy())
    assert {f.level for f in found} == {Level.OK}
    assert exit_code(found) == exit_code(found, strict=True) == EXIT_READY
    assert format_text(found).endswith("0 to fix, 0 warnings, 13 ok")


def test_the_sandbox_is_a_warning_that_strict_mode_counts():
    found = diagnose(healthy(quota=SendQuota(200, 1, 0)))
    assert codes(healthy(quota=SendQuota(200, 1, 0)), Level.WARNING) == {"ses-sandbox"}
    assert exit_code(found) == EXIT_READY and exit_code(found, strict=True) == EXIT_FIX


def test_a_nearly_used_up_quota_is_a_warning():
    assert codes(healthy(quota=SendQuota(50_000, 14, 45_000)), Level.WARNING) == {"send-quota"}


def test_the_sender_or_its_domain_must_be_verified():
    assert codes(healthy(identities={"minutes@example.org": "Success"}), Level.ERROR) == set()
    pending = [f for f in diagnose(healthy(identities={"example.org": "Pending"})) if f.code == "sender-identity"]
    assert pending[0].level is Level.ERROR and "Pending" in pending[0].message and "DKIM" in pending[0].fix
    (missing,) = [f for f in diagnose(healthy(identities={})) if f.code == "sender-identity"]
    assert missing.level is Level.ERROR and "create-email-identity" in missing.fix


def test_topics_without_subscribers():
    topics = dict(healthy().topics, AlarmTopicArn=Topic(ALARM_TOPIC, pending=1),
                  ScribeNotificationsTopicArn=Topic("arn:scribe"))
    found = {f.code: f for f in diagnose(healthy(topics=topics))}
    assert found["alarm-subscribers"].level is Level.ERROR and "confirmation" in found["alarm-subscribers"].message
    assert ALARM_TOPIC in found["alarm-subscribers"].fix
    assert found["scribe-subscribers"].level is Level.WARNING


def test_buckets_that_lose_versions_or_publish_nothing():
    bucket = dataclasses.replace(healthy().minutes_bucket, versioning="Suspended", notifies_lambda=False)
    (finding,) = [f for f in diagnose(healthy(minutes_bucket=bucket)) if f.code == "minutes-bucket"]
    assert finding.level is Level.ERROR and "versioning" in finding.message and "notify no function" in finding.message


def test_distribution_wiring():
    dist = healthy().distribution
    assert "site-url" in codes(healthy(parameters={**healthy().parameters, "SiteUrl": "https://other.org"}), Level.ERROR)
    assert "distribution" in codes(healthy(distribution=dataclasses.replace(dist, enabled=False)), Level.ERROR)
    assert "distribution" in codes(healthy(distribution=dataclasses.replace(dist, status="InProgress")), Level.WARNING)
    unsigned = dataclasses.replace(dist, origins_with_access_control=())
    assert "distribution-origin" in codes(healthy(distribution=unsigned), Level.ERROR)
    # The distribution's own domain is a fine SiteUrl too.
    own = healthy(parameters={**healthy().parameters, "SiteUrl": "https://d1.cloudfront.net"})
    assert codes(own, Level.ERROR) == set()


def test_alarms_unarmed_missing_or_firing():
    assert "alarms" in codes(healthy(alarms=()), Level.ERROR)
    assert "alarms" in codes(healthy(alarms=(Alarm("a", False, (ALARM_TOPIC,)),)), Level.ERROR)
    assert "alarms" in codes(healthy(alarms=(Alarm("a", True, ()),)), Level.ERROR)
    firing = healthy(alarms=(Alarm("a", True, (ALARM_TOPIC,), "ALARM", "Threshold Crossed"),))
    assert codes(firing, Level.ERROR) == {"alarm-firing"}


def test_a_failed_or_busy_stack():
    assert "stack" in codes(healthy(status="ROLLBACK_COMPLETE"), Level.ERROR)
    assert "stack" in codes(healthy(status="UPDATE_IN_PROGRESS"), Level.WARNING)
