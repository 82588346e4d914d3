"""Each function's role allows only what that function does (DESIGN.md invariant).

The template is the source of truth for permissions; this reads every function's policies
(inline statements and SAM policy templates) and checks them against who-may-touch-what.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from minutes.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = {lid: r for lid, r in TEMPLATE["Resources"].items()
             if r["Type"] == "AWS::Serverless::Function"}
MINUTES_BUCKET = "${AWS::StackName}-minutes-${AWS::AccountId}"

# SAM policy templates -> the actions they grant (SAM's policy_templates.json; test_template.py
# checks this table against the SAM CLI's own).
_SAM_TEMPLATES = {
    "DynamoDBReadPolicy": ("dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query",
                           "dynamodb:BatchGetItem", "dynamodb:DescribeTable"),
    "DynamoDBCrudPolicy": ("dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem",
                           "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem",
                           "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem",
                           "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"),
    "SQSSendMessagePolicy": ("sqs:SendMessage*",),
    "SNSPublishMessagePolicy": ("sns:Publish",),
    "AWSSecretsManagerGetSecretValuePolicy": ("secretsmanager:GetSecretValue",),
    "SSMParameterReadPolicy": ("ssm:DescribeParameters", "ssm:GetParameters", "ssm:GetParameter",
                               "ssm:GetParametersByPath"),
}


def _target(resource) -> str:
    """A readable name for a resource expression: logical id, or the !Sub text."""
    if isinstance(resource, dict):
        (name, arg), = resource.items()
        if name == "Ref":
            return arg
        if name == "Fn::GetAtt":
            return arg[0]
        if name == "Fn::Sub":
            return arg if isinstance(arg, str) else arg[0]
        return str(resource)
    return str(resource)


def grants(function: str) -> set[tuple[str, str]]:
    """(action, resource) pairs a function's own policies allow."""
    found = set()
    for policy in FUNCTIONS[function]["Properties"].get("Policies", []):
        if "Statement" in policy:
            for statement in policy["Statement"]:
                assert statement["Effect"] == "Allow"
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                found |= {(a, _target(r)) for a in actions for r in resources}
        else:
            (name, args), = policy.items()
            resource = _target(next(iter(args.values())))
            found |= {(a, resource) for a in _SAM_TEMPLATES[name]}
    return found


def _touching(word: str) -> set[str]:
    return {f for f in FUNCTIONS if any(word in r for _, r in grants(f))}


def _doing(prefixes: tuple[str, ...], resource: str | None = None) -> set[str]:
    return {f for f in FUNCTIONS for a, r in grants(f)
            if a.startswith(prefixes) and (resource is None or resource in r)}


def test_every_policy_template_in_use_is_known_to_this_test():
    for lid, resource in FUNCTIONS.items():
        for policy in resource["Properties"].get("Policies", []):
            assert "Statement" in policy or next(iter(policy)) in _SAM_TEMPLATES, (lid, policy)


def test_no_function_is_granted_every_action_or_every_resource():
    for function in FUNCTIONS:
        for action, resource in grants(function):
            assert action != "*" and not action.endswith(":*"), (function, action)
            if resource == "*":  # only calls that have no resource-level permissions
                assert action in ("ses:GetSendQuota", "ses:GetAccount"), (function, action)


def test_only_publish_reads_the_private_minutes_bucket():
    assert _touching(MINUTES_BUCKET) == {"PublishFunction"}


def test_publish_reads_minutes_and_writes_only_reports_there():
    writes = {r for a, r in grants("PublishFunction") if a == "s3:PutObject" and MINUTES_BUCKET in r}
    assert writes == {f"arn:${{AWS::Partition}}:s3:::{MINUTES_BUCKET}/reports/*"}


def test_only_publish_and_index_write_the_public_site():
    assert _doing(("s3:PutObject", "s3:DeleteObject"), "SiteBucket") == {"PublishFunction", "IndexFunction"}


