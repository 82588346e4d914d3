"""What each function needs: the longest invocation and the largest Python heap peak of each
handler over the whole demo (samples and corpus meetings published, indexed, announced,
subscribed, digested) on moto in-process, beside each function's Timeout in template.yaml.

The first call of each function includes its imports (a cold start, here with tracemalloc on,
which slows everything). The anchor is the Timeout: a ratio far below 1 leaves room for a slower Lambda CPU (512 MB is
about a third of a vCPU) and a larger archive. Heap peaks (tracemalloc) count Python objects,
not the interpreter and libraries (the process's peak RSS is printed for those).

    python -m bench.handler_footprint
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import fake_aws_environment  # noqa: E402


def main() -> int:
    from minutes.aws.emulated import LocalCloud
    from minutes.local import demo
    from minutes.local.template import load_template
    seconds: dict[str, list[float]] = defaultdict(list)
    peaks: dict[str, int] = defaultdict(int)
    invoke = LocalCloud.invoke

    def measured(self, name, event):
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        try:
            return invoke(self, name, event)
        finally:
            seconds[name].append(time.perf_counter() - started)
            peaks[name] = max(peaks[name], tracemalloc.get_traced_memory()[1] - before)

    LocalCloud.invoke = measured
    tracemalloc.start()
    try:
        with fake_aws_environment(), tempfile.TemporaryDirectory() as out:
            demo.run(Path(out))
    finally:
        LocalCloud.invoke = invoke
        tracemalloc.stop()
    template = load_template(ROOT / "template.yaml")
    defaults = template["Globals"]["Function"]
    print(f"{'function':24} {'calls':>5} {'first s':>8} {'longest after':>13} {'Timeout s':>9} {'ratio':>6} "
          f"{'heap peak MiB':>13} {'MemorySize':>10}")
    for name in sorted(seconds):
        props = template["Resources"][name]["Properties"]
        timeout = int(props.get("Timeout", defaults["Timeout"]))
        memory = int(props.get("MemorySize", defaults["MemorySize"]))
        first, rest = seconds[name][0], seconds[name][1:]
        longest = max(rest) if rest else float("nan")
        print(f"{name:24} {len(seconds[name]):5d} {first:8.2f} {longest:13.2f} {timeout:9d} "
              f"{max(seconds[name]) / timeout:6.3f} {peaks[name] / 2**20:13.1f} {memory:10d}")
    print(f"process peak RSS (every function, moto and the demo together): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
