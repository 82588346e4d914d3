"""A local stack on moto (`mock_aws`), built from template.yaml by minutes.aws.emulated."""
from __future__ import annotations

import pytest

from tests.support.aws import local_stack


@pytest.fixture
def stack(aws_environment):
    """The stack template.yaml declares, on moto, with a Notifier on a fake clock (SES pacing
    and back-off advance the clock instead of sleeping; tests can read what it slept)."""
    with local_stack() as harness:
        yield harness


@pytest.fixture
def cloud(stack):
    return stack.cloud
