"""Every operator command that calls AWS says in one line what AWS or the stack refused and exits
2 (never a traceback): here against an emulated account where the named stack does not exist,
and against a stack that lacks the output the command needs."""
from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from minutes.cli import main

from tests.support.aws import REGION

COMMANDS = {
    "reindex": ["reindex", "--stack", "no-such-stack", "--region", REGION],
    "subscribers": ["subscribers", "--stack", "no-such-stack", "--region", REGION, "list"],
    "doctor": ["doctor", "--stack", "no-such-stack", "--region", REGION],
    "dlq": ["dlq", "list", "--stack", "no-such-stack", "--region", REGION],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_stack_that_does_not_exist_is_one_clear_line_and_exit_2(name, aws_environment, capsys):
    with mock_aws():
        code = main(COMMANDS[name])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith(f"minutes {name}: ") and "no-such-stack" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["reindex", "subscribers"])
def test_a_stack_without_the_needed_output_names_the_missing_output(name, aws_environment, capsys):
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="bare", TemplateBody=json.dumps(
                {"Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}}}))
        code = main([part if part != "no-such-stack" else "bare" for part in COMMANDS[name]])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"minutes {name}: stack bare has no ") and "Name output" in err
