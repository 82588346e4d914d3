"""A worker process of `minutes check` killed from outside (SIGKILL: the out-of-memory killer,
`kill -9`) mid-check: the check stops at once with one message naming the process and the
signal, and what to do, exit code 2; no traceback, no hang. check runs on build's pool
(forkpool.py, decision 80) since decision 89; ProcessPoolExecutor gave a BrokenProcessPool
traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from bench.sitegen import generate
from minutes.check import check_paths
from minutes.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from tests.unit.test_build_worker_death import forked_workers


def check_command(src, *jobs: str) -> list[str]:
    return [sys.executable, "-m", "minutes.cli", "check", str(src), *jobs]


def test_a_worker_killed_mid_check_stops_it_with_one_message(tmp_path):
    generate(tmp_path / "g", 400, seed=89)
    src = tmp_path / "g" / "minutes"
    running = subprocess.Popen(check_command(src, "--jobs", "2"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        workers = forked_workers(running)   # forked when the checking starts
        os.kill(running.pid, signal.SIGSTOP)   # held still: the kill lands mid-check
        worker = workers[0]   # --jobs 2: one forked worker (ProcessPoolExecutor had two)
        os.kill(worker, signal.SIGKILL)
        os.kill(running.pid, signal.SIGCONT)
        stdout, stderr = running.communicate(timeout=60)   # a hang fails here
    finally:
        running.kill()
    assert running.returncode == EXIT_USAGE, stderr
    assert stdout == "" and "Traceback" not in stderr
    assert stderr.startswith(f"minutes check: worker process {worker} was killed by SIGKILL "
                             "(the signal the kernel's out-of-memory killer sends"), stderr
    assert "while checking minutes. The check stopped" in stderr and "--jobs 1" in stderr
    assert stderr.count("minutes check:") == 1


def test_the_pool_gives_the_same_verdicts_as_one_process(tmp_path):
    generate(tmp_path / "g", 60, seed=89)
    src = tmp_path / "g" / "minutes"
    (src / "wg").mkdir()
    (src / "wg" / "9999-12-31-x.md").write_text("# X\n\n- a\n- b\n")
    one, pooled = check_paths([src], workers=1), check_paths([src], workers=2)
    assert [(v.key, v.problems, v.meta) for v in one] == [(v.key, v.problems, v.meta) for v in pooled]
    assert sum(not v.valid for v in one) == 1 and len(one) > 60


def test_jobs_must_be_positive(tmp_path, capsys):
    from minutes.cli import main
    (tmp_path / "wg").mkdir()
    (tmp_path / "wg" / "2024-01-02-x.md").write_text("# X\n\n- a\n- b\n")
    assert main(["check", str(tmp_path), "--jobs", "0"]) == EXIT_USAGE
    assert "--jobs must be 1 or more" in capsys.readouterr().err
    assert main(["check", str(tmp_path), "--jobs", "1"]) in (EXIT_OK, EXIT_INVALID)
