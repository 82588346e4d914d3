"""The link-signing secret, read through Powertools parameters: an SSM SecureString or a Secrets
Manager secret, decrypted, cached; the stack's TokenSecret signs and checks every link."""
from __future__ import annotations

import datetime as dt
import os

import boto3
import pytest

from minutes import runtime
from minutes.aws.parameters import SecretReader
from minutes.problems import ConfigError
from minutes.tokens import make_token

from tests.support.aws import REGION
from tests.support.subscriptions import call, secret, statuses, subscribers


@pytest.fixture
def clients(aws_environment):
    from moto import mock_aws
    with mock_aws():
        yield boto3.client("ssm", region_name=REGION), boto3.client("secretsmanager", region_name=REGION)


def test_an_ssm_securestring_is_read_decrypted_and_cached(clients):
    ssm, secrets = clients
    ssm.put_parameter(Name="/minutes/token-secret", Value="s3cret-one", Type="SecureString")
    reader = SecretReader(ssm=ssm, secretsmanager=secrets)
    assert reader.get("/minutes/token-secret") == "s3cret-one"
    ssm.put_parameter(Name="/minutes/token-secret", Value="s3cret-two", Type="SecureString", Overwrite=True)
    assert reader.get("/minutes/token-secret") == "s3cret-one"          # cached (max_age)
    assert SecretReader(ssm=ssm, secretsmanager=secrets, max_age=0).get("/minutes/token-secret") == "s3cret-two"


def test_a_secrets_manager_secret_is_read_by_name_or_arn(clients):
    ssm, secrets = clients
    arn = secrets.create_secret(Name="minutes-token", SecretString="from-secrets-manager")["ARN"]
    reader = SecretReader(ssm=ssm, secretsmanager=secrets)
    assert reader.get("minutes-token") == reader.get(arn) == "from-secrets-manager"


def test_no_name_is_a_configuration_error(clients):
    with pytest.raises(ConfigError):
        SecretReader(ssm=clients[0], secretsmanager=clients[1]).get("")


def test_the_function_uses_the_stacks_secret_and_not_the_development_default(stack):
    env = stack.cloud.functions["SubscriptionsFunction"].environment
    assert env["TOKEN_SECRET_NAME"] == stack.ref("TokenSecret")
    subscribers(stack).add_confirmed("ada@example.org", ["openxla"], when=dt.datetime.now(dt.timezone.utc))
    dev = make_token("local-development-secret", purpose="unsubscribe", email="ada@example.org")
    assert call(stack.cloud, "POST", "/unsubscribe", query={"token": dev}, form={})["statusCode"] == 400
    real = make_token(secret(stack), purpose="unsubscribe", email="ada@example.org")
    assert call(stack.cloud, "POST", "/unsubscribe", query={"token": real}, form={})["statusCode"] == 200
    assert statuses(stack, "ada@example.org") == {"openxla": "unsubscribed"}
    # notify signs its unsubscribe links with the same secret (runtime.notifier()).
    runtime.reset()
    os.environ.update(stack.cloud.functions["NotifyFunction"].environment)
    assert runtime.notifier().settings.token_secret == secret(stack)
