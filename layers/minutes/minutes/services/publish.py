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

from .. import keys, running_notes, shared_url
from ..aws.dynamo import MeetingsTable, RecordTooLarge, normalise_sequencer
from ..aws.listings import ListingsTable
from ..aws.notes_table import NotesTable
from ..aws.queues import Notifications, SiteUpdates
from ..aws.s3 import MinutesStore, SiteStore
from ..aws.sns import ScribeNotices
from ..group import GroupInfo, default_name, group_of, is_group_file, made_up_title, parse_group
from ..meeting import MAX_ATTACHMENT_BYTES, Assembled, SourceFile, assemble, too_big, unserved
from ..messages import GROUP_UPDATE, Announce, ObjectChange, SiteUpdate  # noqa: F401 (ObjectChange: its input)
from ..model import MeetingRecord
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
                    key.is_markdown and self._siblings(key, change)):  # else: publish ok.md
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

    def _publish_once(self, key: keys.MeetingKey, change: ObjectChange, guard: str | None = None):
        """A final Verdict (nothing more to do), or a function that makes the published one.
        `guard`: publishing on behalf of another key's event (_take_over): its order guard is
        that key's, and nothing is reported or tagged for this one."""
        files, skipped = self._meeting_files(key, change)
        if not any(keys.parse_key(f.key).is_markdown for f in files):
            if change.removed:
                return self._remove(key, change)
            return self._verdict(STALE, change)  # an attachment came before its minutes
        now = self._clock()
        existing, state = self.meetings.lookup(key.group, key.meeting)
        order = guard or change.key
        try:
            info = self.meetings.group_info(key.group)
            assembled = assemble(files, site_host=self.settings.site_host,
                                 feed_id=existing.feed_id if existing else None,
                                 published=existing.published if existing and existing.published else now,
                                 updated=now, max_bytes=self.settings.max_size_bytes,
                                 group_name=info.name if info else None, mail_text=True)
        except Rejected as rejected:
            if any(p.code == "duplicate-source" for p in rejected.problems):
                return self._withdraw(key, change, now, (*rejected.problems, *skipped), order,
                                      quiet=guard is not None)
            return self._reject(key, change, now, (*rejected.problems, *skipped), quiet=guard is not None)
        own = tuple(p for p in assembled.left_out if p.file == change.key)
        if own and not change.removed:   # this upload is the document left out: it changes
            return self._reject(key, change, now, (*own, *skipped))   # nothing (decision 94)
        try:
            self.meetings.check_fits(assembled.record)   # before the URL is claimed: a
            # rejected upload changes nothing
            place = self._hold(assembled.record, existing, change, order, now, moving=guard is None)
            record = assembled.record.moved_to(place) if place != assembled.record.segment \
                else assembled.record
            moved = existing.url_path if existing and existing.url_path != record.url_path else None
            upserted = self.meetings.upsert(record, key=order, sequencer=change.sequencer,
                                            moved_from=moved)
        except RecordTooLarge as exc:
            problem = error("too-large-to-store",
                            f"The meeting is too large to publish: {exc}.",
                            "Split the minutes into several meetings (one file per meeting), "
                            "or move long pasted material into an attachment.", file=change.key)
            return self._reject(key, change, now, (problem, *assembled.problems), quiet=guard is not None)
        if upserted is None:  # a later event for this key already won
            return self._verdict(STALE, change, when=now)
        stored = upserted.record
        record = record.with_changes(feed_id=stored.feed_id, published=stored.published)
        if guard is None:
            self._notes.release_all(key, change)   # it was a running-notes file until now
        # Once the record is stored, other changes list the meeting: its page must exist. Index
        # renders it from the record when the update arrives, and publish writes it now, even
        # when the send failed; so a failure of either one never leaves a link to nothing.
        try:
            self.site_updates.send(SiteUpdate(record.group, record.meeting, "upsert"),
                                   dedup=change.sequencer)
        finally:
            self._write_page(record, assembled, upserted.moved_from)
        if change.removed and not key.is_markdown:  # an attachment of the folder was deleted
            self.site.delete(record.url_path + keys.site_quote(key.name))
        if guard is None:   # another twin may have come meanwhile (both held at once, each
            # seeing only itself): whichever reads the other now places both
            self.place_twins(record.group, assembled.record.segment, change, order, now, alone=False)
            self._place_twins_of(record.group, assembled.record.segment, change, order, now)
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
                problems: tuple, *, quiet: bool = False) -> Verdict:
        """`quiet`: the change stands for another key's event (_take_over): no tag, no report."""
        verdict = self._verdict(REJECTED, change, when=now, problems=problems)
        if quiet:
            return verdict
        self.minutes.tag(change.key, change.version_id, {"minutes-status": REJECTED})
        return self._tell(verdict, group=key.group)

    def _withdraw(self, key: keys.MeetingKey, change: ObjectChange, now: dt.datetime,
                  problems: tuple, order: str, *, quiet: bool = False) -> Verdict:
        """The bucket holds two files of one document (ok.md and ok.MD; x.md and the folder
        x/): a fresh build publishes neither (duplicate-source), so the meeting's page goes
        too, until the scribe deletes one (that delete publishes the other: _meeting_files).
        Decisions 94 and 103."""
        self._take_down(key.group, key.meeting, change, now, order)
        return self._reject(key, change, now, problems, quiet=quiet)

    def _take_down(self, group: str, meeting: str, change: ObjectChange, now: dt.datetime,
                   order: str) -> None:
        """A meeting no fresh build publishes: tombstone (the announced mark stays), page
        gone, index told, its URL's twins after it moved up."""
        existing, state = self.meetings.lookup(group, meeting)
        if self.meetings.mark_removed(group, meeting, key=order, sequencer=change.sequencer,
                                      when=now) and existing:
            self._removed(existing, state, change, order, now)

    def _removed(self, existing: MeetingRecord, state: dict, change: ObjectChange, order: str,
                 now: dt.datetime) -> None:
        """The meeting is tombstoned by this event: its page goes, the index is told, its
        URL's twins after it move up. Found a tombstone already (its URL may be another's now),
        only a retry of this very event finishes what it began (finish_removal)."""
        retry = state.get(f"seq:{order}") == normalise_sequencer(change.sequencer)
        if existing.status != "removed":
            self.site.delete_prefix(existing.url_path.lstrip("/"))
        self._tell_index(existing, state, order, change)
        if existing.status != "removed":
            self._give_up(existing, change, order, now)
        elif retry:
            self.finish_removal(existing, change, order, now)

    def _tell_index(self, existing: MeetingRecord, state: dict, order: str,
                    change: ObjectChange) -> None:
        """Send the index a removed meeting's update: unless it was taken down already (a
        twin's refusal told the index then, and a second delete would be read by the index
        as a retry of the first: it would count the meeting out twice), but for a retry of
        this very event (it may have stopped before sending)."""
        retry = state.get(f"seq:{order}") == normalise_sequencer(change.sequencer)
        if existing.status != "removed" or retry:
            self.site_updates.send(SiteUpdate(existing.group, existing.meeting, "delete"),
                                   dedup=change.sequencer)

    # --- meetings of a group that give one URL (shared_url.py, decision 110) ---------------

    def _hold(self, record: MeetingRecord, existing: MeetingRecord | None, change: ObjectChange,
              order: str, now: dt.datetime, *, moving: bool = True) -> str:
        """Count the meeting among those wanting its URL segment (giving up the one it wanted
        before, when its date moved), and the segment it is published at: shared_url.placed
        over every holder. `moving`: the twins whose place this changes are moved first (a
        twin published on behalf of another's event leaves that to the event's own publish).
        A meeting published before holders were kept counts when it still has the segment."""
        before = base_segment(existing) if existing and existing.status != "removed" else None
        if before is not None and before != record.segment:
            self.meetings.release_segment(record.group, before, record.meeting)
            if moving:
                self.place_twins(record.group, before, change, order, now)
                self._place_twins_of(record.group, before, change, order, now)
        holders, owner = self.meetings.hold_segment(record.group, record.segment,
                                                    record.meeting, change.key)
        if owner not in (None, record.meeting) and owner not in holders:
            earlier = self.meetings.get(record.group, owner)
            if earlier and earlier.status != "removed" and earlier.segment == record.segment \
                    and earlier.source_keys:
                holders, _ = self.meetings.hold_segment(record.group, record.segment, owner,
                                                        earlier.source_keys[0])
        places = self.places(record.group, record.segment, holders)
        if moving and len(places) > 1:
            self._move(record.group, record.segment, places, change, order, now, but=(record.meeting,))
        if moving:   # a twin placed at this one's own `-n` moves on before its page is written
            self._place_twins_of(record.group, record.segment, change, order, now)
        return places[record.meeting]

    def places(self, group: str, segment: str, holders) -> dict[str, str]:
        """shared_url.placed over the holders, a `-n` another meeting of the group holds as its
        own skipped (one GetItem a `-n` looked at, only where twins are: decision 117)."""
        return shared_url.placed(segment, holders,
                                 lambda taken: bool(self.meetings.segment_holders(group, taken)))

    def _place_twins_of(self, group: str, segment: str, change: ObjectChange, order: str,
                        now: dt.datetime) -> None:
        """`segment` (`x-2`) is wanted as its own by a meeting that came or went: the twins of
        `x` move off it or back to it (shared_url.twinned; nothing read for any other segment)."""
        twinned = shared_url.twinned(segment)
        if twinned is not None:
            self.place_twins(group, twinned, change, order, now, alone=False)

    def place_twins(self, group: str, segment: str, change: ObjectChange, order: str,
                    now: dt.datetime, *, alone: bool = True, but=()) -> None:
        """Move each meeting wanting `segment` that is not at its place (shared_url.placed over
        the holders as they are now): after a holder left (`alone`: the one left too, which
        may be at `-2`), or came at the same moment (one holder: the one just published)."""
        holders = self.meetings.segment_holders(group, segment)
        if len(holders) > (0 if alone else 1):
            self._move(group, segment, self.places(group, segment, holders), change, order, now, but)

    def _move(self, group: str, segment: str, places: dict[str, str], change: ObjectChange,
              order: str, now: dt.datetime, but=()) -> None:
        """Publish each holder that is not at its place there, on behalf of `change`: those
        moving to a later place first, the last first, then those moving to an earlier place,
        the first first, so that no page is written where one still is to be moved from.
        `but`: meetings this event writes itself (left alone here)."""
        rank = {place: _number(segment, place) for place in places.values()}
        moves, placed = [], {}
        for meeting, place in places.items():
            if meeting in but:
                continue
            stored = self.meetings.get(group, meeting)
            if stored is None or stored.status == "removed":
                continue
            if stored.segment == place:
                placed[place] = stored
                continue
            moves.append((rank[place] - _number(segment, stored.segment), rank[place], meeting, stored))
        for _, _, meeting, stored in sorted(moves, key=lambda m: (m[0] < 0, -m[1] if m[0] > 0 else m[1])):
            if running_notes.is_running_notes_meeting(meeting):
                self._notes.move(group, meeting, places[meeting], change, now)
            else:
                self._take_over(stored.source_keys[0], change, order)
        # Two published at once may each have written the one URL before either moved: a
        # twin moved away then deleted the page of the one placed there; it is written again.
        for _, _, _, stored in moves:
            again = placed.get(stored.segment) if stored.segment in rank \
                else self._owner_at(group, stored.segment)
            if again is not None and not running_notes.is_running_notes_meeting(again.meeting):
                self._take_over(again.source_keys[0], change, order)

    def _owner_at(self, group: str, segment: str) -> MeetingRecord | None:
        """The meeting published at `segment` as its own (a twin placed there moved off it:
        its page may have been written over), or None."""
        holders = self.meetings.segment_holders(group, segment) if shared_url.twinned(segment) else {}
        stored = self.meetings.get(group, min(holders)) if holders else None
        return stored if stored and stored.status != "removed" and stored.segment == segment else None

    def _give_up(self, existing: MeetingRecord | None, change: ObjectChange, order: str,
                 now: dt.datetime) -> None:
        """The meeting is published no more: it wants its segment no more, and the twins after
        it move up."""
        if existing is None or existing.status == "removed":
            return
        segment = base_segment(existing)
        left = self.meetings.release_segment(existing.group, segment, existing.meeting)
        if left:
            self.place_twins(existing.group, segment, change, order, now)
        if left is not None:   # the last to want it too: a twin of `x` may come to `x-2`
            self._place_twins_of(existing.group, segment, change, order, now)

    def finish_removal(self, record: MeetingRecord, change: ObjectChange, order: str,
                       now: dt.datetime) -> None:
        """Finish the removal of a meeting that an attempt which died tombstoned (decision 116):
        while it still holds its URL segment the URL is its own, so its page, if still there,
        goes, and the segment is given up; the twins' moves are finished either way."""
        segment = base_segment(record)
        if record.meeting in self.meetings.segment_holders(record.group, segment):
            self.site.delete_prefix(record.url_path.lstrip("/"))
            self.meetings.release_segment(record.group, segment, record.meeting)
        self.place_twins(record.group, segment, change, order, now)
        self._place_twins_of(record.group, segment, change, order, now)

    def _take_over(self, key: str, change: ObjectChange, order: str) -> None:
        """Publish the meeting at `key` as it is now, on behalf of `change` (another key's
        event, whose order guard is used; nothing reported for `key`)."""
        try:
            parsed = keys.parse_key(key)
        except Rejected:
            return
        on_behalf = ObjectChange(key, None, change.sequencer, False)
        outcome = self._publish_once(parsed, on_behalf, guard=order)
        if callable(outcome):
            self.minutes.tag(key, self.minutes.current_version(key), {"minutes-status": outcome().status})

    def _case_siblings(self, change: ObjectChange) -> list[SourceFile]:
        """The other keys of a one-file meeting, as they are now: its name with `.md` in
        another case (ok.md beside ok.MD), which a fresh build reads as the same meeting."""
        return self._files_named(change.key[:-len(".md")], but=change.key)

    def _files_named(self, stem: str, *, but: str = "") -> list[SourceFile]:
        """`<stem>.md` in any case, as they are now (one LIST), but the key `but`."""
        return [SourceFile(name, found.data) for name in sorted(self.minutes.listing(stem + "."))
                if name != but and len(name) == len(stem) + 3 and name[len(stem):].lower() == ".md"
                and (found := self.minutes.get(name)) is not None]

    def _siblings(self, key: keys.MeetingKey, change: ObjectChange) -> list[SourceFile]:
        """A one-file meeting's other files as a fresh build reads them with it: its case
        siblings, and the files of a dated folder of its name (x.md beside x/NOTES.md: one
        meeting, refused: decision 103), one LIST each."""
        folder = [f for f in self._folder_files(key.meeting_prefix, change)[0] if _in_dated_folder(f.key)]
        return self._case_siblings(change) + folder

    def _meeting_files(self, key: keys.MeetingKey,
                       change: ObjectChange) -> tuple[list[SourceFile], list[Problem]]:
        """The changed object at its own version; a folder meeting's other files (or a one-file
        meeting's case siblings) as they are now. Files the site would not serve (a video, a
        200 MB deck) are never read: they only get a warning, so one such file cannot make
        every publish of its folder fail."""
        if not key.is_folder:
            found = self.minutes.get(change.key, None if change.removed else change.version_id)
            siblings = self._siblings(key, change) if key.is_markdown else []
            return ([SourceFile(change.key, found.data)] if found else []) + siblings, []
        files, skipped = self._folder_files(key.meeting_prefix, change)
        # A file of the folder's name (x.md beside x/): one meeting, refused (decision 103).
        return self._files_named(key.meeting_prefix[:-1]) + files, skipped

    def _folder_files(self, prefix: str, change: ObjectChange) -> tuple[list[SourceFile], list[Problem]]:
        """The files directly in the folder `prefix`, the changed one at its own version."""
        files, skipped = [], []
        for name, (_, size) in sorted(self.minutes.listing(prefix).items()):
            if "/" in name[len(prefix):]:
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

    def _write_page(self, record: MeetingRecord, assembled: Assembled,
                    moved_from: str | None) -> None:
        info = self.meetings.group_info(record.group)
        renderer = self.renderer.with_groups({record.group: info} if info else {}, {})
        # Neighbours as the lists stand now; index renders the page again once it has listed
        # this meeting (and rewrites the neighbours' own links).
        self.site.put(meeting_file(renderer, record, *self.listings.neighbours(record)))
        by_name = {a.name: a for a in record.attachments}
        for source, att in assembled.attachments:
            final = by_name.get(att.name, att)
            self.site.put(SiteFile(final.url_path, source.data, final.content_type))
        if moved_from is not None:   # published -> draft, a new date: by this event, or by
            if moved_from != record.url_path:   # one that died before deleting the old page
                self.site.delete_prefix(moved_from.lstrip("/"))
            self.meetings.forget_move(record.group, record.meeting, moved_from)

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
        titled = self.meetings.put_group(info, key=change.key, sequencer=change.sequencer,
                                         titled={i.name if i else default_name(group) for i in before})
        if titled is None:
            return self._verdict(STALE, change, when=now)
        self._retitle(group, titled, info)
        self.site_updates.send(SiteUpdate(group, GROUP_UPDATE, "upsert"), dedup=change.sequencer)
        status = PUBLISHED if info else REMOVED
        if found is not None:
            self.minutes.tag(change.key, found.version_id, {"minutes-status": status})
        return self._tell(self._verdict(status, change, when=now, title=info.name if info else None,
                                        url=self.settings.page_url(f"/{group}/"),
                                        problems=tuple(problems)), group=group)

    def _retitle(self, group: str, titled: set[str], after: GroupInfo | None) -> None:
        """Minutes without a heading are titled "<Group> meeting <date>": when the group's name
        changes, so do those titles (as a fresh build would make them). `titled`: the names
        such titles may carry (put_group keeps them until this is done)."""
        new = after.name if after else default_name(group)
        old = titled - {new}
        if old:
            for record in self.meetings.group(group):
                if any(record.title == made_up_title(name, record.date) for name in old):
                    self.meetings.retitle(group, record.meeting, was=record.title,
                                          title=made_up_title(new, record.date))
        self.meetings.retitled(group, titled)

    # --- remove --------------------------------------------------------------------------

    def _remove(self, key: keys.MeetingKey, change: ObjectChange) -> Verdict:
        now = self._clock()
        existing, state = self.meetings.lookup(key.group, key.meeting)
        # Marked even when nothing was published yet: the create event of the deleted object
        # may still come (S3 does not deliver in order) and must then be stale.
        if not self.meetings.mark_removed(key.group, key.meeting, key=change.key,
                                          sequencer=change.sequencer, when=now):
            return self._verdict(STALE, change, when=now)
        if existing is not None:
            self._removed(existing, state, change, change.key, now)
        if existing is None:   # nothing was published from this key: a rejected upload, an
            # attachment of no meeting or of a folder with no minutes. Answered all the same (a
            # report, no notice: the site did not change), or `sync --delete` waited its whole
            # --wait for a verdict never written (decision 118). Only this key's own delete
            # comes here (_take_over publishes, never removes).
            verdict = self._verdict(REMOVED, change, when=now)
            self.minutes.put_report(verdict.key, verdict.as_dict(), verdict.text())
            return verdict
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


def _in_dated_folder(key: str) -> bool:
    """Whether `key` is a file of a folder meeting (`x/NOTES.md` where x is dated)."""
    try:
        return keys.parse_key(key).is_folder
    except Rejected:
        return False


def _number(segment: str, place: str) -> int:
    """1 for the segment itself, n for its `-n`, -1 for anywhere else (a meeting that comes)."""
    if place == segment:
        return 1
    rest = place[len(segment) + 1:] if place.startswith(segment + "-") else ""
    return int(rest) if rest.isascii() and rest.isdigit() else -1


def base_segment(record: MeetingRecord) -> str:
    """The URL segment a published meeting's sources want (its record's may be a twin's `-n`):
    a running-notes section's is its identity's; another's, its first key's as assemble made
    it (the key's date, else the meeting's)."""
    if running_notes.is_running_notes_meeting(record.meeting):
        return record.meeting[:-len(keys.NOTES_SUFFIX)]
    first = keys.parse_key(record.source_keys[0])
    return first.segment(first.date or record.date)
