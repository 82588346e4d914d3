"""SNS adapter: verdicts to the ScribeNotifications topic (scribes subscribe by email)."""
from __future__ import annotations


class ScribeNotices:
    def __init__(self, sns, topic_arn: str):
        self._sns, self._topic = sns, topic_arn

    def publish(self, *, subject: str, message: str, status: str, group: str) -> None:
        # SNS subjects: ASCII, no line breaks, under 100 characters.
        clean = " ".join(subject.encode("ascii", "replace").decode().split())[:99]
        self._sns.publish(TopicArn=self._topic, Subject=clean, Message=message,
                          MessageAttributes={
                              "status": {"DataType": "String", "StringValue": status},
                              "group": {"DataType": "String", "StringValue": group}})
