"""boto3 clients, made once per container on first use (boto3 itself is imported then too, so a
handler's cold start does not pay for it before it needs AWS) and injectable in tests."""
from __future__ import annotations

import functools


@functools.cache
def _config():
    from botocore.config import Config
    # Standard retry mode backs off on throttling for every call; adaptive would also rate-limit.
    return Config(retries={"mode": "standard", "max_attempts": 5})


@functools.cache
def client(service: str):
    import boto3
    return boto3.client(service, config=_config())


@functools.cache
def resource(service: str):
    import boto3
    return boto3.resource(service, config=_config())


def reset() -> None:
    """Forget cached clients (tests that switch emulated accounts or endpoints)."""
    client.cache_clear()
    resource.cache_clear()
