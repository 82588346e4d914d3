"""The Meetings table as running-notes publishing uses it (docs/decisions.md 28).

- Per file key, its own item `(group, <file's meeting path>)` is the *guard*: `seq:<key>` (the
  last event taken for the key), `notes_held` (the sections the key's last finished upload
  held) and, while an event of the key is under way, `notes_open` (a string set: the sections
  every event taken since then wants, and "": set by take(), removed once the event's site
  work is done). An event that finds `notes_open` follows one that died (or runs beside it):
  it redoes the site work of every section the key held or may hold (decision 116).
  A guard item has no `date` (or is a tombstone), so every reader skips it.
- Per section `(group, <yyyy-mm-dd>@notes)`: the meeting record, plus `holders` (every file key
  holding the section) and `rev`, a counter that makes each change conditional on the state it
  was computed from (optimistic concurrency: two files' uploads may change one section at once).
  Every section write is a transaction with a check that the event still holds its key's
  guard, so an older event of the same key, racing a newer one, can change nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from botocore.exceptions import ClientError

from ..model import MeetingRecord
from .dynamo import (MAX_ITEM_BYTES, OPTIONAL_ATTRS, RecordTooLarge, is_guard_only, item_from_record,
                     item_size, normalise_sequencer, record_from_item)

CONFLICT, STALE, WRITTEN = "conflict", "stale", "written"


@dataclass(frozen=True)
class Guard:
    group: str
    meeting: str      # the file's own meeting path ("meeting-notes", "archive/meeting-notes-2024")
    key: str
    sequencer: str    # normalised


@dataclass(frozen=True)
class Taken:
    held: tuple[str, ...]                # sections the key held (or an unfinished event took)
    replaced: MeetingRecord | None       # the key's own published meeting, now a tombstone
    unfinished: bool = False             # an earlier attempt did not finish its site work
    tombstoned: MeetingRecord | None = None   # the key's own meeting, which that attempt may
    # have tombstoned (take) and died before deleting its page


@dataclass(frozen=True)
class SectionState:
    record: MeetingRecord | None          # None: never published (or only a guard)
    holders: tuple[str, ...]
    rev: int | None                       # None: the item has no rev yet


def check_size(record: MeetingRecord) -> None:
    size = item_size(item_from_record(record)) - 3
    if size > MAX_ITEM_BYTES:
        raise RecordTooLarge(size)


class NotesTable:
    def __init__(self, table):
        self._table = table
        # The resource's client: it (de)serialises Python values like the Table does.
        self._client = table.meta.client

    def take(self, guard: Guard, *, when: dt.datetime, wanted=()) -> Taken | None:
        """Claim the key for this event (None: a later event of the key already has it), and
        open it (`notes_open` gets `wanted`, the sections this event holds) until set_held().
        The key's item becomes a guard: a meeting it held as a one-meeting file is tombstoned."""
        try:
            old = self._table.update_item(
                Key={"group": guard.group, "meeting": guard.meeting},
                UpdateExpression="SET #seq = :seq, #status = :removed, #updated = :when ADD #open :open",
                ConditionExpression="attribute_not_exists(#seq) OR #seq <= :seq",
                ExpressionAttributeNames={"#seq": f"seq:{guard.key}", "#status": "status",
                                          "#updated": "updated", "#open": "notes_open"},
                ExpressionAttributeValues={":seq": guard.sequencer, ":removed": "removed",
                                           ":when": when.isoformat(), ":open": set(wanted) | {""}},
                ReturnValues="ALL_OLD").get("Attributes", {})
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        unfinished = "notes_open" in old
        replaced = tombstoned = None
        if old and not is_guard_only(old):
            if old.get("status") != "removed":
                replaced = record_from_item(old)
            elif unfinished:
                tombstoned = record_from_item(old)
        return Taken(_held(old), replaced, unfinished, tombstoned)

    def held(self, group: str, meeting: str) -> tuple[str, ...]:
        """The sections the key holds, or may hold (an event of it that did not finish)."""
        item = self._table.get_item(Key={"group": group, "meeting": meeting}, ConsistentRead=True,
                                    ProjectionExpression="notes_held, notes_open").get("Item") or {}
        return _held(item)

    def set_held(self, guard: Guard, held: list[str]) -> bool:
        """The event's site work is done: the key holds `held`, and is no longer open."""
        try:
            self._table.update_item(
                Key={"group": guard.group, "meeting": guard.meeting},
                UpdateExpression="SET notes_held = :held REMOVE notes_open",
                ConditionExpression="#seq = :seq",
                ExpressionAttributeNames={"#seq": f"seq:{guard.key}"},
                ExpressionAttributeValues={":seq": guard.sequencer, ":held": sorted(held)})
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def section(self, group: str, meeting: str) -> SectionState:
        item = self._table.get_item(Key={"group": group, "meeting": meeting},
                                    ConsistentRead=True).get("Item")
        if not item:
            return SectionState(None, (), None)
        record = None if is_guard_only(item) else record_from_item(item)
        rev = int(item["rev"]) if "rev" in item else None
        return SectionState(record, tuple(item.get("holders", [])), rev)

    def write(self, guard: Guard, group: str, meeting: str, *, state: SectionState,
              holders: list[str], record: MeetingRecord | None = None,
              removed_at: dt.datetime | None = None) -> str:
        """Change one section if it is still as `state` says and the event still holds its key:
        new holders, and the record (feed id and first publication kept), or a tombstone
        (`removed_at`), or neither. WRITTEN, CONFLICT (read it again) or STALE."""
        names = {"#rev": "rev", "#holders": "holders"}
        values = {":next": (state.rev or 0) + 1, ":holders": sorted(set(holders))}
        sets = ["#rev = :next", "#holders = :holders"]
        removes = []
        if record is not None:
            item = item_from_record(record)
            for n, (attr, value) in enumerate(sorted(item.items())):
                if attr in ("group", "meeting"):
                    continue
                names[f"#a{n}"], values[f":v{n}"] = attr, value
                keep = attr in ("feed_id", "published")
                sets.append(f"#a{n} = if_not_exists(#a{n}, :v{n})" if keep else f"#a{n} = :v{n}")
            removes = [attr for attr in OPTIONAL_ATTRS if attr not in item]
            names.update({f"#r{n}": attr for n, attr in enumerate(removes)})
        elif removed_at is not None:
            names.update({"#status": "status", "#updated": "updated"})
            values.update({":removed": "removed", ":when": removed_at.isoformat()})
            sets += ["#status = :removed", "#updated = :when"]
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes)))
        if state.rev is None:
            condition = "attribute_not_exists(#rev)"
        else:
            condition = "#rev = :rev"
            values[":rev"] = state.rev
        update = {"TableName": self._table.name, "Key": {"group": group, "meeting": meeting},
                  "UpdateExpression": expression, "ConditionExpression": condition,
                  "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
        check = {"TableName": self._table.name,
                 "Key": {"group": guard.group, "meeting": guard.meeting},
                 "ConditionExpression": "#seq = :seq",
                 "ExpressionAttributeNames": {"#seq": f"seq:{guard.key}"},
                 "ExpressionAttributeValues": {":seq": guard.sequencer}}
        try:
            self._client.transact_write_items(TransactItems=[{"ConditionCheck": check},
                                                             {"Update": update}])
            return WRITTEN
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise

        return STALE if not self._still_holds(guard) else CONFLICT

    def _still_holds(self, guard: Guard) -> bool:
        item = self._table.get_item(Key={"group": guard.group, "meeting": guard.meeting},
                                    ConsistentRead=True).get("Item") or {}
        return item.get(f"seq:{guard.key}") == guard.sequencer


def _held(item: dict) -> tuple[str, ...]:
    return tuple(sorted(set(item.get("notes_held", [])) | (set(item.get("notes_open", ())) - {""})))


def guard_for(group: str, meeting: str, key: str, sequencer: str) -> Guard:
    return Guard(group, meeting, key, normalise_sequencer(sequencer))
