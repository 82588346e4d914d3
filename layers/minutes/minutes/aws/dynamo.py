"""DynamoDB adapters: Meetings (records, ordering by S3 sequencer, the announced mark),
Subscribers and Deliveries (exactly-once sends). Key schemas are in docs/architecture.md.
"""
from __future__ import annotations

import datetime as dt
import gzip
import heapq
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from .expressions import built
from ..group import GroupInfo, info_from_dict, info_to_dict, refused_today
from ..model import Attachment, Heading, MeetingRecord, Resource
from ..problems import MinutesError

DELIVERY_TTL = dt.timedelta(days=30)


def normalise_sequencer(sequencer: str) -> str:
    """S3 sequencers compare as hex after right-padding the shorter one with zeros."""
    return sequencer.upper().ljust(32, "0")


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ConditionalCheckFailedException"


# DynamoDB refuses items over 400 KB; leave room for the per-key sequencer attributes and the
# announced mark that other writes add to a meeting's item.
MAX_ITEM_BYTES = 380 * 1024
MAX_STORED_WARNINGS = 50  # the report has all of them; the record keeps the first few
# Attributes item_from_record leaves out when a record has none: a write of a later version
# must remove them, or the earlier version's value outlives it (an old text form would be
# mailed beside the new HTML, and its bytes would take the item past what check_fits measured).
OPTIONAL_ATTRS = ("time", "timezone", "text_gz")


class RecordTooLarge(MinutesError):
    """The meeting, rendered, does not fit in one Meetings item."""

    def __init__(self, size: int):
        super().__init__(f"the rendered meeting needs {size} bytes in the Meetings table "
                         f"(at most {MAX_ITEM_BYTES})")
        self.size = size


def item_size(value) -> int:
    """What DynamoDB counts for a value (names and values in UTF-8, binary as is), roughly."""
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + item_size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return 3 + sum(item_size(v) + 1 for v in value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, (int, float)):
        return len(str(value)) // 2 + 2
    return len(str(value).encode())


@dataclass(frozen=True)
class Upserted:
    """What MeetingsTable.upsert stored, and the URL path the meeting moved from whose page
    may still be there (None: no move to finish)."""
    record: MeetingRecord
    moved_from: str | None


