"""bounces: SES bounce and complaint events (configuration set -> SNS) -> suppressed addresses."""
import json

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from minutes import runtime, tracing

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context) -> dict:
    suppressed = 0
    for record in event.records:
        outcome = runtime.bounces().handle(json.loads(record.sns.message))
        suppressed += len(outcome.suppressed)
        logger.info("feedback", extra={"suppressed": len(outcome.suppressed), "soft": len(outcome.counted),
                                       "repeated": len(outcome.repeated)})
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return {"suppressed": suppressed}
