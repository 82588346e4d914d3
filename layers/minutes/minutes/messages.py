"""Messages between the functions (queue bodies and the S3 change publish handles), as typed
values with their JSON shape, and the parsers that turn a queue body back into one.

The bodies are small and written by this pipeline, so plain dataclasses and a few explicit
checks do the job; pydantic (and Powertools' parser models, which import every event model)
would cost a handler ~100 ms of cold start for it (docs/decisions.md). A body that does not
fit raises `BadMessage` naming the field and what is wrong; the batch processors then fail that
record alone.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

from .problems import MinutesError

GROUP_MAX, MEETING_MAX = 63, 1024
RECIPIENTS_MAX = 500


class BadMessage(MinutesError, ValueError):
    """A queue body that is not what the pipeline sends: what is wrong, in which field."""


@dataclass(frozen=True)
class ObjectChange:
    """One S3 change under minutes/ (from an ObjectCreated/ObjectRemoved event)."""
    key: str                 # decoded
    version_id: str | None
    sequencer: str
    removed: bool


@dataclass(frozen=True)
class Receipt:
    """How a queue message reached its function: the handle that can hide it longer or bring
    it back sooner, and how many times it has been received (1 the first time)."""
    handle: str
    receive_count: int

    @classmethod
    def of(cls, record) -> "Receipt":
        """From the SQS record the function got (Powertools' SQSRecord)."""
        return cls(record.receipt_handle, int(record.attributes.approximate_receive_count))


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


@dataclass(frozen=True)
class DigestReader:
    email: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class DigestBatch:
    """One DigestQueue body: a week's meetings and up to a batch of readers to send them to."""
    week: str                                # ISO week label, 2024-W02
    start: dt.datetime                       # Monday 00:00 UTC, included
    end: dt.datetime                         # the next Monday, excluded
    meetings: tuple[tuple[str, str], ...]    # (group, meeting)
    readers: tuple[DigestReader, ...]

    def as_dict(self) -> dict:
        return {"week": self.week, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "meetings": [list(m) for m in self.meetings],
                "readers": [{"email": r.email, "groups": list(r.groups)} for r in self.readers]}


# --- parsing ---------------------------------------------------------------------------------


def parse_site_update(body: str | dict) -> SiteUpdate:
    data = _fields(body, required={"group", "meeting", "action"})
    return SiteUpdate(_text(data, "group", GROUP_MAX), _text(data, "meeting", MEETING_MAX),
                      _choice(data, "action", ("upsert", "delete")))


def parse_notification(body: str | dict) -> Announce | Deliver:
    data = _fields(body, required={"kind", "group", "meeting"}, optional={"recipients"})
    kind = _choice(data, "kind", ("announce", "deliver"))
    group, meeting = _text(data, "group", GROUP_MAX), _text(data, "meeting", MEETING_MAX)
    recipients = _texts(data.get("recipients", []), "recipients", 0, RECIPIENTS_MAX, 254)
    return Announce(group, meeting) if kind == "announce" else Deliver(group, meeting, recipients)


_WEEK = re.compile(r"\d{4}-W\d{2}")


def parse_digest_batch(body: str | dict) -> DigestBatch:
    data = _fields(body, required={"week", "start", "end", "meetings", "readers"})
    week = _text(data, "week", 8)
    if not _WEEK.fullmatch(week):
        raise BadMessage(f"week {week!r} is not an ISO week label like 2024-W02")
    meetings = _items(data, "meetings", 1, 1000)
    pairs = tuple(tuple(_texts(m, f"meetings[{n}]", 2, 2, MEETING_MAX)) for n, m in enumerate(meetings))
    readers = tuple(_reader(r, n) for n, r in enumerate(_items(data, "readers", 1, RECIPIENTS_MAX)))
    return DigestBatch(week, _when(data, "start"), _when(data, "end"), pairs, readers)


def _reader(data, n: int) -> DigestReader:
    data = _fields(data, required={"email", "groups"}, where=f"readers[{n}]")
    email = _text(data, "email", 254, where=f"readers[{n}]")
    return DigestReader(email, _texts(data["groups"], f"readers[{n}].groups", 1, 100, GROUP_MAX))


def _fields(body, *, required: set[str], optional: set[str] = frozenset(), where: str = "body") -> dict:
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise BadMessage(f"the {where} is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise BadMessage(f"the {where} is a JSON {type(body).__name__}, not an object")
    missing, unknown = required - body.keys(), body.keys() - required - optional
    if missing or unknown:
        wrong = "; ".join(part for part in (missing and f"lacks {', '.join(sorted(missing))}",
                                             unknown and f"has unknown {', '.join(sorted(unknown))}")
                          if part)
        raise BadMessage(f"the {where} {wrong}; expected the fields {', '.join(sorted(required | optional))}")
    return body


def _text(data: dict, name: str, longest: int, *, where: str = "body") -> str:
    value = data[name]
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise BadMessage(f"{where}.{name} must be a string of 1 to {longest} characters, "
                         f"not {value!r:.80}")
    return value


def _choice(data: dict, name: str, allowed: tuple[str, ...]) -> str:
    if data[name] not in allowed:
        raise BadMessage(f"body.{name} is {data[name]!r:.80}; expected one of {', '.join(allowed)}")
    return data[name]


def _items(data: dict, name: str, fewest: int, most: int) -> list:
    value = data[name]
    if not isinstance(value, list) or not fewest <= len(value) <= most:
        raise BadMessage(f"body.{name} must be a list of {fewest} to {most} items")
    return value


def _texts(value, name: str, fewest: int, most: int, longest: int) -> tuple[str, ...]:
    if (not isinstance(value, list) or not fewest <= len(value) <= most
            or not all(isinstance(v, str) and 1 <= len(v) <= longest for v in value)):
        raise BadMessage(f"{name} must be a list of {fewest} to {most} strings "
                         f"of 1 to {longest} characters")
    return tuple(value)


def _when(data: dict, name: str) -> dt.datetime:
    value = data[name]
    try:
        when = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadMessage(f"body.{name} must be an ISO 8601 date and time, not {value!r:.80}") from None
    if when.tzinfo is None:
        raise BadMessage(f"body.{name} {value!r} has no time zone; write it in UTC (…Z or +00:00)")
    return when


def parse_event_time(value: str) -> dt.datetime:
    """An EventBridge event's `time` (ISO 8601, UTC: 2024-01-08T09:00:00Z)."""
    return _when({"time": value}, "time")