class MeetingsTable:
    def __init__(self, table):
        self._table = table

    @property
    def table(self):
        """The boto3 Table (aws/notes_table.py shares it)."""
        return self._table

    def get(self, group: str, meeting: str) -> MeetingRecord | None:
        item = self._table.get_item(Key={"group": group, "meeting": meeting},
                                    ConsistentRead=True).get("Item")
        return record_from_item(item) if item and not is_guard_only(item) else None

    def many(self, keys) -> dict[tuple[str, str], MeetingRecord]:
        """Full records of the given (group, meeting) keys that exist (BatchGetItem, 100 a call)."""
        wanted = sorted(set(keys))
        found: dict[tuple[str, str], MeetingRecord] = {}
        client, name = self._table.meta.client, self._table.name
        for start in range(0, len(wanted), 100):
            request = {name: {"Keys": [{"group": g, "meeting": m} for g, m in wanted[start:start + 100]],
                              "ConsistentRead": True}}
            while request:
                answer = client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(name, []):
                    if not is_guard_only(item):
                        found[(item["group"], item["meeting"])] = record_from_item(item)
                request = answer.get("UnprocessedKeys") or None
        return found

    # Reads are strongly consistent: index runs right after publish's write, and an eventually
    # consistent read could miss the meeting it was asked to list.
    def group(self, group: str) -> list[MeetingRecord]:
        return [record_from_item(i) for i in self._query(KeyConditionExpression=Key("group").eq(group))
                if not is_guard_only(i)]

    def all(self) -> list[MeetingRecord]:
        items, args = [], {"ConsistentRead": True}
        while True:
            page = self._table.scan(**args)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return [record_from_item(i) for i in items if not is_guard_only(i)]
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    @staticmethod
    def check_fits(record: MeetingRecord) -> dict:
        """The record's item; RecordTooLarge when it would not fit in one item."""
        item = item_from_record(record)
        size = item_size(item) - 3
        if size > MAX_ITEM_BYTES:
            raise RecordTooLarge(size)
        return item

    def upsert(self, record: MeetingRecord, *, key: str, sequencer: str,
               moved_from: str | None = None) -> Upserted | None:
        """Write the record unless a later event for `key` already won. Returns what is stored
        (feed id and first publication are kept from the first write), or None when stale.

        `moved_from`: the URL path the meeting had until this write (published -> draft, a
        new date). It is kept in the item, in the same write, until forget_move(): an event
        that dies after this write and before the old page is deleted finds it there when it
        runs again (it then reads the new record as the existing one)."""
        item = self.check_fits(record)
        keep_first = {"feed_id", "published"}
        names = {"#seq": f"seq:{key}"}
        values = {":seq": normalise_sequencer(sequencer)}
        sets = ["#seq = :seq"]
        if moved_from is not None:
            names["#moved"], values[":moved"] = "moved_from", moved_from
            sets.append("#moved = :moved")
        for n, (attr, value) in enumerate(sorted(item.items())):
            if attr in ("group", "meeting"):
                continue
            names[f"#a{n}"] = attr
            values[f":v{n}"] = value
            sets.append(f"#a{n} = if_not_exists(#a{n}, :v{n})" if attr in keep_first
                        else f"#a{n} = :v{n}")
        removed = [attr for attr in OPTIONAL_ATTRS if attr not in item]
        for n, attr in enumerate(removed):
            names[f"#r{n}"] = attr
        expression = "SET " + ", ".join(sets)
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removed)))
        try:
            stored = self._table.update_item(
                Key={"group": record.group, "meeting": record.meeting},
                UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
                ConditionExpression="attribute_not_exists(#seq) OR #seq <= :seq")
        except ClientError as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return Upserted(record_from_item(stored["Attributes"]), stored["Attributes"].get("moved_from"))

    def forget_move(self, group: str, meeting: str, moved_from: str) -> None:
        """The page at `moved_from` is deleted: later events need not delete it again."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting}, UpdateExpression="REMOVE #moved",
                ConditionExpression="#moved = :moved", ExpressionAttributeNames={"#moved": "moved_from"},
                ExpressionAttributeValues={":moved": moved_from})
        except ClientError as exc:
            if not _is_condition_failure(exc):   # moved again meanwhile: that move's to forget
                raise

    def lookup(self, group: str, meeting: str) -> tuple[MeetingRecord | None, dict]:
        """get()'s record, and the item's state besides: each key's last sequencer
        (`seq:<key>`)."""
        item = self._table.get_item(Key={"group": group, "meeting": meeting},
                                    ConsistentRead=True).get("Item") or {}
        state = {name: value for name, value in item.items() if name.startswith("seq:")}
        return (None if not item or is_guard_only(item) else record_from_item(item)), state

    def mark_removed(self, group: str, meeting: str, *, key: str, sequencer: str,
                     when: dt.datetime) -> bool:
        """Tombstone, not delete: the announced mark must outlive the page (no second email).

        A meeting never published gets a guard-only item (its key's sequencer, no record): the
        create event of the deleted object may still come, late, and must find it stale."""
        names = {"#seq": f"seq:{key}", "#status": "status", "#updated": "updated"}
        values = {":seq": normalise_sequencer(sequencer), ":removed": "removed",
                  ":when": when.isoformat()}
        expression = "SET #seq = :seq, #status = :removed, #updated = :when"
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting}, UpdateExpression=expression,
                ConditionExpression="attribute_not_exists(#seq) OR #seq <= :seq",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values)
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def claim_announcement(self, group: str, meeting: str, *, sequencer: str,
                           when: dt.datetime) -> bool:
        """True once per meeting, for ever; again for a retry of the same event, and for any
        later event while the claim is pending (its announcement was never sent: the send
        failed for good and the event is waiting in the dead-letter queue, where its replay
        would be stale after this one). A repeated announcement sends nothing twice: notify
        claims each (meeting, subscriber) delivery."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting},
                UpdateExpression="SET announced_at = :when, announced_day = :day, "
                                 "announce_seq = :seq, announce_pending = :pending",
                ConditionExpression="attribute_exists(#meeting) AND (attribute_not_exists(announced_at)"
                                    " OR announce_seq = :seq OR attribute_exists(announce_pending))",
                ExpressionAttributeNames={"#meeting": "meeting"},
                ExpressionAttributeValues={":when": when.isoformat(), ":pending": True,
                                           ":day": announced_day(when),
                                           ":seq": normalise_sequencer(sequencer)})
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def announcement_sent(self, group: str, meeting: str) -> None:
        """The claimed announcement is on the notifications queue: no later event sends it."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting}, UpdateExpression="REMOVE announce_pending",
                ConditionExpression="attribute_exists(#meeting)",
                ExpressionAttributeNames={"#meeting": "meeting"})
        except ClientError as exc:
            if not _is_condition_failure(exc):   # the meeting is gone: nothing to mark
                raise

    def release_announcement(self, group: str, meeting: str) -> bool:
        """Give the announced mark back because the meeting is not published (a draft again, or
        removed) when its email was due: its next publication announces it. False when there is
        nothing to give back, or when it was published again meanwhile (then announce it now)."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting},
                UpdateExpression="REMOVE announced_at, announced_day, announce_seq, announce_pending",
                ConditionExpression="attribute_exists(announced_at) AND #status <> :published",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":published": "published"})
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def hold_segment(self, group: str, segment: str, meeting: str, key: str
                     ) -> tuple[dict[str, str], str | None]:
        """Count the meeting (with a key of its files) among those whose sources want a URL
        segment of the group (decisions 103, 110): every holder now (meeting -> key), and the
        segment's first claimer (`owner`: set by claim_segment before decision 110, here when
        there is none). One conditional-free write on the claim's item, so two meetings
        holding at once both see each other from whichever wrote second."""
        answer = self._table.update_item(
            Key={"group": group, "meeting": SEGMENT_CLAIM + segment},
            UpdateExpression="SET #holder = :key, #owner = if_not_exists(#owner, :me)",
            ExpressionAttributeNames={"#holder": HOLDER + meeting, "#owner": "owner"},
            ExpressionAttributeValues={":key": key, ":me": meeting}, ReturnValues="ALL_NEW")
        item = answer["Attributes"]
        return _holders(item), item.get("owner")

    def release_segment(self, group: str, segment: str, meeting: str) -> dict[str, str] | None:
        """The meeting's sources want the segment no more (deleted, or another date): the
        holders left, or None when it held none."""
        try:
            answer = self._table.update_item(
                Key={"group": group, "meeting": SEGMENT_CLAIM + segment},
                UpdateExpression="REMOVE #holder", ConditionExpression="attribute_exists(#holder)",
                ExpressionAttributeNames={"#holder": HOLDER + meeting}, ReturnValues="ALL_NEW")
        except ClientError as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return _holders(answer.get("Attributes", {}))

    def segment_holders(self, group: str, segment: str) -> dict[str, str]:
        """hold_segment's holders, read again (a publish that raced another's)."""
        item = self._table.get_item(Key={"group": group, "meeting": SEGMENT_CLAIM + segment},
                                    ConsistentRead=True).get("Item") or {}
        return _holders(item)

    # --- group.yaml: one item per group under the partition GROUPS (no "date", so every
    # meeting read above skips it, as it skips guard-only items) -------------------------------

    def group_infos(self) -> dict[str, GroupInfo]:
        """Every group's stored group.yaml (one Query, whatever the archive's size)."""
        infos = {i["meeting"]: _readable(i["meeting"], i["info"])
                 for i in self._query(KeyConditionExpression=Key("group").eq(GROUPS))
                 if "info" in i}
        return {group: info for group, info in infos.items() if info is not None}

    def group_info(self, group: str, *, as_stored: bool = False) -> GroupInfo | None:
        """A group's stored group.yaml; None without one, or (unless `as_stored`) when today's
        rules refuse what was stored before them (then shown as without it, as build does)."""
        item = self._table.get_item(Key={"group": GROUPS, "meeting": group},
                                    ConsistentRead=True).get("Item")
        if not item or "info" not in item:
            return None
        if not as_stored:
            return _readable(group, item["info"])
        try:
            return info_from_dict(json.loads(item["info"]))
        except (ValueError, KeyError, TypeError):
            return None

    def put_group(self, info: GroupInfo | None, *, key: str, sequencer: str,
                  titled: set[str]) -> set[str] | None:
        """Store (or, with None, forget) a group's group.yaml unless a later event for `key`
        already won (then None). `titled`: the group names its made-up titles ("<Group> meeting
        <date>") may carry until now; they are added to the item's `retitle_from`, in the same
        write, and stay there until retitled() (an event that died after this write finds them
        when it runs again, when the stored name is already the new one). Returns every name
        in `retitle_from` now."""
        names = {"#seq": f"seq:{key}", "#info": "info", "#from": "retitle_from"}
        values = {":seq": normalise_sequencer(sequencer), ":from": set(titled) or {""}}
        if info is None:
            expression = "SET #seq = :seq ADD #from :from REMOVE #info"
        else:
            expression = "SET #seq = :seq, #info = :info ADD #from :from"
            values[":info"] = json.dumps(info_to_dict(info), sort_keys=True)
        try:
            stored = self._table.update_item(
                Key={"group": GROUPS, "meeting": info.group if info else _group_of(key)},
                UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW",
                ConditionExpression="attribute_not_exists(#seq) OR #seq <= :seq")
        except ClientError as exc:
            if _is_condition_failure(exc):
                return None
            raise
        return set(stored["Attributes"].get("retitle_from", set())) - {""}

    def retitled(self, group: str, names: set[str]) -> None:
        """The made-up titles with these names are retitled: later events need not look."""
        self._table.update_item(Key={"group": GROUPS, "meeting": group},
                                UpdateExpression="DELETE #from :names",
                                ExpressionAttributeNames={"#from": "retitle_from"},
                                ExpressionAttributeValues={":names": set(names) | {""}})

    def retitle(self, group: str, meeting: str, *, was: str, title: str) -> bool:
        """Change a made-up title ("<Group> meeting <date>") when the group's name changes;
        only if it is still the made-up one."""
        try:
            self._table.update_item(
                Key={"group": group, "meeting": meeting}, UpdateExpression="SET #t = :new",
                ConditionExpression="#t = :was", ExpressionAttributeNames={"#t": "title"},
                ExpressionAttributeValues={":new": title, ":was": was})
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def _query(self, **args) -> list[dict]:
        # A global secondary index is only eventually consistent; the table itself is read
        # strongly consistent.
        items, args = [], {"ConsistentRead": True, **args}
        while True:
            page = self._table.query(**built(args))   # thread-safe so (expressions.built)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _readable(group: str, stored: str) -> GroupInfo | None:
    """A stored group.yaml, or None (with a warning in the log) when it cannot be read or
    today's rules refuse it: an item stored before decision 84 with `starts: 9999-12-27` made
    every later publish to its group crash. Shown as without group.yaml, as `minutes build`
    shows a group whose group.yaml it rejects (decision 89)."""
    try:
        info = info_from_dict(json.loads(stored))
        refused = refused_today(info)
    except (ValueError, KeyError, TypeError) as exc:
        info, refused = None, f"the stored item cannot be read ({exc!r})"
    if refused is None:
        return info
    import logging
    logging.getLogger("minutes").warning(
        "stored group.yaml of group %r ignored: %s; the group is shown as without group.yaml "
        "(as minutes build shows it) until a corrected minutes/%s/group.yaml is uploaded",
        group, refused, group)
    return None


