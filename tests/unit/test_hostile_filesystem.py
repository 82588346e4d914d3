"""`minutes build` and `minutes check` on a hostile file system (decision 88): an unreadable file
or folder, a source gone between the scan and its reading, --out a file, ok.md beside ok.MD, a
FIFO, a linked folder, a closed pipe, a killed main process. Each gets a clear error that says
what is wrong and how to fix it (the same from build and check), never a traceback, a hang or
a silent drop; and what is not refused builds as usual."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.sources import write

SITE = "https://minutes.example.org"
GOOD = "# Weekly sync\n\n## Notes\n\n- one\n- two\n"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "minutes"
    write(root / "wg" / "2024-01-02-a.md", GOOD)
    write(root / "wg" / "2024-01-03-b.md", GOOD.replace("Weekly", "Second"))
    write(root / "wg" / "2024-01-09-folder" / "NOTES.md", GOOD.replace("Weekly", "Folder"))
    write(root / "wg2" / "2024-01-04-c.md", GOOD.replace("Weekly", "Third"))
    return root


# --- 6. a closed pipe -----------------------------------------------------------------------

@pytest.mark.parametrize("command", ["check", "build"])
def test_a_closed_output_pipe_ends_the_command_quietly_as_unix_tools_do(src, tmp_path, command):
    """`minutes check | head -1`: a BrokenPipeError traceback (and another at exit). Now the
    command ends as a Unix tool does, killed by SIGPIPE, printing nothing more."""
    read, written = os.pipe()
    os.close(read)   # the reader is gone before the first line
    argv = [str(src)] if command == "check" else [
        str(src), "--out", str(tmp_path / "site"), "--base-url", SITE, "--no-cache", "--jobs", "1"]
    try:
        done = subprocess.run([sys.executable, "-m", "minutes.cli", command, *argv], stdout=written,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(written)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == -signal.SIGPIPE
    if command == "build":   # the site was built before its line was printed
        assert (tmp_path / "site" / "wg" / "2024-01-02-a" / "index.html").is_file()


# --- 8. the main process killed during a build ----------------------------------------------

def test_a_worker_whose_main_process_was_killed_exits_quietly(tmp_path):
    """The worker finished its item and wrote to a pipe nobody reads: a BrokenPipeError
    traceback on the terminal after the build was gone. Now it ends without a word."""
    script = textwrap.dedent("""
        import sys, time
        from minutes.forkpool import ForkPool

        def slow(item):
            time.sleep(1.0)
            return item

        with ForkPool(2) as pool:
            results = pool.map(slow, [0, 1])
            print("ready", flush=True)
            list(results)
    """)
    done = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert done.stdout.readline() == "ready\n"
    done.kill()   # the worker has its item, and answers once it is made
    err = done.stderr.read()   # until the worker, which shares it, has ended too
    done.wait(timeout=30)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
