"""A build without a cache folder (`--no-cache`, build(cache_dir=None)) keeps its records in a
temporary folder (`minutes-build-*`, buildcache.BuildCache): it goes however the build ends
short of SIGKILL: done, failed, a worker killed, Ctrl-C (even while the store is being
opened), SIGTERM or SIGHUP (decision 108). /tmp held 207 such folders after a day of tests."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from minutes import build as build_module
from minutes import buildcache
from minutes.build import build
from minutes.problems import MinutesError

from tests.support.sources import write

SITE = "https://minutes.example.org"


@pytest.fixture
def temporary(tmp_path, monkeypatch) -> Path:
    """The temporary folder the build's store goes in, this test's own."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)   # gettempdir() asks TMPDIR again
    return folder


@pytest.fixture
def src(tmp_path) -> Path:
    root = tmp_path / "minutes"
    for day in range(1, 21):   # 20: enough for two processes
        write(root / "wg" / f"2024-01-{day:02d}-m.md", f"# Meeting {day}\n\n- a\n- b\n")
    return root


def left(temporary: Path) -> list[str]:
    return sorted(p.name for p in temporary.iterdir() if p.name.startswith("minutes-build-"))


def test_a_finished_build_leaves_no_store(src, tmp_path, temporary):
    build(src, tmp_path / "site", site_url=SITE, workers=2)
    assert left(temporary) == []


def test_ctrl_c_while_the_store_is_opened_leaves_no_store(src, tmp_path, temporary, monkeypatch):
    """The code's digest (~100 files read and hashed, the installed versions asked) is taken
    once the folder is made, before the build's own clean-up is in force: a Ctrl-C there left
    the folder."""
    def interrupted():
        raise KeyboardInterrupt
    monkeypatch.setattr(buildcache, "code_version", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(src, tmp_path / "site", site_url=SITE, workers=1)
    assert left(temporary) == []


@pytest.mark.parametrize("failure", [KeyboardInterrupt(), RuntimeError("disk on fire")])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_build_stopped_midway_leaves_no_store(src, tmp_path, temporary, monkeypatch, failure, workers):
    planned = build_module._plan_pages

    def stopped(*args, **kwargs):
        assert any(temporary.iterdir())   # the store is there while the build runs
        raise failure
    monkeypatch.setattr(build_module, "_plan_pages", stopped)
    with pytest.raises(type(failure)):
        build(src, tmp_path / "site", site_url=SITE, workers=workers)
    assert left(temporary) == []
    monkeypatch.setattr(build_module, "_plan_pages", planned)


_MAIN = os.getpid()
_SECOND_PHASE = build_module._second_phase_packed


def _killed_in_a_worker(item):
    """The second phase's item, which kills a worker (the out-of-memory killer's way); picklable
    by name, as the pool sends it."""
    if os.getpid() != _MAIN:
        os.kill(os.getpid(), signal.SIGKILL)
    return _SECOND_PHASE(item)


def test_a_killed_worker_leaves_no_store(src, tmp_path, temporary, monkeypatch):
    monkeypatch.setattr(build_module, "_second_phase_packed", _killed_in_a_worker)
    with pytest.raises(MinutesError, match="killed by SIGKILL"):
        build(src, tmp_path / "site", site_url=SITE, workers=2)
    assert left(temporary) == []


# The `minutes` command, its own process: sends a signal to itself, to its process group (its
# worker too) or to its workers alone while it plans the pages, after the workers have
# assembled every meeting.
SIGNALLED = textwrap.dedent("""
    import os, signal, sys
    from minutes import build
    sig, to = getattr(signal, sys.argv.pop(1)), sys.argv.pop(1)
    planned = build._plan_pages

    def workers():
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as listed:
            return [int(pid) for pid in listed.read().split()]

    def signalled(*args, **kwargs):
        if to == "group":
            os.killpg(0, sig)
        for pid in workers() if to == "workers" else [os.getpid()] if to == "process" else []:
            os.kill(pid, sig)
        return planned(*args, **kwargs)
    build._plan_pages = signalled
    from minutes.cli import main
    sys.exit(main())
""")


def signalled(src: Path, out: Path, temporary: Path, sent: str, to: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SIGNALLED, sent, to, "build", str(src), "--out", str(out),
         "--base-url", SITE, "--no-cache", "--jobs", "2"],
        env=dict(os.environ, TMPDIR=str(temporary)), capture_output=True, text=True, timeout=120,
        start_new_session=True)   # its own group: killpg reaches it and its worker only


