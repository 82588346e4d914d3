"""The soak: a seeded random run of what scribes and AWS do, then the invariants of DESIGN.md.

Scribes upload, edit, rename and delete file meetings and folder meetings (NOTES.md,
AGENDA.md, a PDF or PNG attachment), turn drafts on and off; AWS delivers the S3 events late,
out of order and more than once, and redelivers SQS messages. Everything runs on the emulated
stack (LocalCloud on moto) through the real handlers. At the end (`Soak.settle()` then
`check_*`):

- the SiteBucket equals a fresh `minutes build` of the sources still in the MinutesBucket,
  byte for byte, except the times of first publication and last change (see
  BUILD_TIME_FIELDS: the pipeline knows when it published, a stateless build does not);
- every confirmed subscriber got exactly one email per announced meeting of their groups,
  every published meeting was announced, and nobody got anything else;
- no dead-letter queue or failure destination holds anything.

A failing run prints its seed; `SOAK_SEED=<seed> make soak` replays it exactly.
"""
from __future__ import annotations

import dataclasses
import json
import random
import re
import struct
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.aws import SITE_URL, Harness, outbox
from tests.support.corpus import corpus_files

GROUPS = ("openxla", "onnx-infra", "rust-lang")
# address -> groups ("*" = every group); the digest reader must get no per-meeting email.
SUBSCRIBERS = {"ada@example.org": ("openxla",), "grace@example.org": ("*",),
               "lin@example.org": ("rust-lang", "onnx-infra")}
DIGEST_READER = ("bob@example.org", ("openxla",))
DEAD_LETTER_QUEUES = ("SiteUpdatesDeadLetterQueue", "NotificationsDeadLetterQueue",
                      "PublishFailuresQueue", "DigestDeadLetterQueue", "DigestFailuresQueue",
                      "BouncesFailuresQueue")

# The only bytes a fresh build may not reproduce: when the pipeline first published and last
# changed a meeting (a stateless build uses the meeting's date for both). Each pattern keeps
# the field and blanks its value, so any other difference still fails the comparison.
BUILD_TIME_FIELDS = (
    re.compile(rb'(<meta property="article:(?:published|modified)_time" content=")[^"]*'),
    re.compile(rb"(<(?:updated|published|pubDate|lastBuildDate|lastmod)>)[^<]*"),
    re.compile(rb"(\n(?:DTSTAMP|CREATED|LAST-MODIFIED):)[^\r\n]*"),
)


def without_build_times(data: bytes) -> bytes:
    for pattern in BUILD_TIME_FIELDS:
        data = pattern.sub(rb"\1~", data)
    return data


def tiny_png(seed: int) -> bytes:
    """A real 1x1 PNG whose colour depends on `seed` (a different file per version)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixel = bytes([0, seed % 256, (seed // 256) % 256, 200])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixel)) + chunk(b"IEND", b""))


def tiny_pdf(seed: int) -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            + f"% slides revision {seed}\n".encode() + b"trailer << /Root 1 0 R >>\n%%EOF\n")


def minutes_pool(max_bytes: int = 16_000) -> list[bytes]:
    """Real minutes from the corpus, as scribes wrote them. Files with front matter are left
    out: their own `date:` would compete with the key's date the soak chooses."""
    pool = []
    for key, path in corpus_files().items():
        data = path.read_bytes()
        if key.endswith(".md") and len(data) <= max_bytes and not data.lstrip().startswith(b"---"):
            pool.append(data)
    return pool


DRAFT = b"---\ndraft: true\n---\n"


def as_draft(body: bytes) -> bytes:
    return DRAFT + body


@dataclass
class Meeting:
    group: str
    name: str              # the meeting path under the group: "2022-03-14-sync-7"
    folder: bool

    def key(self, file: str = "") -> str:
        return f"minutes/{self.group}/{self.name}/{file}" if self.folder else \
            f"minutes/{self.group}/{self.name}.md"


@dataclass
class SoakLog:
    ops: Counter = field(default_factory=Counter)
    deliveries: Counter = field(default_factory=Counter)
    verdicts: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"ops {dict(sorted(self.ops.items()))}; deliveries {dict(sorted(self.deliveries.items()))};"
                f" verdicts {dict(sorted(self.verdicts.items()))}")


