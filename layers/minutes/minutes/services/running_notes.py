"""publish, for a running-notes file: each dated section is a meeting (docs/decisions.md 23 and 28).

An upload claims its key (a newer event of the key wins, an older one changes nothing), then
for every section it holds: adds the key to the section's holders and, if the key is the
section's holder (running_notes.holder: the first key), writes the section's record; for every
section the key held before and holds no more: takes the key out of the holders, and the section
is removed when nobody holds it, or written from the next holder's file. New sections are
announced (the permanent `announced_at` mark: never twice, whichever file holds a section).

Crash-safe (decision 116): the table writes come before the site work (pages, deletes, the
index's updates, emails), and the key stays open (`notes_open`) until that work is done. An
event that finds the key open (Lambda's retry of one that died, or the key's next event)
redoes the site work of every section the key holds or may hold, from what is stored: each
of those steps is idempotent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import keys, running_notes, shared_url
from ..aws.dynamo import RecordTooLarge
from ..aws.notes_table import CONFLICT, STALE, WRITTEN, Guard, NotesTable, check_size, guard_for
from ..meeting import Assembled
from ..messages import SiteUpdate
from ..model import MeetingRecord
from ..problems import Rejected, error
from ..report import PUBLISHED, REMOVED, Verdict
from ..site import meeting_file

_ROUNDS = 8   # re-reads of a section another upload changed meanwhile


def _taken_outcome(taken) -> "_Outcome":
    """The site work take() hands over: the key's one-meeting page to delete (or, after an
    attempt that died, to delete if it is still there)."""
    return _Outcome(removed=[taken.replaced] if taken.replaced else [],
                    unfinished=[taken.tombstoned] if taken.tombstoned else [])


def _same(record: MeetingRecord, stored: MeetingRecord | None) -> bool:
    return stored is not None and stored.status == record.status and \
        record.with_changes(updated=stored.updated) == stored


class _Stale(Exception):
    """A newer event of the same key has taken over: this one stops, changing nothing more."""


@dataclass
class _Outcome:
    written: list[MeetingRecord] = field(default_factory=list)   # pages to (re)write
    removed: list[MeetingRecord] = field(default_factory=list)   # pages to delete
    placed: list[str] = field(default_factory=list)   # URL segments new sections now hold
    # tombstoned by an attempt that died: page deleted while it still holds its URL segment
    unfinished: list[MeetingRecord] = field(default_factory=list)


class RunningNotesPublisher:
    def __init__(self, publisher, table: NotesTable):
        self.p, self.table = publisher, table

    # --- upload ------------------------------------------------------------------------

    def publish(self, key: keys.MeetingKey, change, notes: running_notes.RunningNotes) -> Verdict:
        p, now = self.p, self.p._clock()
        try:
            meetings = running_notes.assemble_sections(
                notes, site_host=p.settings.site_host, max_bytes=p.settings.max_size_bytes, now=now,
                mail_text=True)
            for meeting, section in zip(meetings, notes.sections):
                try:
                    check_size(meeting.record)
                except RecordTooLarge as exc:
                    raise Rejected([error("too-large-to-store", f"The meeting of '{section.heading}' "
                                          f"is too large to publish: {exc}.", "Move long pasted "
                                          "material into an attachment.", section.line, 1)]) from None
        except Rejected as rejected:
            return p._reject(key, change, now, tuple(rejected.problems))
        guard = guard_for(key.group, key.meeting, change.key, change.sequencer)
        wanted = {m.record.meeting for m in meetings}
        taken = self.table.take(guard, when=now, wanted=wanted)
        if taken is None:
            return p._verdict("stale", change, when=now)
        outcome = _taken_outcome(taken)
        try:
            for meeting in meetings:
                self._hold(guard, meeting, outcome, now, redo=taken.unfinished)
            for ident in sorted(set(taken.held) - wanted):
                self._release(guard, ident, outcome, now)
        except _Stale:
            return p._verdict("stale", change, when=now)
        self._apply(key.group, outcome, change, now)
        if not self.table.set_held(guard, sorted(wanted)):
            return p._verdict("stale", change, when=now)
        problems = notes.problems + tuple(q for m in meetings for q in m.problems)
        first = meetings[0].record
        verdict = p._verdict(PUBLISHED, change, when=now, title=notes.title or first.title,
                             url=p.settings.page_url(first.url_path), problems=problems,
                             meetings=tuple(self._listed(meetings, notes)))
        p.minutes.tag(change.key, change.version_id, {"minutes-status": PUBLISHED})
        return p._tell(verdict, group=key.group)

    def remove(self, key: keys.MeetingKey, change) -> Verdict | None:
        """The file was deleted: its sections go, unless another file holds them. None when
        the key held no sections (then it is an ordinary removal)."""
        if not self.table.held(key.group, key.meeting):
            return None
        p, now = self.p, self.p._clock()
        guard = guard_for(key.group, key.meeting, change.key, change.sequencer)
        taken = self.table.take(guard, when=now)
        if taken is None:
            return p._verdict("stale", change, when=now)
        outcome = _taken_outcome(taken)
        try:
            for ident in taken.held:
                self._release(guard, ident, outcome, now)
        except _Stale:
            return p._verdict("stale", change, when=now)
        self._apply(key.group, outcome, change, now)
        if not self.table.set_held(guard, []):
            return p._verdict("stale", change, when=now)
        return p._tell(p._verdict(REMOVED, change, when=now, title=f"{len(taken.held)} meetings"),
                       group=key.group)

    def release_all(self, key: keys.MeetingKey, change) -> None:
        """The key was just published as one meeting (front matter gave it a `date`): the
        sections it held as a running-notes file go, unless another file holds them. The
        key's item already names this event (the record's conditional write set it)."""
        if key.is_folder or key.date is not None or not self.table.held(key.group, key.meeting):
            return
        now = self.p._clock()
        guard = guard_for(key.group, key.meeting, change.key, change.sequencer)
        outcome = _Outcome()
        try:
            for ident in self.table.held(key.group, key.meeting):
                self._release(guard, ident, outcome, now)
        except _Stale:
            return
        self._apply(key.group, outcome, change, now)
        self.table.set_held(guard, [])

    # --- one section -------------------------------------------------------------------

    def _hold(self, guard: Guard, meeting: Assembled, outcome: _Outcome, now: dt.datetime, *,
              redo: bool = False) -> None:
        """`redo`: an attempt that died may have written the section without its site work."""
        ident = meeting.record.meeting
        for _ in range(_ROUNDS):
            state = self.table.section(guard.group, ident)
            holders = set(state.holders) | {guard.key}
            record = None
            if running_notes.holder(holders) == guard.key:
                record = self._as_stored(meeting.record, state.record, guard.key, outcome)
                if guard.key in state.holders and _same(record, state.record):
                    if redo:   # its page, its listing, its email, its twins' moves, again
                        outcome.written.append(state.record)
                        outcome.placed.append(ident[:-len(running_notes.SUFFIX)])
                    return   # unchanged: no write, no new `updated`, no page to render
            elif guard.key in state.holders:
                return   # held already, and another file's section is the one shown
            result = self.table.write(guard, guard.group, ident, state=state,
                                      holders=sorted(holders), record=record)
            if result == WRITTEN:
                if record is not None:
                    outcome.written.append(record)
                return
            if result == STALE:
                raise _Stale
        raise RuntimeError(f"{guard.group}/{ident} kept changing; the event will be retried")

    def _release(self, guard: Guard, ident: str, outcome: _Outcome, now: dt.datetime) -> None:
        for _ in range(_ROUNDS):
            state = self.table.section(guard.group, ident)
            if guard.key not in state.holders:
                # An attempt that died (the key is open: else every section it held lists the
                # key) released it, or never held it: its site work is done again, as stored.
                if state.record is not None and state.record.status == "removed":
                    outcome.unfinished.append(state.record)
                elif state.record is not None:
                    outcome.written.append(state.record)
                return
            holders = set(state.holders) - {guard.key}
            record = None
            if holders and running_notes.holder(state.holders) == guard.key:
                record = self._from_other_holder(holders, ident, state.record, now)
            gone = not holders or (record is None and running_notes.holder(state.holders) == guard.key)
            result = self.table.write(guard, guard.group, ident, state=state, holders=sorted(holders),
                                      record=record, removed_at=now if gone else None)
            if result == WRITTEN:
                if record is not None:
                    outcome.written.append(record)
                elif gone and state.record is not None:
                    outcome.removed.append(state.record)
                return
            if result == STALE:
                raise _Stale
        raise RuntimeError(f"{guard.group}/{ident} kept changing; the event will be retried")

    def _from_other_holder(self, holders: set[str], ident: str, stored: MeetingRecord | None,
                           now: dt.datetime) -> MeetingRecord | None:
        """The section as the next holder's file has it now (its own event, if still on its
        way, will write the same or newer). None when no holder's file has it any more."""
        for key in sorted(holders):
            found = self.p.minutes.get(key, None)
            if found is None:
                continue
            try:
                notes = running_notes.split(key, found.data, max_bytes=self.p.settings.max_size_bytes)
                if notes is None:
                    continue
                meetings = running_notes.assemble_sections(
                    notes, site_host=self.p.settings.site_host,
                    max_bytes=self.p.settings.max_size_bytes, now=now, mail_text=True)
            except Rejected:
                continue
            for meeting in meetings:
                if meeting.record.meeting == ident:
                    return self._as_stored(meeting.record, stored, key)
        return None

    def _as_stored(self, record: MeetingRecord, stored: MeetingRecord | None, key: str,
                   outcome: _Outcome | None = None) -> MeetingRecord:
        """The record as it will be stored: a section published before keeps its URL segment
        (a twin that comes or goes moves it: move), feed id and first publication; a new one
        holds its segment among the meetings wanting it and gets its place (shared_url.placed,
        decision 110; the twins it displaces are moved before its page is written)."""
        if stored is None or stored.status == "removed":
            holders, _ = self.p.meetings.hold_segment(record.group, record.segment,
                                                      record.meeting, key)
            if outcome is not None and len(holders) > 1:
                outcome.placed.append(record.segment)
            if outcome is not None and shared_url.twinned(record.segment):
                outcome.placed.append(shared_url.twinned(record.segment))   # off its own -n
            segment = self.p.places(record.group, record.segment, holders)[record.meeting]
            record = record if segment == record.segment else record.moved_to(segment)
            return record if stored is None else record.with_changes(
                feed_id=stored.feed_id or record.feed_id, published=stored.published or record.published)
        if stored.segment != record.segment:
            record = record.moved_to(stored.segment)
        return record.with_changes(feed_id=stored.feed_id or record.feed_id,
                                   published=stored.published or record.published)

    # --- the site ----------------------------------------------------------------------

    def _apply(self, group: str, outcome: _Outcome, change, now: dt.datetime) -> None:
        p = self.p
        for segment in outcome.placed:   # twins displaced by a new section move first
            p.place_twins(group, segment, change, change.key, now)
        if outcome.written:
            for record in outcome.written:   # index renders them again once it has listed them
                p.site.put(meeting_file(p.renderer, record, *p.listings.neighbours(record)))
        for record in outcome.removed:
            p.site.delete_prefix(record.url_path.lstrip("/"))
        for record in outcome.removed:   # the twins after a meeting gone move up
            p._give_up(record, change, change.key, now)
        for record in outcome.unfinished:
            p.finish_removal(record, change, change.key, now)
        for record, action in ([(r, "upsert") for r in outcome.written]
                               + [(r, "delete") for r in outcome.removed + outcome.unfinished]):
            p.site_updates.send(SiteUpdate(group, record.meeting, action), dedup=change.sequencer)
        for record in outcome.written:
            if record.status == PUBLISHED:
                p.announce_once(group, record.meeting, change=change, when=now)

    def _listed(self, meetings, notes):
        for meeting, section in zip(meetings, notes.sections):
            yield {"line": section.line, "heading": section.heading,
                   "date": meeting.record.date.isoformat(),
                   "url": self.p.settings.page_url(meeting.record.url_path)}

    # --- a section moved by a twin of its URL (decision 110) ---------------------------

    def move(self, group: str, ident: str, segment: str, change, now: dt.datetime) -> None:
        """Publish the section at `segment` (a twin that sorts before it came or went): its
        record moved, on its holder file's guard; its page moved; the index told."""
        for _ in range(_ROUNDS):
            state = self.table.section(group, ident)
            if state.record is None or state.record.status == "removed" or not state.holders \
                    or state.record.segment == segment:
                return
            key = running_notes.holder(state.holders)
            meeting = keys.parse_key(key).meeting
            sequencer = self.p.meetings.lookup(group, meeting)[1].get(f"seq:{key}")
            if sequencer is None:
                return
            record = state.record.moved_to(segment)
            result = self.table.write(Guard(group, meeting, key, sequencer), group, ident,
                                      state=state, holders=list(state.holders), record=record)
            if result == WRITTEN:
                self._apply(group, _Outcome(written=[record]), change, now)
                self.p.site.delete_prefix(state.record.url_path.lstrip("/"))
                return
        raise RuntimeError(f"{group}/{ident} kept changing; the event will be retried")
