"""Email (issue 9, target 5): per-recipient composition on one core, then a fan-out on moto.

bodies    one meeting's two bodies (text and HTML, composed once per fan-out), over the corpus:
          from the text form the render walk wrote, the HTML part in one pass (decision 57),
          beside the reference, the same records as stored before text forms (html.parser).
compose   messages per second for one meeting (the sample minutes, every part): the fast path
          notify uses (minutes.mailing: composed once, filled in per recipient) beside the
          reference, mail.meeting_email + as_bytes (the stdlib's policy and generator, what notify
          did before), measured in the same run. Target: fast >= 2,000/s.
fan-out   N confirmed subscribers of one group on moto's server (its own process, so this one
          holds only the pipeline's side; --in-process for mock_aws): publish one meeting, drain
          the queues (publish -> index and announce -> batches of 50 -> SES) through the
          handlers. Reports wall and CPU time by phase (announce: reading the roster and queueing
          the batches; deliver: claim, send, record per recipient), the AWS calls by API (SES
          sends among them), memory (this process's peak RSS; moto's server's, which keeps every
          sent message; and, traced with tracemalloc, what announce allocates and what one deliver
          batch does, first and last: neither may grow with N), and pacing at the rate the
          account reports (SES GetSendQuota's MaxSendRate x SEND_RATE_SHARE).

Pacing: moto reports MaxSendRate 1/s, so 10,000 paced sends take hours of real time. By default
the Notifier runs on a fake clock (pacing is added up, not slept: "paced" is then N / rate). With
--time-scale S it runs on a real clock S times faster than the account's: the pacer really sleeps,
and the bench checks that the sends stayed within the quota in account time (wall x S).
--deliver-batches K sends only the first K batches (the rest are read, queued and claimed by no
one: counted, not sent), for a large N where moto's per-recipient cost would take too long.

    python -m bench.mail_fanout                       # compose, then the fan-out (BENCH_FANOUT_READERS)
    python -m bench.mail_fanout --readers 10000 --no-compose [--deliver-batches 20] [--time-scale 40]
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import socket
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import fake_aws_environment  # noqa: E402
from tests.support.aws import PARAMETERS, REPO, Harness, minutes_text  # noqa: E402
from tests.support.scale import CallCounter  # noqa: E402

TARGET_PER_S = 2000
SITE = "https://minutes.example.org"


def _rate(compose, seconds: float = 2.0) -> float:
    compose(0)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        compose(done)
        done += 1
    return done / (time.perf_counter() - started)


def compose_rates() -> tuple[float, float, int]:
    from minutes.mail import meeting_email
    from minutes.mailing import MeetingMailing
    from minutes.meeting import SourceFile, assemble
    sample = ROOT / "samples" / "2022-09-20-sig-openxla.md"
    record = assemble([SourceFile("minutes/openxla/2022-09-20-sig-openxla.md", sample.read_bytes())],
                      site_host="minutes.example.org", mail_text=True).record
    options = dict(sender="Minutes <minutes@example.org>", site_url=SITE, list_domain="minutes.example.org")

    def url(n: int) -> str:
        return f"{SITE}/api/unsubscribe?token=" + f"{n:08d}" * 12

    mailing = MeetingMailing(record, **options)
    fast = _rate(lambda n: mailing.message(recipient=f"reader{n}@example.org", unsubscribe_url=url(n)))
    reference = _rate(lambda n: meeting_email(record, recipient=f"reader{n}@example.org",
                                              unsubscribe_url=url(n), **options).as_bytes())
    size = len(mailing.message(recipient="reader@example.org", unsubscribe_url=url(0)))
    return fast, reference, size


def bodies_rates(every: int = 3) -> tuple[float, float, int, int]:
    """(ms per meeting from the text form, ms per meeting by the parse, meetings, of which
    with a text form): both bodies of every `every`-th corpus meeting, interleaved, best of 3."""
    from minutes import mail
    from minutes.meeting import SourceFile, assemble
    from minutes.problems import Rejected
    from tests.support.corpus import corpus_files
    records = []
    for n, (key, path) in enumerate(sorted(corpus_files().items())):
        if n % every == 0 and key.endswith(".md"):
            try:
                records.append(assemble([SourceFile(key, path.read_bytes())], site_host="minutes.example.org",
                                        mail_text=True).record)
            except Rejected:
                continue
    stored_before = [r.with_changes(content_text=None) for r in records]
    compose = mail._meeting_bodies.__wrapped__      # uncached: once per meeting, as a fan-out

    def run(batch) -> float:
        started = time.process_time()
        for record in batch:
            compose(record, record.title or "t", record.group, SITE)
        return time.process_time() - started
    new, old = [], []
    for _ in range(3):
        new.append(run(records))
        old.append(run(stored_before))
    count = len(records)
    return (min(new) * 1000 / count, min(old) * 1000 / count, count,
            sum(r.content_text is not None for r in records))


@dataclass
class ScaledClock:
    """Account time running `scale` times faster than the wall clock: the pacer sleeps for real,
    1/scale of what it asks."""
    scale: float
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds / self.scale)

    def monotonic(self) -> float:
        return time.monotonic() * self.scale


@dataclass
class Phases:
    """Wraps the provided Notifier's announce and deliver: time, traced memory, batches."""
    deliver_batches: int | None
    announce_s: float = 0.0
    deliver_s: float = 0.0
    announce_cpu_s: float = 0.0
    deliver_cpu_s: float = 0.0
    announce_peak_kib: float = 0.0
    batch_peak_kib: list = field(default_factory=list)   # (batch number, KiB) of first and last
    batches: int = 0
    expected_batches: int = 0
    not_sent: int = 0
    errors: list = field(default_factory=list)   # what announce or deliver raised

    def wrap(self, notifier) -> None:
        """Wraps the two methods, passing every argument on (notify's handler gives deliver its
        `receipt`: a wrapper that dropped it made every batch fail, and a run sent nothing)."""
        announce, deliver = notifier.announce, notifier.deliver

        def timed_announce(message, **options):
            tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return announce(message, **options)
            except Exception as exc:
                self.errors.append(f"announce: {type(exc).__name__}: {exc}")
                raise
            finally:
                self.announce_s += time.perf_counter() - started
                self.announce_cpu_s += time.process_time() - cpu
                self.announce_peak_kib = max(self.announce_peak_kib, tracemalloc.get_traced_memory()[1] / 1024)
                tracemalloc.stop()

        def timed_deliver(message, **options):
            from minutes.services.notify import DeliveryResult
            self.batches += 1
            if self.deliver_batches is not None and self.batches > self.deliver_batches:
                self.not_sent += len(message.recipients)
                return DeliveryResult()
            traced = self.batches == 1 or self.batches in (self.deliver_batches, self.expected_batches)
            if traced:
                tracemalloc.start()
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return deliver(message, **options)
            except Exception as exc:
                self.errors.append(f"deliver: {type(exc).__name__}: {exc}")
                raise
            finally:
                self.deliver_s += time.perf_counter() - started
                self.deliver_cpu_s += time.process_time() - cpu
                if traced:
                    self.batch_peak_kib.append((self.batches, tracemalloc.get_traced_memory()[1] / 1024))
                    tracemalloc.stop()

        notifier.announce, notifier.deliver = timed_announce, timed_deliver


