"""Make real AWS calls fail: a botocore `before-parameter-build` hook on the default boto3 session, so every
client made afterwards (the functions' own, after runtime.reset) carries it, and the call fails
before it reaches moto, as a call that AWS answered with an error (after botocore's retries).
Nothing is faked: the calls that are not failed go to moto as usual.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import boto3
from botocore.exceptions import ClientError


@dataclass
class Rule:
    service: str              # botocore's service id, lower case: "s3", "dynamodb", "sqs", ...
    operation: str            # "PutObject", "UpdateItem", "SendMessage", ...
    matches: Callable[[dict], bool]
    times: int | None         # fail this many matching calls, then let them through; None: all
    code: str
    failed: int = 0


@dataclass
class Faults:
    rules: list[Rule] = field(default_factory=list)
    failed: Counter = field(default_factory=Counter)

    def install(self) -> "Faults":
        boto3._get_default_session().events.register("before-parameter-build", self._before_call)
        return self

    def uninstall(self) -> None:
        self.rules.clear()
        boto3._get_default_session().events.unregister("before-parameter-build", self._before_call)

    def fail(self, service: str, operation: str, *, when: Callable[[dict], bool] = lambda p: True,
             times: int | None = 1, code: str = "InternalError") -> Rule:
        """Fail the next `times` calls of `operation` whose parameters match (None: every one)."""
        rule = Rule(service, operation, when, times, code)
        self.rules.append(rule)
        return rule

    def heal(self) -> None:
        self.rules.clear()

    def _before_call(self, event_name: str, model, params: dict, **_):
        _, service, operation = event_name.split(".", 2)
        for rule in self.rules:
            if (rule.service, rule.operation) == (service, operation) and rule.matches(params) \
                    and (rule.times is None or rule.failed < rule.times):
                rule.failed += 1
                self.failed[f"{service}.{operation}"] += 1
                raise ClientError({"Error": {"Code": rule.code, "Message": f"{rule.code} (injected)"},
                                   "ResponseMetadata": {"HTTPStatusCode": 500}}, operation)
        return None


def body_of(params: dict) -> str:
    body = params.get("MessageBody") or params.get("Message") or ""
    return body if isinstance(body, str) else ""
