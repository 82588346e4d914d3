"""subscriptions: the HTTP API (double opt-in subscribe, confirm, unsubscribe, preferences).

The routes live in minutes.subscription_api: GET routes only read and show a page with one
button; the POST behind the button acts.
"""
from aws_lambda_powertools import Logger, Metrics

from minutes import tracing
from minutes.subscription_api import app

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    return app.resolve(event, context)