class Soak:
    """One seeded run. `run(n)` makes n random steps; `settle()` delivers everything left."""

    def __init__(self, harness: Harness, seed: int):
        self.h, self.seed = harness, seed
        self.rng = random.Random(seed)
        self.pool = minutes_pool()
        self.meetings: list[Meeting] = []        # every meeting ever made (names never reused)
        self.sources: dict[str, bytes] = {}      # what the MinutesBucket holds now, by key
        self.pending: list[dict] = []            # S3 events not delivered yet
        self.delivered: list[dict] = []          # S3 events delivered at least once
        self.log = SoakLog()
        self.history: list[str] = []             # what happened, in order, to explain a failure
        self._names = 0
        self._versions = 0
        for address, groups in SUBSCRIBERS.items():
            harness.subscribe(address, list(groups))
        address, groups = DIGEST_READER
        harness.subscribe(address, list(groups))
        for group in groups:
            harness.table("SubscribersTable").update_item(
                Key={"group": group, "email": address}, UpdateExpression="SET #m = :d",
                ExpressionAttributeNames={"#m": "mode"}, ExpressionAttributeValues={":d": "digest"})

    # --- the sources: what is in the bucket now ------------------------------------------

    def live_keys(self, meeting: Meeting) -> list[str]:
        prefix = meeting.key()
        return sorted(k for k in self.sources if k == prefix or (meeting.folder and k.startswith(prefix)))

    def _body(self, *, draft: bool = False) -> bytes:
        body = self.rng.choice(self.pool)
        return as_draft(body) if draft else body

    def _new_meeting(self, *, folder: bool) -> Meeting:
        self._names += 1
        year, month, day = self.rng.randint(2021, 2023), self.rng.randint(1, 12), self.rng.randint(1, 28)
        word = self.rng.choice(("sync", "community-meeting", "planning", "triage", "design"))
        meeting = Meeting(self.rng.choice(GROUPS), f"{year}-{month:02d}-{day:02d}-{word}-{self._names}",
                          folder)
        self.meetings.append(meeting)
        return meeting

    def _put(self, key: str, body: bytes) -> None:
        event = self.h.put_event(key, body)
        self.pending.append(event)
        self.sources[key] = body
        self.history.append(f"put {key} {_sequencer(event)}{' draft' if body.startswith(DRAFT) else ''}")

    def _delete(self, key: str) -> None:
        event = self.h.delete_event(key)
        self.pending.append(event)
        del self.sources[key]
        self.history.append(f"delete {key} {_sequencer(event)}")

    def _attachment(self) -> tuple[str, bytes]:
        self._versions += 1
        if self.rng.random() < 0.5:
            return self.rng.choice(("slides.pdf", "[Public] Slides 2022.9.20.pdf")), tiny_pdf(self._versions)
        return self.rng.choice(("diagram.png", "whiteboard photo.png")), tiny_png(self._versions)

    # --- scribes -------------------------------------------------------------------------

    def op_new_file(self) -> None:
        meeting = self._new_meeting(folder=False)
        self._put(meeting.key(), self._body(draft=self.rng.random() < 0.15))

    def op_new_folder(self) -> None:
        meeting = self._new_meeting(folder=True)
        files = []
        if self.rng.random() < 0.85:
            files.append(("NOTES.md", self._body(draft=self.rng.random() < 0.15)))
        if self.rng.random() < 0.5 or not files:
            files.append(("AGENDA.md", self._body()))
        if self.rng.random() < 0.5:
            files.append(self._attachment())
        self.rng.shuffle(files)   # folder files arrive in any order
        for name, body in files:
            self._put(meeting.key(name), body)

    def op_edit(self) -> None:
        """Re-upload one document of a live meeting (a correction), sometimes as a draft."""
        key = self._pick_live(lambda k: k.endswith(".md"))
        if key:
            self._put(key, self._body(draft=self.rng.random() < 0.2))

    def op_undraft(self) -> None:
        """A draft made final: the same text without `draft: true`."""
        drafts = [k for k, body in self.sources.items() if body.startswith(DRAFT)]
        if drafts:
            key = self.rng.choice(sorted(drafts))
            self._put(key, self.sources[key][len(DRAFT):])

    def op_attach(self) -> None:
        meeting = self._pick_meeting(lambda m: m.folder and self.live_keys(m))
        if meeting:
            name, body = self._attachment()
            self._put(meeting.key(name), body)

    def op_delete_file(self) -> None:
        """Delete one file: a file meeting, or a folder's notes, agenda or attachment."""
        key = self._pick_live(lambda k: True)
        if key:
            self._delete(key)

    def op_delete_meeting(self) -> None:
        meeting = self._pick_meeting(lambda m: self.live_keys(m))
        if meeting:
            keys = self.live_keys(meeting)
            self.rng.shuffle(keys)
            for key in keys:
                self._delete(key)

    def op_rename(self) -> None:
        """A rename is a delete and an upload under a new key (S3 has no rename)."""
        old = self._pick_meeting(lambda m: self.live_keys(m))
        if not old:
            return
        new = self._new_meeting(folder=old.folder)
        new.group = old.group if self.rng.random() < 0.7 else new.group
        for key in self.live_keys(old):
            body = self.sources[key]
            self._delete(key)
            self._put(new.key(key[len(old.key()):]) if old.folder else new.key(), body)

    def op_reupload_deleted(self) -> None:
        """A deleted file meeting comes back (its URL and feed id come back with it)."""
        meeting = self._pick_meeting(lambda m: not m.folder and not self.live_keys(m))
        if meeting:
            self._put(meeting.key(), self._body())

    def _pick_live(self, wanted) -> str | None:
        keys = sorted(k for k in self.sources if wanted(k))
        return self.rng.choice(keys) if keys else None

    def _pick_meeting(self, wanted) -> Meeting | None:
        found = [m for m in self.meetings if wanted(m)]
        return self.rng.choice(found) if found else None

    # --- AWS -----------------------------------------------------------------------------

    def deliver_next(self) -> None:
        """S3 delivers mostly in order, sometimes a later event first."""
        if not self.pending:
            return
        at = 0 if self.rng.random() < 0.6 else self.rng.randrange(len(self.pending))
        self.log.deliveries["reordered" if at else "in-order"] += 1
        self._deliver(self.pending.pop(at))

    def deliver_again(self) -> None:
        """At-least-once: an event already delivered comes again (maybe much later)."""
        if self.delivered:
            self.log.deliveries["duplicate"] += 1
            self._deliver(self.rng.choice(self.delivered))

    def _deliver(self, event: dict) -> None:
        failures = len(self.h.cloud.failures)
        self.h.cloud.invoke_async("PublishFunction", event)
        record = event["Records"][0]
        report = self.h.report_status(record["s3"]["object"]["key"])
        self.log.verdicts[str(report)] += 1
        self.history.append(f"  deliver {record['eventName']} {record['s3']['object']['key']} "
                            f"{_sequencer(event)} -> {report}"
                            f"{' FAILED' if len(self.h.cloud.failures) > failures else ''}")
        if event not in self.delivered:
            self.delivered.append(event)

    def drain(self) -> None:
        self.log.deliveries["drain"] += 1
        self.history.append("  drain")
        self.h.drain()

    def redeliver_queue(self) -> None:
        """SQS delivers a message again: it is processed, then shows up once more."""
        queue = self.rng.choice(("SiteUpdatesQueue", "NotificationsQueue"))
        if self.h.redeliver(queue):
            self.log.deliveries[f"redelivered {queue}"] += 1

    # --- the run -------------------------------------------------------------------------

    SCRIBE_OPS = {"op_new_file": 8, "op_new_folder": 5, "op_edit": 8, "op_undraft": 3,
                  "op_attach": 3, "op_delete_file": 4, "op_delete_meeting": 3, "op_rename": 3,
                  "op_reupload_deleted": 2}
    AWS_OPS = {"deliver_next": 16, "deliver_again": 4, "drain": 3, "redeliver_queue": 2}

    def run(self, steps: int) -> None:
        ops = {**self.SCRIBE_OPS, **self.AWS_OPS}
        names, weights = list(ops), list(ops.values())
        for _ in range(steps):
            name = self.rng.choices(names, weights)[0]
            if name in self.SCRIBE_OPS:
                self.log.ops[name] += 1
            getattr(self, name)()

    def settle(self) -> None:
        """Deliver what is left in random order, a few duplicates more, then drain."""
        self.rng.shuffle(self.pending)
        while self.pending:
            self._deliver(self.pending.pop())
            if self.rng.random() < 0.2:
                self.deliver_again()
        for _ in range(3):
            self.deliver_again()
        self.redeliver_queue()
        self.h.drain()

    # --- the invariants ------------------------------------------------------------------

    def site_differences(self) -> list[str]:
        """What differs between the SiteBucket and a fresh build (empty when none)."""
        stored = self.h.source_objects()
        assert stored == self.sources, "the MinutesBucket holds what the scribes left"
        return site_differences(self.h)

    def email_differences(self) -> list[str]:
        return email_differences(self.h)

    def dead_letters(self) -> list[str]:
        found = [f"{q}: {self.h.queue_bodies(q)}" for q in DEAD_LETTER_QUEUES
                 if q in self.h.cloud.stack.refs and self.h.queue_depth(q)]
        found += [f"failed invocation: {f['function']}: {f['error']}" for f in self.h.cloud.failures]
        return found

    def story(self, text: str) -> list[str]:
        """The history lines that mention `text` (a meeting name), to explain a failure."""
        return [line for line in self.history if text in line or line.strip() == "drain"]

    def leftovers(self) -> list[str]:
        return [f"{q} not drained" for q in ("SiteUpdatesQueue", "NotificationsQueue")
                if self.h.queue_depth(q)]


