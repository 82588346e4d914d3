"""`minutes upload` and `minutes sync`: a scribe's files into MinutesBucket, then the verdicts.

Check first, locally, with the publish rules: a meeting that would be rejected is not uploaded.
Then upload (attachments before the minutes, so the meeting is published whole) and wait for
each verdict: publish writes `reports/<key>.json` naming the version it answers, so a verdict
is ours when its version id is the one our upload or delete made.

sync mirrors a folder laid out like the bucket's minutes/ (`<group>/<date>-<topic>.md`, as
`minutes build` reads it): only files whose MD5 differs from the object's ETag are uploaded
(MinutesBucket is SSE-S3, where a single-part upload's ETag is its MD5); keys missing locally
are deleted only when asked. What cannot be read as a file here (a symbolic link, a FIFO, a
folder named like minutes, a folder it cannot enter) is reported as `minutes check` reports it
and never counts as gone: sync deletes nothing it stands for (decision 93).
"""
from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import keys
from ..group import is_group_file
from ..check import (Verdict as CheckVerdict, attachments_beside, check_keyed, expand, local_source,
                     key_for, meeting_ident, refused_verdict, Walked)
from ..folder_walk import ALONE, MINUTES, alone, build_reads, holds_files, may_be_minutes, role, walk
from ..meeting import SourceFile, unreadable_source
from ..problems import Problem, Rejected
from ..regular_file import NotRegularFile, kind_of
from ..report import PUBLISHED, REJECTED, REMOVED, Verdict

ACCEPTED = {PUBLISHED, "draft", "upcoming"}


@dataclass(frozen=True)
class Sent:
    """One upload or delete we made, and the verdict publish gave it (None: none came)."""
    key: str
    version_id: str | None
    removed: bool = False
    verdict: Verdict | None = None


@dataclass
class Outcome:
    rejected_locally: list[CheckVerdict] = field(default_factory=list)   # never uploaded
    sent: list[Sent] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)   # in the bucket, not here, no --delete
    # (local path, why) of files of valid meetings that publish would not publish (over the
    # attachment limit): never read whole, never uploaded (decision 93)
    held_back: list[tuple[str, Problem]] = field(default_factory=list)
    # keys of held-back files whose older copy stays in the bucket (no --delete): published
    # still, though a build of the folder leaves them out (decision 100)
    outdated: list[str] = field(default_factory=list)

    @property
    def answered(self) -> list[Sent]:
        return [s for s in self.sent if s.verdict is not None]

    def count(self, *statuses: str) -> int:
        return sum(s.verdict.status in statuses for s in self.answered)

    @property
    def waiting(self) -> list[Sent]:
        return [s for s in self.sent if s.verdict is None and _awaited(s, self.sent)]

    @property
    def ok(self) -> bool:
        return not self.rejected_locally and not self.count(REJECTED) and not self.waiting

    def summary(self) -> str:
        return (f"{self.count(*ACCEPTED)} published, "
                f"{self.count(REJECTED) + len(self.rejected_locally)} rejected "
                f"({len(self.rejected_locally)} before upload), {self.count(REMOVED)} removed, "
                f"{len(self.unchanged)} unchanged, {len(self.kept)} only in the bucket (kept)"
                + (f", {len(self.outdated)} outdated in the bucket (kept)" if self.outdated else "")
                + (f", {len(self.waiting)} without a verdict yet" if self.waiting else ""))


