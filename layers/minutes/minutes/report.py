"""The verdict on one upload, for the scribe: a JSON report and the same thing as text."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .problems import Problem, Severity
from .quoting import one_line

PUBLISHED, REJECTED, REMOVED, DRAFT, UPCOMING, STALE = (
    "published", "rejected", "removed", "draft", "upcoming", "stale")


@dataclass(frozen=True)
class Verdict:
    status: str
    key: str
    version_id: str | None
    when: dt.datetime
    url: str | None = None
    title: str | None = None
    problems: tuple[Problem, ...] = field(default=())
    sequencer: str | None = None   # the S3 event's, so a report says which event it answers
    # A running-notes file: what each dated section became ({line, heading, date, url}).
    meetings: tuple[dict, ...] = field(default=())

    def as_dict(self) -> dict:
        return {"status": self.status, "key": self.key, "version_id": self.version_id,
                "sequencer": self.sequencer,
                "checked_at": self.when.isoformat(), "url": self.url, "title": self.title,
                "errors": sum(p.is_error for p in self.problems),
                "warnings": sum(not p.is_error for p in self.problems),
                "problems": [p.as_dict() for p in self.problems],
                **({"meetings": list(self.meetings)} if self.meetings else {})}

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        """The verdict a stored report holds (the inverse of as_dict)."""
        problems = tuple(Problem(p["code"], p["message"], p["hint"], Severity(p["severity"]),
                                 p.get("line"), p.get("column"), p.get("file"))
                         for p in data.get("problems", []))
        return cls(data["status"], data["key"], data.get("version_id"),
                   dt.datetime.fromisoformat(data["checked_at"]), url=data.get("url"),
                   title=data.get("title"), problems=problems, sequencer=data.get("sequencer"),
                   meetings=tuple(data.get("meetings", ())))

    def subject(self) -> str:
        what = {PUBLISHED: "Published", REJECTED: "Rejected", REMOVED: "Removed",
                DRAFT: "Draft preview", UPCOMING: "Agenda published"}.get(self.status, self.status)
        return f"{what}: {one_line(self.key)}"

    def text(self) -> str:
        lines = [self.subject(), ""]
        if self.status == REJECTED:
            lines.append("Nothing was published; the upload is kept as it is. Fix the problems "
                         "below and upload the file again to the same key.")
        elif self.status == REMOVED and not self.url:
            lines.append("Nothing was published from it: the site did not change.")
        elif self.meetings:
            lines.append(f"Running notes: {len(self.meetings)} meetings, one per dated section.")
            lines += [f"  line {m['line']}: {m['heading']} -> {m['url']}" for m in self.meetings]
        elif self.url:
            lines.append(f"Page: {self.url}")
        if self.problems:
            lines.append("")
        for p in self.problems:
            where = ":".join(str(x) for x in (one_line(p.file or self.key), p.line, p.column) if x)
            lines.append(f"{where}: {p.severity.value} {p.code}: {p.message}")
            lines += [f"    hint: {h}" if i == 0 else f"          {h}"
                      for i, h in enumerate(p.hint.splitlines())]
        return "\n".join(lines) + "\n"
