"""boto3 clients, made once per container (lazily) and injectable in tests."""
from __future__ import annotations

import functools

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling for every call; adaptive would also rate-limit.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@functools.cache
def client(service: str):
    return boto3.client(service, config=_CONFIG)


@functools.cache
def resource(service: str):
    return boto3.resource(service, config=_CONFIG)


def reset() -> None:
    """Forget cached clients (tests that switch emulated accounts or endpoints)."""
    client.cache_clear()
    resource.cache_clear()
