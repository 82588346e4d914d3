"""The deployed stack, for the operator's commands: its outputs and its tables."""
from __future__ import annotations

import boto3

from ..problems import ConfigError


def output(stack_name: str, key: str, *, region: str | None = None) -> str:
    stack = boto3.client("cloudformation", region_name=region).describe_stacks(
        StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if not outputs.get(key):
        raise ConfigError(f"stack {stack_name} has no {key} output")
    return outputs[key]


def table(name: str, *, region: str | None = None):
    return boto3.resource("dynamodb", region_name=region).Table(name)


def dead_letter_queues(stack_name: str, *, region: str | None = None) -> list[str]:
    """The URLs of the stack's dead-letter queues and failure destinations (by logical id:
    `...DeadLetterQueue`, `...FailuresQueue`)."""
    pages = boto3.client("cloudformation", region_name=region).get_paginator(
        "list_stack_resources").paginate(StackName=stack_name)
    return sorted(r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
                  if r["ResourceType"] == "AWS::SQS::Queue"
                  and r["LogicalResourceId"].endswith(("DeadLetterQueue", "FailuresQueue")))
