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
from ..check import Verdict as CheckVerdict, check_keyed, meeting_ident
from ..meeting import read_limit, unreadable_source
from ..problems import Problem, Rejected
from ..regular_file import NotRegularFile, kind_of, read_regular
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
        valid = self._checked(files, files, outcome)
        outcome.sent = [self._put(key, files[key]) for key in _upload_order(valid)]
        self._wait(outcome)
        return outcome

    def sync(self, root: Path, *, delete: bool = False) -> Outcome:
        scan = scan_local(root)
        local = scan.files
        remote = {k: etag for k, (etag, _) in self.bucket.listing(keys.PREFIX).items()
                  if _mirrored(k)}
        changed = {k: p for k, p in local.items() if not _same(k, p, remote.get(k))}
        outcome = Outcome(rejected_locally=list(scan.refused),
                          unchanged=sorted(set(local) - set(changed)))
        valid = self._checked(changed, local, outcome)
        outcome.sent = [self._put(key, local[key]) for key in _upload_order(valid)]
        # What is refused here is not gone: its key, or all under its folder, is kept.
        gone = sorted(k for k in set(remote) - set(local) if not scan.stands_for(k))
        if delete:
            # Attachments first, the minutes last: the last delete of a meeting removes it.
            outcome.sent += [self._delete(k) for k in sorted(gone, key=lambda k: k.endswith(".md"))]
        else:
            outcome.kept = gone
        self._wait(outcome)
        return outcome

    # --- steps -----------------------------------------------------------------------------

    def _checked(self, changed: dict[str, Path], local: dict[str, Path],
                 outcome: Outcome) -> list[str]:
        """The changed keys whose meeting passes the checks (the whole meeting is checked,
        unchanged files of a folder meeting too); the rest go to rejected_locally."""
        by_meeting: dict[str, dict[str, Path]] = defaultdict(dict)
        for key, path in local.items():   # ok.md and ok.MD together, as check_keyed groups
            by_meeting[meeting_ident(key)][key] = path
        touched = {meeting_ident(k) for k in changed}
        verdicts = check_keyed({k: p for m in sorted(touched) for k, p in by_meeting[m].items()})
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

    def _put(self, key: str, path: Path) -> Sent:
        return Sent(key, self.bucket.put(key, path.read_bytes()))

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


def _same(key: str, path: Path, etag: str | None) -> bool:
    """Whether the local file holds what the bucket's object (its ETag: the MD5) holds. A link,
    a file over its read limit (decided by its size: never read) or one that cannot be read
    counts as changed: the check then says what is wrong with it."""
    if etag is None or path.is_symlink():
        return False
    try:
        data, _ = read_regular(str(path), None if is_group_file(key) else read_limit(key))
    except OSError:
        return False
    return data is not None and etag == _md5(data)


def _md5(data: bytes) -> str:
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'
