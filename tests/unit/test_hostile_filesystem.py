"""`minutes build` and `minutes check` on a hostile file system (decision 88): an unreadable file
or folder, a source gone between the scan and its reading, --out a file, ok.md beside ok.MD, a
FIFO, a linked folder, a closed pipe, a killed main process. Each gets a clear error that says
what is wrong and how to fix it (the same from build and check), never a traceback, a hang or
a silent drop; and what is not refused builds as usual."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from minutes import build as build_module, buildcache, folder_walk, watch as watch_module
from minutes.build import build
from minutes.check import check_keyed, check_paths
from minutes.cli import EXIT_INVALID, EXIT_USAGE, main
from minutes.problems import MinutesError
from minutes.watch import watch
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


def site_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def said(problems) -> set[tuple]:
    return {(p.code, p.message, p.hint, p.file) for p in problems}


def by_build(src: Path, out: Path, **options) -> dict:
    return build(src, out, site_url=SITE, workers=1, **options).rejected


def refused_by_check(src: Path) -> set[tuple]:
    return said(p for v in check_paths([src]) for p in v.problems if p.is_error)


# --- 1. an unreadable file or folder --------------------------------------------------------

def _unprivileged() -> list[str]:
    """The prefix that runs a command without root's power to read any file: none when not
    root; else setpriv dropping CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (skipped without)."""
    if os.geteuid() != 0:
        return []
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    if shutil.which("setpriv") is None or subprocess.run([*drop, "true"]).returncode != 0:
        pytest.skip("root reads any file, and setpriv cannot drop that power here")
    return drop


def _minutes(*argv: str, unprivileged: bool = True) -> subprocess.CompletedProcess:
    prefix = _unprivileged() if unprivileged else []
    return subprocess.run([*prefix, sys.executable, "-m", "minutes.cli", *argv],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("what, key, mode", [
    ("wg/2024-01-03-b.md", "minutes/wg/2024-01-03-b.md", 0),
    ("wg2", "minutes/wg2/", 0),
    ("wg/2024-01-09-folder", "minutes/wg/2024-01-09-folder/", 0),
    ("wg2", "minutes/wg2/", 0o644),   # listed, not entered (decision 102)
    ("wg/2024-01-09-folder", "minutes/wg/2024-01-09-folder/", 0o644)])
def test_an_unreadable_file_or_folder_is_rejected_by_build_and_check_alike(src, tmp_path, what, key,
                                                                          mode, jobs):
    """It was a PermissionError traceback from build (no site), and check left the folder out
    without a word. Now both reject it with source-unreadable (the rest builds, exit 1), a
    rebuild says the same from its cache, and once readable again the site equals a fresh
    build. A folder that can be listed but not entered (chmod 644) stopped the build (exit 2)
    at its first file and was a traceback from check: now it is said as one not listed."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    (src / what).chmod(mode)
    try:
        for _ in range(2):   # cold, then a rebuild from the cache
            built = _minutes("build", str(src), "--out", str(out), "--base-url", SITE,
                             "--jobs", jobs, "--cache-dir", str(cache))
            assert (built.returncode, "Traceback" in built.stderr) == (EXIT_INVALID, False), built.stderr
            assert f"error source-unreadable: {key} cannot be read (Permission denied): what it " \
                   "holds is left out of the site" in built.stderr
            assert "hint: give yourself read permission (chmod u+" in built.stderr
            assert "(1 rejected" in built.stdout
        checked = _minutes("check", "--format", "json", str(src))
        assert checked.returncode == EXIT_INVALID and "Traceback" not in checked.stderr
        problems = [(p["code"], p["message"]) for v in json.loads(checked.stdout) for p in v["problems"]
                    if p["severity"] == "error"]
        assert problems == [("source-unreadable", f"{key} cannot be read (Permission denied): what "
                                                  "it holds is left out of the site")]
    finally:
        (src / what).chmod(0o755)
    assert "wg2/2024-01-04-c/index.html" in site_bytes(out) or what == "wg2"
    build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")


