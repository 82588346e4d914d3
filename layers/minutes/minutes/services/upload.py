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

import errno
import hashlib
import os
import stat
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import keys
from ..group import is_group_file
from ..check import Verdict as CheckVerdict, check_keyed, local_source, meeting_ident
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

    def upload(self, files: dict[str, Path], refused: list[CheckVerdict] = ()) -> Outcome:
        """Check the meetings these files belong to; upload the files of the valid ones.
        `refused`: verdicts on what was found but cannot be read as a file (never uploaded)."""
        outcome = Outcome(rejected_locally=list(refused))
        self._send(files, None, outcome)
        self._wait(outcome)
        return outcome

    def sync(self, root: Path, *, delete: bool = False) -> Outcome:
        scan = scan_local(root)
        local = scan.files
        remote = {k: etag for k, (etag, _) in self.bucket.listing(keys.PREFIX).items()
                  if _mirrored(k)}
        outcome = Outcome(rejected_locally=list(scan.refused))
        self._send(local, remote, outcome)
        # What is refused here is not gone: its key, or all under its folder, is kept.
        gone = sorted(k for k in set(remote) - set(local) if not scan.stands_for(k))
        # A file held back (over the attachment limit) whose older copy is in the bucket: that
        # copy is not what the folder holds, and a build of the folder does not publish it.
        outdated = sorted(p.file for _, p in outcome.held_back if p.file in remote)
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
              outcome: Outcome) -> None:
        """Meeting by meeting (group.yaml files first): read each file once, and if any differs
        from the bucket's copy (`remote`: key -> ETag; None: upload all), check the meeting
        from those bytes and upload those bytes, so what goes up is what was checked. One
        meeting's files are held at a time, as the check holds them."""
        for meeting in _by_meeting(local):
            read = {k: source for k in meeting if (source := _read(k, meeting[k])) is not None}
            changed = {k for k in meeting if remote is None or not _same(read.get(k), remote.get(k))}
            outcome.unchanged += sorted(set(meeting) - changed)
            if changed:
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
            unpublished = {p.file: p for p in verdict.problems if p.code == "attachment-too-large"}
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
    already (one uploaded or deleted with it is answered through the minutes' key)."""
    if sent.key.lower().endswith(".md"):
        return True
    if is_group_file(sent.key):
        return True    # publish checks group.yaml too, and reports on it
    if everything is None:
        return False
    meeting = meeting_of(sent.key)
    return not any(s.key.lower().endswith(".md") and meeting_of(s.key) == meeting
                   for s in everything)


def _by_meeting(files: dict[str, Path]) -> list[dict[str, Path]]:
    """The files by meeting as check_keyed groups them (ok.md and ok.MD together), each
    group.yaml alone and first (a group's name is known before its meetings publish)."""
    grouped: dict[str, dict[str, Path]] = defaultdict(dict)
    for key, path in sorted(files.items()):
        grouped[meeting_ident(key)][key] = path
    return sorted(grouped.values(), key=lambda found: not any(map(is_group_file, found)))


def _read(key: str, path: Path) -> SourceFile | None:
    """The file as the check reads it; None for a link (never followed: the check rejects it)
    or a file that cannot be read (the check says why)."""
    if path.is_symlink():
        return None
    try:
        return local_source(key, path)
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

    def stands_for(self, key: str) -> bool:
        return any(key == v.key or v.key.endswith("/") and key.startswith(v.key)
                   for v in self.refused)


def scan_local(root: Path) -> LocalScan:
    """Every Markdown file, attachment and group.yaml under `root`, which is laid out like the
    bucket's minutes/ (hidden files and folders skipped), by bucket key; and what is refused.
    Linked folders are not entered (os.walk lists them, does not follow them)."""
    scan = LocalScan()

    def key_of(path: Path, folder: bool = False) -> str:
        rel = path.relative_to(root).as_posix()
        return keys.PREFIX + ("" if rel == "." else rel + "/" if folder else rel)

    def refuse(path: Path, failed: OSError, folder: bool) -> None:
        key = key_of(path, folder)
        scan.refused.append(CheckVerdict(str(path), key, (unreadable_source(key, failed),), None,
                                         ((key, str(path)),)))

    def unreadable(failed: OSError) -> None:
        if not isinstance(failed, (FileNotFoundError, NotADirectoryError)):   # gone: as deleted
            refuse(Path(failed.filename), failed, folder=True)

    for where, dirs, names in os.walk(root, onerror=unreadable):
        here = Path(where)
        for name in sorted(dirs):
            path = here / name
            if name.startswith("."):
                dirs.remove(name)
            elif path.is_symlink():
                refuse(path, OSError(errno.ELOOP, "a symbolic link", str(path)), folder=True)
            elif _mirrored(key_of(path)):   # a folder named like minutes (x.md): not entered
                dirs.remove(name)
                refuse(path, NotRegularFile(str(path), "a folder"), folder=False)
        for name in sorted(names):
            path = here / name
            key = key_of(path)
            if name.startswith(".") or not _mirrored(key):
                continue
            try:
                mode = path.lstat().st_mode
            except FileNotFoundError:   # gone since listed: as deleted
                continue
            if stat.S_ISREG(mode) or stat.S_ISLNK(mode):
                scan.files[key] = path
            else:
                refuse(path, NotRegularFile(str(path), kind_of(mode)), folder=False)
    scan.files = dict(sorted(scan.files.items()))
    return scan


def _same(source: SourceFile | None, etag: str | None) -> bool:
    """Whether the local file holds what the bucket's object (its ETag: the MD5) holds. A link,
    a file over its read limit (decided by its size: never read) or one that cannot be read
    counts as changed: the check then says what is wrong with it."""
    return (etag is not None and source is not None and source.size is None
            and etag == _md5(source.data))


def _md5(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
