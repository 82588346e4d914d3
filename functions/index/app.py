"""index: site updates from the FIFO queue -> archive pages, group pages, feeds, sitemap.

Messages are parsed one by one (a malformed one fails alone, after which FIFO order fails the
rest); the valid ones are applied in one rebuild. If the rebuild fails, the batch is retried.
"""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response

from minutes import runtime, tracing
from minutes.messages import SiteUpdate, parse_site_update

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")
processor = SqsFifoPartialProcessor()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
def lambda_handler(event: dict, context) -> dict:
    updates: list[SiteUpdate] = []
    response = process_partial_response(
        event=event, processor=processor, context=context,
        record_handler=lambda record: updates.append(parse_site_update(record.body)))
    if updates:
        result = runtime.indexer().apply(updates)
        metrics.add_metric(name="SiteFilesWritten", unit=MetricUnit.Count, value=result.written)
        logger.info("site updated", extra={"changes": len(updates), "written": result.written,
                                           "unchanged": result.unchanged})
    return response
