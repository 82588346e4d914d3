"""publish: one S3 change under minutes/ -> a verdict, a page, a record, queued follow-ups.

Order matters: the key's last report first (an event delivered again, or older than the one
last answered, stops there), then validate and render (nothing is written for a rejected upload),
then the conditional record write (a late, older event that raced past the report stops here),
then the page, then the queues, then the scribe's notice and, last, the report, which marks the
event as answered.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from .. import keys, running_notes
from ..aws.dynamo import MeetingsTable, RecordTooLarge, normalise_sequencer
from ..aws.listings import ListingsTable
from ..aws.notes_table import NotesTable
from ..aws.queues import Notifications, SiteUpdates
from ..aws.s3 import MinutesStore, SiteStore
from ..aws.sns import ScribeNotices
from ..group import GroupInfo, default_name, group_of, is_group_file, made_up_title, parse_group
from ..meeting import MAX_ATTACHMENT_BYTES, Assembled, SourceFile, assemble, too_big, unserved
from ..messages import GROUP_UPDATE, Announce, ObjectChange, SiteUpdate  # noqa: F401 (ObjectChange: its input)
from ..model import MeetingRecord, free_segment
from ..pages import PageRenderer
from ..problems import Problem, Rejected, error
from ..report import DRAFT, PUBLISHED, REJECTED, REMOVED, STALE, UPCOMING, Verdict
from ..settings import Settings
from ..site import SiteFile, meeting_file
from .running_notes import RunningNotesPublisher


# Rounds of re-reading a folder meeting that changed while it was being published.
_FOLDER_ROUNDS = 3


class Publisher:
    def __init__(self, *, settings: Settings, minutes: MinutesStore, site: SiteStore,
                 meetings: MeetingsTable, listings: ListingsTable, site_updates: SiteUpdates,
                 notifications: Notifications, notices: ScribeNotices, renderer: PageRenderer,
                 clock=None):
        self.settings, self.minutes, self.site, self.meetings = settings, minutes, site, meetings
        self.listings = listings
        self.site_updates, self.notifications, self.notices = site_updates, notifications, notices
        self.renderer = renderer
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._notes = RunningNotesPublisher(self, NotesTable(meetings.table))

    def handle(self, change: ObjectChange) -> Verdict:
        report = self.minutes.get_report(change.key)
        answered = self._answered(change, report)
        if answered is not None:
            return answered
        if is_group_file(change.key):
            return self._publish_group(change)
        try:
            key = keys.parse_key(change.key)
        except Rejected as rejected:
            self.minutes.tag(change.key, change.version_id, {"minutes-status": REJECTED})
            return self._tell(self._verdict(REJECTED, change, problems=tuple(rejected.problems)),
                              group="-")
        if change.removed:
            current = self.minutes.current_version(change.key)
            if current is None and not key.is_folder and not (
                    key.is_markdown and self._case_siblings(change)):  # else: publish ok.md
                return self._notes.remove(key, change) or self._remove(key, change)
            # One version was deleted (ObjectRemoved:Delete with a versionId), not the key.
            if current is not None and report and report.get("version_id") == current:
                return self._verdict(STALE, change)  # an old one: what is current was answered
            if current is not None:  # the previous version is current again: publish it
                change = replace(change, version_id=current, removed=False)
        return self._publish(key, change)

    def _answered(self, change: ObjectChange, report: dict | None) -> Verdict | None:
        """The verdict this very event already got (S3 delivered it again), or STALE when a
        later event for the same key has been answered; None when the event is new.

        The report is the last thing written for an event, so once it names the event's
        sequencer every effect of that event is in place and a redelivery has nothing to do.
        """
        if not report or not report.get("sequencer"):
            return None
        answered, this = normalise_sequencer(report["sequencer"]), normalise_sequencer(change.sequencer)
        if answered == this:
            return Verdict.from_dict(report)
        if answered > this:
            return self._verdict(STALE, change)
        return None

    def _verdict(self, status: str, change: ObjectChange, *, when: dt.datetime | None = None,
                 **details) -> Verdict:
        return Verdict(status, change.key, change.version_id, when or self._clock(),
                       sequencer=change.sequencer, **details)

    # --- publish -------------------------------------------------------------------------

    def _publish(self, key: keys.MeetingKey, change: ObjectChange) -> Verdict:
        """Publish, then for a folder meeting look again: files of one folder uploaded at the
        same time each trigger publish, and each run reads the folder when it starts. Whoever
        writes last re-reads the folder after writing and republishes if it changed meanwhile,
        so the stored meeting ends up with every file (at most a few rounds)."""
        notes = self._running_notes(key, change)
        if isinstance(notes, Verdict):
            return notes
        if notes is not None:
            return self._notes.publish(key, change, notes)
        for _ in range(_FOLDER_ROUNDS):
            before = self.minutes.listing(key.meeting_prefix) if key.is_folder else None
            outcome = self._publish_once(key, change)
            if isinstance(outcome, Verdict):
                return outcome
            if before is None or self.minutes.listing(key.meeting_prefix) == before:
                break
        verdict = outcome()
        self.minutes.tag(change.key, change.version_id, {"minutes-status": verdict.status})
        return self._tell(verdict, group=key.group)

    def _running_notes(self, key: keys.MeetingKey, change: ObjectChange):
        """The file's sections when it is a running-notes file (only an undated Markdown key can
        be one), a rejection (too many sections), or None."""
        if key.is_folder or not key.is_markdown or key.date is not None:
            return None
        found = self.minutes.get(change.key, change.version_id)
        if found is None:
            return None
        try:
            return running_notes.split(key, found.data, max_bytes=self.settings.max_size_bytes)
        except Rejected as rejected:
            return self._reject(key, change, self._clock(), tuple(rejected.problems))

    def _publish_once(self, key: keys.MeetingKey, change: ObjectChange):
        """A final Verdict (nothing more to do), or a function that makes the published one."""
        files, skipped = self._meeting_files(key, change)
        if not any(keys.parse_key(f.key).is_markdown for f in files):
            if change.removed:
                return self._remove(key, change)
            return self._verdict(STALE, change)  # an attachment came before its minutes
        now = self._clock()
        existing = self.meetings.get(key.group, key.meeting)
        try:
            info = self.meetings.group_info(key.group)
            assembled = assemble(files, site_host=self.settings.site_host,
                                 feed_id=existing.feed_id if existing else None,
                                 published=existing.published if existing and existing.published else now,
                                 updated=now, max_bytes=self.settings.max_size_bytes,
                                 group_name=info.name if info else None, mail_text=True)
        except Rejected as rejected:
            if any(p.code == "duplicate-source" for p in rejected.problems):
                return self._withdraw(key, change, now, (*rejected.problems, *skipped))
            return self._reject(key, change, now, (*rejected.problems, *skipped))
        own = tuple(p for p in assembled.left_out if p.file == change.key)
        if own and not change.removed:   # this upload is the document left out: it changes
            return self._reject(key, change, now, (*own, *skipped))   # nothing (decision 94)
        try:
            self.meetings.check_fits(assembled.record)   # before the URL is claimed: a
            record = self._unique_segment(assembled.record)   # rejected upload changes nothing
            stored = self.meetings.upsert(record, key=change.key, sequencer=change.sequencer)
        except RecordTooLarge as exc:
            problem = error("too-large-to-store",
                            f"The meeting is too large to publish: {exc}.",
                            "Split the minutes into several meetings (one file per meeting), "
                            "or move long pasted material into an attachment.", file=change.key)
            return self._reject(key, change, now, (problem, *assembled.problems))
        if stored is None:  # a later event for this key already won
            return self._verdict(STALE, change, when=now)
        record = record.with_changes(feed_id=stored.feed_id, published=stored.published)
        self._notes.release_all(key, change)   # it was a running-notes file until now
        # Once the record is stored, other changes list the meeting: its page must exist. Index
        # renders it from the record when the update arrives, and publish writes it now, even
        # when the send failed; so a failure of either one never leaves a link to nothing.
        try:
            self.site_updates.send(SiteUpdate(record.group, record.meeting, "upsert"),
                                   dedup=change.sequencer)
        finally:
            self._write_page(record, assembled, existing)
        if change.removed and not key.is_markdown:  # an attachment of the folder was deleted
            self.site.delete(record.url_path + keys.site_quote(key.name))
        if record.status == PUBLISHED and assembled.notify:
            self.announce_once(record.group, record.meeting, change=change, when=now)
        status = {"draft": DRAFT, "upcoming": UPCOMING}.get(record.status, PUBLISHED)
        return lambda: self._verdict(status, change, when=now, title=record.title,
                                     url=self.settings.page_url(record.url_path),
                                     problems=(*assembled.problems, *skipped))

    def announce_once(self, group: str, meeting: str, *, change: ObjectChange, when: dt.datetime) -> None:
        """Queue the meeting's announcement the first time it is published. The claim stays
        pending until the message is on the queue, so when the send fails for good a later
        event (a correction) sends it; the failed one's replay is then stale."""
        if self.meetings.claim_announcement(group, meeting, sequencer=change.sequencer, when=when):
            self.notifications.announce(Announce(group, meeting))
            self.meetings.announcement_sent(group, meeting)

    def _reject(self, key: keys.MeetingKey, change: ObjectChange, now: dt.datetime,
                problems: tuple) -> Verdict:
        self.minutes.tag(change.key, change.version_id, {"minutes-status": REJECTED})
        return self._tell(self._verdict(REJECTED, change, when=now, problems=problems),
                          group=key.group)

    def _withdraw(self, key: keys.MeetingKey, change: ObjectChange, now: dt.datetime,
                  problems: tuple) -> Verdict:
        """The bucket holds two files of one document (ok.md and ok.MD): a fresh build
        publishes neither (duplicate-source), so the meeting's page goes too, until the scribe
        deletes one (that delete publishes the other: _meeting_files). Decision 94."""
        existing = self.meetings.get(key.group, key.meeting)
        if self.meetings.mark_removed(key.group, key.meeting, key=change.key,
                                      sequencer=change.sequencer, when=now) and existing:
            self.site.delete_prefix(existing.url_path.lstrip("/"))
            self.site_updates.send(SiteUpdate(key.group, key.meeting, "delete"),
                                   dedup=change.sequencer)
        return self._reject(key, change, now, problems)

    def _case_siblings(self, change: ObjectChange) -> list[SourceFile]:
        """The other keys of a one-file meeting, as they are now: its name with `.md` in
        another case (ok.md beside ok.MD), which a fresh build reads as the same meeting."""
        stem = change.key[:-len(".md")]
        return [SourceFile(name, found.data) for name in sorted(self.minutes.listing(stem + "."))
                if name != change.key and len(name) == len(change.key)
                and name[len(stem):].lower() == ".md"
                and (found := self.minutes.get(name)) is not None]

    def _meeting_files(self, key: keys.MeetingKey,
                       change: ObjectChange) -> tuple[list[SourceFile], list[Problem]]:
        """The changed object at its own version; a folder meeting's other files (or a one-file
        meeting's case siblings) as they are now. Files the site would not serve (a video, a
        200 MB deck) are never read: they only get a warning, so one such file cannot make
        every publish of its folder fail."""
        if not key.is_folder:
            found = self.minutes.get(change.key, None if change.removed else change.version_id)
            siblings = self._case_siblings(change) if key.is_markdown else []
            return ([SourceFile(change.key, found.data)] if found else []) + siblings, []
        files, skipped = [], []
        for name, (_, size) in sorted(self.minutes.listing(key.meeting_prefix).items()):
            if "/" in name[len(key.meeting_prefix):]:
                continue  # a subfolder is not part of this meeting
            if not name.lower().endswith(".md") and not keys.attachment_type(name):
                skipped.append(unserved(name))
                continue
            if not name.lower().endswith(".md") and size > MAX_ATTACHMENT_BYTES:
                skipped.append(too_big(name, size, MAX_ATTACHMENT_BYTES))
                continue
            version = change.version_id if name == change.key and not change.removed else None
            found = self.minutes.get(name, version)
            if found is not None:
                files.append(SourceFile(name, found.data))
        return files, skipped

    def _unique_segment(self, record: MeetingRecord) -> MeetingRecord:
        """First come, first served: each segment is claimed by a conditional write, so two
        keys with one URL published at the same moment still get distinct URLs."""
        def owner_of(segment: str) -> str | None:
            claimed = self.meetings.claim_segment(record.group, segment, record.meeting)
            return None if claimed else "another meeting"
        segment = free_segment(record, owner_of)
        return record if segment == record.segment else record.moved_to(segment)

    def _write_page(self, record: MeetingRecord, assembled: Assembled,
                    existing: MeetingRecord | None) -> None:
        info = self.meetings.group_info(record.group)
        renderer = self.renderer.with_groups({record.group: info} if info else {}, {})
        # Neighbours as the lists stand now; index renders the page again once it has listed
        # this meeting (and rewrites the neighbours' own links).
        self.site.put(meeting_file(renderer, record, *self.listings.neighbours(record)))
        by_name = {a.name: a for a in record.attachments}
        for source, att in assembled.attachments:
            final = by_name.get(att.name, att)
            self.site.put(SiteFile(final.url_path, source.data, final.content_type))
        if existing and existing.url_path != record.url_path:
            self.site.delete_prefix(existing.url_path.lstrip("/"))  # e.g. published -> draft

    # --- group.yaml ----------------------------------------------------------------------

    def _publish_group(self, change: ObjectChange) -> Verdict:
        """A group's group.yaml: checked like minutes; stored (or forgotten when deleted) in
        the Meetings table; made-up titles follow the new name; index re-renders the group's
        pages (every one shows the name) and the archive (docs/groups.md)."""
        now = self._clock()
        try:
            group = group_of(change.key)
        except Rejected as rejected:
            self.minutes.tag(change.key, change.version_id, {"minutes-status": REJECTED})
            return self._tell(self._verdict(REJECTED, change, when=now,
                                            problems=tuple(rejected.problems)), group="-")
        current = self.minutes.current_version(change.key) if change.removed else change.version_id
        found = self.minutes.get(change.key, current) if current else None
        problems: list[Problem] = []
        info = None
        if found is not None:
            try:
                info, problems = parse_group(found.data, key=change.key)
            except Rejected as rejected:
                self.minutes.tag(change.key, found.version_id, {"minutes-status": REJECTED})
                return self._tell(self._verdict(REJECTED, change, when=now,
                                                problems=tuple(rejected.problems)), group=group)
        # The names titles were made with: the stored one, and the default while a stored
        # group refused by today's rules was shown as without it (decision 89).
        before = {self.meetings.group_info(group, as_stored=True), self.meetings.group_info(group)}
        if not self.meetings.put_group(info, key=change.key, sequencer=change.sequencer):
            return self._verdict(STALE, change, when=now)
        self._retitle(group, before, info)
        self.site_updates.send(SiteUpdate(group, GROUP_UPDATE, "upsert"), dedup=change.sequencer)
        status = PUBLISHED if info else REMOVED
        if found is not None:
            self.minutes.tag(change.key, found.version_id, {"minutes-status": status})
        return self._tell(self._verdict(status, change, when=now, title=info.name if info else None,
                                        url=self.settings.page_url(f"/{group}/"),
                                        problems=tuple(problems)), group=group)

    def _retitle(self, group: str, before: set[GroupInfo | None], after: GroupInfo | None) -> None:
        """Minutes without a heading are titled "<Group> meeting <date>": when the group's name
        changes, so do those titles (as a fresh build would make them)."""
        new = after.name if after else default_name(group)
        old = {info.name if info else default_name(group) for info in before} - {new}
        if not old:
            return
        for record in self.meetings.group(group):
            if any(record.title == made_up_title(name, record.date) for name in old):
                self.meetings.retitle(group, record.meeting, was=record.title,
                                      title=made_up_title(new, record.date))

    # --- remove --------------------------------------------------------------------------

    def _remove(self, key: keys.MeetingKey, change: ObjectChange) -> Verdict:
        now = self._clock()
        existing = self.meetings.get(key.group, key.meeting)
        # Marked even when nothing was published yet: the create event of the deleted object
        # may still come (S3 does not deliver in order) and must then be stale.
        if not self.meetings.mark_removed(key.group, key.meeting, key=change.key,
                                          sequencer=change.sequencer, when=now) or existing is None:
            return self._verdict(STALE, change, when=now)
        self.site.delete_prefix(existing.url_path.lstrip("/"))
        self.site_updates.send(SiteUpdate(key.group, key.meeting, "delete"), dedup=change.sequencer)
        return self._tell(self._verdict(REMOVED, change, when=now,
                                        url=self.settings.page_url(existing.url_path),
                                        title=existing.title), group=key.group)

    def _tell(self, verdict: Verdict, *, group: str) -> Verdict:
        """Notify the scribes, then write the report: the report marks the event as answered
        (see _answered), so a crash in between repeats the notice rather than losing it."""
        self.notices.publish(subject=verdict.subject(), message=verdict.text(),
                             status=verdict.status, group=group,
                             more=f"s3://{self.settings.minutes_bucket}/reports/{verdict.key}.txt")
        self.minutes.put_report(verdict.key, verdict.as_dict(), verdict.text())
        return verdict
