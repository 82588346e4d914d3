"""Messages between the functions (queue bodies), as typed values with their JSON shape."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json


# A SiteUpdate for this "meeting" says the group's group.yaml changed: every page of the group
# shows its name, so index re-renders them all. A meeting path never starts with '/' (keys.py
# refuses empty path segments), so this is never a meeting.
GROUP_UPDATE = "/group.yaml"


@dataclass(frozen=True)
class SiteUpdate:
    group: str
    meeting: str
    action: Literal["upsert", "delete"]

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Announce:
    group: str
    meeting: str
    kind: str = "announce"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Deliver:
    group: str
    meeting: str
    recipients: tuple[str, ...]
    kind: str = "deliver"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["recipients"] = list(self.recipients)
        return data


class SiteUpdateBody(BaseModel):
    """Parser model for index's SQS bodies (Powertools parser validates against it)."""
    model_config = ConfigDict(extra="forbid")
    group: str = Field(min_length=1, max_length=63)
    meeting: str = Field(min_length=1, max_length=1024)
    action: Literal["upsert", "delete"]


class NotificationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["announce", "deliver"]
    group: str = Field(min_length=1, max_length=63)
    meeting: str = Field(min_length=1, max_length=1024)
    recipients: list[str] = Field(default_factory=list, max_length=500)


class SiteUpdateRecord(SqsRecordModel):
    body: Json[SiteUpdateBody]  # type: ignore[assignment]


class NotificationRecord(SqsRecordModel):
    body: Json[NotificationBody]  # type: ignore[assignment]