def email_differences(harness: Harness, *, every_published_announced: bool = True,
                      lost: set[tuple[str, str, str]] = frozenset()) -> list[str]:
    """Exactly one email per (announced meeting, subscriber of its group); nothing else; and
    (unless the sources may say `notify: false`) every published meeting announced. `lost`:
    (address, group, meeting) that may have none (notify died between its claim and the send:
    at most once, services/notify.py)."""
    # Every page: a long run's table is more than one Scan page (1 MB).
    items = [i for i in harness.items("MeetingsTable")
             if "segment" in i]   # not the guards a delete of an unpublished key leaves
    by_url = {f"{SITE_URL}/{i['group']}/{i['segment']}/": (i["group"], i["meeting"]) for i in items}
    got: Counter = Counter()
    problems = []
    for message in outbox():
        text = message.get_body(("plain",)).get_content()
        found = {by_url[u] for u in re.findall(re.escape(SITE_URL) + r"/[^\s/]+/[^\s/]+/", text)
                 if u in by_url}
        if len(found) != 1:
            problems.append(f"an email names {len(found)} meetings: {message['Subject']}")
            continue
        got[(str(message["To"]), *found.pop())] += 1
    expected: Counter = Counter()
    at_most_once = set(lost)
    for item in items:
        if every_published_announced and item.get("status") == "published" \
                and "announced_at" not in item:
            problems.append(f"published but never announced: {item['group']}/{item['meeting']}")
        if item.get("announce_pending"):
            problems.append(f"announcement claimed, never queued: {item['group']}/{item['meeting']}")
        readers = [(address, item["group"], item["meeting"]) for address, groups in SUBSCRIBERS.items()
                   if "*" in groups or item["group"] in groups]
        if "announced_at" in item:
            expected.update({who: 1 for who in readers})
        else:
            # Unpublished while its emails were going out: notify gave the mark back (its next
            # publication announces it), and the readers served before that have their one
            # email (a delivery claim keeps the next announcement from sending it again).
            at_most_once.update(readers)
    for who in sorted(expected.keys() | got.keys()):
        if who in at_most_once and got[who] <= 1:
            continue
        if expected[who] != got[who]:
            problems.append(f"{who}: {got[who]} emails, expected {expected[who]}")
    return problems


