"""A local stack on moto: create what template.yaml declares, deliver the events AWS would
deliver (shaped like the files in events/), drain the queues through the functions. It is
the adapter behind `minutes demo` and the integration tests (local/ holds the pure parts).

Everything here is read from the template: resource names, function environments, S3 event
filters, SQS event sources, batch sizes, retry counts and failure destinations.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import importlib.util
import json
import os
import sys
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3

from ..problems import ConfigError
from .s3 import ScribeBucket
from ..local.template import ACCOUNT, REGION, Stack, load_template

EVENTS_DIR = "events"

# Resource types the local stack does not create, and why. Any type in the template that is
# neither created nor listed here stops `create()`: a new kind of resource is a decision.
NOT_EMULATED = {
    "AWS::S3::BucketPolicy": "moto does not enforce bucket policies; tests/integration/test_iam.py checks access",
    "AWS::SNS::Subscription": "email subscriptions need a person to confirm; the local run has none",
    "AWS::SNS::TopicPolicy": "who may publish is AWS's check; locally the functions publish directly",
    "AWS::SES::ConfigurationSetEventDestination": "moto sends no SES events; bounces are fed from events/",
    "AWS::Serverless::HttpApi": "requests go to the handler directly (LocalCloud.invoke), shaped like events/api-*.json",
    "AWS::Serverless::LayerVersion": "the library is installed in the local environment",
    "AWS::Logs::LogGroup": "the functions log to demo/logs instead",
    "AWS::CloudWatch::Alarm": "nothing watches metrics locally; tests check every alarm's wiring in the template",
    "AWS::CloudWatch::Dashboard": "nothing to show locally",
    "AWS::KMS::Alias": "the key is referred to by id",
    "AWS::CloudFront::Distribution": "the edge is not emulated; `minutes serve` previews the site, and "
                                     "tests/integration/test_edge.py and tests/browser/test_csp.py check it",
    "AWS::CloudFront::OriginAccessControl": "see AWS::CloudFront::Distribution",
    "AWS::CloudFront::Function": "see AWS::CloudFront::Distribution (its code runs under node in test_edge.py)",
    "AWS::CloudFront::CachePolicy": "see AWS::CloudFront::Distribution",
    "AWS::CloudFront::ResponseHeadersPolicy": "see AWS::CloudFront::Distribution",
}


@dataclass(frozen=True)
class S3Trigger:
    bucket: str          # physical name
    events: tuple[str, ...]
    prefix: str
    suffix: str

    def matches(self, bucket: str, key: str, event_name: str) -> bool:
        kind = "s3:" + event_name
        return (bucket == self.bucket and key.startswith(self.prefix) and key.endswith(self.suffix)
                and any(kind.startswith(e.rstrip("*")) for e in self.events))


@dataclass(frozen=True)
class SqsTrigger:
    queue_url: str
    queue_arn: str
    batch_size: int
    partial_failures: bool


@dataclass
class LocalFunction:
    name: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    s3_triggers: list[S3Trigger] = field(default_factory=list)
    sqs_triggers: list[SqsTrigger] = field(default_factory=list)
    retries: int = 2
    on_failure_queue_url: str | None = None
    _module: object = None


@dataclass(frozen=True)
class LambdaContext:
    """What Powertools reads from the Lambda context object."""
    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


class LocalCloud:
    """Call inside moto's mock_aws(). `root` is the repository (template.yaml, events/)."""

    def __init__(self, root: Path, *, parameters: dict[str, str] | None = None,
                 stack_name: str = "minutes-local"):
        self.root = Path(root)
        self.stack = Stack(load_template(self.root / "template.yaml"), stack_name=stack_name,
                           parameters=dict(parameters or {}))
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.functions: dict[str, LocalFunction] = {}
        self.failures: list[dict] = []         # async invocations that exhausted their retries
        self._sequence = int(dt.datetime(2026, 1, 1).timestamp()) << 16
        self._last_function: str | None = None

    # --- resources ---------------------------------------------------------------------

    def create(self) -> "LocalCloud":
        self._check_resource_types()
        self._create_keys()
        self._create_buckets()
        self._create_tables()
        self._create_queues()
        self._create_topics()
        self._create_secrets()
        self._create_configuration_sets()
        self._load_functions()
        sender = self.stack.parameter_values().get("SenderAddress")
        if sender:
            boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=sender)
        return self

    _CREATED = ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SQS::Queue",
                "AWS::SNS::Topic", "AWS::SecretsManager::Secret", "AWS::SES::ConfigurationSet",
                "AWS::Serverless::Function")

    def _check_resource_types(self) -> None:
        unknown = sorted({r.get("Type") for r in self.stack.resources.values()}
                         - set(self._CREATED) - set(NOT_EMULATED))
        if unknown:
            raise ConfigError(f"the local stack does not know {', '.join(unknown)}: create it in "
                              "aws/emulated.py or list it in NOT_EMULATED with the reason")

    def _create_keys(self) -> None:
        """KMS keys, so that encryption settings resolve. moto's queues, tables and topics are not
        encrypted with them: encryption at rest is AWS's to prove, not the local run's."""
        kms = boto3.client("kms", region_name=REGION)
        for lid in self.stack.of_type("AWS::KMS::Key"):
            key = kms.create_key(Description=f"{self.stack.stack_name} {lid}")["KeyMetadata"]
            self.stack.refs[lid] = key["KeyId"]
            self.stack.attrs[(lid, "Arn")] = key["Arn"]
            self.stack.attrs[(lid, "KeyId")] = key["KeyId"]

    def _create_buckets(self) -> None:
        for lid, res in self.stack.of_type("AWS::S3::Bucket").items():
            props = res.get("Properties", {})
            name = self.stack.resolve(props.get("BucketName")) or f"{self.stack.stack_name}-{lid.lower()}"
            self.s3.create_bucket(Bucket=name)
            if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
                self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            self.stack.refs[lid] = name
            self.stack.attrs[(lid, "Arn")] = f"arn:aws:s3:::{name}"
            self.stack.attrs[(lid, "WebsiteURL")] = f"http://{name}.s3-website-{REGION}.amazonaws.com"

    def _create_tables(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for lid, res in self.stack.of_type("AWS::DynamoDB::Table").items():
            props = self.stack.resolve(res["Properties"])
            name = props.get("TableName") or f"{self.stack.stack_name}-{lid}"
            args = {"TableName": name, "KeySchema": props["KeySchema"],
                    "AttributeDefinitions": props["AttributeDefinitions"],
                    "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST")}
            if props.get("GlobalSecondaryIndexes"):
                args["GlobalSecondaryIndexes"] = [
                    {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection")}
                    for gsi in props["GlobalSecondaryIndexes"]]
            dynamodb.create_table(**args)
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": ttl["AttributeName"]})
            self.stack.refs[lid] = name
            self.stack.attrs[(lid, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"

    def _create_queues(self) -> None:
        pending = dict(self.stack.of_type("AWS::SQS::Queue"))
        while pending:  # dead-letter queues first: redrive policies refer to them
            progressed = False
            for lid, res in list(pending.items()):
                try:
                    props = self.stack.resolve(res.get("Properties", {}))
                except ConfigError:
                    continue
                self._create_queue(lid, props)
                del pending[lid]
                progressed = True
            if not progressed:
                raise ConfigError(f"cannot resolve queues: {', '.join(pending)}")

    def _create_queue(self, lid: str, props: dict) -> None:
        fifo = bool(props.get("FifoQueue"))
        name = props.get("QueueName") or f"{self.stack.stack_name}-{lid}" + (".fifo" if fifo else "")
        attributes = {}
        for prop in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if prop in props:
                attributes[prop] = str(props[prop])
        if fifo:
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(bool(props.get("ContentBasedDeduplication"))).lower()
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.stack.refs[lid] = url
        self.stack.attrs[(lid, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        self.stack.attrs[(lid, "QueueName")] = name
        self.stack.attrs[(lid, "QueueUrl")] = url

    def _create_topics(self) -> None:
        sns = boto3.client("sns", region_name=REGION)
        for lid, res in self.stack.of_type("AWS::SNS::Topic").items():
            name = res.get("Properties", {}).get("TopicName") or f"{self.stack.stack_name}-{lid}"
            arn = sns.create_topic(Name=name)["TopicArn"]
            self.stack.refs[lid] = arn
            self.stack.attrs[(lid, "TopicArn")] = arn
            self.stack.attrs[(lid, "TopicName")] = name

    def _create_secrets(self) -> None:
        """Secrets Manager secrets; a generated one gets a random value, as CloudFormation does."""
        import secrets
        client = boto3.client("secretsmanager", region_name=REGION)
        for lid, res in self.stack.of_type("AWS::SecretsManager::Secret").items():
            props = res.get("Properties", {})
            name = props.get("Name") or f"{self.stack.stack_name}-{lid}"
            value = props.get("SecretString") or secrets.token_urlsafe(48)
            self.stack.refs[lid] = client.create_secret(Name=name, SecretString=value)["ARN"]

    def _create_configuration_sets(self) -> None:
        """SES configuration sets (moto accepts sends through them; events are not emulated)."""
        sesv2 = boto3.client("sesv2", region_name=REGION)
        for lid, res in self.stack.of_type("AWS::SES::ConfigurationSet").items():
            name = res.get("Properties", {}).get("Name") or f"{self.stack.stack_name}-{lid}"
            sesv2.create_configuration_set(ConfigurationSetName=name)
            self.stack.refs[lid] = name

    # --- functions ---------------------------------------------------------------------

    def _load_functions(self) -> None:
        globals_ = self.stack.template.get("Globals", {}).get("Function", {})
        common = self.stack.resolve(globals_.get("Environment", {}).get("Variables", {}))
        for lid, res in self.stack.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = {**common, **self.stack.resolve(props.get("Environment", {}).get("Variables", {}))}
            module, _, func = props.get("Handler", globals_.get("Handler", "app.lambda_handler")).rpartition(".")
            fn = LocalFunction(name=lid, code_dir=self.root / props["CodeUri"], handler=f"{module}.{func}",
                               environment={k: str(v) for k, v in env.items() if v is not None})
            invoke = props.get("EventInvokeConfig", {})
            fn.retries = int(invoke.get("MaximumRetryAttempts", 2))
            failure = invoke.get("DestinationConfig", {}).get("OnFailure", {})
            if failure.get("Type") == "SQS":
                arn = self.stack.resolve(failure["Destination"])
                fn.on_failure_queue_url = self._queue_url_for_arn(arn)
            for event in props.get("Events", {}).values():
                self._add_trigger(fn, event)
            self.functions[lid] = fn

    def _add_trigger(self, fn: LocalFunction, event: dict) -> None:
        props = event.get("Properties", {})
        if event["Type"] == "S3":
            rules = {r["Name"].lower(): r["Value"] for r in props.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
            events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
            fn.s3_triggers.append(S3Trigger(self.stack.resolve(props["Bucket"]), tuple(events),
                                            rules.get("prefix", ""), rules.get("suffix", "")))
        elif event["Type"] == "SQS":
            arn = self.stack.resolve(props["Queue"])
            fn.sqs_triggers.append(SqsTrigger(
                self._queue_url_for_arn(arn), arn, int(props.get("BatchSize", 10)),
                "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])))

    def _queue_url_for_arn(self, arn: str) -> str:
        for (lid, attr), value in self.stack.attrs.items():
            if attr == "Arn" and value == arn:
                return self.stack.refs[lid]
        raise ConfigError(f"no local queue with ARN {arn}")

    def invoke(self, name: str, event: dict):
        """Run one function's handler with its own environment, as Lambda would."""
        handler = self.prepare(name)
        return handler(event, LambdaContext(function_name=f"{self.stack.stack_name}-{name}",
                                            aws_request_id=str(uuid.uuid4())))

    @property
    def current_function(self) -> str | None:
        """The function whose environment is in place (the one invoked last)."""
        return self._last_function

    def prepare(self, name: str):
        """Load a function's handler and environment (a cold start); its handler. Invocations
        of one function on several threads at once must be prepared first."""
        fn = self.functions[name]
        os.environ.update(fn.environment)
        os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
        if self._last_function != name:
            from .. import runtime
            # Settings are per function: rebuild from this one's environment (services a test
            # provided stay).
            runtime.reset(keep_provided=True)
            self._last_function = name
        if fn._module is None:
            fn._module = _import_handler(fn)
        return getattr(fn._module, fn.handler.rpartition(".")[2])

    def invoke_async(self, name: str, event: dict) -> None:
        """Asynchronous invocation: retried, then sent to the failure destination."""
        fn = self.functions[name]
        for attempt in range(fn.retries + 1):
            try:
                self.invoke(name, event)
                return
            except Exception as exc:  # noqa: BLE001 - Lambda treats any error as a failed attempt
                error = exc
        record = {"function": name, "error": f"{type(error).__name__}: {error}", "event": event}
        self.failures.append(record)
        if fn.on_failure_queue_url:
            self.sqs.send_message(QueueUrl=fn.on_failure_queue_url, MessageBody=json.dumps(
                self._destination_record(fn, event, error), default=str))

    def _destination_record(self, fn: LocalFunction, event: dict, error: Exception) -> dict:
        """What Lambda sends an OnFailure destination (the invocation record, AWS's shape)."""
        return {
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetriesExhausted",
                               "functionArn": LambdaContext(f"{self.stack.stack_name}-{fn.name}", "")
                               .invoked_function_arn + ":$LATEST",
                               "approximateInvokeCount": fn.retries + 1},
            "requestPayload": event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__},
        }

    def function_for_arn(self, arn: str) -> str:
        """The logical id of the function an ARN names (a version or alias suffix allowed)."""
        for name in self.functions:
            if arn.split(":function:", 1)[-1].split(":")[0] == f"{self.stack.stack_name}-{name}":
                return name
        raise ConfigError(f"no local function with ARN {arn}")

    # --- S3 ----------------------------------------------------------------------------

    def bucket(self, logical_id: str) -> str:
        return self.stack.refs[logical_id]

    def table(self, logical_id: str):
        """A DynamoDB table of the stack, by its logical id."""
        return boto3.resource("dynamodb", region_name=REGION).Table(self.stack.refs[logical_id])

    def put_object(self, logical_bucket: str, key: str, body: bytes) -> dict:
        bucket = self.bucket(logical_bucket)
        result = self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        self._notify(bucket, key, "ObjectCreated:Put", size=len(body), etag=result["ETag"].strip('"'),
                     version_id=result.get("VersionId"))
        return result

    def delete_object(self, logical_bucket: str, key: str) -> dict:
        bucket = self.bucket(logical_bucket)
        result = self.s3.delete_object(Bucket=bucket, Key=key)
        name = "ObjectRemoved:DeleteMarkerCreated" if result.get("DeleteMarker") else "ObjectRemoved:Delete"
        self._notify(bucket, key, name, version_id=result.get("VersionId"))
        return result

    def s3_event(self, bucket: str, key: str, event_name: str, *, size: int = 0, etag: str = "",
                 version_id: str | None = None) -> dict:
        """An S3 notification shaped like events/s3-put.json (keys URL-encoded, a sequencer)."""
        sample = "s3-delete.json" if event_name.startswith("ObjectRemoved") else "s3-put.json"
        event = copy.deepcopy(json.loads((self.root / EVENTS_DIR / sample).read_text()))
        record = event["Records"][0]
        self._sequence += 1
        record["eventTime"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        record["eventName"] = event_name
        record["awsRegion"] = REGION
        record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
        obj = {"key": urllib.parse.quote_plus(key, safe="/"), "sequencer": f"{self._sequence:018X}"}
        if version_id:
            obj["versionId"] = version_id
        if not event_name.startswith("ObjectRemoved"):
            obj.update(size=size, eTag=etag)
        record["s3"]["object"] = obj
        return event

    def _notify(self, bucket: str, key: str, event_name: str, **details) -> None:
        event = self.s3_event(bucket, key, event_name, **details)
        for fn in self.functions.values():
            if any(t.matches(bucket, key, event_name) for t in fn.s3_triggers):
                self.invoke_async(fn.name, event)

    # --- SQS ---------------------------------------------------------------------------

    def drain(self, *, max_rounds: int = 10_000) -> int:
        """Deliver queued messages to their functions until every event-source queue is empty."""
        delivered = 0
        for _ in range(max_rounds):
            moved = 0
            for fn in self.functions.values():
                for trigger in fn.sqs_triggers:
                    moved += self._poll(fn, trigger)
            delivered += moved
            if not moved:
                return delivered
        raise RuntimeError("queues did not drain: a message keeps failing without a dead-letter queue?")

    def _poll(self, fn: LocalFunction, trigger: SqsTrigger) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=trigger.queue_url, MaxNumberOfMessages=min(trigger.batch_size, 10),
            MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [_sqs_record(m, trigger.queue_arn) for m in messages]}
        try:
            response = self.invoke(fn.name, event) or {}
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])} \
                if trigger.partial_failures else set()
        except Exception:  # noqa: BLE001 - the whole batch returns to the queue, as on AWS
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(QueueUrl=trigger.queue_url,
                                                   ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
            else:
                self.sqs.delete_message(QueueUrl=trigger.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def _sqs_record(message: dict, queue_arn: str) -> dict:
    attributes = {k: v for k, v in message.get("Attributes", {}).items()}
    attributes.setdefault("ApproximateReceiveCount", "1")
    return {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"], "attributes": attributes,
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": REGION,
    }


def _import_handler(fn: LocalFunction):
    """Import functions/<name>/app.py under a unique module name (every handler is app.py)."""
    module_name, _, _ = fn.handler.rpartition(".")
    path = fn.code_dir / (module_name.replace(".", "/") + ".py")
    unique = f"minutes_fn_{fn.name}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module



class EmulatedScribeBucket(ScribeBucket):
    """MinutesBucket for `minutes upload`/`sync` on the emulated stack: the writes go to moto
    through the real adapter (ScribeBucket), then the S3 event AWS would send is delivered."""

    def __init__(self, cloud: LocalCloud):
        super().__init__(cloud.s3, cloud.bucket("MinutesBucket"))
        self._cloud = cloud

    def put(self, key: str, data: bytes) -> str | None:
        version = super().put(key, data)
        self._cloud._notify(self._bucket, key, "ObjectCreated:Put", size=len(data),
                            etag=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                            version_id=version)
        return version

    def delete(self, key: str) -> str | None:
        version = super().delete(key)
        self._cloud._notify(self._bucket, key, "ObjectRemoved:DeleteMarkerCreated",
                            version_id=version)
        return version
