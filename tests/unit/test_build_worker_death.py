"""A worker process of `minutes build` killed from outside (SIGKILL: the out-of-memory killer,
`kill -9`) in the middle of a build: the build stops at once with one message that names the
process and the signal, and says what to do, exit code 2; the cache and the site folder stay
such that running the command again gives exactly a fresh build's site (decision 80)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.sitegen import generate
from minutes.cli import EXIT_OK, EXIT_USAGE

from tests.support.sources import write
from tests.unit.test_build import site_bytes

SITE = "https://minutes.example.org"


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: no psutil here)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def forked_workers(running: subprocess.Popen) -> list[int]:
    """The workers `running` has forked, waited for (a minute at most) while it runs."""
    deadline = time.monotonic() + 60
    while not (workers := children(running.pid)):
        assert running.poll() is None and time.monotonic() < deadline, "no worker started"
        time.sleep(0.002)
    return workers


def build_command(src: Path, out: Path, cache: Path) -> list[str]:
    return [sys.executable, "-m", "minutes.cli", "build", str(src), "--out", str(out),
            "--base-url", SITE, "--jobs", "2", "--cache-dir", str(cache)]


def test_a_worker_killed_mid_build_stops_it_with_one_message_and_a_rerun_completes_the_site(tmp_path):
    generate(tmp_path / "g", 120, seed=80)
    src = tmp_path / "g" / "minutes"
    out, cache = tmp_path / "site", tmp_path / "cache"
    # A first build, so the second one changes a site and a cache it must leave consistent.
    first = subprocess.run(build_command(src, out, cache), capture_output=True, text=True, timeout=120)
    assert first.returncode == EXIT_OK, first.stderr
    for path in sorted(src.rglob("*.md"))[::3]:   # a third of the meetings change
        path.write_text(path.read_text() + "\n- one more item\n")
    running = subprocess.Popen(build_command(src, out, cache), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        workers = forked_workers(running)   # forked when it starts assembling
        # Held still while its worker is killed: so the kill lands mid-build, not after it.
        os.kill(running.pid, signal.SIGSTOP)
        (worker,) = workers
        os.kill(worker, signal.SIGKILL)
        os.kill(running.pid, signal.SIGCONT)
        stdout, stderr = running.communicate(timeout=60)   # a hang fails here
    finally:
        running.kill()
    assert running.returncode == EXIT_USAGE
    assert stdout == ""
    assert "Traceback" not in stderr
    message = stderr[stderr.index("minutes build:"):]
    assert message.startswith(f"minutes build: worker process {worker} was killed by SIGKILL "
                              "(the signal the kernel's out-of-memory killer sends")
    assert f"{out} may now hold some files of this build" in message
    assert "Run the same command again" in message and "--jobs 1" in message
    assert stderr.count("minutes build:") == 1
    # The same command again completes the site: what a fresh build makes, byte for byte.
    again = subprocess.run(build_command(src, out, cache), capture_output=True, text=True, timeout=120)
    assert again.returncode == EXIT_OK, again.stderr
    fresh = subprocess.run(build_command(src, tmp_path / "fresh", tmp_path / "fresh-cache"),
                           capture_output=True, text=True, timeout=120)
    assert fresh.returncode == EXIT_OK, fresh.stderr
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")


def test_a_page_a_failed_build_wrote_goes_when_its_meeting_is_gone_before_the_next_build(tmp_path, monkeypatch):
    """A build that stops after writing pages (a dead worker, Ctrl-C, a full disk) leaves the
    cache as the last finished build left it, and the site folder holding what it wrote: the
    page of a meeting new since then must still go when that meeting is deleted before the
    next build, or the site would keep it for good (a fresh build has no such page)."""
    from minutes.build import build
    from minutes.problems import MinutesError
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    for day in (1, 2, 3):
        write(src / "wg" / f"2024-05-0{day}-sync.md", f"# Sync {day}\n\n- item {day}\n- b\n- c\n")
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    new = write(src / "other" / "2024-05-09-kickoff.md", "# Kickoff\n\n- a\n- b\n- c\n")

    _build_stopped_in("_write_attachments", MinutesError("stopped after the pages (injected)"),
                      monkeypatch, src, out, cache)
    assert (out / "other" / "2024-05-09-kickoff" / "index.html").is_file()   # it wrote them
    new.unlink()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")


@pytest.mark.parametrize("finished_before", [False, True], ids=["first-build", "after-a-build"])
def test_a_search_index_a_failed_build_wrote_is_made_again_not_patched(tmp_path, monkeypatch,
                                                                       finished_before):
    """A build stopped after it wrote a new search index and before it claimed the index's
    files (they are claimed once made): the next build must not patch that index as if the
    last finished build had made it, or a meeting deleted meanwhile stays searchable (the
    reviewer's finding: its words in search/d/ and search/t/ for good)."""
    from minutes.build import build
    src, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    write(src / "wg" / "2024-01-01-a.md", "# A\n\nWe talked about alpha at length today.\n")
    if finished_before:
        build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    gone = write(src / "wg" / "2024-03-04-b.md", "# B\n\nWe talked about zebrasecretword today.\n")
    write(src / "wg" / "2024-05-06-c.md", "# C\n\nWe talked about gamma at length today.\n")

    _build_stopped_in("_write_listings", KeyboardInterrupt("Ctrl-C while the listings are written (injected)"),
                      monkeypatch, src, out, cache)
    assert any(b"zebrasecretword" in p.read_bytes() for p in (out / "search").rglob("*.json"))
    gone.unlink()
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")
    assert not any(b"zebrasecretword" in p.read_bytes() for p in out.rglob("*") if p.is_file())


def _build_stopped_in(step: str, failure: BaseException, monkeypatch, src, out, cache) -> None:
    """A build with a cache folder that fails with `failure` when it reaches build.`step`."""
    from minutes import build as build_module

    def stop(*args, **kwargs):
        raise failure
    with monkeypatch.context() as patched:
        patched.setattr(build_module, step, stop)
        with pytest.raises(type(failure), match="injected"):
            build_module.build(src, out, site_url=SITE, workers=1, cache_dir=cache)