GROUPS = "#groups"   # the partition holding group.yaml items: never a group name (keys.py)


def _group_of(key: str) -> str:
    return key.split("/")[1]


SEGMENT_CLAIM = "/segment/"
HOLDER = "h:"   # a segment claim's attribute per meeting holding it (hold_segment)


def _holders(item: dict) -> dict[str, str]:
    return {name[len(HOLDER):]: value for name, value in item.items() if name.startswith(HOLDER)}


def is_guard_only(item: dict) -> bool:
    """An item that holds no meeting record: a key's order guard (a delete came before
    anything was published) or a URL segment claim."""
    return "date" not in item


def item_from_record(record: MeetingRecord) -> dict:
    item = {
        "group": record.group, "meeting": record.meeting, "segment": record.segment,
        "title": record.title, "date": record.date.isoformat(), "status": record.status,
        "summary": record.summary, "content_gz": gzip.compress(record.content_html.encode(), mtime=0),
        "headings": [{"level": h.level, "anchor": h.anchor, "text": h.text} for h in record.headings],
        "attendees": list(record.attendees), "tags": list(record.tags),
        "attachments": [{"name": a.name, "url_path": a.url_path, "content_type": a.content_type,
                         "size": a.size} for a in record.attachments],
        "source_keys": list(record.source_keys), "feed_id": record.feed_id,
        "warnings": list(record.warnings[:MAX_STORED_WARNINGS]),
    }
    if record.resources is not None:
        item["resources"] = [{"kind": r.kind, "href": r.href, "text": r.text} for r in record.resources]
    for name in ("time", "timezone"):
        if getattr(record, name):
            item[name] = getattr(record, name)
    for name in ("published", "updated"):
        if getattr(record, name):
            item[name] = getattr(record, name).isoformat()
    if record.content_text is not None:
        # Only while the item stays within MAX_ITEM_BYTES: a meeting that fits without its
        # text form is never refused for it (mail reads content_html instead).
        text_gz = gzip.compress(record.content_text.encode(), mtime=0)
        with_text = {**item, "text_gz": text_gz}
        if item_size(with_text) - 3 <= MAX_ITEM_BYTES:
            return with_text
    return item


