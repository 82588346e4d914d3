"""An AWS that does everything it is allowed to (decision 109), for the pipeline hunt: S3 events
delivered late, in any order across keys and within one key (an older event after a newer one),
more than once; a handler that crashes between two of its AWS calls and is run again later
(Lambda retries an async invocation twice, after other events may have run); index and notify
crashing mid-batch (SQS brings the batch back); SQS messages delivered twice. Everything goes
through the real handlers on moto; a crash is an exception raised from a botocore hook before
the N-th call of the function reaches moto, as if the function had died there.

`Chaos` drives one run from a seeded random.Random: scribe steps (put, edit, delete, put again)
queue S3 events, AWS steps deliver them. `settle()` delivers what is left; the tests then hold
the site to a fresh build, the emails to one each, the feed ids to their first value."""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

import boto3

from minutes import runtime
from minutes.report import REJECTED
from tests.support.aws import Harness

# Lambda runs an async invocation at most three times (MaximumRetryAttempts: 2 in template.yaml);
# a crash is injected in at most the first two, so the last attempt may always succeed.
MAX_CRASHES = 2


class Crashed(Exception):
    """The function died between two AWS calls (a timeout, the runtime killed): not an AWS
    error, so no botocore retry, no handler's except clause for ClientError catches it."""


@dataclass
class CrashSwitch:
    """Kill `function` before its `after`-th AWS call: that call and every later one of the
    invocation raise Crashed (a `finally` clause gets no further than the process would), until
    disarm(). A botocore hook on the default session: every client made after install(), the
    functions' own, carries it."""
    harness: Harness
    function: str | None = None
    after: int = 0
    at: str | None = None
    dead: bool = False
    crashed: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> "CrashSwitch":
        boto3._get_default_session().events.register("before-parameter-build", self._before_call)
        runtime.reset()   # the functions' clients are made again, with the hook
        runtime.provide(notifier=self.harness.notifier())
        return self

    def uninstall(self) -> None:
        boto3._get_default_session().events.unregister("before-parameter-build", self._before_call)

    def arm(self, function: str, after: int = 1, *, at: str | None = None) -> None:
        """Die before the `after`-th call, or (`at`: "sqs.SendMessage") before the `after`-th
        call of that operation."""
        self.function, self.after, self.at, self.dead = function, after, at, False

    def disarm(self) -> bool:
        """Disarm; True when the crash happened."""
        fired, self.function, self.dead = self.dead, None, False
        return fired

    def _before_call(self, event_name: str, **_):
        if self.function is None or self.harness.cloud.current_function != self.function:
            return
        with self._lock:   # index makes its calls on several threads
            if not self.dead:
                if self.at is not None and not event_name.endswith("." + self.at):
                    return
                self.after -= 1
                if self.after > 0:
                    return
                self.dead = True
                self.crashed[self.function] += 1
        raise Crashed(f"{self.function} died before {event_name} (injected)")


@dataclass
class Pending:
    event: dict
    crashes: int = 0

    @property
    def key(self) -> str:
        return self.event["Records"][0]["s3"]["object"]["key"]


