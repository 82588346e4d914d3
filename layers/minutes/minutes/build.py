"""`minutes build SRC --out SITE`: a folder laid out like the bucket's minutes/ -> a static site.

Same code as the Lambda path (meeting.assemble, site.whole_site), no AWS and no state: feed ids
and dates derive from the keys, so the same sources always give the same bytes.
"""
from __future__ import annotations

import concurrent.futures
import os
import sys
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import keys
from .meeting import Assembled, SourceFile, assemble
from .model import MeetingRecord, free_segment
from .pages import PageRenderer, SiteConfig
from .problems import MinutesError, Problem, Rejected
from .site import SiteFile, whole_site


@dataclass
class BuildResult:
    records: list[MeetingRecord] = field(default_factory=list)
    rejected: dict[str, list[Problem]] = field(default_factory=dict)   # meeting path -> problems
    warnings: dict[str, list[Problem]] = field(default_factory=dict)
    written: int = 0


def gather(src: Path) -> dict[tuple[str, str], list[Path]]:
    """Files under SRC grouped by meeting (group, meeting path), as their bucket keys say."""
    meetings: dict[tuple[str, str], list[Path]] = defaultdict(list)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        try:
            key = keys.parse_key(keys.PREFIX + rel)
        except Rejected:
            meetings[("", rel)].append(path)   # reported by _assemble_one with the reason
            continue
        if key.is_markdown or key.is_folder:
            meetings[(key.group, key.meeting)].append(path)
    return dict(meetings)


def _assemble_one(job: tuple[str, list[tuple[str, str]], int]) -> tuple[str, Assembled | list[Problem]]:
    site_host, files, max_bytes = job
    name = files[0][0]
    try:
        sources = [SourceFile(key, Path(path).read_bytes()) for key, path in files]
        return name, assemble(sources, site_host=site_host, max_bytes=max_bytes)
    except Rejected as rejected:
        return name, [p.in_file(name) for p in rejected.problems]


def build(src: Path, out: Path, *, site_url: str, max_bytes: int = 1024 * 1024,
          workers: int | None = None, progress=None, subscribe_url: str | None = None) -> BuildResult:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise MinutesError(f"{src} is not a folder")
    meetings = gather(src)
    site_host = urllib.parse.urlsplit(site_url).hostname or "localhost"
    jobs = [(site_host, [(keys.PREFIX + p.relative_to(src).as_posix(), str(p)) for p in paths],
             max_bytes) for paths in meetings.values()]
    result = BuildResult()
    assembled: list[Assembled] = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        for done, (name, outcome) in enumerate(pool.map(_assemble_one, jobs, chunksize=4), 1):
            if isinstance(outcome, Assembled):
                assembled.append(outcome)
                if outcome.problems:
                    result.warnings[name] = list(outcome.problems)
            else:
                result.rejected[name] = outcome
            if progress:
                progress(done, len(jobs))
    records = _unique_segments([a.record for a in assembled])
    result.records = records
    renderer = PageRenderer(SiteConfig(site_url=site_url, subscribe_url=subscribe_url))
    files = whole_site(renderer, records)
    by_meeting = {(r.group, r.meeting): r for r in records}
    for item in assembled:
        record = by_meeting[(item.record.group, item.record.meeting)]
        final = {a.name: a for a in record.attachments}
        for source, att in item.attachments:
            files.append(SiteFile(final[att.name].url_path, source.data, att.content_type))
    result.written = write_site(files, out)
    return result


def _unique_segments(records: list[MeetingRecord]) -> list[MeetingRecord]:
    """Two keys that give one URL: the later key (in key order) gets '-2'."""
    owners: dict[tuple[str, str], str] = {}
    unique = []
    for record in sorted(records, key=lambda r: (r.group, r.meeting)):
        segment = free_segment(record, lambda s, g=record.group: owners.get((g, s)))
        owners[(record.group, segment)] = record.meeting
        unique.append(record if segment == record.segment else record.moved_to(segment))
    return unique


def write_site(files: list[SiteFile], out: Path) -> int:
    """Write every file under `out`; refuse a path outside it or a path written twice."""
    root = out.resolve()
    seen: set[Path] = set()
    for item in files:
        target = (root / urllib.parse.unquote(item.key)).resolve()
        if root not in target.parents:
            raise MinutesError(f"refusing to write outside {root}: {item.path}")
        if target in seen:
            raise MinutesError(f"two files want the same path: {item.path}")
        seen.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.body)
    return len(seen)


def print_progress(done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else "\r"
        print(f"  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} meetings", end=end,
              file=sys.stderr, flush=True)
