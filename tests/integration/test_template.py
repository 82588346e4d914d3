"""template.yaml: lint it, validate it with SAM, and check the wiring the code relies on.

The names checked here come from docs/architecture.md, so the doc, the template and the
sample events in events/ cannot drift apart silently.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, unquote_plus

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
EVENTS = ROOT / "events"

FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
ALARM = "AWS::CloudWatch::Alarm"
ASYNC_EVENT_TYPES = {"S3", "SNS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"}
SYNC_EVENT_TYPES = {"HttpApi", "Api"}  # the caller gets the error: no dead-letter path to have

EXPECTED_EVENT_FILES = {
    "s3-put.json",
    "s3-put-folder-notes.json",
    "s3-put-encoded-key.json",
    "s3-delete.json",
    "sqs-site-update.json",
    "sqs-notify-announce.json",
    "sqs-notify-deliver.json",
    "api-subscribe.json",
    "api-confirm.json",
    "api-unsubscribe-one-click.json",
    "sns-ses-bounce.json",
    "sns-ses-complaint.json",
    "schedule-digest.json",
}


# ---------------------------------------------------------------- helpers


def _load_template() -> dict:
    """template.yaml as plain data, short tags (!Ref, !Sub, ...) in their long form."""
    template, problems = decode(str(TEMPLATE))
    assert not problems, [str(p) for p in problems]
    assert isinstance(template, dict)
    return template


@pytest.fixture(scope="module")
def template() -> dict:
    return _load_template()


def _resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v.get("Type") == type_}


def _globals(template: dict) -> dict:
    return template.get("Globals", {}).get("Function", {})


def _function_env(template: dict, props: dict) -> dict:
    env = dict(_globals(template).get("Environment", {}).get("Variables", {}))
    env.update(props.get("Environment", {}).get("Variables", {}))
    return env


def _function_timeout(template: dict, props: dict) -> int:
    # Lambda's default is 3 s when neither the function nor Globals sets one.
    return int(props.get("Timeout", _globals(template).get("Timeout", 3)))


def _getatt_target(value) -> str | None:
    """Logical id of `!GetAtt X.Arn` (either spelling), else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        att = value["Fn::GetAtt"]
        parts = att.split(".", 1) if isinstance(att, str) else list(att)
        if len(parts) == 2 and parts[1] == "Arn":
            return parts[0]
    return None


def _refers_to(value, logical_id: str) -> bool:
    """True if a !Ref or !GetAtt to logical_id appears anywhere in value."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        att = value.get("Fn::GetAtt")
        if att is not None:
            target = att.split(".", 1)[0] if isinstance(att, str) else att[0]
            if target == logical_id:
                return True
        sub = value.get("Fn::Sub")
        if sub is not None:
            text = sub if isinstance(sub, str) else sub[0]
            if re.search(r"\$\{" + re.escape(logical_id) + r"(\.[^}]*)?\}", text):
                return True
        return any(_refers_to(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, logical_id) for v in value)
    return False


def _documented_names() -> dict[str, str]:
    """env var -> logical id, from the Names table in docs/architecture.md."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Names", 1)[1].split("\n## ", 1)[0]
    names: dict[str, str] = {}
    for line in section.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 3:
            continue
        ids = [t for t in re.findall(r"`([^`]+)`", cells[1]) if re.fullmatch(r"[A-Z][A-Za-z0-9]+", t)]
        envs = [t for t in re.findall(r"`([^`]+)`", cells[2]) if re.fullmatch(r"[A-Z][A-Z0-9_]+", t)]
        if not envs:
            continue  # header or separator row
        assert len(ids) == len(envs), f"cannot pair logical ids and env vars in: {line}"
        names.update(zip(envs, ids))
    assert names, "no names found in docs/architecture.md"
    return names


def _s3_rules(event_props: dict) -> tuple[str, str]:
    rules = event_props.get("Filter", {}).get("S3Key", {}).get("Rules", [])
    by_name = {r["Name"].lower(): r["Value"] for r in rules}
    return by_name.get("prefix", ""), by_name.get("suffix", "")


