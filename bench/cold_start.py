"""Cold start of each Lambda handler (issue 9, target 3): `import app` in a fresh interpreter
with a clean environment, beside anchors measured in the same run (`python -c pass` and
`import json`, and the bare Powertools Logger + Metrics every handler has).

Columns (milliseconds, median of RUNS fresh interpreters; interpreter start-up excluded):
  import    `import app` (the function's init on Lambda, tracing off as outside Lambda)
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

ANCHORS = {"python -c pass": "pass", "import json": "import json",
           "powertools Logger+Metrics": "from aws_lambda_powertools import Logger, Metrics; "
                                        "Logger(); Metrics(namespace='bench')"}
SERVICE = {"publish": "publisher", "index": "indexer", "notify": "notifier",
           "subscriptions": "subscriptions", "bounces": "bounces", "digest": "digester"}
ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "MINUTES_BUCKET": "m", "SITE_BUCKET": "s", "MEETINGS_TABLE": "t", "SUBSCRIBERS_TABLE": "u",
       "DELIVERIES_TABLE": "d", "DIGEST_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q",
       "SITE_UPDATES_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q.fifo",
       "NOTIFICATIONS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/n"}


def _ms(code: str, cwd: Path | None = None, **extra: str) -> float:
    timed = f"import time; t = time.perf_counter()\n{code}\nprint(time.perf_counter() - t)"
    env = {"PATH": os.environ.get("PATH", ""), **ENV, **extra}
    runs = [float(subprocess.run([sys.executable, "-c", timed], cwd=cwd, env=env, check=True,
                                 capture_output=True, text=True).stdout) * 1000 for _ in range(RUNS)]
    return statistics.median(runs)


def layer_size() -> str:
    """Size of the layer as `make build` left it (.aws-sam/build), if it was built. (Measured
    otherwise with pip install --target --platform manylinux2014_x86_64 of its requirements:
    70 MB unzipped, 31 MB zipped; botocore is 30 MB of it.)"""
    built = ROOT / ".aws-sam" / "build" / "MinutesLayer"
    if not built.is_dir():
        return "not built (make build)"
    total = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
    return f"{total / 2**20:.1f} MiB unzipped ({built})"


def main() -> int:
    print(f"cold start, median of {RUNS} fresh interpreters (ms)")
    for name, code in ANCHORS.items():
        print(f"  anchor {name:<28} {_ms(code):7.1f}")
    missed = 0
    for handler in sorted(SERVICE):
        cwd = ROOT / "functions" / handler
        imported = _ms("import app", cwd)
        served = _ms(f"import app\nfrom minutes import runtime\nruntime.{SERVICE[handler]}()", cwd)
        traced = _ms("import app", cwd, LAMBDA_TASK_ROOT="/var/task", AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR")
        missed += imported > TARGET_MS
        print(f"  {handler:<14} import {imported:7.1f}   +service {served:7.1f}   traced {traced:7.1f}   "
              f"target import <= {TARGET_MS} {'ok' if imported <= TARGET_MS else 'MISSED'}")
    print(f"  layer: {layer_size()}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