@dataclass
class Chaos:
    harness: Harness
    rng: random.Random
    crash: CrashSwitch
    pending: list[Pending] = field(default_factory=list)
    delivered: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    said: list[str] = field(default_factory=list)
    rejected_changed: list[str] = field(default_factory=list)

    # --- scribes -------------------------------------------------------------------------

    def put(self, key: str, data: bytes) -> None:
        self.pending.append(Pending(self.harness.put_event(key, data)))
        self.counts["put"] += 1
        self.said.append(f"put {key}")

    def delete(self, key: str) -> None:
        self.pending.append(Pending(self.harness.delete_event(key)))
        self.counts["delete"] += 1
        self.said.append(f"delete {key}")

    # --- AWS -----------------------------------------------------------------------------

    def step(self) -> None:
        """One thing AWS does next: deliver a pending S3 event (any of them), with a crash,
        again, or drain the queues (index and notify may crash, a message may come twice)."""
        roll = self.rng.random()
        if roll < 0.55 and self.pending:
            self.deliver(self.pending.pop(self.rng.randrange(len(self.pending))))
        elif roll < 0.70 and self.delivered:
            self.counts["S3 event again"] += 1
            self.deliver(Pending(self.rng.choice(self.delivered)), crash=False)
        elif roll < 0.80:
            self.redeliver_queue()
        else:
            self.drain()

    def deliver(self, pending: Pending, *, crash: bool | None = None) -> None:
        if crash is None:
            crash = pending.crashes < MAX_CRASHES and self.rng.random() < 0.3
        if crash:
            self.crash.arm("PublishFunction", self.rng.randint(1, 20))
        before = None if crash else self._site_state()
        try:
            result = self.harness.cloud.invoke("PublishFunction", pending.event)
        except Crashed:
            self.counts["publish crashed"] += 1
            self.said.append(f"  {_name(pending.event)} {pending.key}: crashed")
            pending.crashes += 1
            self.pending.append(pending)   # Lambda's retry, a minute later: after other events
            return
        finally:
            fired = self.crash.disarm()
        if crash and not fired:
            self.counts["crash armed past the end"] += 1
        (verdict,) = result["verdicts"]
        self.counts[f"delivered {_name(pending.event)}"] += 1
        self.said.append(f"  {_name(pending.event)} {pending.key}: {verdict['status']} "
                         f"{[p['code'] for p in verdict['problems']]}")
        if pending.event not in self.delivered:
            self.delivered.append(pending.event)
        if before is not None and verdict["status"] == REJECTED and not any(
                p["code"] == "duplicate-source" for p in verdict["problems"]):
            if self._site_state() != before:
                self.rejected_changed.append(f"{pending.key}: {verdict['problems']}")

    def drain(self) -> None:
        """Deliver the queues' messages; one function (index or notify) may crash once, after
        some calls, and SQS brings its batch back."""
        self.counts["drain"] += 1
        self.said.append("  drain")
        if self.rng.random() < 0.5:
            function = self.rng.choice(("IndexFunction", "IndexFunction", "NotifyFunction"))
            self.crash.arm(function, self.rng.randint(1, 60))
            cloud = self.harness.cloud
            try:
                while not self.crash.dead and sum(   # poll rounds until it dies (its batch
                        cloud._poll(fn, trigger)      # goes back), or nothing is left
                        for fn in cloud.functions.values() for trigger in fn.sqs_triggers):
                    pass
            finally:
                if self.crash.disarm():
                    self.counts[f"{function} crashed"] += 1
        self.harness.drain()

    def redeliver_queue(self) -> None:
        """SQS delivers a message again (a visibility timeout ran out): it is processed, and
        stays on the queue to be delivered once more."""
        queue = self.rng.choice(("SiteUpdatesQueue", "NotificationsQueue"))
        if self.harness.redeliver(queue):
            self.counts[f"{queue} again"] += 1

    def settle(self) -> None:
        """What is left, in random order, some twice; then the queues."""
        while self.pending:
            self.deliver(self.pending.pop(self.rng.randrange(len(self.pending))))
            if self.rng.random() < 0.2:
                self.deliver(Pending(self.rng.choice(self.delivered)), crash=False)
        self.drain()

    def _site_state(self) -> tuple:
        """What a rejected upload must leave as it was: the site's objects, the queued site
        updates and announcements, the Meetings table."""
        h = self.harness
        return (h.site_etags(), h.queue_depth("SiteUpdatesQueue"), h.queue_depth("NotificationsQueue"),
                sorted(map(repr, h.items("MeetingsTable"))))

    # --- invariants ----------------------------------------------------------------------

    def lost_emails(self) -> set[tuple[str, str, str]]:
        """(address, group, meeting) whose delivery notify claimed and died before sending (or
        before marking it sent): at most one email, by design (services/notify.py)."""
        lost = set()
        for item in self.harness.items("DeliveriesTable"):
            if item.get("state") == "sending":
                meeting, _, address = item["delivery"].rpartition("#")
                group, _, meeting = meeting.partition("/")
                lost.add((address, group, meeting))
        return lost

    def feed_ids(self) -> dict[tuple[str, str], str]:
        return {(i["group"], i["meeting"]): i["feed_id"] for i in self.harness.items("MeetingsTable")
                if i.get("feed_id")}


def _name(event: dict) -> str:
    return event["Records"][0]["eventName"].split(":")[0].replace("Object", "")