@pytest.mark.parametrize("command", ["check", "upload"])
def test_a_file_given_in_a_folder_not_entered_is_one_line_not_a_traceback(src, command):
    """`minutes check wg2/x.md` with wg2 listable, not enterable (chmod 644): the file cannot
    even be looked at (os.stat: Permission denied). It was a PermissionError traceback from the
    arguments' check; now one line says which and what to do (exit 2), before any bucket."""
    (src / "wg2").chmod(0o644)
    try:
        done = _minutes(command, str(src / "wg2" / "2024-01-04-c.md"), *(
            ["--bucket", "no-such-bucket"] if command == "upload" else []))
    finally:
        (src / "wg2").chmod(0o755)
    assert (done.returncode, "Traceback" in done.stderr) == (EXIT_USAGE, False), done.stderr
    assert done.stderr == (f"minutes {command}: cannot look at {src / 'wg2' / '2024-01-04-c.md'} "
                           "(Permission denied): give yourself permission to enter each folder on "
                           "its path (chmod u+x), or move it elsewhere\n")


def test_an_unreadable_group_yaml_is_rejected_not_a_traceback(src, tmp_path):
    (src / "wg" / "group.yaml").write_text("name: Working group\n")
    (src / "wg" / "group.yaml").chmod(0)
    built = _minutes("build", str(src), "--out", str(tmp_path / "site"), "--base-url", SITE, "--no-cache")
    checked = _minutes("check", str(src))
    for said_it in (built.stderr, checked.stdout):
        assert "error source-unreadable: minutes/wg/group.yaml cannot be read (Permission denied)" in said_it
    assert "Traceback" not in built.stderr + checked.stderr
    assert (built.returncode, checked.returncode) == (EXIT_INVALID, EXIT_INVALID)


# --- 2. a source gone between the scan and its reading --------------------------------------

