"""`minutes check` of the whole corpus, as a scribe runs it (issue 9, target 6: under 2 s),
beside anchors measured in the same run, each in a fresh process, RUNS times interleaved:

  python -c pass          the interpreter's own start-up
  read the corpus         a fresh interpreter that reads every file's bytes (the I/O floor)
  minutes check corpus/   start-up, imports, the worker pool, every meeting

Printed: wall time (fastest and median), the CPU time of the process and its workers (on a
shared machine the wall time also waits for cores; the CPU time is what a quiet machine pays,
over os.cpu_count() cores), and the load average.

    python -m bench.check_corpus          # BENCH_CHECK_RUNS=9 for steadier numbers
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.corpus import CORPUS  # noqa: E402

RUNS = int(os.environ.get("BENCH_CHECK_RUNS", "5"))
TARGET_S = 2.0
_READ = ("import sys, pathlib\n"
         "sum(len(p.read_bytes()) for p in pathlib.Path(sys.argv[1]).rglob('*') if p.is_file())")
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "read the corpus": [sys.executable, "-c", _READ, str(CORPUS)],
    "minutes check": [sys.executable, "-m", "minutes.cli", "check", str(CORPUS)],
}


def _run(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU of the process and everything it waited for), in seconds."""
    import time
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):   # 1: some corpus file is rejected, as expected
        raise RuntimeError(f"{argv[-2:]} failed ({done.returncode}): {done.stderr[-500:]!r}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int = RUNS) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(runs):   # interleaved: a burst of load hits every command alike
        for name, argv in COMMANDS.items():
            found[name].append(_run(argv))
    return found


def main() -> int:
    return 0 if report() < TARGET_S else 1


def report() -> float:
    """Measure, print the table, and return the check's fastest wall time."""
    found = measure()
    files = [p for p in CORPUS.rglob("*") if p.is_file()]
    print(f"minutes check of {CORPUS.name}/ ({len(files)} files, "
          f"{sum(p.stat().st_size for p in files) / 1e6:.1f} MB), {RUNS} runs, "
          f"{os.cpu_count()} cores; seconds")
    print(f"  {'':<18} {'wall min':>9} {'median':>8} {'CPU min':>8} {'median':>8}")
    for name, runs in found.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"  {name:<18} {min(walls):9.3f} {statistics.median(walls):8.3f} "
              f"{min(cpus):8.3f} {statistics.median(cpus):8.3f}")
    check_wall = statistics.median(w for w, _ in found["minutes check"])
    check_cpu = statistics.median(c for _, c in found["minutes check"])
    read_wall = statistics.median(w for w, _ in found["read the corpus"])
    print(f"  check / read the corpus: {check_wall / read_wall:.1f}x wall; check's CPU over "
          f"{os.cpu_count()} cores: {check_cpu / (os.cpu_count() or 1):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    fastest = min(w for w, _ in found["minutes check"])
    print(f"  target: wall < {TARGET_S} s: {'ok' if fastest < TARGET_S else 'MISSED'} (fastest run)",
          flush=True)
    return fastest


if __name__ == "__main__":
    sys.exit(main())