class Uploader:
    """Talks to the bucket through `bucket` (aws.s3.ScribeBucket): put, delete, listing,
    get_report. `sleep` and `clock` are injected so tests do not wait."""

    def __init__(self, bucket, *, wait_seconds: float = 300, poll_seconds: float = 2,
                 sleep=time.sleep, clock=time.monotonic):
        self.bucket = bucket
        self.wait_seconds, self.poll_seconds = wait_seconds, poll_seconds
        self._sleep, self._clock = sleep, clock

    def upload(self, files: dict[str, Path], refused: list[CheckVerdict] = (),
               named: dict[str, Path] | None = None) -> Outcome:
        """Check the meetings these files belong to; upload the files of the valid ones.
        `refused`: verdicts on what was found but cannot be read as a file (never uploaded);
        `named`: files checked with their meeting, as build reads them, never uploaded (a
        meeting folder's `NOTES.md.tmp`: build's attachment-type warning)."""
        outcome = Outcome(rejected_locally=list(refused))
        self._send(files, None, outcome, named or {})
        self._wait(outcome)
        return outcome

    def sync(self, root: Path, *, delete: bool = False) -> Outcome:
        scan = scan_local(root)
        local = scan.files
        remote = {k: etag for k, (etag, _) in self.bucket.listing(keys.PREFIX).items()
                  if _mirrored(k)}
        outcome = Outcome(rejected_locally=list(scan.refused))
        self._send(local, remote, outcome, scan.named)
        # What is refused here is not gone: its key, or all under its folder, is kept.
        gone = sorted(k for k in set(remote) - set(local) if not scan.stands_for(k))
        # A file held back (over the attachment limit) whose older copy is in the bucket: that
        # copy is not what the folder holds, and a build of the folder does not publish it.
        # (One part of no meeting is published from neither: kept, as the folder holds it.)
        outdated = sorted(p.file for _, p in outcome.held_back if p.file in remote and p.code != ALONE)
        if delete:
            # Attachments first, the minutes last: the last delete of a meeting removes it.
            outcome.sent += [self._delete(k) for k in
                             sorted(gone + outdated, key=lambda k: k.endswith(".md"))]
        else:
            outcome.kept, outcome.outdated = gone, outdated
        self._wait(outcome)
        return outcome

    # --- steps -----------------------------------------------------------------------------

    def _send(self, local: dict[str, Path], remote: dict[str, str] | None,
              outcome: Outcome, named: dict[str, Path]) -> None:
        """Meeting by meeting (group.yaml files first): read each file once, and if any differs
        from the bucket's copy (`remote`: key -> ETag; None: upload all), check the meeting
        from those bytes and upload those bytes, so what goes up is what was checked. One
        meeting's files are held at a time, as the check holds them. `named`: files checked
        with their meeting, as build reads them, never uploaded (LocalScan.named)."""
        for meeting in _by_meeting({**named, **local}):
            read = {k: source for k in meeting if (source := _read(k, meeting[k])) is not None}
            mine = {k for k in meeting if k not in named}
            changed = {k for k in mine if remote is None or not _same(read.get(k), remote.get(k))}
            outcome.unchanged += sorted(mine - changed)
            # A file build rejects for its key alone (a name not in UTF-8) is never uploaded,
            # so never changed: its meeting is checked each time, as each build rejects it; so
            # is a meeting of named files alone (a dated folder's notes.txt: no-documents), and
            # an attachment part of no meeting (attachment-alone), as each build warns of it.
            if changed or not mine or any(keys.SURROGATE.search(k) for k in meeting if k in named) \
                    or any(alone(k[len(keys.PREFIX):]) for k in mine):
                valid = self._checked(changed, meeting, outcome, read)
                outcome.sent += [self._put(k, meeting[k], read.get(k)) for k in _upload_order(valid)]
        outcome.unchanged.sort()

    def _checked(self, changed: set[str], meeting: dict[str, Path], outcome: Outcome,
                 read: dict[str, SourceFile]) -> list[str]:
        """The changed keys whose meeting passes the checks (the whole meeting is checked,
        unchanged files of a folder meeting too); the rest go to rejected_locally."""
        verdicts = check_keyed(meeting, read=read)
        valid = []
        for verdict in verdicts:
            if not verdict.valid:
                outcome.rejected_locally.append(verdict)
                continue
            # publish would not publish these (decided by their size, never read): not sent
            # nor these, which build names and never reads (only `named`: never sent)
            unpublished = {p.file: p for p in verdict.problems
                           if p.code in ("attachment-too-large", "attachment-type", ALONE)}
            outcome.held_back += [(path, unpublished[k]) for k, path in verdict.paths
                                  if k in unpublished]
            valid += [k for k, _ in verdict.paths if k in changed and k not in unpublished]
        return valid

    def _put(self, key: str, path: Path, source: SourceFile | None) -> Sent:
        # The bytes checked; a file whose bytes no check reads (a type the site does not serve,
        # given to `upload --key`) is read here.
        read = source is not None and source.size is None
        return Sent(key, self.bucket.put(key, source.data if read else path.read_bytes()))

    def _delete(self, key: str) -> Sent:
        return Sent(key, self.bucket.delete(key), removed=True)

    def _wait(self, outcome: Outcome) -> None:
        """Poll the reports until every awaited key has its verdict, or time runs out."""
        deadline = self._clock() + self.wait_seconds
        while True:
            outcome.sent = [s if s.verdict or not _awaited(s, outcome.sent) else
                            Sent(s.key, s.version_id, s.removed, self._verdict(s))
                            for s in outcome.sent]
            if not [s for s in outcome.sent if s.verdict is None and _awaited(s, outcome.sent)] \
                    or self._clock() >= deadline:
                return
            self._sleep(min(self.poll_seconds, max(deadline - self._clock(), 0)))

    def _verdict(self, sent: Sent) -> Verdict | None:
        report = self.bucket.get_report(sent.key)
        if not report or (sent.version_id and report.get("version_id") != sent.version_id):
            return None
        return Verdict.from_dict(report)