def test_only_publish_changes_meeting_records():
    """Notify may only give back the announced mark (attributes limited by the condition)."""
    writers = {f for f in FUNCTIONS for a, r in grants(f) if r == "MeetingsTable"
               and a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                         "dynamodb:BatchWriteItem")}
    assert writers == {"PublishFunction", "NotifyFunction"}
    (release,) = [s for p in FUNCTIONS["NotifyFunction"]["Properties"]["Policies"]
                  for s in p.get("Statement", []) if s.get("Sid") == "ReleaseAnnouncement"]
    assert release["Action"] == "dynamodb:UpdateItem"
    allowed = release["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]
    assert set(allowed) == {"group", "meeting", "status", "announced_at", "announced_day", "announce_seq",
                            "announce_pending"}


def test_only_the_mailing_functions_send_email():
    assert _doing(("ses:Send",)) == {"NotifyFunction", "SubscriptionsFunction", "DigestFunction"}


@pytest.mark.parametrize("function", ["IndexFunction", "BouncesFunction"])
def test_functions_that_never_mail_hold_no_secret_and_send_nothing(function):
    actions = {a for a, _ in grants(function)}
    assert not {a for a in actions if a.startswith(("ses:", "secretsmanager:", "sns:", "sqs:"))}


def test_only_subscriptions_and_bounces_change_subscribers():
    writers = {f for f in FUNCTIONS for a, r in grants(f) if "SubscribersTable" in r
               and a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                         "dynamodb:BatchWriteItem")}
    assert writers == {"SubscriptionsFunction", "BouncesFunction"}


def test_only_functions_that_send_mail_record_deliveries():
    assert _touching("DeliveriesTable") == {"NotifyFunction", "DigestFunction"}


@pytest.mark.parametrize("function, queue", [("NotifyFunction", "NotificationsQueue"),
                                             ("DigestFunction", "DigestQueue")])
def test_the_mailers_may_bring_a_throttled_batch_back_sooner(function, queue):
    """sending.retry_soon changes the received message's visibility (on its own queue only)."""
    import fnmatch
    allowed = {r for a, r in grants(function) if fnmatch.fnmatch("sqs:ChangeMessageVisibility", a)}
    assert allowed == {queue}


def test_the_mailers_together_stay_within_the_account_send_rate():
    """Each container paces to SEND_RATE_SHARE of the rate; all of them may run at once."""
    total = 0.0
    for function in ("NotifyFunction", "DigestFunction"):
        props = FUNCTIONS[function]["Properties"]
        share = float(props["Environment"]["Variables"]["SEND_RATE_SHARE"])
        (event,) = [e for e in props["Events"].values() if e["Type"] == "SQS"]
        total += share * event["Properties"]["ScalingConfig"]["MaximumConcurrency"]
    assert total <= 1.0


def test_the_scribes_policy_reaches_only_minutes_and_their_verdicts():
    """deploy/scribe-upload-policy.json, the README's step 7."""
    import json
    policy = json.loads((ROOT / "deploy" / "scribe-upload-policy.json").read_text(encoding="utf-8"))
    bucket = "arn:aws:s3:::MINUTES_BUCKET"
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(a.startswith("s3:") and "*" not in a for a in actions), actions
        if actions == ["s3:ListBucket"]:
            assert statement["Resource"] == bucket
            assert statement["Condition"]["StringLike"]["s3:prefix"] == ["minutes/*", "reports/minutes/*"]
        else:
            assert statement["Resource"] in (f"{bucket}/minutes/*", f"{bucket}/reports/minutes/*")
            if statement["Resource"].endswith("/reports/minutes/*"):
                assert actions == ["s3:GetObject"]      # verdicts are read, never written
    # Uploading under minutes/ is exactly what triggers publish.
    assert any(s["Resource"] == f"{bucket}/minutes/*" and "s3:PutObject" in s["Action"] for s in policy["Statement"])
