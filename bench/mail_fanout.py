"""Email (issue 9, target 5): per-recipient composition on one core, then a fan-out on moto.

compose   messages per second for one meeting (the sample minutes, every part): the fast path
          notify uses (minutes.mailing: composed once, filled in per recipient) beside the
          reference, mail.meeting_email + as_bytes (the stdlib's policy and generator, what notify
          did before), measured in the same run. Target: fast >= 2,000/s.
fan-out   N confirmed subscribers of one group (BENCH_FANOUT_READERS, default 10,000) on moto
          in-process: publish one meeting, drain the queues (announce -> batches -> SES). Reports
          wall time, the AWS calls by API (SES sends among them), the process's peak RSS before
          and after the fan-out (moto keeps every sent message in memory), and the time pacing
          at the send rate the account reports (SES get_send_quota x SEND_RATE_SHARE) would
          take: the Notifier runs on a fake clock, so pacing is added up instead of slept.

    python -m bench.mail_fanout
"""
from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import fake_aws_environment  # noqa: E402
from tests.support.aws import PARAMETERS, REPO, Harness, minutes_text  # noqa: E402
from tests.support.scale import CallCounter  # noqa: E402

READERS = int(os.environ.get("BENCH_FANOUT_READERS", "10000"))
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
                      site_host="minutes.example.org").record
    options = dict(sender="Minutes <minutes@example.org>", site_url=SITE, list_domain="minutes.example.org")

    def url(n: int) -> str:
        return f"{SITE}/api/unsubscribe?token=" + f"{n:08d}" * 12

    mailing = MeetingMailing(record, **options)
    fast = _rate(lambda n: mailing.message(recipient=f"reader{n}@example.org", unsubscribe_url=url(n)))
    reference = _rate(lambda n: meeting_email(record, recipient=f"reader{n}@example.org",
                                              unsubscribe_url=url(n), **options).as_bytes())
    size = len(mailing.message(recipient="reader@example.org", unsubscribe_url=url(0)))
    return fast, reference, size


def fanout(readers: int) -> dict:
    from moto import mock_aws

    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    with fake_aws_environment(), mock_aws():
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        runtime.reset()
        counter = CallCounter().attach()   # before any client is made: clients copy the hooks
        stack = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        notifier = stack.notifier()
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
            stack.publish("minutes/openxla/2026-07-07-sig-openxla.md", minutes_text("SIG OpenXLA"))
            stack.drain()
            wall = time.perf_counter() - started
            calls = counter.stop().calls
        finally:
            counter.detach()
        return {"wall_s": wall, "calls": dict(sorted(calls.items())), "paced_s": sum(stack.clock.slept),
                "rate": quota, "rss_before_mib": rss_before, "maxrss_mib": _maxrss_mib()}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    fast, reference, size = compose_rates()
    ok = fast >= TARGET_PER_S
    print(f"compose, one core, {size:,} byte messages: fast {fast:,.0f}/s ({1000 / fast:.3f} ms), "
          f"reference meeting_email {reference:,.0f}/s ({1000 / reference:.2f} ms): {fast / reference:.1f}x; "
          f"target >= {TARGET_PER_S:,}/s {'ok' if ok else 'MISSED'}", flush=True)
    result = fanout(READERS)
    sends = result["calls"].get("sesv2.SendEmail", 0)
    print(f"fan-out to {READERS:,} subscribers on moto: {result['wall_s']:.1f} s wall "
          f"({result['wall_s'] / READERS * 1000:.1f} ms per recipient), {sends:,} SES sends, "
          f"peak RSS {result['maxrss_mib']:.0f} MiB ({result['rss_before_mib']:.0f} MiB before the fan-out; "
          f"moto keeps every sent message)")
    print(f"  paced at this container's share of the account's quota ({result['rate']:g}/s): "
          f"{result['paced_s']:,.0f} s of waiting (= {READERS:,} / rate)")
    print(f"  AWS calls: {result['calls']}")
    return 0 if ok and sends == READERS else 1


if __name__ == "__main__":
    sys.exit(main())
