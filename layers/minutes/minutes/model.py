"""What a published meeting is, once parsed and rendered: the unit the site, feeds and mail use.

The Meetings table stores exactly these fields (see aws/dynamo.py), so the index function can
rebuild any archive page or feed from the table alone, and `minutes build` can build the same
site from a folder without a table.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field, replace

from .plaintext import IMAGE, LINK


@dataclass(frozen=True)
class Attachment:
    name: str          # file name as uploaded ("[Public] Slides 2022.9.20.pdf")
    url_path: str      # absolute path on the site, percent-encoded ("/openxla/2022-.../%5BPublic%5D...pdf")
    content_type: str
    size: int


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Resource:
    """A slide deck, recording or agenda linked from the text, for the page header."""
    kind: str      # "slides" | "recording" | "agenda"
    href: str      # as written in content_html (absolute URL or site path)
    text: str      # what the page shows


@dataclass(frozen=True)
class MeetingRecord:
    group: str                    # "openxla"
    meeting: str                  # source path under the group, without .md
    segment: str                  # URL segment under the group: "2022-09-20-sig-openxla"
    title: str
    date: dt.date
    status: str = "published"     # published | upcoming (agenda only) | draft
    time: str | None = None       # "08:00" when known
    timezone: str | None = None   # IANA name when known
    summary: str = ""             # plain text, one short paragraph
    content_html: str = ""        # sanitised fragment, relative links already resolved
    headings: tuple[Heading, ...] = ()
    attendees: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    source_keys: tuple[str, ...] = ()
    feed_id: str = ""             # minted once at first publication, never recomputed
    published: dt.datetime | None = None  # first publication (UTC)
    updated: dt.datetime | None = None    # last change (UTC)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # Found while rendering (render.py collects the links), so no page parses content_html
    # again. None: a record made before this field existed; pages then read content_html.
    resources: tuple[Resource, ...] | None = None
    # The minutes as mail's text part, written while rendering (ast_text.py; links and images
    # between plaintext's markers, made absolute by mail). None: not made (a build sends no
    # mail; a record stored before it existed; a body only the HTML can tell): mail then
    # reads content_html. Not part of equality: the same meeting, with or without it.
    content_text: str | None = field(default=None, compare=False)

    @property
    def url_path(self) -> str:
        if self.status == "draft":
            return f"/{self.group}/_drafts/{self.segment}/"
        return f"/{self.group}/{self.segment}/"

    @property
    def listed(self) -> bool:
        """Shown in archives, feeds and sitemap (drafts never are)."""
        return self.status in ("published", "upcoming")

    @functools.cached_property
    def _order_key(self) -> str:
        """order_key's answer, made once per record: a build sorts each record into its
        streams, its group's neighbours, feeds and calendar (~9 keys per record, each an
        isoformat and a format: ~5% of a one-shot rebuild's instructions at 1,000 meetings).
        Kept in the instance's __dict__ (a frozen record never changes; not a field, so not
        compared, shown or stored in the tables); pickled with it, so a record read back from
        the build cache has it already."""
        return f"{self.date.isoformat()} {self.time or ''} {self.group} {self.segment}"

    def with_changes(self, **changes) -> "MeetingRecord":
        return replace(self, **changes)

    def moved_to(self, segment: str) -> "MeetingRecord":
        """The same meeting at another URL segment: its attachments and the links to them move."""
        old, new = self.url_path, replace(self, segment=segment).url_path
        attachments = tuple(replace(a, url_path=new + a.url_path[len(old):])
                            if a.url_path.startswith(old) else a for a in self.attachments)
        resources = None if self.resources is None else tuple(
            replace(r, href=new + r.href[len(old):]) if r.href.startswith(old) else r
            for r in self.resources)
        text = None if self.content_text is None else self.content_text.replace(
            LINK + old, LINK + new).replace(IMAGE + old, IMAGE + new)
        return replace(self, segment=segment, attachments=attachments, resources=resources,
                       content_html=self.content_html.replace(f'"{old}', f'"{new}'),
                       content_text=text)


def order_key(record: MeetingRecord) -> str:
    """Where a meeting sorts in every listing, as one string (the Listings table's sort key):
    date, then time (none sorts first), then group and segment so the order is total. The
    separator is a space, below every character a time or group can hold, so string order is
    the order of the (date, time, group, segment) tuple."""
    return record._order_key


def sort_newest_first(records) -> list[MeetingRecord]:
    """Newest meeting first (order_key, reversed): deterministic, and the same order the
    index reads from the Listings table."""
    return sorted(records, key=order_key, reverse=True)
