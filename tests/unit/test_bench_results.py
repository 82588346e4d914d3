"""bench.build_vs_hugo --results keeps the results file's history (make bench-build writes it)."""
from __future__ import annotations

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


def test_the_window_follows_the_kernels_dirty_expiry():
    from bench.build_vs_hugo import Disk
    from pathlib import Path
    proc = Path("/proc/sys/vm/dirty_expire_centisecs")
    expected = int(proc.read_text()) / 100 + 5 if proc.exists() else 35
    assert Disk.default_window() == expected


def test_the_spread_of_cold_builds_is_printed_beside_the_medians():
    from bench.build_vs_hugo import runs_line
    row = {"meetings": 1000, "cold_runs": [Run(1.8, 1, 1), Run(1.6, 1, 1), Run(2.2, 1, 1)],
           "hugo_runs": [Run(1.7, 1, 1), Run(1.9, 1, 1), Run(1.65, 1, 1)]}
    assert runs_line(row) == ("1,000 meetings, cold builds in turns: minutes 1.80, 1.60, 2.20 s; "
                              "Hugo 1.70, 1.90, 1.65 s")
    assert runs_line({"meetings": 10, "cold_runs": [Run(0.5, 1, 1)]}) == \
        "10 meetings, cold builds in turns: minutes 0.50 s"
