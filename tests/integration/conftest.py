"""A local stack on moto (`mock_aws`), built from template.yaml by minutes.aws.emulated."""
from __future__ import annotations

import pytest

from tests.support.aws import PARAMETERS, REPO, Harness


@pytest.fixture
def stack(aws_environment):
    """The stack template.yaml declares, on moto, with a Notifier on a fake clock (SES pacing
    and back-off advance the clock instead of sleeping; tests can read what it slept)."""
    from moto import mock_aws

    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    with mock_aws():
        runtime.reset()
        harness = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        runtime.provide(notifier=harness.notifier())
        yield harness
        runtime.reset()


@pytest.fixture
def cloud(stack):
    return stack.cloud
