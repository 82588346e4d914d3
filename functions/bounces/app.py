"""bounces: SES bounce and complaint events (configuration set -> SNS) -> suppressed addresses."""
import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel

from minutes import runtime

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=SnsModel)
def lambda_handler(event: SnsModel, context) -> dict:
    suppressed = 0
    for record in event.Records:
        outcome = runtime.bounces().handle(json.loads(record.Sns.Message))
        suppressed += len(outcome.suppressed)
        logger.info("feedback", extra={"suppressed": len(outcome.suppressed), "soft": len(outcome.counted),
                                       "repeated": len(outcome.repeated)})
    metrics.add_metric(name="AddressesSuppressed", unit=MetricUnit.Count, value=suppressed)
    return {"suppressed": suppressed}