@pytest.mark.parametrize("sent", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("to", ["process", "group"])
def test_the_command_stopped_by_a_signal_says_so_dies_by_it_and_leaves_no_store(src, tmp_path, temporary,
                                                                                 sent, to):
    out = tmp_path / "site"
    done = signalled(src, out, temporary, sent, to)
    by = "Ctrl-C" if sent == "SIGINT" else sent
    assert done.returncode == -getattr(signal, sent), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == (   # after the progress bar's last line
        f"minutes build: stopped by {by}; {out} may hold a mix of old and new files until the "
        "next build: run `minutes build` again to finish it"), done.stderr
    assert left(temporary) == []


def test_a_worker_sent_sigterm_alone_dies_by_it_and_the_build_says_so(src, tmp_path, temporary):
    """The handler is the main process's: a forked worker sent SIGTERM dies by it, as before,
    and the build stops with decision 80's one line (exit 2), its store gone."""
    done = signalled(src, tmp_path / "site", temporary, "SIGTERM", "workers")
    assert done.returncode == 2, done.stderr
    assert "was killed by SIGTERM" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert left(temporary) == []


# Two stop signals close together (a Ctrl-C, then `kill`; SIGTERM then SIGHUP as a terminal
# closes): the second came while the first was being handled and raised again, through the
# store's clean-up (the store left) or the one line (a traceback, exit 1): 3 runs in 20.
TWICE = textwrap.dedent("""
    import os, signal, sys
    from minutes import build, buildcache, cli
    first, second = (getattr(signal, name) for name in sys.argv.pop(1).split("+"))
    when = sys.argv.pop(1)
    planned, discard, report = build._plan_pages, buildcache.BuildCache.discard, cli._stopped_by_ctrl_c

    def signalled(*args, **kwargs):
        os.kill(os.getpid(), first)
        if when == "together":
            os.kill(os.getpid(), second)
        return planned(*args, **kwargs)

    def discarding(*args, **kwargs):   # the build's clean-up
        if when == "cleaning":
            os.kill(os.getpid(), second)
        return discard(*args, **kwargs)

    def reporting(*args, **kwargs):    # the command's one line
        if when == "reporting":
            os.kill(os.getpid(), second)
        return report(*args, **kwargs)
    build._plan_pages, buildcache.BuildCache.discard = signalled, discarding
    cli._stopped_by_ctrl_c = reporting
    sys.exit(cli.main())
""")


@pytest.mark.parametrize("sent", ["SIGINT+SIGTERM", "SIGTERM+SIGHUP", "SIGHUP+SIGINT"])
@pytest.mark.parametrize("when", ["together", "cleaning", "reporting"])
def test_a_second_signal_while_the_first_is_handled_changes_nothing(src, tmp_path, temporary, sent, when):
    """Once a stop is seen, another signal changes nothing: one line, death by the first one
    Python handled, no store left."""
    out = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-c", TWICE, sent, when, "build", str(src), "--out", str(out),
         "--base-url", SITE, "--no-cache", "--jobs", "1"],
        env=dict(os.environ, TMPDIR=str(temporary)), capture_output=True, text=True, timeout=120)
    names = sent.split("+")
    first = names[0]
    if when == "together" and done.returncode == -getattr(signal, names[1]):
        first = names[1]   # both pending before Python ran a handler: it takes the lower number
    by = "Ctrl-C" if first == "SIGINT" else first
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == -getattr(signal, first), done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"minutes build: stopped by {by}; {out} may hold a mix of old and new files until the "
        "next build: run `minutes build` again to finish it"), done.stderr
    assert left(temporary) == []
