"""SES adapter: raw MIME through SESv2 (the message we composed is the message sent), and the
account's send rate from SES v1 get_send_quota."""
from __future__ import annotations

from email.message import EmailMessage

from botocore.exceptions import ClientError

THROTTLING = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                        "MaxSendingRateExceeded", "LimitExceededException"})
# Refusals about this one message or address: retrying will not help, the others may go on.
RECIPIENT_REFUSED = frozenset({"MessageRejected", "BadRequestException", "InvalidParameterValue"})


class MailError(Exception):
    """A send that did not happen; the subclass says what the caller should do."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Throttled(MailError):
    """SES refused for rate reasons: retry later."""


class RecipientRefused(MailError):
    """SES will never take this message for this address: record it, do not retry."""


class SendingBroken(MailError):
    """The account or the set-up is wrong (access denied, sending paused, unknown
    configuration set): nothing can be sent until an operator fixes it. Retry, then alarm."""


class Mailer:
    def __init__(self, sesv2, ses, *, configuration_set: str | None = None):
        self._sesv2, self._ses, self._configuration_set = sesv2, ses, configuration_set

    def send(self, message: EmailMessage | bytes, *, sender: str, recipient: str) -> str:
        """Send one message: an EmailMessage, or its raw MIME bytes (minutes.mailing)."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        args = {"FromEmailAddress": sender, "Destination": {"ToAddresses": [recipient]},
                "Content": {"Raw": {"Data": raw}}}
        if self._configuration_set:
            args["ConfigurationSetName"] = self._configuration_set
        try:
            return self._sesv2.send_email(**args)["MessageId"]
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            kind = Throttled if code in THROTTLING else \
                RecipientRefused if code in RECIPIENT_REFUSED else SendingBroken
            raise kind(code) from exc

    def max_send_rate(self) -> float:
        """Messages per second this account may send (read, never hard-coded)."""
        return float(self._ses.get_send_quota().get("MaxSendRate") or 1.0)