def _awaited(sent: Sent, everything: list[Sent] | None = None) -> bool:
    """Publish answers every Markdown key and group.yaml; an attachment only when its meeting has minutes
    already (one uploaded or deleted with it is answered through the minutes' key), never one
    part of no meeting (folder_walk.alone: `sync --delete` of `g/deck.pdf`; publish has no
    meeting to take down, and sync waited the whole --wait for a report never written)."""
    if unanswered(sent.key):
        return False
    if sent.key.lower().endswith(".md"):
        return True
    if is_group_file(sent.key):
        return True    # publish checks group.yaml too, and reports on it
    if everything is None:
        return False
    meeting = meeting_of(sent.key)
    return not any(s.key.lower().endswith(".md") and meeting_of(s.key) == meeting
                   for s in everything)


def unanswered(key: str) -> bool:
    """Whether publish writes no verdict for this key: an attachment part of no meeting,
    which no build publishes (decision 118)."""
    return key.startswith(keys.PREFIX) and alone(key[len(keys.PREFIX):])


def _by_meeting(files: dict[str, Path]) -> list[dict[str, Path]]:
    """The files by meeting as check_keyed groups them (ok.md and ok.MD together), each
    group.yaml alone and first (a group's name is known before its meetings publish)."""
    grouped: dict[str, dict[str, Path]] = defaultdict(dict)
    for key, path in sorted(files.items()):
        grouped[meeting_ident(key)][key] = path
    return sorted(grouped.values(), key=lambda found: not any(map(is_group_file, found)))


def _read(key: str, path: Path) -> SourceFile | None:
    """The file as the check reads it; None for a link (never followed: the check rejects it)
    or a file that cannot be read, nor even looked at (the check says why)."""
    try:
        return None if path.is_symlink() else local_source(key, path)
    except OSError:
        return None


def _upload_order(keys_: list[str]) -> list[str]:
    """Attachments first, then the minutes: a folder meeting is published with its files."""
    return sorted(keys_, key=lambda k: (k.lower().endswith(".md"), k))


def meeting_of(key: str) -> str:
    """The meeting a key belongs to: its folder for a folder meeting, else the key itself."""
    try:
        parsed = keys.parse_key(key)
    except Rejected:
        return key
    return parsed.meeting_prefix if parsed.is_folder else key


def _mirrored(key: str) -> bool:
    """What sync manages: Markdown, the attachment types the site serves, group.yaml."""
    return key.lower().endswith(".md") or bool(keys.attachment_type(key)) or is_group_file(key)


@dataclass
class LocalScan:
    """What sync found under its folder: `files` (key -> path: regular files, and symbolic
    links, which the check rejects as `minutes check` does), and `refused`: a verdict on each
    entry that cannot be read as a file (a FIFO, a folder named like minutes, a linked or
    unreadable folder), whose key (a folder's ends with '/') stands for what the bucket holds
    there."""
    files: dict[str, Path] = field(default_factory=dict)
    refused: list[CheckVerdict] = field(default_factory=list)
    # key -> path of each other file build reads as part of a meeting (a meeting folder's
    # `NOTES.md.tmp`, a name not in UTF-8): checked with it, as build reads it, never uploaded
    named: dict[str, Path] = field(default_factory=dict)
    # folders given to `upload DIR` that hold nothing it would check or send (decision 118)
    empty: list[Path] = field(default_factory=list)

    def stands_for(self, key: str) -> bool:
        return any(key == v.key or v.key.endswith("/") and key.startswith(v.key)
                   for v in self.refused)