def record_from_item(item: dict) -> MeetingRecord:
    content = item.get("content_gz")
    html = gzip.decompress(bytes(content.value if hasattr(content, "value") else content)).decode() if content else ""
    text = item.get("text_gz")   # absent: stored before text forms, or too large to keep
    if text is not None:
        text = gzip.decompress(bytes(text.value if hasattr(text, "value") else text)).decode()
    return MeetingRecord(
        group=item["group"], meeting=item["meeting"], segment=item.get("segment", item["meeting"]),
        title=item.get("title", ""), date=dt.date.fromisoformat(item["date"]),
        status=item.get("status", "published"), time=item.get("time"), timezone=item.get("timezone"),
        summary=item.get("summary", ""), content_html=html,
        headings=tuple(Heading(int(h["level"]), h["anchor"], h["text"]) for h in item.get("headings", [])),
        attendees=tuple(item.get("attendees", [])), tags=tuple(item.get("tags", [])),
        attachments=tuple(Attachment(a["name"], a["url_path"], a["content_type"], int(a["size"]))
                          for a in item.get("attachments", [])),
        source_keys=tuple(item.get("source_keys", [])), feed_id=item.get("feed_id", ""),
        published=_datetime(item.get("published")), updated=_datetime(item.get("updated")),
        warnings=tuple(item.get("warnings", [])),
        resources=None if "resources" not in item else tuple(
            Resource(r["kind"], r["href"], r["text"]) for r in item["resources"]),
        content_text=text)


