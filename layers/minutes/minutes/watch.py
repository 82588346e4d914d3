"""`minutes build SRC --out SITE --watch`: build, then build again whenever SRC changes, in one
resident process.

A one-shot rebuild pays Python's start and the imports of the Markdown engine, the templates
and the feed writer (a third to a half of a rebuild after one change at 1,000 meetings) before
any work; a resident process pays them once. Each rebuild is the same `build()` with the same
cache folder as `minutes build` run again, so the site after every rebuild is the one a fresh
build of the sources gives (tests/unit/test_watch.py).

Changes are found by polling: the stat (size, mtime, ctime, inode) of every file under SRC
that a build reads (hidden ones left out), every `interval` seconds. Polling works the same on
every file system, mounted and networked ones included, where change notifications do not,
and costs a scan of the folder (~10 ms per 1,000 sources). The signature is taken before each
build starts, so a file saved while a build runs is built by the next one.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from .build import BuildResult, build, os_problem
from .folder_walk import walk
from .problems import MinutesError

Signature = dict[str, tuple[int, int, int, int]]
_NEVER = object()   # the signature before the first build


def signature(src: Path) -> Signature | None:
    """What a build would read under SRC, by stat: None when SRC is not a folder."""
    root = str(src)
    try:
        found = walk(root)
    except OSError:   # not a folder, or not readable: the build says which
        return None
    out = {}
    for rel in found:
        try:
            stat = os.stat(os.path.join(root, rel))
        except FileNotFoundError:   # removed since the scan: the next poll sees it gone
            continue
        out[rel] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    return out


def watch(src: Path, out: Path, *, report: Callable[[BuildResult | MinutesError, float], None],
          interval: float = 0.5, stop: Callable[[], bool] = lambda: False,
          sleep: Callable[[float], None] = time.sleep,
          building: Callable[[bool], None] = lambda now: None, **options) -> None:
    """Build SRC into OUT, then build again after each change, until stop() (the command: until
    Ctrl-C). report(result or the error that stopped a build, seconds) after each build: a build
    refused (MinutesError: the site folder cannot take the site; or an OSError: a folder cannot
    be read or written) is reported and the watch goes on, since the next change may fix it.
    building(True) before each build, building(False) once it ended (what a Ctrl-C stopped: a
    build, which may have left the site half-written, or the wait). `options` are build()'s."""
    seen: object = _NEVER
    while True:
        now = signature(src)
        if now != seen:
            seen = now
            started = time.perf_counter()
            building(True)
            try:
                outcome: BuildResult | MinutesError = build(src, out, **options)
            except MinutesError as problem:
                outcome = problem
            except OSError as failed:   # SRC or the site folder refused: said, and watched on
                outcome = MinutesError(os_problem(failed))
            building(False)
            report(outcome, time.perf_counter() - started)
        if stop():
            return
        sleep(interval)
