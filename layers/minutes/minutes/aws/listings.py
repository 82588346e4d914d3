"""The Listings table: the light projection of the meetings that the site's lists show.

Written only by the index function (which runs one batch at a time), read by index and by
publish (a new page's neighbours). Key: HASH `stream`, RANGE `position` (docs/architecture.md):
- an entry per stream a meeting is in (streams.streams_of): position = model.order_key, and
  only what a list shows (title, date, time, summary, status, feed id, times), never content;
- a head per stream, `#heads:<scope>` / `<stream>`, holding its length `n` (pages are cut by
  rank, and DynamoDB cannot count without reading everything);
- a pointer per meeting, `#meeting:<group>` / `<meeting>`: the entry as last listed (`now`) and
  the one before it (`was`), so a retried batch knows what its first attempt changed;
- `#groups` / `<group>`: how many listed meetings each group has.
Every read is strongly consistent: index reads what it has just committed.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from boto3.dynamodb.conditions import Key

from ..model import MeetingRecord
from .. import streams
from .expressions import built
from .parallel import concurrently

GROUPS = "#groups"
_LIGHT = ("segment", "title", "date", "status", "summary", "feed_id")
_OPTIONAL = ("time", "timezone")


def light_item(record: MeetingRecord) -> dict:
    item = {"group": record.group, "meeting": record.meeting,
            **{name: getattr(record, name) for name in _LIGHT}}
    item["date"] = record.date.isoformat()
    item.update({n: getattr(record, n) for n in _OPTIONAL if getattr(record, n)})
    item.update({n: getattr(record, n).isoformat() for n in ("published", "updated") if getattr(record, n)})
    return item


def light_record(item: dict) -> MeetingRecord:
    return MeetingRecord(
        group=item["group"], meeting=item["meeting"], segment=item["segment"], title=item["title"],
        date=dt.date.fromisoformat(item["date"]), status=item["status"], summary=item["summary"],
        feed_id=item["feed_id"], time=item.get("time"), timezone=item.get("timezone"),
        published=dt.datetime.fromisoformat(item["published"]) if item.get("published") else None,
        updated=dt.datetime.fromisoformat(item["updated"]) if item.get("updated") else None)


def heads_key(scope: str) -> str:
    return f"#heads:{scope}"


def pointer_key(group: str) -> str:
    return f"#meeting:{group}"


class ListingsTable:
    def __init__(self, table):
        self._table = table
        self._client = table.meta.client   # a resource's client: plain Python values in and out

    # --- reads -------------------------------------------------------------------------

    def pointers(self, meetings: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
        """(group, meeting) -> (now, was): light records as last listed (None if not listed)."""
        wanted = sorted(set(meetings))
        found: dict[tuple[str, str], tuple] = {m: (None, None) for m in wanted}
        for start in range(0, len(wanted), 100):
            keys = [{"stream": pointer_key(g), "position": m} for g, m in wanted[start:start + 100]]
            request = {self._table.name: {"Keys": keys, "ConsistentRead": True}}
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self._table.name, []):
                    found[(item["stream"].split(":", 1)[1], item["position"])] = (
                        light_record(item["now"]) if item.get("now") else None,
                        light_record(item["was"]) if item.get("was") else None)
                request = answer.get("UnprocessedKeys") or None
        return found

    def heads(self, scope: str) -> dict[str, int]:
        """Stream -> length, for every non-empty stream of a scope (`/` or `/<group>/`)."""
        return {i["position"]: int(i["n"]) for i in self._query(heads_key(scope)) if int(i["n"]) > 0}

    def groups(self) -> list[str]:
        return [i["position"] for i in self._query(GROUPS) if int(i["n"]) > 0]

    def entries(self, stream: str, *, since: str | None = None, below: str | None = None,
                limit: int | None = None) -> list[MeetingRecord]:
        """Newest first: every entry at or after position `since`; or the `limit` newest (below
        position `below`, if given)."""
        condition = Key("stream").eq(stream)
        if since is not None:
            condition &= Key("position").gte(since)
        elif below is not None:
            condition &= Key("position").lt(below)
        return [light_record(i) for i in self._query(stream, condition=condition, forward=False,
                                                     limit=limit)]

    def day(self, date: dt.date) -> list[MeetingRecord]:
        """Every listed meeting of one day (the search index numbers a day's meetings)."""
        condition = Key("stream").eq("/") & Key("position").begins_with(f"{date.isoformat()} ")
        return [light_record(i) for i in self._query("/", condition=condition)]

    def adjacent(self, stream: str, position: str, *, newer: bool) -> MeetingRecord | None:
        """The entry right after (newer) or right before `position` in a stream."""
        key = Key("position").gt(position) if newer else Key("position").lt(position)
        found = self._query(stream, condition=Key("stream").eq(stream) & key, forward=newer, limit=1)
        return light_record(found[0]) if found else None

    def neighbours(self, record: MeetingRecord) -> tuple[MeetingRecord | None, MeetingRecord | None]:
        """(older, newer) listed meeting of the record's group, as the table has them now."""
        return self.neighbours_many([record])[0]

    def neighbours_many(self, records: list[MeetingRecord]) -> list[tuple]:
        """neighbours() of each record, in order; the four Queries each needs (either side, in
        the group's stream and its upcoming stream) are asked once and run concurrently."""
        def asks(record):
            position = next(iter(streams.streams_of(record).values()))
            scope = f"/{record.group}/"
            return [(s, position, newer) for newer in (False, True) for s in (scope, scope + streams.UPCOMING)]
        wanted = list(dict.fromkeys(a for r in records if r.listed for a in asks(r)))
        found = dict(zip(wanted, concurrently(lambda ask: self.adjacent(ask[0], ask[1], newer=ask[2]),
                                              wanted)))
        answers = []
        for record in records:
            if not record.listed:
                answers.append((None, None))
                continue
            sides = []
            for newer in (False, True):
                near = [found[a] for a in asks(record) if a[2] == newer and found[a] is not None]
                pick = min if newer else max
                sides.append(pick(near, key=lambda r: streams.streams_of(r)["/"]) if near else None)
            answers.append((sides[0], sides[1]))
        return answers

    def _query(self, stream: str, *, condition=None, forward: bool = True,
               limit: int | None = None) -> list[dict]:
        args = {"KeyConditionExpression": condition if condition is not None else Key("stream").eq(stream),
                "ConsistentRead": True, "ScanIndexForward": forward}
        items: list[dict] = []
        while True:
            if limit is not None:
                args["Limit"] = limit - len(items)
            # thread-safe with its conditions built here (expressions.built)
            page = self._client.query(TableName=self._table.name, **built(args))
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page or (limit is not None and len(items) >= limit):
                return items
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- writes ------------------------------------------------------------------------

    def commit(self, group: str, meeting: str, *, now: MeetingRecord | None,
               was: MeetingRecord | None) -> None:
        """Move one meeting from its `was` entries to its `now` entries, with the stream lengths
        and its pointer, in one transaction (a crash leaves all of it or none)."""
        before, after = (streams.streams_of(was) if was else {}), (streams.streams_of(now) if now else {})
        actions: list[dict] = []
        for stream, position in before.items():
            if after.get(stream) != position:
                actions.append({"Delete": {"TableName": self._table.name,
                                           "Key": {"stream": stream, "position": position}}})
        for stream, position in after.items():
            actions.append({"Put": {"TableName": self._table.name, "Item": {
                "stream": stream, "position": position, **light_item(now)}}})
        for stream in sorted(set(before) ^ set(after)):
            actions.append(self._add(heads_key(streams.scope_of(stream)), stream,
                                     1 if stream in after else -1))
        if bool(before) != bool(after):
            actions.append(self._add(GROUPS, group, 1 if after else -1))
        pointer = {"stream": pointer_key(group), "position": meeting}
        if now is not None:
            pointer["now"] = light_item(now)
        if was is not None:
            pointer["was"] = light_item(was)
        actions.append({"Put": {"TableName": self._table.name, "Item": pointer}})
        for start in range(0, len(actions), 100):
            self._client.transact_write_items(TransactItems=actions[start:start + 100])

    def _add(self, stream: str, position: str, delta: int) -> dict:
        return {"Update": {"TableName": self._table.name,
                           "Key": {"stream": stream, "position": position},
                           "UpdateExpression": "ADD n :d", "ExpressionAttributeValues": {":d": delta}}}

    def clear(self) -> None:
        """Delete every item (before load())."""
        args: dict = {"ProjectionExpression": "#s, #p",
                      "ExpressionAttributeNames": {"#s": "stream", "#p": "position"}}
        with self._table.batch_writer() as batch:
            while True:
                page = self._table.scan(**args)
                for item in page.get("Items", []):
                    batch.delete_item(Key={"stream": item["stream"], "position": item["position"]})
                if "LastEvaluatedKey" not in page:
                    return
                args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def load(self, records: Iterable[MeetingRecord]) -> None:
        """Fill an empty table from a set of records (a deploy onto existing meetings, a bulk
        load): the same items commit() would have left, by batch writes."""
        counts: dict[tuple[str, str], int] = {}
        with self._table.batch_writer() as batch:
            for record in records:
                at = streams.streams_of(record)
                for stream, position in at.items():
                    batch.put_item(Item={"stream": stream, "position": position, **light_item(record)})
                    key = (heads_key(streams.scope_of(stream)), stream)
                    counts[key] = counts.get(key, 0) + 1
                if at:
                    counts[(GROUPS, record.group)] = counts.get((GROUPS, record.group), 0) + 1
                pointer = {"stream": pointer_key(record.group), "position": record.meeting}
                if at:
                    pointer["now"] = light_item(record)
                batch.put_item(Item=pointer)
            for (stream, position), n in counts.items():
                batch.put_item(Item={"stream": stream, "position": position, "n": n})
