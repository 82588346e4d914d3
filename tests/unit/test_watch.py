"""`minutes build --watch`: one resident process builds, then builds again after each change;
after every rebuild the site is the one a fresh build of the sources gives, whatever the change
(every kind test_build_rebuild knows, one after another), and a change made while a build runs
is built by the next one."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from minutes import buildcache, watch as watch_module
from minutes.build import build
from minutes.problems import MinutesError
from minutes.watch import signature, watch
from tests.support.sources import write
from tests.unit.test_build_rebuild import CHANGES, SITE, edit, site_of, src  # noqa: F401 (fixture)


def test_after_every_change_the_watched_site_equals_a_fresh_build(src, tmp_path, monkeypatch):
    monkeypatch.setattr(buildcache, "_RACY_NS", -10**18)   # only the stat tells a change
    out, cache = tmp_path / "site", tmp_path / "cache"
    changes = iter(CHANGES)
    builds, compared = [], []

    def report(outcome, seconds):
        assert not isinstance(outcome, MinutesError)
        builds.append(outcome)
        fresh = tmp_path / f"fresh-{len(builds)}"
        build(src, fresh, site_url=SITE, workers=1)
        assert site_of(out) == site_of(fresh), f"after build {len(builds)}"
        compared.append(len(builds))

    def sleep(seconds):   # between polls: the next change
        change = next(changes, None)
        if change is not None:
            change(src)

    polls = iter(range(3 * len(CHANGES)))
    watch(src, out, report=report, sleep=sleep, stop=lambda: next(polls, None) is None,
          site_url=SITE, workers=1, cache_dir=cache)
    assert len(builds) == len(CHANGES) + 1 == len(compared)   # the first build, then one per change
    assert all(b.reused > 0 for b in builds[1:])              # rebuilds, not cold builds


def test_a_change_made_while_a_build_runs_is_built_next(src, tmp_path, monkeypatch):
    out, cache = tmp_path / "site", tmp_path / "cache"
    during = [lambda: edit(src)]
    real_build = watch_module.build

    def build_and_edit(*args, **kwargs):
        result = real_build(*args, **kwargs)
        if during:
            during.pop()()   # saved after the build read its sources
        return result

    monkeypatch.setattr(watch_module, "build", build_and_edit)
    builds = []
    polls = iter(range(3))
    watch(src, out, report=lambda outcome, s: builds.append(outcome), sleep=lambda s: None,
          stop=lambda: next(polls, None) is None, site_url=SITE, workers=1, cache_dir=cache)
    assert len(builds) == 2
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_a_refused_build_is_reported_and_the_watch_goes_on(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "openxla").mkdir(parents=True)
    os.symlink(elsewhere, out / "openxla" / "2022-10-03-sync")   # planted: refused
    outcomes = []

    def sleep(seconds):
        if len(outcomes) == 1:   # the user removes the link and saves a source
            (out / "openxla" / "2022-10-03-sync").unlink()
            edit(src)

    polls = iter(range(3))
    watch(src, out, report=lambda outcome, s: outcomes.append(outcome), sleep=sleep,
          stop=lambda: next(polls, None) is None, site_url=SITE, workers=1, cache_dir=cache)
    assert isinstance(outcomes[0], MinutesError) and "symbolic link" in str(outcomes[0])
    assert len(outcomes) == 2 and not isinstance(outcomes[1], MinutesError)
    assert list(elsewhere.iterdir()) == []
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_the_signature_sees_what_a_build_reads(src, tmp_path):
    before = signature(src)
    assert before and all(not rel.startswith(".") for rel in before)
    write(src / ".hidden" / "x.md", "# not read\n")
    assert signature(src) == before
    write(src / "openxla" / "2022-10-03-sync.md", "# Sync 3\n\n- item 3\n- b\n- c\n")
    assert signature(src) != before
    assert signature(tmp_path / "missing") is None


def test_the_watch_command_builds_again_after_a_change_and_stops_on_ctrl_c(src, tmp_path):
    out, cache = tmp_path / "site", tmp_path / "cache"
    command = [sys.executable, "-m", "minutes.cli", "build", str(src), "--out", str(out),
               "--base-url", SITE, "--cache-dir", str(cache), "--watch", "--interval", "0.05"]
    # SIGINT as a terminal's Ctrl-C delivers it: a shell starts a background job (a suite run
    # with `&`) with SIGINT ignored, and the child would inherit that and never stop.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) as proc:
        watchdog = threading.Timer(120, proc.kill)   # a line that never comes fails, not hangs
        watchdog.start()
        try:
            lines = [proc.stdout.readline(), proc.stdout.readline()]
            assert lines[0].startswith("watching ") and lines[1].startswith("built ")
            edit(src)
            lines.append(proc.stdout.readline())
            built = int(lines[2].split()[1])
            assert lines[2].startswith(f"built {built} meetings ({built - 1} unchanged)")   # one built again
        finally:
            watchdog.cancel()
            proc.send_signal(signal.SIGINT)   # Ctrl-C
            try:
                assert proc.wait(timeout=30) == 0
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_of(out) == site_of(tmp_path / "fresh")


def test_watch_without_a_cache_is_refused(src, tmp_path, capsys):
    from minutes.cli import main
    assert main(["build", str(src), "--out", str(tmp_path / "site"), "--watch", "--no-cache"]) == 2
    assert "--no-cache" in capsys.readouterr().err


def test_ctrl_c_during_a_watched_build_says_the_site_may_be_half_written(src, tmp_path):
    """Decision 95: a Ctrl-C while a --watch build runs ends the command as a one-shot build's
    (decision 90): the one line saying the site may hold a mix, and death by SIGINT; it exited
    0 in silence. (Between builds it still ends with 0: the test above.) The Ctrl-C is sent by
    the build itself, so that it lands mid-build every time."""
    out = tmp_path / "site"
    script = (
        "import os, signal, sys, time\n"
        "import minutes.watch as watch\n"
        "from minutes.cli import main\n"
        "def build(*args, **options):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(30)\n"
        "watch.build = build\n"
        f"sys.argv = ['minutes', 'build', {str(src)!r}, '--out', {str(out)!r}, '--cache-dir',"
        f" {str(tmp_path / 'cache')!r}, '--watch']\n"
        "sys.exit(main())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.returncode == -signal.SIGINT, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.rstrip().splitlines()[-1] == (
        f"minutes build: stopped by Ctrl-C; {out} may hold a mix of old and new files until the "
        "next build: run `minutes build` again to finish it")
