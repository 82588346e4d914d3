"""The rest of a deployed stack on moto, for `minutes doctor`: what the local runner does not
emulate (the distribution, bucket policies and settings, alarms, subscriptions, the
CloudFormation stack record), created with boto3 from template.yaml's own declarations."""
from __future__ import annotations

import json
import uuid

import boto3

from minutes.local.template import ACCOUNT, REGION
from tests.support.aws import Harness

ALARM_EMAIL = "ops@example.org"
SCRIBE_EMAIL = "scribe@example.org"


def deploy_rest(harness: Harness, *, site_url: str | None = None, with_alarm_subscriber: bool = True) -> str:
    """Complete the emulated stack; returns the stack name `minutes doctor` checks."""
    cloud, stack = harness.cloud, harness.cloud.stack
    resources = stack.resources
    s3, sns = boto3.client("s3", region_name=REGION), boto3.client("sns", region_name=REGION)
    for lid in stack.of_type("AWS::Serverless::Function"):
        stack.refs.setdefault(lid, f"{stack.stack_name}-{lid}")
        stack.attrs.setdefault((lid, "Arn"), f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack.refs[lid]}")

    for lid in ("MinutesBucket", "SiteBucket"):
        block = resources[lid]["Properties"]["PublicAccessBlockConfiguration"]
        s3.put_public_access_block(Bucket=stack.refs[lid], PublicAccessBlockConfiguration=block)
    # What SAM makes of PublishFunction's S3 events: one Lambda configuration per filter.
    s3.put_bucket_notification_configuration(Bucket=stack.refs["MinutesBucket"], NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": stack.attrs[("PublishFunction", "Arn")], "Events": ev["Properties"]["Events"],
            "Filter": {"Key": {"FilterRules": ev["Properties"]["Filter"]["S3Key"]["Rules"]}}}
            for ev in resources["PublishFunction"]["Properties"]["Events"].values() if ev["Type"] == "S3"]})

    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    oac = cloudfront.create_origin_access_control(OriginAccessControlConfig={
        **resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"],
        "Name": f"{stack.stack_name}-site"})["OriginAccessControl"]["Id"]
    site_domain = f"{stack.refs['SiteBucket']}.s3.{REGION}.amazonaws.com"
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": str(uuid.uuid4()), "Comment": "minutes", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "site", "DomainName": site_domain, "OriginAccessControlId": oac,
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "MinTTL": 0, "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]
    stack.refs["SiteDistribution"] = distribution["Id"]
    stack.attrs[("SiteDistribution", "DomainName")] = distribution["DomainName"]
    for lid in ("MinutesBucketPolicy", "SiteBucketPolicy"):
        props = stack.resolve(resources[lid]["Properties"])
        s3.put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(props["PolicyDocument"]))

    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    for lid, resource in stack.of_type("AWS::CloudWatch::Alarm").items():
        props = stack.resolve(resource["Properties"])
        props.pop("AlarmDescription", None)
        cloudwatch.put_metric_alarm(AlarmName=f"{stack.stack_name}-{lid}-{uuid.uuid4().hex[:12].upper()}", **props)

    if with_alarm_subscriber:
        sns.subscribe(TopicArn=stack.refs["AlarmTopic"], Protocol="email", Endpoint=ALARM_EMAIL)
    sns.subscribe(TopicArn=stack.refs["ScribeNotificationsTopic"], Protocol="email", Endpoint=SCRIBE_EMAIL)
    sns.subscribe(TopicArn=stack.refs["EmailFeedbackTopic"], Protocol="lambda",
                  Endpoint=stack.attrs[("BouncesFunction", "Arn")])

    _stack_record(harness, site_url or f"https://{distribution['DomainName']}")
    return stack.stack_name


def _stack_record(harness: Harness, site_url: str) -> None:
    """The CloudFormation stack as describe_stacks shows it: template.yaml's output keys, the
    deployed values. (moto cannot run the SAM transform; the record carries what doctor reads.)"""
    stack = harness.cloud.stack
    outputs = {
        "MinutesBucketName": stack.refs["MinutesBucket"], "SiteBucketName": stack.refs["SiteBucket"],
        "SiteDistributionId": stack.refs["SiteDistribution"], "SiteUrl": site_url,
        "ScribeNotificationsTopicArn": stack.refs["ScribeNotificationsTopic"],
        "AlarmTopicArn": stack.refs["AlarmTopic"], "EmailFeedbackTopicArn": stack.refs["EmailFeedbackTopic"],
    }
    missing = set(outputs) - set(stack.template["Outputs"])
    assert not missing, f"template.yaml has no outputs {missing}"
    parameters = {"SiteUrl": site_url, "SenderAddress": stack.parameter_values()["SenderAddress"]}
    body = {"Parameters": {k: {"Type": "String"} for k in parameters},
            "Resources": {"Record": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{stack.stack_name}-record"}}},
            "Outputs": {k: {"Value": v} for k, v in outputs.items()}}
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(StackName=stack.stack_name, TemplateBody=json.dumps(body),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
