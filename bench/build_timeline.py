"""A timeline of a cold `minutes build`'s processes: where each works, waits or sits idle.

Runs the build in this process (as `minutes build` does: settle_heap, the same pool), with
the build's phases wrapped to note, per process, each phase's wall span and CPU time; then
prints every process's phases in order, the gaps between them (a process waiting for the
other, or idle), and the critical path. Workers are forked after the wrapping, so they note
their own phases (each event is appended to a file as it ends: a pool worker leaves by
os._exit, so nothing can wait for the end).

    python -m bench.build_timeline --meetings 1000 [--jobs 2] [--src DIR]

CPU times of a loaded machine are inflated; compare runs made in the same minute.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.sitegen import generate

SITE_URL = "https://bench.example.org"

# (object, attribute): the phases noted. Module functions are looked up by name when called,
# so wrapping the module's attribute is enough (the pool pickles them by name, too).
_MAIN_PHASES = ("_jobs", "_assemble_all", "_unique_segments", "_looks", "_plan_pages",
                "_plan_listings", "_second_phase_jobs", "_write_search", "_write_listings",
                "_write_attachments", "groups")
_ANY_PHASES = ("_assemble_many", "_second_phase")


def _note(log: str, name: str, fn):
    @functools.wraps(fn)
    def noted(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            label = name
            if name == "_second_phase":
                label = {"_Feeds": "feeds", "_Search": "search"}.get(type(args[0][2]).__name__, "pages")
            event = (os.getpid(), label, wall, time.perf_counter(), time.process_time() - cpu)
            with open(log, "a") as handle:
                handle.write(json.dumps(event) + "\n")
    return noted


def traced_build(src: Path, out: Path, log: str, *, jobs: int | None, settle: bool = True) -> float:
    """Build SRC into OUT with the phases noted in `log`; the time it started. `settle`: as
    `minutes build` does (build.settle_heap: for a process that only builds)."""
    from minutes import build
    from minutes.buildcache import BuildCache
    wrapped = [(build, name, name) for name in (*_MAIN_PHASES, *_ANY_PHASES)]
    wrapped += [(build._Writer, "finish", "_Writer.finish"), (BuildCache, "keep_listing", "keep_listing")]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in wrapped]
    for owner, name, label in wrapped:
        setattr(owner, name, _note(log, label, getattr(owner, name)))
    try:
        if settle:
            build.settle_heap()
        start = time.perf_counter()
        build.build(src, out, site_url=SITE_URL, workers=jobs)
        return start
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def report(log: str, start: float) -> str:
    events = defaultdict(list)
    for line in Path(log).read_text().splitlines():
        pid, label, begin, end, cpu = json.loads(line)
        events[pid].append((begin - start, end - start, label, cpu))
    main = os.getpid()
    lines = []
    for pid in sorted(events, key=lambda p: (p != main, p)):
        spans = sorted(events[pid])
        lines.append(f"process {pid} ({'main' if pid == main else 'worker'}):")
        merged: list[list] = []   # consecutive events of one label, the gaps between them summed
        last_end = 0.0
        for begin, end, label, cpu in spans:
            if merged and merged[-1][2] == label and begin - last_end < 0.05:
                merged[-1][1] = max(merged[-1][1], end)
                merged[-1][3] += cpu
                merged[-1][4] += 1
                merged[-1][5] += end - begin
            else:
                if begin - last_end > 0.05:
                    merged.append([last_end, begin, "(gap)", 0.0, 0, begin - last_end])
                merged.append([begin, end, label, cpu, 1, end - begin])
            last_end = max(last_end, end)
        for begin, end, label, cpu, count, busy in merged:
            if label == "(gap)":
                lines.append(f"  {begin:7.2f}-{end:7.2f}  {'':>6}  -- idle or outside a phase "
                             f"{end - begin:.2f} s")
            else:
                lines.append(f"  {begin:7.2f}-{end:7.2f}  {cpu:6.2f}  {label} x{count} "
                             f"(wall in it {busy:.2f} s)")
        # _assemble_all holds the main process's own _assemble_many: counted once.
        cpu = sum(c for *_, label, c in spans if label != "_assemble_all")
        lines.append(f"  CPU in phases {cpu:.2f} s; last phase ends {last_end:.2f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--src", type=Path, help="generated minutes to reuse (else generated)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="build-timeline-") as tmp:
        root = Path(tmp)
        src = args.src or generate(root / "gen", args.meetings, seed=args.seed).minutes
        log = str(root / "events.jsonl")
        Path(log).touch()
        before = os.times()
        start = traced_build(src, root / "site", log, jobs=args.jobs)
        wall = time.perf_counter() - start
        after = os.times()
        print(report(log, start))
        print(f"build wall {wall:.2f} s; CPU main {after.user - before.user + after.system - before.system:.2f} s, "
              f"workers {after.children_user - before.children_user + after.children_system - before.children_system:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
