"""digest: weekly (EventBridge schedule) plan the digests; each DigestQueue batch, send them."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from minutes import runtime
from minutes.services.digest import DigestBatchRecord

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS, model=DigestBatchRecord)


def send_batch(record: DigestBatchRecord) -> None:
    result = runtime.digester().deliver(record.body)
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=len(result.sent))
    logger.info("digests", extra={"week": record.body.week, "sent": len(result.sent),
                                  "skipped": len(result.skipped), "rejected": len(result.rejected)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=send_batch, processor=processor,
                                        context=context)
    schedule = parse(event=event, model=EventBridgeModel)
    readers = runtime.digester().plan(schedule.time)
    logger.info("digest planned", extra={"readers": readers})
    return {"readers": readers}
