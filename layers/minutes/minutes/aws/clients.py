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


def in_region(service: str, region: str | None):
    """A client for the operator's and scribe's commands, in the region they name (None: their
    AWS configuration's). Not cached: a command makes one or two."""
    import boto3
    return boto3.client(service, region_name=region, config=_config())


def errors() -> tuple[type[Exception], ...]:
    """What an AWS call raises when AWS (or the way to it) says no: commands catch these."""
    from botocore.exceptions import BotoCoreError, ClientError
    return BotoCoreError, ClientError


def reset() -> None:
    """Forget cached clients (tests that switch emulated accounts or endpoints)."""
    client.cache_clear()
    resource.cache_clear()
