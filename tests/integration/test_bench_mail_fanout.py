"""bench.mail_fanout measures the real notify path: its wrappers pass every argument on, so the
recipients it lets through are sent (a wrapper that dropped deliver's `receipt` once made every
batch fail, and the bench reported 0 SES sends)."""
from __future__ import annotations

from bench.mail_fanout import fanout


def test_the_fanout_bench_sends_the_batches_it_lets_through_and_only_those():
    result = fanout(60, deliver_batches=1, server=False)
    phases = result["phases"]
    assert phases.errors == []
    assert result["calls"]["sesv2.SendEmail"] == 50     # one batch of 50 sent
    assert phases.batches == 2 and phases.not_sent == 10   # the second read, not sent
