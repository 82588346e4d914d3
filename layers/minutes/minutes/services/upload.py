"""`minutes upload` and `minutes sync`: a scribe's files into MinutesBucket, then the verdicts.

Check first, locally, with the publish rules: a meeting that would be rejected is not uploaded.
Then upload (attachments before the minutes, so the meeting is published whole) and wait for
each verdict: publish writes `reports/<key>.json` naming the version it answers, so a verdict
is ours when its version id is the one our upload or delete made.

sync mirrors a folder laid out like the bucket's minutes/ (`<group>/<date>-<topic>.md`, as
`minutes build` reads it): only files whose MD5 differs from the object's ETag are uploaded
(MinutesBucket is SSE-S3, where a single-part upload's ETag is its MD5); keys missing locally
are deleted only when asked.
"""
from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .. import keys
from ..group import is_group_file
from ..check import Verdict as CheckVerdict, check_keyed
from ..problems import Rejected
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

    def upload(self, files: dict[str, Path]) -> Outcome:
        """Check the meetings these files belong to; upload the files of the valid ones."""
        outcome = Outcome()
        valid = self._checked(files, files, outcome)
        outcome.sent = [self._put(key, files[key]) for key in _upload_order(valid)]
        self._wait(outcome)
        return outcome

    def sync(self, root: Path, *, delete: bool = False) -> Outcome:
        local = local_files(root)
        remote = {k: etag for k, (etag, _) in self.bucket.listing(keys.PREFIX).items()
                  if _mirrored(k)}
        changed = {k: p for k, p in local.items() if remote.get(k) != _md5(p)}
        outcome = Outcome(unchanged=sorted(set(local) - set(changed)))
        valid = self._checked(changed, local, outcome)
        outcome.sent = [self._put(key, local[key]) for key in _upload_order(valid)]
        gone = sorted(set(remote) - set(local))
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
        for key, path in local.items():
            by_meeting[meeting_of(key)][key] = path
        touched = {meeting_of(k) for k in changed}
        verdicts = check_keyed({k: p for m in sorted(touched) for k, p in by_meeting[m].items()})
        valid = []
        for verdict in verdicts:
            if verdict.valid:
                valid += [k for k, _ in verdict.paths if k in changed]
            else:
                outcome.rejected_locally.append(verdict)
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


def local_files(root: Path) -> dict[str, Path]:
    """Bucket key -> local file for every Markdown file and attachment under `root`, which is
    laid out like the bucket's minutes/ (hidden files and folders skipped)."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        key = keys.PREFIX + rel
        if _mirrored(key):
            found[key] = path
    return found


def _md5(path: Path) -> str:
    return '"' + hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() + '"'