@pytest.mark.parametrize("where", ["read", "hash"])
def test_a_source_removed_while_building_is_treated_as_deleted(src, tmp_path, monkeypatch, where):
    """`git checkout` under `minutes build --watch`: a file the scan listed is gone when read
    (by the assembling process, or hashed by the cache's scan). It was a FileNotFoundError that
    ended the build (and the watch); now the build scans again and its site is a fresh build's
    of what is there."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    victim = src / "wg" / "2024-01-03-b.md"
    if where == "hash":   # the cache has seen it: a rebuild hashes a file whose stat changed
        build(src, out, site_url=SITE, workers=1, cache_dir=cache)
        victim.write_text(GOOD + "\n- changed\n")
        module, name = buildcache.BuildCache, "source_digest"
    else:
        module, name = build_module, "read_source"
    real = getattr(module, name)

    def vanishing(*args):
        path = args[-2] if where == "hash" else args[0]
        if path == str(victim) and victim.exists():
            victim.unlink()   # between the scan and this read
        return real(*args)
    monkeypatch.setattr(module, name, vanishing)
    result = build(src, out, site_url=SITE, workers=1, cache_dir=cache)
    assert not result.rejected
    build(src, tmp_path / "fresh", site_url=SITE, workers=1)
    assert site_bytes(out) == site_bytes(tmp_path / "fresh")
    assert not any(name.startswith("wg/2024-01-03-b") for name in site_bytes(out))


def test_sources_that_keep_disappearing_are_a_clear_error(src, tmp_path, monkeypatch):
    def gone(path, limit=None):
        raise buildcache.SourceGone(path)
    monkeypatch.setattr(build_module, "read_source", gone)
    with pytest.raises(MinutesError, match="kept disappearing while they were read .*build again"):
        build(src, tmp_path / "site", site_url=SITE, workers=1)


def test_watch_reports_a_refused_build_and_keeps_watching(src, tmp_path, monkeypatch):
    """An OSError from a build (a folder it cannot read or write) ended --watch with a
    traceback; now it is reported as any refused build, and the next change is built."""
    outcomes = []
    real = watch_module.build
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise PermissionError(13, "Permission denied", str(src / "wg2"))
        return real(*args, **kwargs)
    monkeypatch.setattr(watch_module, "build", flaky)
    polls = iter(range(3))

    def sleep(seconds):
        if len(outcomes) == 1:
            write(src / "wg" / "2024-01-05-new.md", GOOD)
    watch(src, tmp_path / "site", report=lambda outcome, seconds: outcomes.append(outcome),
          sleep=sleep, stop=lambda: next(polls, None) is None, site_url=SITE, workers=1,
          cache_dir=tmp_path / "cache")
    assert isinstance(outcomes[0], MinutesError)
    assert str(outcomes[0]).startswith(f"{src / 'wg2'}: Permission denied: fix that file or folder")
    assert len(outcomes) == 2 and len(outcomes[1].records) == 5


def test_a_folder_gone_between_listing_and_scanning_is_left_out_as_deleted(src, monkeypatch):
    real = os.scandir

    def scandir(path):
        if path.endswith("wg2/."):
            raise FileNotFoundError(2, "No such file or directory", path)
        return real(path)
    monkeypatch.setattr(folder_walk.os, "scandir", scandir)
    refused: list = []
    assert "wg2/2024-01-04-c.md" not in folder_walk.walk(str(src), refused)
    assert refused == []


# --- 3. --out (or --cache-dir) a file -------------------------------------------------------

@pytest.mark.parametrize("option, place", [("--out", "taken"), ("--out", "taken/site"),
                                           ("--cache-dir", "taken")])
def test_a_site_or_cache_folder_that_is_a_file_is_a_clear_error(src, tmp_path, capsys, option, place):
    (tmp_path / "taken").write_text("not a folder\n")
    out = tmp_path / (place if option == "--out" else "site")
    argv = ["build", str(src), "--out", str(out), "--base-url", SITE, "--jobs", "1"]
    if option == "--cache-dir":
        argv += ["--cache-dir", str(tmp_path / place)]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    name = "site" if option == "--out" else "cache"
    assert err == (f"minutes build: {tmp_path / 'taken'} is a file, not a folder, so the {name} "
                   f"folder {tmp_path / place} cannot be made: give a folder's name (it is made "
                   "if missing), or move the file away\n")
    assert (tmp_path / "taken").read_text() == "not a folder\n"


# --- 4. ok.md and ok.MD ---------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [("wg/2024-01-02-a.md", "wg/2024-01-02-a.MD"),
                                           ("wg/2024-01-09-folder/NOTES.md", "wg/2024-01-09-folder/notes.md")])
def test_two_files_whose_names_differ_only_in_case_are_an_error_naming_both(src, tmp_path, first, second):
    """They are one meeting's one document (one page): build kept one and dropped the other
    without a word, check said both were ok. Now both reject the meeting, naming both files."""
    write(src / second, GOOD.replace("Weekly", "Twin"))
    rejected = by_build(src, tmp_path / "site")
    keys = sorted(["minutes/" + first, "minutes/" + second])
    expected = {("duplicate-source", f"{keys[0]} and {keys[1]} are the same document of one meeting "
                 "(their names differ only in upper and lower case), and its page can show only "
                 "one of them", "keep one file: merge what the other says into it, then delete the "
                 "other", keys[1])}
    assert said(p for problems in rejected.values() for p in problems) == expected
    assert refused_by_check(src) == expected
    # `minutes sync` checks by key (check_keyed): neither is uploaded, for the same reason.
    keyed = {"minutes/" + rel: src / rel for rel in (first, second)}
    assert said(p for v in check_keyed(keyed) for p in v.problems) == expected


# --- 5. a FIFO (or device) ------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_by_its_stat_never_opened_for_reading(src, tmp_path):
    """`minutes check fifo.md` waited for a writer for ever; build left a FIFO out without a
    word (and a FIFO group.yaml hung it). Both now refuse it with source-not-a-file."""
    os.mkfifo(src / "wg" / "2024-01-05-pipe.md")
    os.mkfifo(src / "wg2" / "group.yaml")
    message = "{} is a FIFO (named pipe), not a regular file: minutes reads only regular files, " \
              "and reading this one might never end"
    checked = subprocess.run([sys.executable, "-m", "minutes.cli", "check", str(src / "wg" / "2024-01-05-pipe.md")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == EXIT_INVALID
    assert f"error source-not-a-file: {message.format('minutes/wg/2024-01-05-pipe.md')}" in checked.stdout
    expected = {("source-not-a-file", message.format(key), "put the file itself there, or move "
                 "this out of the folder", key)
                for key in ("minutes/wg/2024-01-05-pipe.md", "minutes/wg2/group.yaml")}
    assert said(p for problems in by_build(src, tmp_path / "site").values() for p in problems) == expected
    assert refused_by_check(src) == expected


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


# --- 7. a linked group or meeting folder ----------------------------------------------------

def test_a_linked_group_or_meeting_folder_is_rejected_by_build_and_check_alike(src, tmp_path):
    """Build left a linked folder out without a word (decision 78 rejects linked files); now it
    is rejected with linked-source, as check says too, and nothing in it is read."""
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "2024-02-01-secret.md", "# Secret\n\n- hunter2\n- b\n")
    write(elsewhere / "group.yaml", "name: Secret group\n")
    (src / "linked").symlink_to(elsewhere, target_is_directory=True)
    (src / "wg" / "2024-01-10-linked").symlink_to(elsewhere, target_is_directory=True)
    rejected = by_build(src, tmp_path / "site")
    expected = {("linked-source", f"{key} is a symbolic link: minutes build reads only regular files "
                 "under SRC, so that a link cannot publish a file from elsewhere on the machine "
                 "that builds", "put the folder itself there instead of the link", key)
                for key in ("minutes/linked/", "minutes/wg/2024-01-10-linked/")}
    assert said(p for problems in rejected.values() for p in problems) == expected
    assert refused_by_check(src) == expected
    assert not any(b"hunter2" in body or b"Secret" in body for body in site_bytes(tmp_path / "site").values())


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


# --- a Markdown file over max_bytes ---------------------------------------------------------

def test_a_markdown_file_over_max_bytes_is_rejected_by_its_size_as_publish_rejects_its_bytes(src, tmp_path):
    """Build and check read it whole before too-large rejected it; now its stat decides (as
    for an attachment, decision 85), with the words publish gives for the same bytes, and a
    file exactly at the limit is read and built."""
    from minutes.document import parse_document
    from minutes.keys import parse_key
    from minutes.problems import Rejected
    body = GOOD.encode()
    write(src / "wg" / "2024-01-05-at.md", body)
    write(src / "wg" / "2024-01-06-over.md", body + b"x")
    key = "minutes/wg/2024-01-06-over.md"
    with pytest.raises(Rejected) as publish:   # what the pipeline says of these bytes
        parse_document(body + b"x", key=parse_key(key), max_bytes=len(body))
    expected = said(p.in_file(key) for p in publish.value.problems)
    result = build(src, tmp_path / "site", site_url=SITE, workers=1, max_bytes=len(body))
    assert said(p for problems in result.rejected.values() for p in problems) == expected
    assert "wg/2024-01-05-at/index.html" in site_bytes(tmp_path / "site")
    verdicts = check_paths([src], max_bytes=len(body), workers=1)
    assert said(p for v in verdicts for p in v.problems if p.is_error) == expected


def test_a_huge_markdown_file_is_never_read_so_memory_stays_flat(src, tmp_path):
    """A 1 GiB sparse .md: build (cold, then from its cache after it grew) and check each
    peak far below its size (before: RSS past 1 GiB)."""
    huge = src / "wg" / "2024-01-07-huge.md"
    with open(huge, "wb") as handle:
        handle.truncate(1024 ** 3)
    script = ("import sys, os; from pathlib import Path; from minutes.build import build; "
              "from minutes.check import check_paths; src, tmp = Path(sys.argv[1]), Path(sys.argv[2]); "
              "r = build(src, tmp / 'site', site_url='https://x.org', workers=1, cache_dir=tmp / 'cache'); "
              "os.truncate(sys.argv[3], 1024 ** 3 + 1); "
              "r2 = build(src, tmp / 'site', site_url='https://x.org', workers=1, cache_dir=tmp / 'cache'); "
              "v = check_paths([src], workers=1); "
              "print(*[p.code for p in r.rejected['minutes/wg/2024-01-07-huge.md']], "
              "*[p.code for p in r2.rejected['minutes/wg/2024-01-07-huge.md']], "
              "*[p.code for x in v for p in x.problems if p.is_error]); "
              # VmHWM: this process's own peak (ru_maxrss keeps the forking pytest's across exec)
              "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    done = subprocess.run([sys.executable, "-c", script, str(src), str(tmp_path), str(huge)],
                          check=True, capture_output=True, text=True, timeout=300)
    codes, peak = done.stdout.splitlines()
    assert codes == "too-large too-large too-large"
    assert int(peak) / 1024 < 256


@pytest.mark.parametrize("site", [".", "site", "g/site"])
def test_a_site_folder_inside_src_is_refused_before_anything_is_written(tmp_path, capsys, site):
    """Decision 95: `minutes build s --out s` (or s/site) wrote the site among its sources, and
    the next build reported its own pages as 15 rejected sources, with no hint. Now refused,
    by the command (with --watch too) and by build(), saying where to put it; a hidden folder
    in SRC, which no build reads, is taken."""
    src = tmp_path / "s"
    write(src / "g" / "2024-01-01-a.md", "---\ntitle: A\ndate: 2024-01-01\n---\n\nHello world.\n")
    before = sorted(p.relative_to(src) for p in src.rglob("*"))
    out = src / site
    for watching in ([], ["--watch"]):
        assert main(["build", str(src), "--out", str(out), "--cache-dir",
                     str(tmp_path / "c"), *watching]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"the site folder {out} is " in err and f"give --out a folder outside {src}" in err
    with pytest.raises(MinutesError, match="would read the site it wrote"):
        build(src, out, site_url="https://minutes.example.org", workers=1)
    assert sorted(p.relative_to(src) for p in src.rglob("*")) == before
    for _ in range(2):   # a hidden one: built, and never read back
        result = build(src, src / ".site", site_url="https://minutes.example.org", workers=1)
        assert not result.rejected and len(result.records) == 1


@pytest.mark.parametrize("cache", [".", "cache", "g/2024-01-01-b"])
def test_a_cache_folder_inside_src_is_refused_before_anything_is_written(tmp_path, capsys, cache):
    """Decision 100: `--cache-dir` inside SRC was taken. Every build writes the cache, so
    `--watch` saw its own writes as a change and built again for ever, and a cache in a meeting
    folder became that meeting's attachments. Refused as --out inside SRC is (decision 95),
    with and without --watch and by build(); a hidden folder in SRC is taken."""
    src = tmp_path / "s"
    write(src / "g" / "2024-01-01-a.md", "---\ntitle: A\ndate: 2024-01-01\n---\n\nHello world.\n")
    write(src / "g" / "2024-01-01-b" / "NOTES.md", "# B\n\nHello.\n")
    before = sorted(p.relative_to(src) for p in src.rglob("*"))
    folder = src / cache
    for watching in ([], ["--watch"]):
        assert main(["build", str(src), "--out", str(tmp_path / "site"), "--cache-dir",
                     str(folder), *watching]) == EXIT_USAGE
        err = capsys.readouterr().err
        assert f"the cache folder {folder} is " in err
        assert f"give --cache-dir a folder outside {src}" in err and "Traceback" not in err
    with pytest.raises(MinutesError, match="would read the cache it wrote"):
        build(src, tmp_path / "site", site_url=SITE, workers=1, cache_dir=folder)
    assert sorted(p.relative_to(src) for p in src.rglob("*")) == before
    assert not (tmp_path / "site").exists()
    for _ in range(2):   # a hidden one: taken, and never read back
        result = build(src, tmp_path / "site", site_url=SITE, workers=1, cache_dir=src / ".cache")
        assert not result.rejected and len(result.records) == 2


def test_sync_reads_a_file_it_cannot_even_look_at_as_one_it_cannot_read(tmp_path, monkeypatch):
    """upload._read asked whether the file is a link before its `try`: a file in a folder not
    entered (a race with chmod: the walk refuses one it meets) was a PermissionError traceback
    from sync; now it is not read, and the check says why (source-unreadable)."""
    from minutes.services import upload
    path = write(tmp_path / "minutes" / "wg" / "2024-01-02-a.md", GOOD)

    def refused(self):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "is_symlink", refused)
    assert upload._read("minutes/wg/2024-01-02-a.md", path) is None