def _datetime(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class SubscribersTable:
    """HASH group, RANGE email; group '*' is every group. The item with group '#address' holds
    the address's own state (confirmation cooldown, soft bounces, suppression); GSI by-email
    finds every item of one address. Statuses: pending|confirmed|unsubscribed|suppressed; modes:
    each (one email per meeting) | digest (weekly). Pending items expire (TTL `expires_at`)."""

    EVERY_GROUP = "*"
    ADDRESS = "#address"
    BY_EMAIL = "by-email"

    def __init__(self, table):
        self._table = table

    # Items read per Query page of a fan-out: a page's worth of addresses is all the roster a
    # notify holds at once (DynamoDB pages at 1 MB anyway; moto would return one page).
    ROSTER_PAGE = 500

    def each_confirmed(self, group: str) -> Iterator[str]:
        """Who gets each meeting of `group` by email, streamed in address order, each once:
        confirmed, mode 'each' (digest readers get the weekly email instead); suppressed and
        unsubscribed items never match. The group's subscribers and every-group subscribers
        are two queries, both sorted by email (the range key), merged as the pages come: the
        roster is never held whole, so a fan-out's memory does not grow with the group."""
        wanted = Attr("status").eq("confirmed") & (Attr("mode").not_exists() | Attr("mode").eq("each"))
        streams = [(item["email"] for item in self._stream("query", {
            "KeyConditionExpression": Key("group").eq(name), "FilterExpression": wanted,
            "ProjectionExpression": "#e", "ExpressionAttributeNames": {"#e": "email"},
            "Limit": self.ROSTER_PAGE})) for name in (group, self.EVERY_GROUP)]
        last = None
        for email in heapq.merge(*streams):
            if email != last:
                yield email
                last = email

    def confirmed(self, group: str) -> list[str]:
        """each_confirmed as a list (small groups, tests)."""
        return list(self.each_confirmed(group))

    def add_confirmed(self, email: str, groups: list[str], *, when: dt.datetime, mode: str = "each") -> None:
        with self._table.batch_writer() as batch:
            for group in groups:
                batch.put_item(Item={"group": group, "email": email, "status": "confirmed", "mode": mode,
                                     "created_at": when.isoformat(), "confirmed_at": when.isoformat()})

    # --- one address ---------------------------------------------------------------------

    def items_of(self, email: str) -> list[dict]:
        args = {"IndexName": self.BY_EMAIL, "KeyConditionExpression": Key("email").eq(email)}
        return self._pages("query", args)

    def subscription(self, email: str):
        from ..subscriptions import Subscription
        groups, modes, suppressed = {}, {}, False
        for item in self.items_of(email):
            if item["group"] == self.ADDRESS:
                suppressed = "suppressed_at" in item
            else:
                groups[item["group"]] = item.get("status", "pending")
                modes[item["group"]] = item.get("mode", "each")
        return Subscription(email, groups, modes, suppressed)

    def add_pending(self, email: str, groups, *, mode: str, when: dt.datetime, expires_at: int) -> list[str]:
        """Pending items for the groups not confirmed yet (a confirmed or suppressed one stays)."""
        added = []
        for group in groups:
            if self._update(
                    {"group": group, "email": email},
                    "SET #s = :pending, #m = :mode, created_at = if_not_exists(created_at, :now), "
                    "updated_at = :now, expires_at = :exp",
                    "attribute_not_exists(#s) OR #s IN (:pending, :unsubscribed)",
                    {":pending": "pending", ":unsubscribed": "unsubscribed", ":mode": mode,
                     ":now": when.isoformat(), ":exp": expires_at}, names={"#s": "status", "#m": "mode"}):
                added.append(group)
        return added

    def claim_confirmation_email(self, email: str, *, now: float, cooldown: float, expires_at: int) -> bool:
        """True when a confirmation email may go out now: none in the last `cooldown` seconds and
        the address is not suppressed. Claims it (the conditional write is the cooldown)."""
        return self._update(
            {"group": self.ADDRESS, "email": email},
            "SET confirm_sent_at = :now, expires_at = :exp",
            "(attribute_not_exists(confirm_sent_at) OR confirm_sent_at < :cutoff) "
            "AND attribute_not_exists(suppressed_at)",
            {":now": int(now), ":cutoff": int(now - cooldown), ":exp": expires_at})

    def release_confirmation_email(self, email: str) -> None:
        """The confirmation email was not sent after all: let the next request try again."""
        self._table.update_item(Key={"group": self.ADDRESS, "email": email},
                                UpdateExpression="REMOVE confirm_sent_at")

    def confirm(self, email: str, *, when: dt.datetime) -> list[str]:
        """Pending -> confirmed for every pending group of the address; the groups confirmed."""
        done = []
        for item in self.items_of(email):
            if item["group"] != self.ADDRESS and item.get("status") == "pending" and self._update(
                    {"group": item["group"], "email": email},
                    "SET #s = :confirmed, confirmed_at = :now, updated_at = :now REMOVE expires_at",
                    "#s = :pending", {":confirmed": "confirmed", ":pending": "pending",
                                      ":now": when.isoformat()}, names={"#s": "status"}):
                done.append(item["group"])
        return sorted(done)

    def unsubscribe(self, email: str, *, when: dt.datetime, groups=None) -> list[str]:
        """Pending or confirmed -> unsubscribed (every group, or the ones given)."""
        done = []
        for item in self.items_of(email):
            group = item["group"]
            if group == self.ADDRESS or (groups is not None and group not in groups):
                continue
            if item.get("status") in ("pending", "confirmed") and self._update(
                    {"group": group, "email": email},
                    "SET #s = :unsubscribed, unsubscribed_at = :now, updated_at = :now REMOVE expires_at",
                    "#s IN (:pending, :confirmed)",
                    {":unsubscribed": "unsubscribed", ":pending": "pending", ":confirmed": "confirmed",
                     ":now": when.isoformat()}, names={"#s": "status"}):
                done.append(group)
        return sorted(done)

    def set_choice(self, email: str, groups, *, mode: str, when: dt.datetime) -> None:
        """The address's whole choice, made through a link only its owner has: these groups,
        confirmed, in this mode; every other group unsubscribed. Suppressed items stay."""
        wanted = set(groups)
        for group in sorted(wanted):
            self._update({"group": group, "email": email},
                         "SET #s = :confirmed, #m = :mode, confirmed_at = if_not_exists(confirmed_at, :now), "
                         "created_at = if_not_exists(created_at, :now), updated_at = :now REMOVE expires_at",
                         "attribute_not_exists(#s) OR #s <> :suppressed",
                         {":confirmed": "confirmed", ":suppressed": "suppressed", ":mode": mode,
                          ":now": when.isoformat()}, names={"#s": "status", "#m": "mode"})
        others = {i["group"] for i in self.items_of(email)} - wanted - {self.ADDRESS}
        if others:
            self.unsubscribe(email, when=when, groups=others)

    # --- bounces and complaints ----------------------------------------------------------

    def suppress(self, email: str, *, reason: str, when: dt.datetime) -> None:
        """Never mail this address again: the address item is marked, every group item too."""
        self._table.update_item(
            Key={"group": self.ADDRESS, "email": email},
            UpdateExpression="SET suppressed_at = :now, suppressed_reason = :why REMOVE expires_at",
            ExpressionAttributeValues={":now": when.isoformat(), ":why": reason})
        for item in self.items_of(email):
            if item["group"] != self.ADDRESS and item.get("status") != "suppressed":
                self._table.update_item(
                    Key={"group": item["group"], "email": email},
                    UpdateExpression="SET #s = :suppressed, updated_at = :now REMOVE expires_at",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={":suppressed": "suppressed", ":now": when.isoformat()})

    def is_suppressed(self, email: str) -> bool:
        item = self._table.get_item(Key={"group": self.ADDRESS, "email": email},
                                    ConsistentRead=True).get("Item")
        return bool(item and "suppressed_at" in item)

    def record_soft_bounce(self, email: str, *, mail_id: str, now: float, window: float) -> int | None:
        """Count one soft bounce (a bounce of the same message counts once); the count within
        the window, or None when this message's bounce was counted already.

        Atomic: the count is an ADD conditioned on the window and on the message not being
        counted yet, so concurrent notifications each count once. A count from outside the
        window starts again at 1 (also conditional); a race between the two is retried."""
        key = {"group": self.ADDRESS, "email": email}
        cutoff = int(now - window)
        for _ in range(5):
            try:
                counted = self._table.update_item(
                    Key=key, ReturnValues="UPDATED_NEW",
                    UpdateExpression="ADD soft_bounces :one, soft_bounce_ids :ids SET last_soft_bounce_at = :now",
                    ConditionExpression="last_soft_bounce_at >= :cutoff AND NOT contains(soft_bounce_ids, :id)",
                    ExpressionAttributeValues={":one": 1, ":ids": {mail_id}, ":id": mail_id,
                                               ":now": int(now), ":cutoff": cutoff})
                return int(counted["Attributes"]["soft_bounces"])
            except ClientError as exc:
                if not _is_condition_failure(exc):
                    raise
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
            if mail_id in (item.get("soft_bounce_ids") or ()):
                return None
            if self._update(key, "SET soft_bounces = :one, soft_bounce_ids = :ids, last_soft_bounce_at = :now",
                            "(attribute_not_exists(last_soft_bounce_at) OR last_soft_bounce_at < :cutoff)"
                            " AND NOT contains(soft_bounce_ids, :id)",
                            {":one": 1, ":ids": {mail_id}, ":id": mail_id, ":now": int(now),
                             ":cutoff": cutoff}):
                return 1
        raise MinutesError(f"soft bounce of {email} not counted: the address item kept changing")

    # --- everyone ------------------------------------------------------------------------

    def digest_readers(self) -> dict[str, set[str]]:
        """email -> groups, for every confirmed subscription in digest mode."""
        args = {"FilterExpression": Attr("status").eq("confirmed") & Attr("mode").eq("digest"),
                "ProjectionExpression": "#g, #e", "ExpressionAttributeNames": {"#g": "group", "#e": "email"}}
        readers: dict[str, set[str]] = {}
        for item in self._pages("scan", args):
            readers.setdefault(item["email"], set()).add(item["group"])
        return readers

    def all_items(self) -> list[dict]:
        return self._pages("scan", {})

    def delete(self, email: str, *, group: str | None = None) -> int:
        """Remove the address (every item, its state too), or one group of it. The count removed."""
        keys = [{"group": i["group"], "email": email} for i in self.items_of(email)
                if group is None or i["group"] == group]
        with self._table.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        return len(keys)

    # --- helpers -------------------------------------------------------------------------

    def _update(self, key: dict, expression: str, condition: str, values: dict, *, names=None) -> bool:
        args = {"Key": key, "UpdateExpression": expression, "ConditionExpression": condition,
                "ExpressionAttributeValues": values}
        if names:
            args["ExpressionAttributeNames"] = names
        try:
            self._table.update_item(**args)
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def _pages(self, operation: str, args: dict) -> list[dict]:
        return list(self._stream(operation, args))

    def _stream(self, operation: str, args: dict) -> Iterator[dict]:
        """Every item of a query or scan, one page read at a time."""
        args = dict(args)
        while True:
            page = getattr(self._table, operation)(**args)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class DeliveriesTable:
    """One item per (meeting, subscriber) send, written before the send, expiring in 30 days."""

    def __init__(self, table, *, clock=time.time):
        self._table, self._clock = table, clock

    @staticmethod
    def delivery_id(group: str, meeting: str, email: str) -> str:
        return f"{group}/{meeting}#{email}"

    def claim(self, group: str, meeting: str, email: str) -> bool:
        try:
            self._table.put_item(
                Item={"delivery": self.delivery_id(group, meeting, email), "state": "sending",
                      "expires_at": int(self._clock() + DELIVERY_TTL.total_seconds())},
                ConditionExpression="attribute_not_exists(delivery)")
            return True
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise

    def sent(self, group: str, meeting: str, email: str, message_id: str) -> None:
        self._table.update_item(Key={"delivery": self.delivery_id(group, meeting, email)},
                                UpdateExpression="SET #s = :sent, message_id = :id",
                                ExpressionAttributeNames={"#s": "state"},
                                ExpressionAttributeValues={":sent": "sent", ":id": message_id})

    def release(self, group: str, meeting: str, email: str) -> None:
        """The send failed before SES took it: let the retry try again."""
        self._table.delete_item(Key={"delivery": self.delivery_id(group, meeting, email)})


ANNOUNCED_INDEX = "by-announced-day"


def announced_day(when: dt.datetime) -> str:
    """The UTC day of an announcement: the key of the sparse index the digest asks (only
    announced meetings carry it, so a week's question reads that week's meetings, not all)."""
    return _utc(when).date().isoformat()


def _utc(when: dt.datetime) -> dt.datetime:
    """Naive times are UTC (as every time the pipeline writes)."""
    return when.astimezone(dt.timezone.utc) if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Announced:
    group: str
    meeting: str


class MeetingsDirectory:
    """The digest's question of the Meetings table: what was announced in a week."""

    def __init__(self, table):
        self._table = table

    def announced_between(self, start: dt.datetime, end: dt.datetime) -> list[Announced]:
        """Published meetings first announced in [start, end): one query of the sparse
        by-announced-day index per day of the span (its projection: the keys, the announcement
        time and the status)."""
        start, end = _utc(start), _utc(end)
        found, day, last = [], start.date(), (end - dt.timedelta(microseconds=1)).date()
        while day <= last:
            args = {"IndexName": ANNOUNCED_INDEX,
                    "KeyConditionExpression": Key("announced_day").eq(day.isoformat())}
            while True:
                page = self._table.query(**built(args))
                for item in page.get("Items", []):
                    when = _utc(dt.datetime.fromisoformat(item["announced_at"]))
                    if start <= when < end and item.get("status", "published") == "published":
                        found.append(Announced(item["group"], item["meeting"]))
                if "LastEvaluatedKey" not in page:
                    break
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            day += dt.timedelta(days=1)
        return found
