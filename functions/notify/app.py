"""notify: announce (fan out to batches of recipients) and deliver (send through SES).

A batch with throttled recipients fails alone and comes back in about a minute; its retry skips
the recipients already sent.
"""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from minutes import runtime, tracing
from minutes.messages import Announce, Receipt, parse_notification

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> None:
    message = parse_notification(record.body)
    logger.append_keys(meeting=f"{message.group}/{message.meeting}", kind=message.kind)
    if isinstance(message, Announce):
        count = runtime.notifier().announce(message)
        logger.info("fanned out", extra={"recipients": count})
        return
    result = runtime.notifier().deliver(message, receipt=Receipt.of(record))
    metrics.add_metric(name="EmailsSent", unit=MetricUnit.Count, value=len(result.sent))
    metrics.add_metric(name="EmailsRefused", unit=MetricUnit.Count, value=len(result.rejected))
    logger.info("delivered", extra={"sent": len(result.sent), "skipped": len(result.skipped),
                                    "rejected": len(result.rejected)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=handle, processor=processor,
                                    context=context)
