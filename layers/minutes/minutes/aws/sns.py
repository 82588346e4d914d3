"""SNS adapter: verdicts to the ScribeNotifications topic (scribes subscribe by email)."""
from __future__ import annotations


# SNS takes at most 256 KiB per message, attributes included; email subscribers get less
# comfortable long before that.
MAX_MESSAGE_BYTES = 64 * 1024


def fit(message: str, more: str = "") -> str:
    """The message, or as many of its whole lines as fit followed by a pointer to the rest."""
    if len(message.encode()) <= MAX_MESSAGE_BYTES:
        return message
    tail = f"\n... cut short; the whole report: {more}\n" if more else "\n... cut short\n"
    budget = MAX_MESSAGE_BYTES - len(tail.encode())
    lines, used = [], 0
    for line in message.splitlines(keepends=True):
        used += len(line.encode())
        if used > budget:
            break
        lines.append(line)
    return "".join(lines) + tail


class ScribeNotices:
    def __init__(self, sns, topic_arn: str):
        self._sns, self._topic = sns, topic_arn

    def publish(self, *, subject: str, message: str, status: str, group: str,
                more: str = "") -> None:
        """`more` says where the whole text is, for when the message must be cut short."""
        # SNS subjects: ASCII, no line breaks, under 100 characters.
        clean = " ".join(subject.encode("ascii", "replace").decode().split())[:99]
        self._sns.publish(TopicArn=self._topic, Subject=clean, Message=fit(message, more),
                          MessageAttributes={
                              "status": {"DataType": "String", "StringValue": status},
                              "group": {"DataType": "String", "StringValue": group}})
