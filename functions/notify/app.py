"""notify: announce (fan out to batches of recipients) and deliver (send through SES).

A batch with throttled recipients fails alone; its retry skips the recipients already sent.
"""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from minutes import runtime
from minutes.messages import Announce, Deliver, NotificationRecord
from minutes.services.notify import DeliveryIncomplete

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS, model=NotificationRecord)


def handle(record: NotificationRecord) -> None:
    body = record.body
    logger.append_keys(meeting=f"{body.group}/{body.meeting}", kind=body.kind)
    if body.kind == "announce":
        count = runtime.notifier().announce(Announce(body.group, body.meeting))
        logger.info("fanned out", extra={"recipients": count})
        return
    try:
        result = runtime.notifier().deliver(Deliver(body.group, body.meeting, tuple(body.recipients)))
    except DeliveryIncomplete:
        runtime.notifier().retry_soon(record.receiptHandle,
                                      receive_count=int(record.attributes.ApproximateReceiveCount))
        raise
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=len(result.sent))
    metrics.add_metric(name="EmailsRefused", unit=MetricUnit.Count, value=len(result.rejected))
    logger.info("delivered", extra={"sent": len(result.sent), "skipped": len(result.skipped),
                                    "rejected": len(result.rejected)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor,
                                    context=context)
