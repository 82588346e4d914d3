"""The `minutes` CLI against the stack on moto, for the upload and sync tests."""
from __future__ import annotations

import pytest

from minutes import cli
from minutes.aws.emulated import EmulatedScribeBucket


@pytest.fixture
def bucket(stack, monkeypatch):
    """The CLI writes through the emulated bucket (real boto3 to moto + event delivery)."""
    monkeypatch.setattr(cli, "scribe_bucket", lambda args: EmulatedScribeBucket(stack.cloud))
    return stack.minutes_bucket


def run(capsys, *argv: str) -> tuple[int, str]:
    """The command's exit code and everything it printed."""
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err
