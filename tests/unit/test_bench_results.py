"""bench.build_vs_hugo --results keeps the results file's history (make bench-build writes it)."""
from __future__ import annotations

from pathlib import Path

from bench.build_vs_hugo import Run, median_run, record_results


def test_a_run_goes_on_top_and_keeps_every_earlier_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\nHow to read these.\n\n## Older run\n\n| a |\n\n## Oldest\n\nx\n")
    record_results(path, "| new table |")
    text = path.read_text()
    assert text.startswith("# Benchmark results\n\nHow to read these.\n\n## `make bench-build`, ")
    assert text.index("| new table |") < text.index("## Older run") < text.index("## Oldest")
    assert text.endswith("## Older run\n\n| a |\n\n## Oldest\n\nx\n")
    record_results(path, "| newer |")
    assert path.read_text().index("| newer |") < path.read_text().index("| new table |")


def test_a_missing_file_is_started(tmp_path):
    path = tmp_path / "RESULTS.md"
    record_results(path, "| t |")
    assert path.read_text().startswith("# Benchmark results\n\n## `make bench-build`, ")
    assert "| t |" in path.read_text()


def test_the_rebuild_reported_is_the_median_time_with_the_highest_peak():
    runs = [Run(0.48, 40, 50), Run(0.37, 45, 52), Run(0.40, 42, 55)]
    assert median_run(runs) == Run(0.40, 45, 55)
    assert median_run(runs[:1]) == runs[0]
    assert median_run(runs + [Run(0.50, 30, 30)]) == Run(0.44, 45, 55)   # even: the middle two's mean


def test_the_table_gives_the_many_process_memory_beside_hugos():
    from bench.build_vs_hugo import MANY, table
    mib = 2**20
    row = {"meetings": 1000, "mb": 10.0, "hugo": Run(1.5, 500 * mib, 500 * mib),
           "cold": Run(1.6, 49 * mib, 63 * mib), "many": Run(3.0, 71 * mib, 99 * mib),
           "rebuild": Run(0.13, 36 * mib, 36 * mib)}
    head, rule, line = table([row]).splitlines()
    columns = [cell.strip() for cell in head.strip("|").split("|")]
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert len(columns) == len(cells) == rule.count("|") - 1
    at = columns.index(f"cold, `--jobs {MANY}`: memory, / Hugo")
    assert cells[at] == "71 MiB, 0.14"
    assert cells[columns.index("memory ratio (<= 0.1)")] == "0.10"


def test_cold_builds_wait_out_the_window_of_recently_deleted_inodes(monkeypatch):
    """Decision 119: a cold build right after a deletion pays the kernel's skipping of recently
    freed inodes (ext4 without a journal); the bench waits until the window has passed."""
    import bench.build_vs_hugo as bvh
    slept, synced, now = [], [], [1000.0]
    monkeypatch.setattr(bvh.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(bvh.time, "sleep", slept.append)
    monkeypatch.setattr(bvh.os, "sync", lambda: synced.append(now[0]))
    disk = bvh.Disk(35.0)          # made now: what ran before may have just deleted a tree
    now[0] += 5
    disk.settle()
    assert slept == [30.0] and len(synced) == 1
    now[0] += 60                   # nothing deleted since: no wait, only the write-back
    disk.settle()
    assert slept == [30.0] and len(synced) == 2
    disk.deleted()
    now[0] += 34
    disk.settle()
    assert slept == [30.0, 1.0]


def test_the_window_follows_the_kernels_dirty_expiry(tmp_path):
    from bench.build_vs_hugo import Disk
    expiry = tmp_path / "dirty_expire_centisecs"
    expiry.write_text("3000\n")
    assert Disk.default_window(expiry) == 35.0
    expiry.write_text("1500\n")
    assert Disk.default_window(expiry) == 20.0
    assert Disk.default_window(tmp_path / "missing") == 35.0


def test_cold_builds_take_turns_and_nothing_is_deleted_until_the_size_is_done(monkeypatch):
    """Decision 119: settle once, sync before each cold build, tools in turns (each first as
    often), every cold output kept until the last rebuild, the rebuild on the last cold site."""
    import bench.build_vs_hugo as bvh
    from types import SimpleNamespace
    events = []

    class Recorder(bvh.Disk):
        def settle(self):
            events.append(("settle",))

        def flush(self):
            events.append(("flush",))

        def deleted(self):
            events.append(("deleted",))

    def measure(argv):
        tool = "hugo" if argv[0] == "hugo" else "minutes"
        out = argv[argv.index("--destination" if tool == "hugo" else "--out") + 1]
        events.append(("measure", tool, Path(out).name))
        return Run(1.0, 1, 1)

    real_rmtree = bvh.shutil.rmtree
    monkeypatch.setattr(bvh.shutil, "rmtree", lambda path, *a, **k: (events.append(("rmtree",)),
                                                                      real_rmtree(path, *a, **k)))
    monkeypatch.setattr(bvh, "generate", lambda root, n, seed: SimpleNamespace(
        minutes=root / "minutes", hugo=root / "hugo", bytes=1000))
    monkeypatch.setattr(bvh, "touch_one", lambda generated, seed: events.append(("touch",)))
    monkeypatch.setattr(bvh, "hugo_binary", lambda: Path("hugo"))
    monkeypatch.setattr(bvh, "measure", measure)
    monkeypatch.setattr(bvh.subprocess, "run", lambda *a, **k: SimpleNamespace(stdout="--cache-dir --jobs"))
    row = bvh.bench_size(100, with_hugo=True, seed=1, disk=Recorder(0))

    measured = [e for e in events if e[0] == "measure"]
    colds = measured[:2 * bvh.COLD_RUNS]
    firsts = [colds[i][1] for i in range(0, len(colds), 2)]
    assert firsts.count("hugo") == firsts.count("minutes") == bvh.COLD_RUNS // 2
    assert all(colds[i][1] != colds[i + 1][1] for i in range(0, len(colds), 2))   # one each a turn
    assert [e for e in events[:events.index(measured[0])]] == [("settle",), ("flush",)]
    at_measure = [at for at, e in enumerate(events) if e[0] == "measure"][:len(colds)]
    assert all(events[at - 1] == ("flush",) for at in at_measure)   # every cold build after a sync
    last_rebuild = max(at for at, e in enumerate(events) if e[0] == "measure")
    assert ("rmtree",) not in events[:last_rebuild + 1] and events[-1] == ("deleted",)
    last_site = f"site-{bvh.COLD_RUNS - 1}"
    assert [e[2] for e in measured[2 * bvh.COLD_RUNS + 1:]] == [last_site] * bvh.REBUILDS
    assert len(row["cold_runs"]) == len(row["hugo_runs"]) == bvh.COLD_RUNS


def test_the_spread_of_cold_builds_is_printed_beside_the_medians():
    from bench.build_vs_hugo import runs_line
    row = {"meetings": 1000, "cold_runs": [Run(1.8, 1, 1), Run(1.6, 1, 1), Run(2.2, 1, 1)],
           "hugo_runs": [Run(1.7, 1, 1), Run(1.9, 1, 1), Run(1.65, 1, 1)]}
    assert runs_line(row) == ("1,000 meetings, cold builds in turns: minutes 1.80, 1.60, 2.20 s; "
                              "Hugo 1.70, 1.90, 1.65 s")
    assert runs_line({"meetings": 10, "cold_runs": [Run(0.5, 1, 1)]}) == \
        "10 meetings, cold builds in turns: minutes 0.50 s"
