"""The whole flow: `minutes demo` run once per module, and a moto server over real HTTP."""
from __future__ import annotations

import os
import socket

import pytest

from tests.conftest import fake_aws_environment


@pytest.fixture(scope="module")
def clean_environment():
    """Module-wide fake credentials (the runner sets each function's environment, the demo
    its credentials)."""
    with fake_aws_environment():
        yield


@pytest.fixture(scope="module")
def demo(tmp_path_factory, clean_environment):
    """`minutes demo` as a person runs it: the site folder, the outbox, the logs."""
    from minutes import runtime
    from minutes.local import demo as runner
    runtime.reset()
    out = tmp_path_factory.mktemp("demo")
    result = runner.run(out)
    runtime.reset()
    assert result.failures == 0, (out / "logs" / "functions.jsonl").read_text()[-4000:]
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def moto_server(clean_environment):
    """moto's server on a free port; boto3 clients reach it through AWS_ENDPOINT_URL."""
    import urllib.request

    from moto.server import ThreadedMotoServer

    from minutes import runtime
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    runtime.reset()
    try:
        yield endpoint
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
        runtime.reset()
        server.stop()
