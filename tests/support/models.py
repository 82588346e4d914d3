"""botocore's service models, read once per test process.

moto's mock_aws() gives boto3 a fresh default session each time it starts, and a fresh session
parses botocore's JSON models (the services', endpoints', boto3's resources') again: ~0.2 s of
CPU for each emulated stack, and the suite builds hundreds. The models are the same files in
every session and a loader only reads and caches them, so every session of the process can read
them through one loader (as one session's clients already do).
"""
from __future__ import annotations

import boto3
import boto3.session

_LOADER = boto3.session.Session()._session.get_component("data_loader")


def sharing_models(session: boto3.session.Session) -> boto3.session.Session:
    """`session`, reading the models through the process's one loader."""
    session._session.register_component("data_loader", _LOADER)
    session._loader = _LOADER   # boto3's resource models
    return session


def share_models_in_default_sessions() -> None:
    """Every default session boto3 sets up from now on reads the models through the one loader."""
    def setup_default_session(**kwargs):
        boto3.DEFAULT_SESSION = sharing_models(boto3.session.Session(**kwargs))
    boto3.setup_default_session = setup_default_session
