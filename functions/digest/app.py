"""digest: weekly (EventBridge schedule) plan the digests; each DigestQueue batch, send them
(a batch with throttled readers comes back in about a minute)."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from minutes import runtime, tracing
from minutes.messages import Receipt, parse_digest_batch, parse_event_time

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
processor = BatchProcessor(event_type=EventType.SQS)


def send_batch(record: SQSRecord) -> None:
    batch = parse_digest_batch(record.body)
    result = runtime.digester().deliver(batch, receipt=Receipt.of(record))
    metrics.add_metric(name="DigestsSent", unit=MetricUnit.Count, value=len(result.sent))
    logger.info("digests", extra={"week": batch.week, "sent": len(result.sent),
                                  "skipped": len(result.skipped), "rejected": len(result.rejected)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=send_batch, processor=processor,
                                        context=context)
    readers = runtime.digester().plan(parse_event_time(EventBridgeEvent(event).time))
    logger.info("digest planned", extra={"readers": readers})
    return {"readers": readers}
