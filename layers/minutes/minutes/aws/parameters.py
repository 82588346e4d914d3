"""Secrets through Powertools parameters: an SSM SecureString or a Secrets Manager secret,
decrypted, cached for `max_age` seconds per container (so a rotation is picked up within it).

A name that starts with '/' (or an SSM ARN) is an SSM parameter; anything else (a name or an
ARN, as `!Ref` on an AWS::SecretsManager::Secret gives) is a Secrets Manager secret.
"""
from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

from ..problems import ConfigError

DEFAULT_MAX_AGE = 300


class SecretReader:
    def __init__(self, *, ssm=None, secretsmanager=None, max_age: int = DEFAULT_MAX_AGE):
        self._ssm_client, self._secrets_client, self._max_age = ssm, secretsmanager, max_age
        self._ssm: SSMProvider | None = None
        self._secrets: SecretsProvider | None = None

    def get(self, name: str) -> str:
        if not name:
            raise ConfigError("no secret name configured")
        if name.startswith("/") or name.startswith("arn:aws:ssm:"):
            if self._ssm is None:
                self._ssm = SSMProvider(boto3_client=self._ssm_client)
            value = self._ssm.get(name, decrypt=True, max_age=self._max_age)
        else:
            if self._secrets is None:
                self._secrets = SecretsProvider(boto3_client=self._secrets_client)
            value = self._secrets.get(name, max_age=self._max_age)
        if isinstance(value, bytes):
            value = value.decode()
        if not value or not isinstance(value, str):
            raise ConfigError(f"secret {name} is empty")
        return value
