"""One publish into an archive of N meetings (issue 9, target 1), on moto in-process.

For each N a fresh emulated stack is loaded with N meetings (the tables and the whole site, as
publishes and a rebuild leave them; bench/bulk_load.py), and then one new meeting is uploaded: publish and
index are timed separately and their boto3 calls counted. N = 10 is the anchor; the target is
publish + index compute <= 1 s at N = 10,000, with the same S3 writes and DynamoDB reads at
every N. Compute is the wall time less the time spent inside moto answering the calls.
moto answers a DynamoDB Query by listing and sorting the whole table, and copies whole tables for
each action of a transaction, where DynamoDB reads the partition's key range and costs a
transaction its items: so the bench runs with bench/moto_scale.py's patch (this process only;
tests/integration/test_moto_scale.py proves it answers as unpatched moto does), without which
N = 10,000 took tens of minutes of emulator time.

    python -m bench.publish_at_scale              # N = 10, 100, 1000, 10000
    BENCH_SCALE_SIZES=10,1000 python -m bench.publish_at_scale
    BENCH_PROFILE=1 BENCH_PROFILE_SORT=tottime BENCH_PROFILE_LINES=40 ...   # cProfile each call
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bulk_load import load_archive  # noqa: E402
from bench.moto_scale import moto_at_scale  # noqa: E402
from tests.conftest import fake_aws_environment  # noqa: E402
from tests.support.aws import PARAMETERS, REPO, Harness, minutes_text  # noqa: E402
from tests.support.scale import GROUPS, NEWEST, CallCounter, archive  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SCALE_SIZES", "10,100,1000,10000").split(",")]
TARGET_S = 1.0


def prepare(stack: Harness, n: int) -> None:
    """N meetings in the tables and the site up to date with them, as N publishes and a rebuild
    would leave them (not timed; bench/bulk_load.py writes them straight into moto)."""
    load_archive(stack, archive(n))


def keep_warm(stack: Harness) -> None:
    """Build publish's and index's services once, each with its own function's environment, and
    keep them across invocations, as a warm Lambda container does: the emulator resets the
    composition root whenever the function it invokes changes (settings are per function), which
    would rebuild clients and recompile every template on each call."""
    from minutes import runtime
    stack.cloud.prepare("PublishFunction")
    publisher = runtime.publisher()
    stack.cloud.prepare("IndexFunction")
    runtime.provide(publisher=publisher, indexer=runtime.indexer())


class EmulatorClock:
    """Wall seconds during which at least one request is inside moto (its botocore stubber), to
    tell the pipeline's own time from the emulator's. The index makes S3 calls from several
    threads at once, so the time counted is the union of the calls' intervals, not their sum
    (a sum would exceed the wall time and leave a negative "compute")."""

    def __init__(self):
        self.seconds = 0.0
        self._original = None
        self._lock = threading.Lock()
        self._in_flight = 0
        self._since = 0.0

    def attach(self) -> "EmulatorClock":
        from moto.core.botocore_stubber import BotocoreStubber
        original = self._original = BotocoreStubber.__call__
        clock = self

        def timed(stubber, event_name, request, **kwargs):
            clock._enter()
            try:
                return original(stubber, event_name, request, **kwargs)
            finally:
                clock._leave()
        BotocoreStubber.__call__ = timed
        return self

    def _enter(self) -> None:
        with self._lock:
            if self._in_flight == 0:
                self._since = time.perf_counter()
            self._in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.seconds += time.perf_counter() - self._since

    def detach(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber
        if self._original is not None:
            BotocoreStubber.__call__ = self._original


EMULATOR = EmulatorClock()


def _timed(call, profile: bool):
    """(result, seconds); with BENCH_PROFILE set, prints the top of a cProfile of the call."""
    if not profile:
        started, emulated = time.perf_counter(), EMULATOR.seconds
        result = call()
        wall = time.perf_counter() - started
        return result, (wall, wall - (EMULATOR.seconds - emulated))
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    started = time.perf_counter()
    result = profiler.runcall(call)
    seconds = time.perf_counter() - started
    pstats.Stats(profiler, stream=sys.stderr).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "25")))
    return result, (seconds, seconds)


def one_publish(stack: Harness, counter: CallCounter, key: str, *, profile: bool = False) -> dict:
    """Upload one new meeting; time and count publish, then index, separately."""
    event = stack.put_event(key, minutes_text("A new meeting"))
    counter.start()
    verdict, (publish_s, publish_own) = _timed(lambda: stack.invoke_publish(event), profile)
    publish = counter.stop().summary()
    assert verdict["status"] == "published", verdict
    messages = stack.take_messages("SiteUpdatesQueue")
    bodies = [json.loads(m["Body"]) for m in messages]
    update = stack.sqs_event("sqs-site-update.json", bodies, queue="SiteUpdatesQueue")
    counter.start()
    response, (index_s, index_own) = _timed(lambda: stack.cloud.invoke("IndexFunction", update), profile)
    index = counter.stop().summary()
    assert response == {"batchItemFailures": []}, response
    return {"publish_s": publish_s, "index_s": index_s, "own_s": publish_own + index_own,
            "publish_calls": publish, "index_calls": index}


def measure(n: int) -> dict:
    from moto import mock_aws

    from minutes import runtime
    from minutes.aws.emulated import LocalCloud
    with fake_aws_environment(), mock_aws(), moto_at_scale():
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"   # the functions' logs are not the output
        runtime.reset()
        stack = Harness(LocalCloud(REPO, parameters=PARAMETERS).create())
        counter = CallCounter().attach()
        EMULATOR.attach()
        try:
            started = time.perf_counter()
            prepare(stack, n)
            seeded_s = time.perf_counter() - started
            keep_warm(stack)
            # Warm the function containers (imports, templates) as a running Lambda would be.
            # (In the group of the measured one: at N = 10,000 each group holds 500 meetings, a
            # multiple of the 20 a page holds, so the first new one opens a page; the warm-up
            # takes that, and the measured publish costs what most publishes cost.)
            one_publish(stack, counter, f"minutes/{GROUPS[0]}/{NEWEST.isoformat()}-warm-up.md")
            result = one_publish(stack, counter, f"minutes/{GROUPS[0]}/2025-06-09-new.md",
                                 profile=bool(os.environ.get("BENCH_PROFILE")))
        finally:
            counter.detach()
            EMULATOR.detach()
        return {"n": n, "seed_s": seeded_s, **result}


def main() -> int:
    rows = [measure(n) for n in SIZES]
    base = rows[0]["own_s"]
    print(f"{'N':>6} {'seed+build s':>12} {'publish s':>10} {'index s':>9} {'in moto s':>9} "
          f"{'compute s':>9} {'x anchor':>8}  calls (publish | index)")
    for row in rows:
        total = row["publish_s"] + row["index_s"]
        print(f"{row['n']:>6} {row['seed_s']:>12.2f} {row['publish_s']:>10.3f} {row['index_s']:>9.3f} "
              f"{total - row['own_s']:>9.3f} {row['own_s']:>9.3f} {row['own_s'] / base:>8.1f}  "
              f"{row['publish_calls']} | {row['index_calls']}", flush=True)
    biggest = rows[-1]
    verdict = "ok" if biggest["own_s"] <= TARGET_S else "MISSED"
    print(f"publish+index compute at N={biggest['n']}: {biggest['own_s']:.2f} s "
          f"(wall {biggest['publish_s'] + biggest['index_s']:.2f} s on moto), target <= {TARGET_S} s: {verdict}")
    return 0 if biggest["own_s"] <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