@contextlib.contextmanager
def moto_server():
    """moto's server in its own process (boto3 reaches it through AWS_ENDPOINT_URL), so what this
    process holds is the pipeline's side alone; yields a function giving the server's peak RSS."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        yield lambda: _peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait()


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fanout(readers: int, *, deliver_batches: int | None = None, time_scale: float | None = None,
           server: bool = True) -> dict:
    from moto import mock_aws

    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    with fake_aws_environment(), (moto_server() if server else mock_aws()) as emulator:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        runtime.reset()
        counter = CallCounter().attach()   # before any client is made: clients copy the hooks
        stack = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        if time_scale:
            stack.clock = ScaledClock(time_scale)
        notifier = stack.notifier()
        phases = Phases(deliver_batches)
        phases.expected_batches = -(-readers // stack.settings().recipients_per_message)
        phases.wrap(notifier)
        runtime.provide(notifier=notifier)
        now = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc).isoformat()
        with stack.table("SubscribersTable").batch_writer() as batch:
            for n in range(readers):
                batch.put_item(Item={"group": "openxla", "email": f"reader{n:05d}@example.org",
                                     "status": "confirmed", "mode": "each", "created_at": now,
                                     "confirmed_at": now})
        quota = stack.settings().send_rate_share * notifier.mailer.max_send_rate()
        try:
            rss_before = _maxrss_mib()
            counter.start()
            started = time.perf_counter()
            # The handlers' metric lines go to stdout (as on Lambda): not among the numbers.
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                stack.publish("minutes/openxla/2026-07-07-sig-openxla.md", minutes_text("SIG OpenXLA"))
                stack.drain()
            wall = time.perf_counter() - started
            calls = counter.stop().calls
        finally:
            counter.detach()
        return {"wall_s": wall, "calls": dict(sorted(calls.items())), "paced_s": sum(stack.clock.slept),
                "rate": quota, "rss_before_mib": rss_before, "maxrss_mib": _maxrss_mib(), "phases": phases,
                "time_scale": time_scale, "server_mib": emulator() if server else None}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=int(os.environ.get("BENCH_FANOUT_READERS", "10000")),
                        help="subscribers of the group (default: BENCH_FANOUT_READERS or 10,000)")
    parser.add_argument("--deliver-batches", type=int, help="send only the first K batches of 50")
    parser.add_argument("--time-scale", type=float,
                        help="pace for real, the account's clock S times faster than the wall clock")
    parser.add_argument("--no-compose", action="store_true", help="skip the compose rates")
    parser.add_argument("--in-process", action="store_true",
                        help="moto in this process (mock_aws), not its server: memory then includes moto's")
    args = parser.parse_args(argv)
    ok = True
    if not args.no_compose:
        new, old, count, with_text = bodies_rates()
        print(f"bodies, one core, {count} corpus meetings ({with_text} with a text form): from the text form "
              f"{new:.2f} ms CPU per meeting, by the parse (records stored before it) {old:.2f} ms: "
              f"{old / new:.2f}x", flush=True)
        fast, reference, size = compose_rates()
        ok = fast >= TARGET_PER_S
        print(f"compose, one core, {size:,} byte messages: fast {fast:,.0f}/s ({1000 / fast:.3f} ms), "
              f"reference meeting_email {reference:,.0f}/s ({1000 / reference:.2f} ms): {fast / reference:.1f}x; "
              f"target >= {TARGET_PER_S:,}/s {'ok' if ok else 'MISSED'}", flush=True)
    result = fanout(args.readers, deliver_batches=args.deliver_batches, time_scale=args.time_scale,
                    server=not args.in_process)
    phases, readers = result["phases"], args.readers
    sends = result["calls"].get("sesv2.SendEmail", 0)
    sent = readers - phases.not_sent
    print(f"fan-out to {readers:,} subscribers on moto (load {os.getloadavg()[0]:.1f}): {result['wall_s']:.1f} s wall; "
          f"announce {phases.announce_s:.2f} s (CPU {phases.announce_cpu_s:.2f} s, "
          f"{phases.announce_cpu_s / readers * 1e6:.0f} us per subscriber), deliver {phases.deliver_s:.1f} s "
          f"(CPU {phases.deliver_cpu_s:.1f} s, {phases.deliver_cpu_s / max(sent, 1) * 1000:.1f} ms per recipient) "
          f"for {sent:,}; "
          f"{sends:,} SES sends in {phases.batches} batches"
          + (f" ({phases.not_sent:,} recipients queued, not sent: --deliver-batches {args.deliver_batches})"
             if phases.not_sent else ""))
    where = (f"moto's server process {result['server_mib']:.0f} MiB, holding every sent message"
             if result["server_mib"] else "moto in this process, keeping every sent message")
    print(f"  memory: peak RSS {result['maxrss_mib']:.0f} MiB ({result['rss_before_mib']:.0f} MiB before the "
          f"fan-out; {where}); traced: announce {phases.announce_peak_kib:,.0f} KiB, "
          "one deliver batch " + ", ".join(f"#{n} {kib:,.0f} KiB" for n, kib in phases.batch_peak_kib))
    if result["time_scale"]:
        account_s = result["wall_s"] * result["time_scale"]
        print(f"  paced for real at the account's quota ({result['rate']:g}/s), its clock x{result['time_scale']:g}: "
              f"{account_s:,.0f} s of account time for {sends:,} sends = {sends / account_s:.3f}/s "
              f"({'within' if sends / account_s <= result['rate'] * 1.001 else 'OVER'} the quota); "
              f"the pacer slept {result['paced_s']:,.0f} s of it")
    else:
        print(f"  paced at this container's share of the account's quota ({result['rate']:g}/s): "
              f"{result['paced_s']:,.0f} s of waiting (= {sends:,} / rate; fake clock, not slept)")
    print(f"  AWS calls: {result['calls']}")
    if sends != sent or phases.errors:
        print(f"  FAILED: {sent:,} recipients to send, {sends:,} SES sends; "
              f"{len(phases.errors)} errors, first: {phases.errors[:1]}")
    return 0 if ok and sends == sent and not phases.errors else 1


if __name__ == "__main__":
    sys.exit(main())
