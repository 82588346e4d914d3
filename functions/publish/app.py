"""publish: S3 ObjectCreated/ObjectRemoved under minutes/ -> verdict, page, record, queues."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from minutes import runtime, tracing
from minutes.keys import decode_event_key
from minutes.messages import ObjectChange

logger = Logger()
metrics = Metrics(namespace="MinutesPipeline")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracing.capture_lambda_handler
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context) -> dict:
    verdicts = []
    for record in event.records:
        obj = record.s3.get_object
        key = decode_event_key(obj.key)
        logger.append_keys(object_key=key, version_id=obj.version_id)
        change = ObjectChange(key=key, version_id=obj.version_id, sequencer=obj.sequencer,
                              removed=record.event_name.startswith("ObjectRemoved"))
        verdict = runtime.publisher().handle(change)
        metrics.add_metric(name=f"Uploads{verdict.status.title()}", unit=MetricUnit.Count, value=1)
        logger.info("verdict", extra={"status": verdict.status, "url": verdict.url,
                                      "problems": len(verdict.problems)})
        verdicts.append(verdict.as_dict())
    return {"verdicts": verdicts}