def scan_local(root: Path) -> LocalScan:
    """Every Markdown file, attachment and group.yaml under `root`, which is laid out like the
    bucket's minutes/ (folder_walk: hidden files and folders skipped, linked folders and
    folders named as files not entered), by bucket key; and what is refused: each folder not
    entered, and anything not a regular file that build would read (folder_walk.build_reads:
    a FIFO `deck.pdf` outside a meeting folder is left alone, as build leaves it)."""
    scan = LocalScan()

    def refuse(rel: str, failed: OSError) -> None:
        key = keys.PREFIX + rel
        path = root / rel.rstrip("/") if rel else root
        scan.refused.append(CheckVerdict(str(path), key, (unreadable_source(key, failed),), None,
                                         ((key, str(path)),)))

    odd: list = []
    try:
        found = walk(str(root), odd)
    except (FileNotFoundError, NotADirectoryError):   # gone: as deleted
        found = []
    except OSError as failed:   # the folder itself cannot be listed: it stands for every key
        found = []
        refuse("", failed)
    for rel in found:
        key = keys.PREFIX + rel
        if _mirrored(key):
            scan.files[key] = root / rel
        elif _in_a_meeting(key):
            scan.named[key] = root / rel
    for rel, failed in sorted(odd, key=lambda entry: entry[0].split("/")):
        if holds_files(rel, failed) or build_reads(rel):   # what sync would mirror, as build reads it
            refuse(rel, failed)
    scan.files = dict(sorted(scan.files.items()))
    return scan


def scan_paths(paths: list[Path]) -> LocalScan:
    """What `minutes upload PATH...` sends, keyed as `minutes check` keys it: each file given,
    the Markdown files and group.yaml under each folder given (check.expand, on folder_walk),
    and a folder meeting's other files as build reads them (check.attachments_beside): its
    attachments, and any symbolic link (rejected by the check), go up with its minutes; a file
    of a type the site does not serve is only checked (`named`: build's attachment-type
    warning); what cannot be read as a file is refused, as check refuses it."""
    scan = LocalScan()
    for given in paths:
        walked = Walked(given) if given.is_dir() else None
        refused: list = []   # a FIFO, a linked folder...: reported as check reports them (decision 93)
        folders = set()   # meeting folders whose files are sorted (_beside)
        found = expand([given], refused)
        if walked and not found and not refused:
            scan.empty.append(given)
        for path in found:
            key = walked.key(path) if walked else key_for(path)
            in_folder = not is_group_file(key) and _is_folder_meeting(key)
            if not in_folder or role(path.name) == MINUTES:
                scan.files[key] = path
            if in_folder and (folder := key.rsplit("/", 1)[0]) not in folders:
                folders.add(folder)   # a folder with no Markdown too: rejected by the check
                _beside(path, folder, scan, refused)
        scan.refused += [refused_verdict(path, failed, walked) for path, failed in refused]
    return scan


def _beside(path: Path, folder: str, scan: LocalScan, refused: list) -> None:
    for beside in attachments_beside(path):
        key = f"{folder}/{beside.name}"
        if beside.is_symlink() or keys.attachment_type(beside.name) and beside.is_file():
            scan.files[key] = beside
        elif beside.is_file():
            scan.named[key] = beside
        else:   # a FIFO or device named as an attachment: refused on its own, as build does
            try:
                refused.append((beside, NotRegularFile(str(beside), kind_of(beside.lstat().st_mode))))
            except FileNotFoundError:   # gone since listed: as deleted
                continue


def _is_folder_meeting(key: str) -> bool:
    try:
        return keys.parse_key(key).is_folder
    except Rejected:   # the check says why
        return False


def _in_a_meeting(key: str) -> bool:
    """Whether build reads the file at `key` as part of a meeting (a folder meeting's, or a
    meeting of its own when its key is refused and it would be part of one: build rejects it,
    as the check then does)."""
    try:
        parsed = keys.parse_key(key)
    except Rejected:
        return may_be_minutes(key[len(keys.PREFIX):])
    return parsed.is_folder


def _same(source: SourceFile | None, etag: str | None) -> bool:
    """Whether the local file holds what the bucket's object (its ETag: the MD5) holds. A link,
    a file over its read limit (decided by its size: never read) or one that cannot be read
    counts as changed: the check then says what is wrong with it."""
    return (etag is not None and source is not None and source.size is None
            and etag == _md5(source.data))


def _md5(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
