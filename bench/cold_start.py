"""Cold start of each Lambda handler (issue 9, target 3): `import app` in a fresh interpreter
with a clean environment, beside anchors measured in the same run (`python -c pass` and
`import json`, and the bare Powertools Logger + Metrics every handler has).

Columns (milliseconds, median of RUNS fresh interpreters; interpreter start-up excluded):
  import    `import app` (the function's init on Lambda, tracing off as outside Lambda): wall
            time (median, and the fastest run), and the CPU time the import itself used. Importing is CPU-bound (files are in
            the page cache), so on a shared machine the CPU time is what it costs a quiet one;
            wall time adds waiting for a core. The target is judged on the CPU time.
  +service  import, then build the service its path calls (boto3 session and clients, the
            library modules it uses): what a first invocation adds before its first AWS call
  traced    import as on Lambda with `Tracing: Active` (LAMBDA_TASK_ROOT set): the X-Ray SDK
            is imported and patches botocore

    python -m bench.cold_start          # BENCH_COLD_RUNS=15 for steadier numbers
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "7"))
TARGET_MS = 250

_POWERTOOLS = "from aws_lambda_powertools import Logger, Metrics; Logger(); Metrics(namespace='bench')"
# What Powertools itself costs, beside which each handler's own share shows: every handler has
# Logger + Metrics; index, notify and digest add the batch utility (it imports asyncio and every
# event data class), publish and bounces an event data class, subscriptions the event handler.
ANCHORS = {"python -c pass": "pass", "import json": "import json",
           "powertools Logger+Metrics": _POWERTOOLS,
           "  + batch (BatchProcessor)": _POWERTOOLS + "\nfrom aws_lambda_powertools.utilities.batch "
                                                   "import BatchProcessor",
           "  + data class (S3Event)": _POWERTOOLS + "\nfrom aws_lambda_powertools.utilities.data_classes "
                                                 "import S3Event",
           "  + event handler (HTTP API)": _POWERTOOLS + "\nfrom aws_lambda_powertools.event_handler "
                                                     "import APIGatewayHttpResolver",
           "  + pydantic BaseModel": _POWERTOOLS + "\nfrom pydantic import BaseModel",
           # What a first AWS call imports anyway; with tracing on, X-Ray's patch imports it at init.
           "botocore.client": "import botocore.client"}
SERVICE = {"publish": "publisher", "index": "indexer", "notify": "notifier",
           "subscriptions": "subscriptions", "bounces": "bounces", "digest": "digester"}
ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "MINUTES_BUCKET": "m", "SITE_BUCKET": "s", "MEETINGS_TABLE": "t", "SUBSCRIBERS_TABLE": "u",
       "DELIVERIES_TABLE": "d", "DIGEST_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
       "SITE_UPDATES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q.fifo",
       "NOTIFICATIONS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/n"}


def _timed(code: str, cwd: Path | None = None, **extra: str) -> tuple[float, float, float]:
    """Median wall, median CPU and fastest wall milliseconds of running `code` in a fresh
    interpreter (the fastest run is the one least disturbed by other work on the machine)."""
    timed = (f"import time; t, c = time.perf_counter(), time.process_time()\n{code}\n"
             "print(time.perf_counter() - t, time.process_time() - c)")
    env = {"PATH": os.environ.get("PATH", ""), **ENV, **extra}
    runs = [[float(x) * 1000 for x in subprocess.run([sys.executable, "-c", timed], cwd=cwd, env=env, check=True,
                                                      capture_output=True, text=True).stdout.split()]
            for _ in range(RUNS)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            min(r[0] for r in runs))


def _ms(code: str, cwd: Path | None = None, **extra: str) -> float:
    return _timed(code, cwd, **extra)[0]


def layer_size() -> str:
    """Size of the layer as `make build` left it (.aws-sam/build), if it was built: after the
    Markdown engine moved to comrak, 66.4 MiB unzipped, 33.6 MiB zipped (botocore 21.8 MiB, lxml
    11.0, pydantic_core 5.2, Powertools 4.4, css_inline 4.2, yaml 3.0)."""
    built = ROOT / ".aws-sam" / "build" / "MinutesLayer"
    if not built.is_dir():
        return "not built (make build)"
    total = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
    return f"{total / 2**20:.1f} MiB unzipped ({built})"


def main() -> int:
    print(f"cold start, median of {RUNS} fresh interpreters (ms; wall / CPU / fastest wall); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, code in ANCHORS.items():
        wall, cpu, fastest = _timed(code)
        print(f"  anchor {name:<30} {wall:7.1f} / {cpu:6.1f} / {fastest:6.1f}")
    missed = 0
    for handler in sorted(SERVICE):
        cwd = ROOT / "functions" / handler
        imported, cpu, fastest = _timed("import app", cwd)
        served = _ms(f"import app\nfrom minutes import runtime\nruntime.{SERVICE[handler]}()", cwd)
        traced = _ms("import app", cwd, LAMBDA_TASK_ROOT="/var/task", AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR")
        missed += cpu > TARGET_MS
        print(f"  {handler:<14} import {imported:7.1f} / {cpu:6.1f} / {fastest:6.1f}   +service {served:7.1f}   "
              f"traced {traced:7.1f}"
              f"   target import <= {TARGET_MS} {'ok' if cpu <= TARGET_MS else 'MISSED'}")
    print(f"  load average at the end {os.getloadavg()[0]:.1f}; layer: {layer_size()}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