def fresh_build(harness: Harness, workdir: Path) -> dict[str, bytes]:
    """A fresh `minutes build` of the sources in the MinutesBucket now, as the deployed site is
    configured (site URL, subscribe form): site key -> bytes."""
    src, out = workdir / "src", workdir / "site"
    src.mkdir(parents=True)
    for key, body in harness.source_objects().items():
        target = src / key[len("minutes/"):]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return build_of(harness, src, out)


def build_of(harness: Harness, src: Path, out: Path) -> dict[str, bytes]:
    """A fresh `minutes build` of the folder `src`, as the deployed site is configured."""
    from minutes.build import build
    settings = harness.settings("IndexFunction")
    build(src, out, site_url=settings.site_url, subscribe_url=settings.subscriptions_url or None,
          workers=1)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def site_differences(harness: Harness, src: Path | None = None) -> list[str]:
    """What differs between the SiteBucket and a fresh build of the surviving sources (or of
    the local folder `src`, which `minutes sync` mirrors), besides the build-time fields
    (empty when nothing does)."""
    with tempfile.TemporaryDirectory() as tmp:
        expected = (fresh_build(harness, Path(tmp)) if src is None
                    else build_of(harness, src, Path(tmp) / "site"))
    actual = harness.site_contents()
    problems = [f"missing from SiteBucket: {k}" for k in sorted(expected.keys() - actual.keys())]
    problems += [f"extra in SiteBucket: {k}" for k in sorted(actual.keys() - expected.keys())]
    for key in sorted(expected.keys() & actual.keys()):
        if expected[key] != actual[key] and \
                without_build_times(expected[key]) != without_build_times(actual[key]):
            problems.append(f"differs: {key}\n{_first_difference(expected[key], actual[key])}")
    return problems


def _sequencer(event: dict) -> str:
    return event["Records"][0]["s3"]["object"]["sequencer"]


def _first_difference(expected: bytes, actual: bytes, width: int = 160) -> str:
    expected, actual = without_build_times(expected), without_build_times(actual)
    at = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
    start = max(0, at - width // 2)
    return (f"  build:    {expected[start:at + width // 2]!r}\n"
            f"  pipeline: {actual[start:at + width // 2]!r}")


def dump(soak: Soak) -> str:
    return json.dumps({"seed": soak.seed, "meetings": [dataclasses.asdict(m) for m in soak.meetings]})
