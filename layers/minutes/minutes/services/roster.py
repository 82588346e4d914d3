"""The operator's subscriber list (`minutes subscribers`): list, add, import, remove, export.

Adding is for people who already opted in elsewhere (an existing list being moved here): they
are stored confirmed, with no confirmation email. A suppressed address (hard bounce, complaint)
is never re-added this way; remove it first if that is really meant.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, TextIO

from ..aws.dynamo import SubscribersTable
from ..subscriptions import ImportRow

EXPORT_COLUMNS = ("email", "group", "status", "mode", "created_at", "confirmed_at", "unsubscribed_at")


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)


@dataclass
class Roster:
    subscribers: SubscribersTable
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)

    def entries(self, *, group: str | None = None, status: str | None = None) -> list[dict]:
        items = [i for i in self.subscribers.all_items() if i["group"] != SubscribersTable.ADDRESS]
        items = [i for i in items if (group is None or i["group"] == group)
                 and (status is None or i.get("status") == status)]
        return sorted(items, key=lambda i: (i["email"], i["group"]))

    def add(self, rows: list[ImportRow]) -> ImportResult:
        result = ImportResult()
        for row in rows:
            if self.subscribers.is_suppressed(row.email):
                result.suppressed.append(row.email)
                continue
            self.subscribers.add_confirmed(row.email, list(row.groups), when=self.clock(), mode=row.mode)
            result.added.append(row.email)
        return result

    def remove(self, email: str, *, group: str | None = None) -> int:
        return self.subscribers.delete(email, group=group)

    def export(self, out: TextIO) -> int:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        entries = self.entries()
        for item in entries:
            writer.writerow([item.get(column, "") if column != "mode" else item.get("mode", "each")
                             for column in EXPORT_COLUMNS])
        return len(entries)
