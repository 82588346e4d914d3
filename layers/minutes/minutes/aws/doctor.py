"""What `minutes doctor` reads from a deployed stack: read-only calls, gathered into StackFacts.

The stack's outputs name its resources (template.yaml Outputs); nothing is found by guessing.
"""
from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError

from ..doctor import Alarm, Bucket, Distribution, SendQuota, StackFacts, Topic
from ..problems import ConfigError

TOPIC_OUTPUTS = ("AlarmTopicArn", "ScribeNotificationsTopicArn", "EmailFeedbackTopicArn")


class StackInspector:
    """Clients may be injected (tests pass ones made for moto); else made for `region`."""

    def __init__(self, *, region: str | None = None, clients: dict | None = None):
        self._region, self._clients = region, dict(clients or {})

    def _client(self, service: str):
        if service not in self._clients:
            # CloudFront is global; its API lives in us-east-1.
            region = "us-east-1" if service == "cloudfront" else self._region
            self._clients[service] = boto3.client(service, region_name=region)
        return self._clients[service]

    def gather(self, stack_name: str) -> StackFacts:
        stack = self._stack(stack_name)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])}
        sender = parameters.get("SenderAddress", "")
        site_bucket = self._bucket(outputs.get("SiteBucketName"), distribution_id=outputs.get("SiteDistributionId"))
        return StackFacts(
            stack_name=stack_name, status=stack["StackStatus"], parameters=parameters, outputs=outputs,
            identities=self._identities([sender, sender.rpartition("@")[2]] if sender else []),
            quota=self._quota(),
            topics={key: self._topic(outputs[key]) for key in TOPIC_OUTPUTS if outputs.get(key)},
            minutes_bucket=self._bucket(outputs.get("MinutesBucketName")), site_bucket=site_bucket,
            distribution=self._distribution(outputs.get("SiteDistributionId")),
            alarms=self._alarms(stack_name),
        )

    # --- one source each -------------------------------------------------------------------

    def _stack(self, name: str) -> dict:
        try:
            return self._client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as exc:
            raise ConfigError(f"no stack {name} in this account and region: {exc.response['Error']['Message']}") from exc

    def _identities(self, names: list[str]) -> dict[str, str]:
        names = [n for n in names if n]
        if not names:
            return {}
        found = self._client("ses").get_identity_verification_attributes(Identities=names)
        return {name: attrs.get("VerificationStatus", "")
                for name, attrs in found.get("VerificationAttributes", {}).items()}

    def _quota(self) -> SendQuota:
        q = self._client("ses").get_send_quota()
        return SendQuota(float(q.get("Max24HourSend", 0)), float(q.get("MaxSendRate", 0)),
                         float(q.get("SentLast24Hours", 0)))

    def _topic(self, arn: str) -> Topic:
        sns = self._client("sns")
        subscriptions = [s for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
                         for s in page.get("Subscriptions", [])]
        pending = [s for s in subscriptions if s["SubscriptionArn"] in ("PendingConfirmation", "Deleted")]
        return Topic(arn=arn, confirmed=len(subscriptions) - len(pending),
                     pending=sum(s["SubscriptionArn"] == "PendingConfirmation" for s in pending),
                     protocols=tuple(sorted({s["Protocol"] for s in subscriptions})))

    def _bucket(self, name: str | None, *, distribution_id: str | None = None) -> Bucket | None:
        if not name:
            return None
        s3 = self._client("s3")
        try:
            versioning = s3.get_bucket_versioning(Bucket=name).get("Status", "")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchBucket", "404"):
                return Bucket(name, exists=False)
            raise
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            blocked = all(block.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls",
                                                  "BlockPublicPolicy", "RestrictPublicBuckets"))
        except ClientError:
            blocked = False
        notifications = s3.get_bucket_notification_configuration(Bucket=name)
        return Bucket(name, versioning=versioning, public_access_blocked=blocked,
                      notifies_lambda=bool(notifications.get("LambdaFunctionConfigurations")),
                      policy_names_distribution=bool(distribution_id) and self._policy_names(name, distribution_id))

    def _policy_names(self, bucket: str, distribution_id: str) -> bool:
        try:
            policy = json.loads(self._client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError:
            return False
        suffix = f":distribution/{distribution_id}"
        for statement in policy.get("Statement", []):
            source = statement.get("Condition", {}).get("StringEquals", {}).get("AWS:SourceArn", "")
            if statement.get("Effect") == "Allow" and str(source).endswith(suffix):
                return True
        return False

    def _distribution(self, distribution_id: str | None) -> Distribution | None:
        if not distribution_id:
            return None
        try:
            found = self._client("cloudfront").get_distribution(Id=distribution_id)["Distribution"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchDistribution":
                return Distribution(distribution_id, exists=False)
            raise
        config = found["DistributionConfig"]
        origins = config.get("Origins", {}).get("Items", [])
        return Distribution(
            distribution_id, enabled=bool(config.get("Enabled")), status=found.get("Status", ""),
            domain_name=found.get("DomainName", ""), aliases=tuple(config.get("Aliases", {}).get("Items", []) or []),
            origin_domains=tuple(o["DomainName"] for o in origins),
            origins_with_access_control=tuple(o["DomainName"] for o in origins if o.get("OriginAccessControlId")))

    def _alarms(self, stack_name: str) -> tuple[Alarm, ...]:
        """CloudFormation names an alarm without AlarmName `<stack>-<LogicalId>-<suffix>`."""
        cloudwatch = self._client("cloudwatch")
        alarms = []
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=f"{stack_name}-"):
            for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                alarms.append(Alarm(a["AlarmName"], bool(a.get("ActionsEnabled")), tuple(a.get("AlarmActions", [])),
                                    a.get("StateValue", "OK"), a.get("StateReason", "")))
        return tuple(alarms)
