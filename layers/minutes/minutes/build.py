"""`minutes build SRC --out SITE`: a folder laid out like the bucket's minutes/ -> a static site.

Same code as the Lambda path (meeting.assemble, site.py's plan), no AWS and no state: feed ids
and dates derive from the keys, so the same sources always give the same bytes.

Every core works: meetings are assembled in worker processes, then the workers render the
meeting pages while the main process plans the listings (archives, feeds, search, sitemap).
With a cache folder (buildcache.py), a rebuild reuses what has not changed, keyed by content
hash: a meeting whose files and code are the same is not parsed again, a page whose inputs are
the same is not rendered again, and a file whose bytes are the same is not written again.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import hashlib
import os
import sys
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import keys, running_notes
from .buildcache import BuildCache
from .group import FILE_NAME as GROUP_FILE, GroupInfo, is_group_file, newest_by_group, parse_group
from .meeting import Assembled, SourceFile, assemble
from .model import MeetingRecord, free_segment
from .pages import PageRenderer, SiteConfig
from .problems import MinutesError, Problem, Rejected
from .site import SiteFile, all_neighbours, listing_files, meeting_file

_PAGES_PER_JOB = 16


@dataclass
class BuildResult:
    records: list[MeetingRecord] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)   # meeting path -> problems
    warnings: dict[str, list[Problem]] = field(default_factory=dict)
    written: int = 0        # files written (a rebuild skips those whose bytes are unchanged)
    files: int = 0          # files the site has
    reused: int = 0         # meetings taken from the cache


def gather(src: Path) -> dict[tuple[str, str], list[Path]]:
    """Files under SRC grouped by meeting (group, meeting path), as their bucket keys say."""
    meetings: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if is_group_file(keys.PREFIX + rel):
            continue   # groups(): not a meeting
        try:
            key = keys.parse_key(keys.PREFIX + rel)
        except Rejected:
            meetings[("", rel)].append(path)   # reported by _assemble_one with the reason
            continue
        if key.is_markdown or key.is_folder:
            meetings[(key.group, key.meeting)].append(path)
    return dict(meetings)


def groups(src: Path, result: "BuildResult") -> dict[str, GroupInfo]:
    """Every `<group>/group.yaml` under SRC, read and checked (a bad one is reported and the
    group shown as without it)."""
    found = {}
    for path in sorted(src.glob(f"*/{GROUP_FILE}")):
        key = keys.PREFIX + path.relative_to(src).as_posix()
        try:
            info, problems = parse_group(path.read_bytes(), key=key)
        except Rejected as rejected:
            result.rejected[key] = [p.in_file(key) for p in rejected.problems]
            continue
        if problems:
            result.warnings[key] = [p.in_file(key) for p in problems]
        found[info.group] = info
    return found


@dataclass(frozen=True)
class _Job:
    digest: str                              # of the files, the code and the options
    files: tuple[tuple[str, str, str], ...]  # (key, local path, sha256 of the bytes)


def _assemble_one(job: tuple[str, _Job, int, str | None]) -> tuple[str, list[Assembled] | list[Problem]]:
    """One meeting, or every meeting of a running-notes file; or the problems rejecting it."""
    site_host, meeting, max_bytes, group_name = job
    name = meeting.files[0][0]
    try:
        sources = [SourceFile(key, Path(path).read_bytes()) for key, path, _ in meeting.files]
        notes = running_notes.split(name, sources[0].data, max_bytes=max_bytes) \
            if len(sources) == 1 else None
        if notes is not None:
            return name, list(running_notes.assemble_sections(notes, site_host=site_host,
                                                              max_bytes=max_bytes))
        assembled = assemble(sources, site_host=site_host, max_bytes=max_bytes,
                             group_name=group_name)
    except Rejected as rejected:
        return name, [p.in_file(name) for p in rejected.problems]
    # Attachment bytes go back to the main process only when written (read again from SRC).
    return name, [replace(assembled, attachments=tuple(
        (SourceFile(source.key, b""), att) for source, att in assembled.attachments))]


@functools.lru_cache(maxsize=4)
def _renderer(site_url: str, subscribe_url: str | None) -> PageRenderer:
    return PageRenderer(SiteConfig(site_url=site_url, subscribe_url=subscribe_url))


def _render_pages(job: tuple[tuple[str, str | None], tuple, list[tuple[MeetingRecord, tuple]]]) -> list[SiteFile]:
    config, (infos, newest), pages = job
    renderer = _renderer(*config).with_groups(infos, newest)
    return [meeting_file(renderer, record, (), around=around) for record, around in pages]


def build(src: Path, out: Path, *, site_url: str, max_bytes: int = 1024 * 1024,
          workers: int | None = None, progress=None, subscribe_url: str | None = None,
          cache_dir: Path | None = None) -> BuildResult:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise MinutesError(f"{src} is not a folder")
    site_host = urllib.parse.urlsplit(site_url).hostname or "localhost"
    config = (site_url, subscribe_url)
    cache = BuildCache(Path(cache_dir), options=(*config, max_bytes)) if cache_dir else None
    result = BuildResult()
    infos = groups(src, result)
    names = {group: info.name for group, info in infos.items()}
    jobs = _jobs(src, site_host, max_bytes, cache, names)
    workers = max(1, workers or os.cpu_count() or 1)
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
        assembled = _assemble_all(pool, jobs, site_host, max_bytes, cache, result, progress,
                                  names)
        records = _unique_segments([a.record for _, a in assembled])
        result.records = records
        writer = _Writer(out, cache)
        pages = _plan_pages(records, site_url, writer, cache, jobs_by_meeting={
            (a.record.group, a.record.meeting): job.digest for job, a in assembled}, names=names)
        chunks = [pages[i:i + _PAGES_PER_JOB] for i in range(0, len(pages), _PAGES_PER_JOB)]
        state = (infos, newest_by_group(records))
        rendered = pool.map(_render_pages, [(config, state, c) for c in chunks]) \
            if workers > 1 and len(chunks) > 1 else map(_render_pages, [(config, state, c) for c in chunks])
        # The main process plans the listings while the workers render pages.
        listings = listing_files(_renderer(*config).with_groups(*state), records)
        for files in rendered:
            for item in files:
                writer.write(item)
    for item in listings:
        writer.write(item)
    _write_attachments(assembled, records, jobs, writer)
    result.written, result.files = writer.finish()
    return result


def _jobs(src: Path, site_host: str, max_bytes: int, cache: BuildCache | None,
          names: dict[str, str]) -> list[_Job]:
    jobs = []
    for paths in gather(src).values():
        files = []
        for path in paths:
            key = keys.PREFIX + path.relative_to(src).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if cache else ""
            files.append((key, str(path), digest))
        group = keys.group_of_key(files[0][0]) if files else ""
        meeting = hashlib.sha256(repr((site_host, max_bytes, names.get(group), files and [
            (k, d) for k, _, d in files])).encode()).hexdigest() if cache else ""
        jobs.append(_Job(meeting, tuple(files)))
    return jobs


def _assemble_all(pool, jobs: list[_Job], site_host: str, max_bytes: int,
                  cache: BuildCache | None, result: BuildResult, progress,
                  names: dict[str, str]) -> list[tuple[_Job, Assembled]]:
    outcomes: list = [None] * len(jobs)
    todo = []
    for at, job in enumerate(jobs):
        cached = cache.meeting(job.digest) if cache else None
        if cached is not None:
            outcomes[at] = cached
            result.reused += 1
        else:
            todo.append(at)
    work = [(site_host, jobs[at], max_bytes, names.get(keys.group_of_key(jobs[at].files[0][0])))
            for at in todo]
    done = len(jobs) - len(todo)
    mapped = pool.map(_assemble_one, work, chunksize=4) if len(work) > 1 else map(_assemble_one, work)
    for at, outcome in zip(todo, mapped):
        outcomes[at] = outcome
        if cache:
            cache.keep_meeting(jobs[at].digest, outcome)
        done += 1
        if progress:
            progress(done, len(jobs))
    assembled = []
    for job, (name, outcome) in zip(jobs, outcomes):
        if outcome and isinstance(outcome[0], Assembled):
            assembled += [(job, item) for item in outcome]
            found = [p for item in outcome for p in item.problems]
            if found:
                result.warnings[name] = found
        else:
            result.rejected[name] = outcome
    # A running-notes section held by two files (the yearly archive move) is built once.
    kept = {id(item) for item in running_notes.one_per_meeting([item for _, item in assembled])}
    return [(job, item) for job, item in assembled if id(item) in kept]


def _plan_pages(records, site_url: str, writer: "_Writer", cache: BuildCache | None,
                jobs_by_meeting: dict, names: dict[str, str]) -> list[tuple[MeetingRecord, tuple]]:
    """The pages to render: every page, less (with a cache) those whose inputs are unchanged
    and whose file is still as written."""
    around = all_neighbours(records)
    todo = []
    for record in records:
        pair = around.get((record.group, record.meeting), (None, None))
        path = record.url_path + "index.html"
        if cache:
            inputs = "|".join(f"{jobs_by_meeting[(r.group, r.meeting)]}:{r.segment}" if r else "-"
                              for r in (record, *pair)) + f"|{names.get(record.group)}"
            if writer.unchanged(path, inputs):
                continue
            writer.expect(path, inputs)
        todo.append((record, pair))
    return todo


def _write_attachments(assembled, records: list[MeetingRecord], jobs: list[_Job],
                       writer: "_Writer") -> None:
    by_meeting = {(r.group, r.meeting): r for r in records}
    for job, item in assembled:
        record = by_meeting[(item.record.group, item.record.meeting)]
        final = {a.name: a for a in record.attachments}
        local = {key: (path, digest) for key, path, digest in job.files}
        for source, att in item.attachments:
            path, digest = local[source.key]
            target = final[att.name].url_path
            if writer.unchanged(target, digest):
                continue
            writer.expect(target, digest)
            writer.write(SiteFile(target, Path(path).read_bytes(), att.content_type))


def _unique_segments(records: list[MeetingRecord]) -> list[MeetingRecord]:
    """Two keys that give one URL: the later key (in key order) gets '-2'."""
    owners: dict[tuple[str, str], str] = {}
    unique = []
    for record in sorted(records, key=lambda r: (r.group, r.meeting)):
        segment = free_segment(record, lambda s, g=record.group: owners.get((g, s)))
        owners[(record.group, segment)] = record.meeting
        unique.append(record if segment == record.segment else record.moved_to(segment))
    return unique


class _Writer:
    """Writes site files under `out`: refuses a path outside it or a path planned twice, and
    (with a cache) leaves alone a file whose bytes are already there, and removes the files
    of the previous build that this one no longer has."""

    def __init__(self, out: Path, cache: BuildCache | None):
        self.root = out.resolve()
        self.cache = cache
        self.seen: set[Path] = set()
        self.written = 0
        self._inputs: dict[str, str] = {}

    def _target(self, path: str) -> Path:
        target = (self.root / urllib.parse.unquote(path.lstrip("/"))).resolve()
        if self.root not in target.parents:
            raise MinutesError(f"refusing to write outside {self.root}: {path}")
        if target in self.seen:
            raise MinutesError(f"two files want the same path: {path}")
        return target

    def unchanged(self, path: str, inputs: str) -> bool:
        """The file at `path` was made from the same `inputs` and is still as written: it is
        part of this site as it stands."""
        if self.cache is None:
            return False
        target = self._target(path)
        if not self.cache.still_written(path, target, inputs=inputs):
            return False
        self.seen.add(target)
        return True

    def expect(self, path: str, inputs: str) -> None:
        self._inputs[path] = inputs

    def write(self, item: SiteFile) -> None:
        target = self._target(item.path)
        self.seen.add(target)
        inputs = self._inputs.pop(item.path, "")
        if self.cache and self.cache.still_written(item.path, target, body=item.body):
            self.cache.wrote(item.path, target, item.body, inputs)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.body)
        self.written += 1
        if self.cache:
            self.cache.wrote(item.path, target, item.body, inputs)

    def finish(self) -> tuple[int, int]:
        if self.cache:
            for stale in self.cache.finish():
                target = (self.root / urllib.parse.unquote(stale.lstrip("/"))).resolve()
                if self.root in target.parents and target not in self.seen and target.is_file():
                    target.unlink()
        return self.written, len(self.seen)


def write_site(files: list[SiteFile], out: Path) -> int:
    """Write every file under `out`; refuse a path outside it or a path written twice."""
    writer = _Writer(out, None)
    for item in files:
        writer.write(item)
    return writer.finish()[0]


def default_cache_dir(out: Path) -> Path:
    """One cache folder per output folder, outside it (the site folder is what gets synced)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:16]
    return base / "minutes" / f"build-{name}"


def print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else "\r"
        print(f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} meetings", end=end,
              file=sys.stderr, flush=True)