def _s3_event_types(event_props: dict) -> list[str]:
    types = event_props["Events"]
    return [types] if isinstance(types, str) else list(types)


def _event_types_overlap(a: str, b: str) -> bool:
    a_family, _, a_kind = a.removeprefix("s3:").partition(":")
    b_family, _, b_kind = b.removeprefix("s3:").partition(":")
    return a_family == b_family and (a_kind == b_kind or "*" in (a_kind, b_kind))


def _s3_events(template: dict, function: str) -> dict[str, dict]:
    props = template["Resources"][function]["Properties"]
    return {
        name: ev["Properties"]
        for name, ev in props.get("Events", {}).items()
        if ev.get("Type") == "S3"
    }


def _load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- linters


def test_cfn_lint_reports_nothing():
    """Errors and warnings both fail; a rule may only be ignored in the template's
    Metadata (cfn-lint: config: ignore_checks) next to the reason for it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            "--format",
            "parseable",
            "--",
            str(TEMPLATE),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    assert proc.returncode & (1 | 2 | 4) == 0, (
        f"cfn-lint exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    )


def _sam_cli() -> Path:
    configured = os.environ.get("SAM_CLI")
    candidate = Path(configured) if configured else ROOT / ".venv-sam" / "bin" / "sam"
    if not candidate.is_file():
        pytest.fail(
            f"SAM CLI not found at {candidate} (set SAM_CLI or create .venv-sam): run `make test`,"
            " which installs it"
        )
    return candidate


def test_sam_validate_lint_passes():
    sam = _sam_cli()
    env = dict(os.environ)
    # `sam validate --lint` works offline but wants a region; plain `validate` wants credentials.
    if not env.get("AWS_REGION") and not env.get("AWS_DEFAULT_REGION"):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    env["SAM_CLI_TELEMETRY"] = "0"
    proc = subprocess.run(
        [str(sam), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"sam validate --lint failed:\n{proc.stdout}\n{proc.stderr}"
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_the_iam_tests_know_what_each_sam_policy_template_grants():
    """tests/integration/test_iam.py reads SAM policy templates through its own table; a
    template granting less than that table says would let a missing permission pass (as
    SQSSendMessagePolicy, which does not grant sqs:ChangeMessageVisibility)."""
    from tests.integration.test_iam import _SAM_TEMPLATES
    python = _sam_cli().parent / "python"
    proc = subprocess.run([str(python), "-c", (
        "import json, pathlib, samtranslator;"
        "path = pathlib.Path(samtranslator.__file__).parent / 'policy_templates_data' / 'policy_templates.json';"
        "print(json.dumps(json.loads(path.read_text())['Templates']))")],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    sam = json.loads(proc.stdout)
    for name, actions in _SAM_TEMPLATES.items():
        granted = {a for s in sam[name]["Definition"]["Statement"]
                   for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert set(actions) == granted, name


def _checkov() -> Path:
    configured = os.environ.get("CHECKOV")
    candidate = Path(configured) if configured else ROOT / ".venv-checkov" / "bin" / "checkov"
    if not candidate.is_file():
        pytest.fail(f"checkov not found at {candidate} (set CHECKOV or create .venv-checkov): run"
                    " `make test`, which installs it (requirements/checkov.txt)", pytrace=False)
    return candidate


def test_checkov_fails_nothing_and_every_skip_says_why():
    """Every finding is fixed, or skipped in the template (Metadata: checkov: skip) with the
    reason an auditor reads next to the resource."""
    proc = subprocess.run(
        [str(_checkov()), "--file", str(TEMPLATE), "--framework", "cloudformation", "--output", "json",
         "--skip-download"],
        cwd=ROOT, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, capture_output=True, text=True,
        timeout=600,
    )
    report = json.loads(proc.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]]
    assert summary["parsing_errors"] == 0 and not failed, failed
    assert summary["passed"] > 50, summary          # it really scanned the stack
    assert proc.returncode == 0, proc.stderr
    for check in report["results"]["skipped_checks"]:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason.split()) >= 8, f"{check['resource']} skips {check['check_id']} without a reason"


# ---------------------------------------------------------------- wiring


def test_exactly_the_six_functions(template):
    assert set(_resources(template, FUNCTION)) == {"PublishFunction", "IndexFunction", "NotifyFunction",
                                                   "SubscriptionsFunction", "BouncesFunction", "DigestFunction"}


def test_every_documented_env_var_is_set_for_every_function(template):
    names = _documented_names()
    minutes_bucket_name = template["Resources"]["MinutesBucket"]["Properties"]["BucketName"]
    for function, resource in _resources(template, FUNCTION).items():
        env = _function_env(template, resource["Properties"])
        missing = sorted(set(names) - set(env))
        assert not missing, f"{function} lacks {missing}"
        for var, logical_id in names.items():
            assert logical_id in template.get("Parameters", {}) or logical_id in template["Resources"], (
                f"{logical_id} (for {var}) is not declared in template.yaml"
            )
            if logical_id == "MinutesBucket":
                # By name, never by !Ref (circular dependency with its own trigger).
                assert env[var] == minutes_bucket_name, f"{function}: {var}={env[var]!r}"
            else:
                assert env[var] == {"Ref": logical_id}, f"{function}: {var}={env[var]!r}"


def test_minutes_bucket_is_named_not_referenced_by_functions(template):
    for function, resource in _resources(template, FUNCTION).items():
        props = {k: v for k, v in resource["Properties"].items() if k != "Events"}
        assert not _refers_to(props, "MinutesBucket"), (
            f"{function} refers to MinutesBucket by !Ref/!GetAtt outside Events: circular dependency"
        )
    assert not _refers_to(_globals(template), "MinutesBucket")


def test_minutes_bucket_is_private_versioned_encrypted(template):
    props = template["Resources"]["MinutesBucket"]["Properties"]
    assert props["BucketName"] == {"Fn::Sub": "${AWS::StackName}-minutes-${AWS::AccountId}"}
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_minutes_bucket_keeps_every_version_and_refuses_plain_http(template):
    props = template["Resources"]["MinutesBucket"]["Properties"]
    for rule in props["LifecycleConfiguration"]["Rules"]:
        # Old versions may move to cheaper storage; nothing ever expires them.
        assert not {"ExpirationInDays", "ExpirationDate", "NoncurrentVersionExpiration",
                    "NoncurrentVersionExpirationInDays", "ExpiredObjectDeleteMarker"} & set(rule), rule
    moves = [r for r in props["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionTransitions" in r]
    assert moves and all(r["Status"] == "Enabled" for r in moves)
    statements = template["Resources"]["MinutesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Action"] == "s3:*"
               and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements)


def test_what_holds_the_minutes_and_subscribers_outlives_the_stack(template):
    """Deleting or replacing the stack never deletes the sources, the records, the subscribers,
    or the key that decrypts the retained tables."""
    for name in ("MinutesBucket", "MeetingsTable", "SubscribersTable", "DataKey"):
        resource = template["Resources"][name]
        assert resource.get("DeletionPolicy") == "Retain", name
        assert resource.get("UpdateReplacePolicy") == "Retain", name


def test_every_queue_topic_table_secret_and_log_group_is_encrypted_with_the_stacks_key(template):
    key = {"Ref": "DataKey"}
    where = {"AWS::SQS::Queue": "KmsMasterKeyId", "AWS::SNS::Topic": "KmsMasterKeyId",
             "AWS::SecretsManager::Secret": "KmsKeyId"}
    for type_, prop in where.items():
        for name, resource in _resources(template, type_).items():
            assert resource["Properties"].get(prop) == key, name
    for name, resource in _resources(template, "AWS::DynamoDB::Table").items():
        sse = resource["Properties"]["SSESpecification"]
        assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}, name
    for name, resource in _resources(template, "AWS::Logs::LogGroup").items():
        assert _getatt_target(resource["Properties"].get("KmsKeyId")) == "DataKey", name
    assert template["Resources"]["DataKey"]["Properties"]["EnableKeyRotation"] is True


def test_publish_is_triggered_by_markdown_under_minutes(template):
    events = _s3_events(template, "PublishFunction")
    assert events, "PublishFunction has no S3 events"
    covered: set[str] = set()
    suffixes: set[str] = set()
    for name, ev in events.items():
        assert ev["Bucket"] == {"Ref": "MinutesBucket"}, name
        prefix, suffix = _s3_rules(ev)
        assert prefix == "minutes/", f"{name}: prefix {prefix!r} (reports/ must never trigger publish)"
        suffixes.add(suffix)
        if suffix == ".md":
            covered.update(_s3_event_types(ev))
    assert {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"} <= covered, covered
    # An attachment upload republishes its folder meeting.
    assert {".pdf", ".png", ".jpg", ".jpeg", ".webp"} <= suffixes, suffixes


def test_s3_notification_configurations_do_not_overlap(template):
    """S3 rejects a bucket notification configuration whose filters overlap."""
    configs = []
    for function in _resources(template, FUNCTION):
        for name, ev in _s3_events(template, function).items():
            prefix, suffix = _s3_rules(ev)
            for event_type in _s3_event_types(ev):
                configs.append((f"{function}.{name}", json.dumps(ev["Bucket"]), event_type, prefix, suffix))
    for i, a in enumerate(configs):
        for b in configs[i + 1 :]:
            if a[1] != b[1] or not _event_types_overlap(a[2], b[2]):
                continue
            prefixes = a[3].startswith(b[3]) or b[3].startswith(a[3])
            suffixes = a[4].endswith(b[4]) or b[4].endswith(a[4])
            assert not (prefixes and suffixes), f"overlapping S3 notifications: {a} / {b}"


def test_site_updates_queue_is_fifo_with_fifo_dead_letter_queue(template):
    queue = template["Resources"]["SiteUpdatesQueue"]["Properties"]
    assert queue.get("FifoQueue") is True
    assert queue.get("ContentBasedDeduplication") is True
    dlq = _getatt_target(queue["RedrivePolicy"]["deadLetterTargetArn"])
    assert dlq and template["Resources"][dlq]["Properties"].get("FifoQueue") is True


def test_every_function_has_a_dead_letter_path_and_alarms(template):
    queues = _resources(template, QUEUE)
    alarms = [a["Properties"] for a in _resources(template, ALARM).values()]

    def alarmed(namespace: str, metric: str, dimension_ref) -> bool:
        return any(
            a.get("Namespace") == namespace
            and a.get("MetricName") == metric
            and a.get("AlarmActions")
            and any(_refers_to(d.get("Value"), dimension_ref) for d in a.get("Dimensions", []))
            for a in alarms
        )

    for function, resource in _resources(template, FUNCTION).items():
        props = resource["Properties"]
        events = props.get("Events", {})
        dead_letters: list[str] = []
        for name, ev in events.items():
            if ev["Type"] == "SQS":
                source = _getatt_target(ev["Properties"]["Queue"])
                assert source in queues, f"{function}.{name}: queue {source} not in template"
                redrive = queues[source]["Properties"].get("RedrivePolicy")
                assert redrive, f"{function}.{name}: {source} has no RedrivePolicy"
                target = _getatt_target(redrive["deadLetterTargetArn"])
                assert target in queues, f"{source}: dead-letter target {target} not a queue here"
                dead_letters.append(target)
                assert int(queues[source]["Properties"]["VisibilityTimeout"]) >= 6 * _function_timeout(
                    template, props
                ), f"{source}: VisibilityTimeout below 6 x {function} Timeout"
            elif ev["Type"] in ASYNC_EVENT_TYPES:
                on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
                dlq = props.get("DeadLetterQueue", {}).get("TargetArn")
                target = _getatt_target(on_failure["Destination"]) if on_failure else _getatt_target(dlq)
                assert target, f"{function}.{name}: asynchronous event without OnFailure/DeadLetterQueue"
                dead_letters.append(target)
        synchronous = bool(events) and all(ev["Type"] in SYNC_EVENT_TYPES for ev in events.values())
        assert dead_letters or synchronous, f"{function} has no dead-letter path"
        for target in dead_letters:
            assert alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible", target), f"no alarm on {target}"
        assert alarmed("AWS/Lambda", "Errors", function), f"no Errors alarm on {function}"


def test_sqs_consumers_report_batch_item_failures(template):
    for function, resource in _resources(template, FUNCTION).items():
        for name, ev in resource["Properties"].get("Events", {}).items():
            if ev["Type"] == "SQS":
                assert "ReportBatchItemFailures" in ev["Properties"].get("FunctionResponseTypes", []), (
                    f"{function}.{name}"
                )


def test_tables_match_the_documented_keys(template):
    r = template["Resources"]

    def keys(table: str) -> list[tuple[str, str]]:
        return [(k["AttributeName"], k["KeyType"]) for k in r[table]["Properties"]["KeySchema"]]

    assert keys("MeetingsTable") == [("group", "HASH"), ("meeting", "RANGE")]
    assert keys("SubscribersTable") == [("group", "HASH"), ("email", "RANGE")]
    assert keys("DeliveriesTable") == [("delivery", "HASH")]
    gsis = {g["IndexName"]: g for g in r["SubscribersTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in gsis["by-email"]["KeySchema"]] == ["email"]
    ttl = r["DeliveriesTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


# ---------------------------------------------------------------- sample events


def test_sample_event_files_exist():
    present = {p.name for p in EVENTS.glob("*.json")}
    assert EXPECTED_EVENT_FILES <= present, sorted(EXPECTED_EVENT_FILES - present)


@pytest.mark.parametrize("name", sorted(p.name for p in EVENTS.glob("*.json")))
def test_sample_event_is_real_shaped(name, template):
    event = _load_event(name)
    if name.startswith("api-"):
        _check_http_api_event(event, template)
        return
    if name.startswith("schedule-"):
        _check_schedule_event(event, template)
        return
    records = event["Records"]
    assert records
    for record in records:
        source = record.get("eventSource")
        if source == "aws:s3":
            _check_s3_record(record, template)
        elif source == "aws:sqs":
            _check_sqs_record(record)
        elif record.get("EventSource") == "aws:sns":
            _check_sns_ses_record(record)
        else:
            pytest.fail(f"{name}: unexpected eventSource {source!r}")


def _check_s3_record(record: dict, template: dict) -> None:
    assert record["eventVersion"] == "2.1"
    for field in ("awsRegion", "eventTime", "eventName", "userIdentity", "requestParameters", "responseElements"):
        assert field in record, field
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0" and s3["configurationId"]
    bucket = s3["bucket"]
    assert bucket["arn"] == f"arn:aws:s3:::{bucket['name']}"
    assert re.fullmatch(r"[a-z0-9-]+-minutes-\d{12}", bucket["name"]), bucket["name"]
    obj = s3["object"]
    key = obj["key"]
    # URL-encoded the way S3 sends keys: '+' for a space, %XX for the rest, '/' kept.
    assert " " not in key, f"raw space in key {key!r}"
    assert quote_plus(unquote_plus(key), safe="/") == key, f"key not encoded as S3 does: {key!r}"
    assert re.fullmatch(r"[0-9A-F]+", obj["sequencer"]), obj["sequencer"]
    assert obj["versionId"]  # the minutes bucket is versioned
    if record["eventName"].startswith("ObjectCreated:"):
        assert isinstance(obj["size"], int) and obj["eTag"]
    elif record["eventName"] == "ObjectRemoved:DeleteMarkerCreated":
        assert "size" not in obj and "eTag" not in obj
    # The decoded key is one PublishFunction is subscribed to.
    decoded = unquote_plus(key)
    assert any(
        decoded.startswith(prefix) and decoded.endswith(suffix)
        for prefix, suffix in map(_s3_rules, _s3_events(template, "PublishFunction").values())
    ), f"{decoded!r} matches no PublishFunction S3 filter"


def _check_sqs_record(record: dict) -> None:
    for field in ("messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                  "eventSourceARN", "awsRegion"):
        assert field in record, field
    body = record["body"]
    assert hashlib.md5(body.encode()).hexdigest() == record["md5OfBody"]
    message = json.loads(body)
    attributes = record["attributes"]
    for field in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"):
        assert field in attributes, field
    if record["eventSourceARN"].endswith(".fifo"):
        assert attributes["MessageGroupId"] == "site"
        assert attributes["MessageDeduplicationId"] and attributes["SequenceNumber"]
        assert set(message) == {"group", "meeting", "action"}
        assert message["action"] in {"upsert", "delete"}
    else:
        assert "MessageGroupId" not in attributes
        assert message["kind"] in {"announce", "deliver"}
        assert message["group"] and message["meeting"]
        if message["kind"] == "deliver":
            assert message["recipients"] and all("@" in r for r in message["recipients"])


def _http_api_routes(template: dict) -> set[tuple[str, str]]:
    routes = set()
    for resource in _resources(template, FUNCTION).values():
        for ev in resource["Properties"].get("Events", {}).values():
            if ev["Type"] == "HttpApi":
                routes.add((ev["Properties"]["Method"].upper(), ev["Properties"]["Path"]))
    return routes


def _check_http_api_event(event: dict, template: dict) -> None:
    """An HTTP API payload 2.0 event for a route the template declares."""
    assert event["version"] == "2.0"
    context = event["requestContext"]
    method, path = context["http"]["method"], context["http"]["path"]
    assert event["routeKey"] == context["routeKey"] == f"{method} {path}"
    assert event["rawPath"] == path
    assert (method, path) in _http_api_routes(template), f"{method} {path} is not a route in template.yaml"
    for field in ("accountId", "apiId", "domainName", "requestId", "stage", "time", "timeEpoch"):
        assert field in context, field
    assert all(name == name.lower() for name in event["headers"]), "HTTP API lower-cases header names"
    assert isinstance(event["isBase64Encoded"], bool)
    if "body" in event:
        body = base64.b64decode(event["body"]) if event["isBase64Encoded"] else event["body"].encode()
        assert int(event["headers"]["content-length"]) == len(body)
    if event.get("rawQueryString"):
        assert event["queryStringParameters"] == {
            k: ",".join(v) for k, v in parse_qs(event["rawQueryString"]).items()}


def _check_schedule_event(event: dict, template: dict) -> None:
    assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert event["resources"] and event["detail"] == {}
    assert any(ev["Type"] == "Schedule" for r in _resources(template, FUNCTION).values()
               for ev in r["Properties"].get("Events", {}).values())


def _check_sns_ses_record(record: dict) -> None:
    """An SNS notification of an SES configuration-set event (bounce or complaint)."""
    sns = record["Sns"]
    assert record["EventVersion"] == "1.0" and sns["Type"] == "Notification"
    for field in ("MessageId", "TopicArn", "Timestamp", "SignatureVersion", "Signature", "SigningCertUrl"):
        assert sns[field], field
    message = json.loads(sns["Message"])
    assert message["eventType"] in {"Bounce", "Complaint"}
    assert message["mail"]["messageId"] and message["mail"]["destination"]
    if message["eventType"] == "Bounce":
        assert message["bounce"]["bounceType"] in {"Permanent", "Transient", "Undetermined"}
        assert all("@" in r["emailAddress"] for r in message["bounce"]["bouncedRecipients"])
    else:
        assert all("@" in r["emailAddress"] for r in message["complaint"]["complainedRecipients"])


def test_subscriptions_api_is_throttled_and_every_path_is_under_api(template):
    api = template["Resources"]["SubscriptionsApi"]["Properties"]
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert api["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    for route in ("POST /api/subscriptions", "POST /api"):
        assert api["RouteSettings"][route]["ThrottlingRateLimit"] <= api["DefaultRouteSettings"]["ThrottlingRateLimit"]
    routes = _http_api_routes(template)
    assert {("POST", "/api/subscriptions"), ("GET", "/api/confirm"), ("POST", "/api/confirm"),
            ("GET", "/api/unsubscribe"), ("POST", "/api/unsubscribe"), ("GET", "/api/preferences"),
            ("POST", "/api/preferences")} <= routes
    assert all(path == "/api" or path.startswith("/api/") for _, path in routes)


def test_every_sender_sends_through_the_configuration_set(template):
    """Bounce and complaint events exist only for mail sent with the configuration set."""
    destination = template["Resources"]["EmailFeedbackDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "EmailConfigurationSet"}
    assert set(destination["EventDestination"]["MatchingEventTypes"]) >= {"bounce", "complaint"}
    assert destination["EventDestination"]["SnsDestination"]["TopicARN"] == {"Ref": "EmailFeedbackTopic"}
    bounces = template["Resources"]["BouncesFunction"]["Properties"]["Events"]
    assert any(ev["Type"] == "SNS" and ev["Properties"]["Topic"] == {"Ref": "EmailFeedbackTopic"}
               for ev in bounces.values())
    for name in ("NotifyFunction", "SubscriptionsFunction", "DigestFunction"):
        props = template["Resources"][name]["Properties"]
        env = props["Environment"]["Variables"]
        assert env["MAIL_CONFIGURATION_SET"] == {"Ref": "EmailConfigurationSet"}, name
        assert env["TOKEN_SECRET_NAME"] == {"Ref": "TokenSecret"}, name
        assert _refers_to(props["Policies"], "EmailConfigurationSet"), f"{name} may not send with the set"


def test_digest_runs_weekly_and_subscribers_pending_items_expire(template):
    digest = template["Resources"]["DigestFunction"]["Properties"]["Events"]
    assert any(ev["Type"] == "Schedule" for ev in digest.values())
    ttl = template["Resources"]["SubscribersTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_throttles_of_every_function_are_alarmed(template):
    alarm = template["Resources"]["FunctionThrottlesAlarm"]["Properties"]
    watched = {m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
               for m in alarm["Metrics"] if "MetricStat" in m
               and m["MetricStat"]["Metric"]["MetricName"] == "Throttles"}
    assert watched == set(_resources(template, FUNCTION))
    (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True
    assert set(re.findall(r"\w+", expression["Expression"].removeprefix("SUM"))) == {
        m["Id"] for m in alarm["Metrics"] if "MetricStat" in m}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_ses_reputation_alarms_fire_well_below_the_review_thresholds(template):
    """SES reviews an account at 5 % bounces and 0.1 % complaints."""
    for name, metric, review in (("SesBounceRateAlarm", "Reputation.BounceRate", 0.05),
                                 ("SesComplaintRateAlarm", "Reputation.ComplaintRate", 0.001)):
        alarm = template["Resources"][name]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SES", metric)
        assert 0 < float(alarm["Threshold"]) <= review / 2, name
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_dashboard_is_valid_json_and_shows_every_function_and_queue(template):
    from minutes.local.template import Stack
    stack = Stack(template, parameters={"SiteUrl": "https://minutes.example.org",
                                        "SenderAddress": "minutes@example.org"})
    for lid in _resources(template, FUNCTION):
        stack.refs[lid] = f"fn-{lid}"
    for lid in _resources(template, QUEUE):
        stack.attrs[(lid, "QueueName")] = f"q-{lid}"
    stack.refs["SiteDistribution"] = "E123"
    body = json.loads(stack.resolve(template["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]))
    shown = json.dumps(body)
    assert body["widgets"] and all(w["properties"]["metrics"] for w in body["widgets"])
    for lid in _resources(template, FUNCTION):
        assert f'"fn-{lid}"' in shown, lid
    for lid in _resources(template, QUEUE):
        assert f'"q-{lid}"' in shown, lid


def test_the_link_signing_secret_is_generated_in_secrets_manager_never_written_down(template):
    """The secret is made by Secrets Manager at deploy time and read by name at run time: it is
    in no template value and no environment variable."""
    secret = template["Resources"]["TokenSecret"]["Properties"]
    assert "SecretString" not in secret and secret["GenerateSecretString"]["PasswordLength"] >= 32
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    for name, resource in _resources(template, FUNCTION).items():
        env = _function_env(template, resource["Properties"])
        assert not [k for k in env if any(w in k for w in ("SECRET", "TOKEN", "KEY", "PASSWORD"))
                    and k not in ("TOKEN_SECRET_NAME", "CONFIRM_TOKEN_DAYS")], name
        if "TOKEN_SECRET_NAME" in env:
            assert env["TOKEN_SECRET_NAME"] == {"Ref": "TokenSecret"}, name
