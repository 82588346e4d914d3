"""`minutes check`: the publish rules, offline. One verdict per meeting: a file, or a folder
meeting (its documents checked together, with its attachments, as publish would)."""
from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from . import keys, running_notes, shared_url
from .document import DEFAULT_MAX_BYTES
from .group import FILE_NAME as GROUP_FILE, is_group_file, parse_group
from .folder_walk import (ALONE, ATTACHMENT, GROUP, MINUTES, alone, attached_to_nothing, holds_files,
                          may_be_minutes, role, walk)
from .meeting import SourceFile, assemble, linked_source, read_limit, unreadable_source
from .problems import Problem, Rejected
from .quoting import one_line
from .regular_file import NotRegularFile, read_regular


@dataclass(frozen=True)
class Verdict:
    file: str
    key: str
    problems: tuple[Problem, ...]
    meta: dict | None
    paths: tuple[tuple[str, str], ...] = ()   # (key, local path) of every file checked
    notes: tuple[Problem, ...] = ()           # infos: shown with --verbose only

    @property
    def valid(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def path_of(self, problem: Problem) -> str:
        """The local file a problem is in (a folder meeting has several)."""
        return dict(self.paths).get(problem.file or "", self.file)

    def shown(self, verbose: bool = False) -> tuple[Problem, ...]:
        """What the scribe is told: errors and warnings; infos too when asked (--verbose)."""
        return self.problems + self.notes if verbose else self.problems

    def as_dict(self, verbose: bool = False) -> dict:
        return {"file": self.file, "key": self.key, "valid": self.valid,
                "problems": [self._problem_dict(p) for p in self.shown(verbose)], "meta": self.meta}

    def _problem_dict(self, p: Problem) -> dict:
        message = p.message
        where = self.path_of(p)
        if where != self.file:  # the JSON problem has no file field: name the document
            message = f"{Path(where).name}: {message}"
        return {"severity": p.severity.value, "code": p.code, "line": p.line, "column": p.column,
                "message": message, "hint": p.hint}


def key_for(path: Path) -> str:
    """The bucket key a local file stands for, when --key does not say.

    - a path containing `minutes/<group>/...`: the key from `minutes/` on;
    - a file in a dated folder (`2022-09-20-sync/NOTES.md`, a folder meeting):
      `minutes/<the folder's parent>/<folder>/<name>`;
    - a file in date folders (`<group>/2024/01/02/notes.md`): `minutes/<group>/2024/01/02/<name>`;
    - any other file: `minutes/<its folder's name>/<its name>`.
    A folder name standing in for the group is made URL-safe (`Meeting Notes` -> meeting-notes):
    it is a guess at the group for a file given alone (`minutes upload` sends it under that
    key). A file found by walking a folder keeps its folder's name (Walked): that folder
    is laid out as build and sync read it, and they reject a group so named (decision 108).
    A symbolic link is keyed by its own place, not where it leads (it is rejected: decision 78).
    """
    return _key_for_resolved(_resolve(path, {}))


def _minutes_at(parts: tuple[str, ...]) -> int | None:
    """Where in a path a folder `minutes` is followed by a group and a file (the last one)."""
    return next((at for at in range(len(parts) - 3, -1, -1) if parts[at] == "minutes"), None)


def _key_for_resolved(path: Path, walked: bool = False) -> str:
    parts = path.parts
    group = _group_as_named if walked else _group_from
    at = _minutes_at(parts)
    if at is not None:
        return "/".join(parts[at:])
    if keys.find_date(path.parent.name) and len(parts) >= 3:
        return f"{keys.PREFIX}{group(path.parent.parent.name)}/{path.parent.name}/{path.name}"
    if len(parts) >= 6 and keys.ymd_folders("/".join(parts[-4:-1])):   # <group>/yyyy/mm/dd/x.md
        return f"{keys.PREFIX}{group(parts[-5])}/{'/'.join(parts[-4:])}"
    return f"{keys.PREFIX}{group(path.parent.name)}/{path.name}"


def _group_from(folder: str) -> str:
    """A folder name made URL-safe, but for one not in UTF-8: that is kept, to be rejected
    as `minutes build` and `minutes sync` reject it (key-not-utf8), not guessed at from the
    bytes that can be read ('caf\xe9' and 'caf\xe8' would both be 'caf'; decision 89)."""
    if keys.SURROGATE.search(folder):
        return folder
    return keys.slugify(folder, limit=63) or "minutes"


def _group_as_named(folder: str) -> str:
    """The group of a file found by walking a folder: its folder's own name, so that a name
    build and sync refuse (`bad group`, `Good`) is refused by check too (group-name), never
    made into a good one."""
    return folder


def src_of(folder: Path) -> Path | None:
    """`folder` if it is named `minutes` (itself, or once resolved: `.`): the bucket's
    minutes/, SRC, as `minutes build` and `minutes sync` take it; else None."""
    name = keys.PREFIX.rstrip("/")
    return folder if folder.name == name or folder.resolve().name == name else None


class Walked:
    """A folder given to check or `upload DIR`, walked for minutes: how each file found under
    it is keyed (key), by this one rule (decision 118):
    - the folder is SRC (src_of): the file's place under it, as build and sync key it;
    - else key_for's guess with the group folder's own name (decisions 102, 108), moved up to
      the topmost folder between the walked one and that guess that holds minutes itself (a
      Markdown file, group.yaml or a dated meeting folder: a group, as build reads one), and
      for a file below a meeting folder but not directly in it (`g/2024-01-06-f/img/x.png`),
      the meeting folder's own folder: the key a build of the walked folder gives, wherever
      the folder shows its groups. Where nothing above the guess holds minutes
      (`onnx/operators/meetings/x.md`), the guess stands: the walked folder may hold groups,
      be one, or be above them, and nothing tells which."""

    def __init__(self, root: Path):
        self.root = root
        self.src = src_of(root)
        self._place = root.resolve().parts
        self._holds: dict[Path, bool] = {}   # folder -> holds minutes itself (one scandir each)

    def key(self, path: Path) -> str:
        if self.src is not None:
            rel = path.relative_to(self.src).as_posix()
            return keys.PREFIX + ("" if rel == "." else rel)
        return self.key_of_place(_resolve(path, {}))

    def key_of_place(self, resolved: Path) -> str:
        """key() of a path resolved (_resolve), under a folder walked that is not SRC."""
        parts, n = resolved.parts, len(self._place)
        if parts[:n] != self._place or _minutes_at(parts) is not None:
            return _key_for_resolved(resolved, walked=True)
        folders = parts[n:-1]
        # key_for's guess at the group folder (index in folders; -1: the walked folder, -2...
        # above it)
        if folders and keys.find_date(folders[-1]):
            at = len(folders) - 2   # a meeting folder's own folder
        elif len(parts) >= 6 and keys.ymd_folders("/".join(parts[-4:-1])):
            at = len(folders) - 4   # <group>/yyyy/mm/dd/
        else:
            at = len(folders) - 1   # the file's folder
            dated = next((i for i in range(len(folders) - 2, -1, -1) if keys.find_date(folders[i])),
                         None)
            if dated is not None:   # below a meeting folder, not directly in it
                at = dated - 1
        top = next((i for i in range(at) if self._holds_minutes(Path(*parts[:n + i + 1]))), None)
        return keys.PREFIX + "/".join(parts[n + (at if top is None else top):])

    def _holds_minutes(self, folder: Path) -> bool:
        if folder not in self._holds:
            try:
                with os.scandir(folder) as entries:
                    self._holds[folder] = any(
                        not e.name.startswith(".") and (
                            role(e.name) in (MINUTES, GROUP) and e.is_file()
                            or keys.find_date(e.name) is not None and e.is_dir(follow_symlinks=False))
                        for e in entries)
            except OSError:   # not listable: said by the walk; not taken for a group
                self._holds[folder] = False
        return self._holds[folder]


@dataclass(frozen=True)
class _Meeting:
    files: tuple[tuple[str, Path], ...]   # (key, local path), sorted by key


# Below this many meetings, starting worker processes costs more than it saves.
_PARALLEL_FROM = 16


def check_paths(paths: list[Path], *, key: str | None = None, site_host: str = "localhost",
                max_bytes: int = DEFAULT_MAX_BYTES, workers: int | None = None,
                empty: list[Path] | None = None) -> list[Verdict]:
    """A verdict for every meeting among `paths` (files, and folders searched for minutes),
    in that order, then one for every group.yaml among them; many meetings are checked on
    every core (`workers`, default all). `empty`: filled with the folders among `paths` that
    hold nothing to check, found by the same walk."""
    refused: dict[Path, list[tuple[Path, OSError]]] = {path: [] for path in paths}
    found = {path: expand([path], refused[path]) for path in paths}   # each folder walked once
    if empty is not None:
        empty += [path for path in paths if not found[path] and not refused[path]]
    walks = {path: Walked(path) if path.is_dir() else None for path in paths}
    keyed = {p: walks[path].key(p) if walks[path] else key_for(p)
             for path in paths for p in found[path] if p.name == GROUP_FILE}
    groups = [check_group(p, key=key if key and len(paths) == 1 else keyed[p])
              for path in paths for p in found[path]
              if p.name == GROUP_FILE and is_group_file(keyed[p])]
    groups += [refused_verdict(p, failed, walks[path]) for path in paths for p, failed in refused[path]]
    meetings = _meetings([p for p in paths if p.is_dir() or p.name != GROUP_FILE], key, found)
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(meetings) < _PARALLEL_FROM:
        return place_shared_urls([_check_meeting(m, site_host, max_bytes) for m in meetings]) + groups
    # build's pool (decision 80), not ProcessPoolExecutor: a worker killed mid-check (the OOM
    # killer, kill -9) stops the check with one message (WorkerDied, exit 2), never a
    # BrokenProcessPool traceback or a hang; the main process checks too (decision 89).
    from .forkpool import ForkPool
    from .worker_death import CheckWorkerDied
    verdicts: list = [None] * len(meetings)
    with ForkPool(workers, doing=lambda fn: "checking minutes", died=CheckWorkerDied) as pool:
        jobs = [(batch, [meetings[i] for i in batch], site_host, max_bytes)
                for batch in _batches(meetings, workers)]
        for batch, found_verdicts in pool.map(_check_job, jobs):
            for at, verdict in zip(batch, found_verdicts):
                verdicts[at] = verdict
    return place_shared_urls(verdicts) + groups


def place_shared_urls(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts, those of meetings of a group whose names give one URL (2019-04-18.md
    beside 2019.04.18.md, a running-notes section of that date) placed as `minutes build` and
    publish place them (the later in meeting order at `-2`, ...) and warned, naming the others
    and every one's URL (shared_url.py, decision 110). One key seen in two local places (a
    guessed group: key_for) is not two meetings of one bucket: such a set is left alone."""
    wanting: dict[tuple[str, str], list] = {}
    for at, verdict in enumerate(verdicts):
        if verdict.valid and verdict.meta:
            for place in _places(at, verdict):
                wanting.setdefault(place[:2], []).append(place)
    shared = [found for found in wanting.values()
              if len(found) > 1 and len({p[2] for p in found}) == len(found)]
    if not shared:
        return verdicts
    changed = {at: (list(verdicts[at].problems), dict(verdicts[at].meta)) for found in shared
               for _, _, _, at, _ in found}
    for found in shared:
        (group, segment), at_ = found[0][:2], shared_url.placed(
            found[0][1], [p[2] for p in found], lambda s, g=found[0][0]: (g, s) in wanting)
        urls = {verdicts[at].key: shared_url.url_of(group, at_[meeting])
                for _, _, meeting, at, _ in found}
        for _, _, meeting, at, section in found:
            problems, meta = changed[at]
            url = shared_url.url_of(group, at_[meeting])
            if section is None:
                meta["slug"], meta["url_path"] = at_[meeting], url
            else:
                meta["meetings"] = [dict(m, url_path=url) if n == section else m
                                    for n, m in enumerate(meta["meetings"])]
                if section == 0:
                    meta["slug"], meta["url_path"] = at_[meeting], url
            problems.append(shared_url.shared_url(verdicts[at].key, urls))
    return [replace(v, problems=tuple(changed[at][0]), meta=changed[at][1]) if at in changed else v
            for at, v in enumerate(verdicts)]


def _places(at: int, verdict: Verdict):
    """(group, segment, meeting id, at, section) of each meeting the verdict's source gives."""
    meta = verdict.meta
    group = meta["group"]
    if not meta.get("running_notes"):
        try:
            meeting = keys.parse_key(verdict.key).meeting
        except Rejected:
            return
        yield group, meta["slug"], meeting, at, None
        return
    for n, section in enumerate(meta["meetings"]):
        yield group, section["url_path"][len(group) + 2:-1], section["meeting"], at, n


def refused_verdict(path: Path, failed: OSError, walked: Walked) -> Verdict:
    """The verdict on what a folder walk (of `walked.root`) could not enter or read (a linked
    or unreadable folder, a FIFO), as `minutes build` says it (decision 88)."""
    if walked.src is not None:   # a folder's key ends with '/'; one named as a file stands for it
        key = walked.key(path)
        key += "" if isinstance(failed, NotRegularFile) or key == keys.PREFIX else "/"
    elif isinstance(failed, NotRegularFile):
        key = walked.key(path)
    elif keys.find_date(_resolve(path, {}).parent.name):   # a folder in a meeting folder
        key = walked.key(path) + "/"
    else:   # a group's folder (or SRC's own): keyed as what it holds
        key = walked.key_of_place(_resolve(path, {}) / "-").rsplit("/", 1)[0] + "/"
    return Verdict(str(path), key, (unreadable_source(key, failed),), None, ((key, str(path)),))


def _batches(meetings: list[_Meeting], workers: int) -> list[list[int]]:
    """Meetings (by index) in jobs of about 1/(16 x workers) of the bytes each, largest first:
    a few hundred one-meeting jobs cost the main process, which shares the cores, more in
    passing messages than the batching loses in balance; a big file is a job of its own,
    started first, so no big one is left to run alone at the end."""
    sizes = [sum(p.stat().st_size for _, p in m.files if p.is_file()) for m in meetings]
    share = sum(sizes) / (16 * workers)
    batches: list[list[int]] = []
    filled = share
    for at in sorted(range(len(meetings)), key=lambda i: -sizes[i]):
        if filled >= share:
            batches.append([])
            filled = 0
        batches[-1].append(at)
        filled += sizes[at]
    return batches


def _check_job(job: tuple[list[int], list[_Meeting], str, int]) -> tuple[list[int], list[Verdict]]:
    batch, meetings, site_host, max_bytes = job
    return batch, [_check_meeting(m, site_host, max_bytes) for m in meetings]


def check_group(path: Path, *, key: str | None = None, data: bytes | None = None) -> Verdict:
    """The verdict on a group.yaml: read (unless its bytes are given) and checked as publish
    would (group.py)."""
    key = key or key_for(path)
    try:
        data = read_regular(str(path))[0] if data is None else data
    except OSError as failed:
        return Verdict(str(path), key, (unreadable_source(key, failed),), None, ((key, str(path)),))
    try:
        info, problems = parse_group(data, key=key)
    except Rejected as rejected:
        return Verdict(str(path), key, tuple(rejected.problems), None, ((key, str(path)),))
    meta = {"group": info.group, "name": info.name, "url_path": f"/{info.group}/",
            "schedule": info.schedule.describe() if info.schedule else None}
    return Verdict(str(path), key, tuple(problems), meta, ((key, str(path)),))


def check_keyed(files: dict[str, Path], *, site_host: str = "localhost",
                max_bytes: int = DEFAULT_MAX_BYTES,
                read: dict[str, SourceFile] | None = None) -> list[Verdict]:
    """A verdict for every meeting among files whose bucket keys are known (`minutes sync`):
    grouped by key, as publish groups them (a folder meeting's files together). `read`: files
    already read (local_source), judged from those bytes, not read again (sync uploads the
    bytes it checked)."""
    read = read or {}
    grouped: dict[str, dict[str, Path]] = defaultdict(dict)
    groups = [check_group(path, key=key, data=read[key].data if key in read else None)
              for key, path in sorted(files.items()) if is_group_file(key)]
    for key, path in sorted(files.items()):
        if not is_group_file(key):
            grouped[meeting_ident(key)][key] = path
    return place_shared_urls([
        _check_meeting(_Meeting(tuple(sorted(found.items()))), site_host, max_bytes, read)
        for found in grouped.values()
        if any(k.lower().endswith(".md") or _in_meeting_folder(k)
               or _not_utf8(k) and may_be_minutes(k[len(keys.PREFIX):]) or _alone(k)
               for k in found)]) + groups


def _alone(key: str) -> bool:
    """folder_walk.alone of a key: an attachment part of no meeting (a verdict of its own that
    warns, attachment-alone)."""
    return key.startswith(keys.PREFIX) and alone(key[len(keys.PREFIX):])


def meeting_ident(key: str) -> str:
    """The meeting a bucket key is part of, as publish and `minutes build` assemble it: its
    group and meeting, so that ok.md and ok.MD are one meeting, as are x.md and the folder
    x/ (assembled together and rejected: duplicate-source)."""
    try:
        parsed = keys.parse_key(key)
    except Rejected:
        return key   # a bad key is a meeting of its own; assemble says why
    return f"{parsed.group}/{parsed.meeting}"


def _not_utf8(key: str) -> bool:
    """A key os.fsdecode made from a name not in UTF-8: rejected on its own (key-not-utf8),
    as `minutes build` rejects that file and builds the rest of its meeting (decision 89)."""
    return bool(keys.SURROGATE.search(key))


def check_file(path: Path, *, key: str | None = None, site_host: str = "localhost",
               max_bytes: int = DEFAULT_MAX_BYTES) -> Verdict:
    """The verdict for one file (with its folder meeting's attachments beside it)."""
    return check_paths([path], key=key, site_host=site_host, max_bytes=max_bytes)[0]


def _meetings(paths: list[Path], key: str | None,
              found: dict[Path, list[Path]] | None = None) -> list[_Meeting]:
    """Files grouped by meeting (a file, or a dated folder's documents and attachments), in
    the order the paths were given. `found`: expand() of each path, if already done."""
    grouped: dict[Path, dict[str, Path]] = defaultdict(dict)
    folders: dict[Path, Path] = {}
    for path in paths:
        is_dir = path.is_dir()
        walked = Walked(path) if is_dir else None
        if is_dir:
            under = found[path] if found and path in found else expand([path])
            files = [f for f in under
                     if f.name != GROUP_FILE or not is_group_file(walked.key(f))]
        else:
            files = [path]
        for file in files:
            resolved = _resolve(file, folders)
            file_key = key if key and not is_dir else \
                walked.key(file) if walked else _key_for_resolved(resolved)
            parsed = _parsed(file_key)
            folder_meeting = parsed is not None and parsed.is_folder
            # By local place, not by key: two folders may give the same key (onnx/*/meetings/
            # 001-20190710.md all become minutes/meetings/001-20190710.md) yet are two meetings.
            # In one folder, files whose keys are one meeting (ok.md, ok.MD) are checked as one,
            # as minutes build assembles them (and rejects them: duplicate-source); so are a
            # file and a folder of one name (x.md beside x/NOTES.md, decision 103).
            if folder_meeting:
                ident = (resolved.parent.parent, parsed.meeting)
            elif parsed is not None:
                ident = (resolved.parent, parsed.meeting)
            else:   # a bad key is a meeting of its own; assemble reports why
                ident = resolved
            grouped[ident][file_key] = file
            if folder_meeting:
                for sibling in attachments_beside(file):
                    sibling_key = f"{file_key.rsplit('/', 1)[0]}/{sibling.name}"
                    # rejected alone, as build rejects it: the meeting is checked without it
                    alone = _not_utf8(sibling_key) or not (sibling.is_symlink() or sibling.is_file())
                    where = resolved.parent / sibling.name if alone else ident
                    grouped[where].setdefault(sibling_key, sibling)
    return [_Meeting(tuple(sorted(files.items()))) for files in grouped.values()]


def _resolve(file: Path, folders: dict[Path, Path]) -> Path:
    """The file's place: its folder resolved (once per folder: resolving is a system call per
    path segment, for every file) / its name. A symbolic link is not followed: its key is
    that of its own place, as `minutes build` sees it, and it is rejected (_check_meeting)."""
    if file.name in ("", ".", ".."):
        return file.resolve()
    parent = file.parent
    if parent not in folders:
        folders[parent] = parent.resolve()
    return folders[parent] / file.name


def _parsed(key: str) -> keys.MeetingKey | None:
    """The key's meeting, or None for a bad key (a meeting of its own; assemble says why)."""
    try:
        return keys.parse_key(key)
    except Rejected:
        return None


def _is_folder_meeting(key: str) -> bool:
    parsed = _parsed(key)
    return parsed is not None and parsed.is_folder


def attachments_beside(file: Path) -> list[Path]:
    """What `minutes build` reads of the folder meeting beside `file`, but its Markdown (the
    walk finds those): every file and symbolic link not to a folder, whatever its name (a link
    rejects the meeting: linked-source; a file of a type the site does not serve gets build's
    attachment-type warning: `NOTES.md.tmp`), and a FIFO, socket or device named as an
    attachment the site serves (refused on its own: _check_meeting reads it as build would,
    by its stat). A folder there is folder_walk's (entered, or refused by the walk)."""
    found = []
    with os.scandir(file.parent) as entries:
        for entry in entries:
            if entry.name.startswith(".") or role(entry.name) == MINUTES:
                continue
            if entry.is_symlink():
                if not entry.is_dir():   # a linked folder: refused by the walk (folder_walk)
                    found.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) or \
                    role(entry.name) == ATTACHMENT and not entry.is_dir(follow_symlinks=False):
                found.append(Path(entry.path))
    return sorted(found)


def _check_meeting(meeting: _Meeting, site_host: str, max_bytes: int,
                   read: dict[str, SourceFile] | None = None) -> Verdict:
    file, key = _verdict_name(meeting)
    paths = tuple((k, str(p)) for k, p in meeting.files)
    if len(meeting.files) == 1 and _alone(key):   # never read: build does not read it
        return Verdict(file, key, (attached_to_nothing(key),), None, paths)
    linked = next((k for k, p in meeting.files if p.is_symlink()), None)
    if linked is not None:   # never read, as minutes build does not read it (decision 78)
        return Verdict(file, key, (linked_source(linked),), None, paths)
    sources = []
    for k, p in meeting.files:   # each read once, if at all
        try:
            sources.append(read[k] if read and k in read else local_source(k, p, max_bytes))
        except OSError as failed:   # not readable, not a regular file, gone: as build says
            return Verdict(file, key, (unreadable_source(k, failed),), None, paths)
    if len(sources) == 1:
        found = _check_running_notes(file, key, sources[0].data, str(meeting.files[0][1]),
                                     site_host, max_bytes)
        if found is not None:
            return found
    try:
        assembled = assemble(sources, site_host=site_host, max_bytes=max_bytes, verdict_only=True)
    except Rejected as rejected:
        return Verdict(file, key, tuple(rejected.problems), None, paths)
    record = assembled.record
    meta = {"title": record.title, "date": record.date.isoformat(), "group": record.group,
            "slug": record.segment, "url_path": record.url_path, "status": record.status}
    return Verdict(file, key, assembled.problems, meta, paths, assembled.notes)


def local_source(key: str, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> SourceFile:
    """The file as `minutes build` reads it: one over its read limit is not read, only its
    size is noted (meeting.read_limit); only a regular file is read (a FIFO would hang); a
    group.yaml is read whole."""
    data, stat = read_regular(str(path), None if is_group_file(key) else read_limit(key, max_bytes))
    return SourceFile(key, data) if data is not None else SourceFile(key, b"", stat.st_size)


def _check_running_notes(file: str, key: str, data: bytes, path: str, site_host: str,
                         max_bytes: int) -> Verdict | None:
    """A running-notes file: one verdict, listing the meeting each dated section became."""
    try:
        notes = running_notes.split(key, data, max_bytes=max_bytes)
        if notes is None:
            return None
        meetings = running_notes.assemble_sections(notes, site_host=site_host, max_bytes=max_bytes,
                                                   verdict_only=True)
    except Rejected as rejected:
        return Verdict(file, key, tuple(rejected.problems), None, ((key, path),))
    problems = notes.problems + tuple(p for m in meetings for p in m.problems)
    first = meetings[0].record
    meta = {"title": first.title, "date": first.date.isoformat(), "group": first.group,
            "slug": first.segment, "url_path": first.url_path, "status": first.status,
            "running_notes": True, "header_lines": notes.sections[0].line - 1,
            "meetings": [{"line": s.line, "end_line": s.end_line, "heading": s.heading,
                          "date": m.record.date.isoformat(), "time": m.record.time,
                          "timezone": m.record.timezone, "title": m.record.title,
                          "meeting": m.record.meeting, "url_path": m.record.url_path}
                         for s, m in zip(notes.sections, meetings)]}
    return Verdict(file, key, problems, meta, ((key, path),))


def _verdict_name(meeting: _Meeting) -> tuple[str, str]:
    """(file, key) a verdict is about: the one Markdown file, or the meeting folder."""
    documents = [(k, p) for k, p in meeting.files if k.lower().endswith(".md")]
    if len(documents) == 1 or documents and not _is_folder_meeting(documents[0][0]):
        return str(documents[0][1]), documents[0][0]
    if len(meeting.files) == 1:   # an attachment rejected on its own (_not_utf8, a FIFO)
        return str(meeting.files[0][1]), meeting.files[0][0]
    first_key, first_path = meeting.files[0]
    return str(first_path.parent), first_key.rsplit("/", 1)[0] + "/"


def expand(paths: list[Path], refused: list | None = None) -> list[Path]:
    """Files as given; a folder means every Markdown file under it (hidden ones skipped).
    `refused`: filled as _minutes_under fills it."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(_minutes_under(path, refused))
        else:
            found.append(path)
    return found


def _minutes_under(folder: Path, refused: list | None = None) -> list[Path]:
    """Markdown files and group.yaml under folder, as folder_walk finds them (symbolic links
    to files counted: _check_meeting rejects them; linked folders not entered). `refused`:
    filled with (path, OSError) of what `minutes build` reports too (decision 88): a folder
    not entered (linked, unreadable, named as a file) and anything not a regular file named
    as minutes or group.yaml."""
    root = str(folder)
    odd: list | None = [] if refused is not None else None
    try:
        files = walk(root, odd)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as failed:   # the folder itself cannot be listed
        if refused is not None:
            refused.append((folder, failed))
        return []
    walked = Walked(folder)
    found = [folder / rel for rel in files if _checked_here(folder, rel, walked)]
    found += _without_minutes(folder, files, walked)
    found += [folder / rel for rel in files if role(rel.rsplit("/", 1)[-1]) == ATTACHMENT
              and _alone(walked.key(folder / rel))]   # said, never sent (decision 108)
    for rel, failed in sorted(odd or (), key=lambda entry: entry[0].split("/")):
        if holds_files(rel, failed) or _reads(folder, rel, walked):
            refused.append((folder / rel.rstrip("/"), failed))
    return found


def _without_minutes(folder: Path, files: list[str], walked: Walked) -> list[Path]:
    """A file of each meeting folder that holds files but no Markdown (slides put there before
    the notes), so that the folder is checked as `minutes build` reads it, with its files
    beside it (attachments_beside), and rejected as build rejects it (no-documents), not
    passed over in silence (decision 100)."""
    names: dict[str, list[str]] = defaultdict(list)
    for rel in files:
        parent, _, name = rel.rpartition("/")
        names[parent].append(name)
    found = []
    for parent, shown in names.items():
        if any(n.lower().endswith(".md") for n in shown):
            continue
        for name in sorted(shown):
            if name != GROUP_FILE and not _not_utf8(name):
                path = folder / parent / name if parent else folder / name
                if _in_meeting_folder(walked.key(path)):
                    found.append(path)
                break
    return found


def _in_meeting_folder(key: str) -> bool:
    """Whether build reads the file at `key` as part of a meeting folder: its key says so, or
    is refused while the file is in a dated folder (build rejects it, with the reason)."""
    parsed = _parsed(key)
    if parsed is not None:
        return parsed.is_folder
    return keys.find_date(key.rsplit("/", 2)[-2] if key.count("/") > 1 else "") is not None


def _reads(folder: Path, rel: str, walked: Walked) -> bool:
    """Whether check reads the file at `rel` under `folder` on its own: Markdown, and a
    group's group.yaml (one in a meeting folder is one of its files, as build reads it:
    attachments_beside)."""
    named = role(rel.rsplit("/", 1)[-1])
    return named == MINUTES or named == GROUP and is_group_file(walked.key(folder / rel))


def _checked_here(folder: Path, rel: str, walked: Walked) -> bool:
    """_reads, and a file whose path (under the folder walked) is not UTF-8 and which would be
    part of a meeting (folder_walk.may_be_minutes): build rejects it as a meeting of its own
    (key-not-utf8, decision 89), whatever its name."""
    return _reads(folder, rel, walked) or _not_utf8(rel) and may_be_minutes(rel)


def format_text(verdict: Verdict, verbose: bool = False) -> str:
    """Like a compiler: `path:line:col: error CODE: message`, then the hint, indented; a name
    with a line break in it quoted (one_line)."""
    lines = []
    file, key = one_line(verdict.file), one_line(verdict.key)
    for p in verdict.shown(verbose):
        where = f"{one_line(verdict.path_of(p))}:{p.line or 1}:{p.column or 1}"
        lines.append(f"{where}: {p.severity.value} {p.code}: {p.message}")
        lines += [f"    hint: {h}" if i == 0 else f"          {h}" for i, h in enumerate(p.hint.splitlines())]
    status = "rejected" if not verdict.valid else "not published" if any(
        p.code == ALONE for p in verdict.problems) else "ok"
    if verdict.meta and verdict.meta.get("running_notes"):
        found = verdict.meta["meetings"]
        lines.append(f"{file}: {status} (as {key}): running notes, "
                     f"{len(found)} meetings")
        if verdict.meta["header_lines"]:
            lines.append(f"  lines 1-{verdict.meta['header_lines']}: the group's header (not a meeting)")
        for m in found:
            when = " ".join(filter(None, (m["date"], m["time"], m["timezone"])))
            lines.append(f"  lines {m['line']}-{m['end_line']}: '{m['heading']}' -> "
                         f"{when} {m['url_path']}")
        return "\n".join(lines)
    target = f" -> {verdict.meta['url_path']}" if verdict.meta else ""
    lines.append(f"{file}: {status} (as {key}){target}")
    return "\n".join(lines)


def format_json(verdicts: list[Verdict], verbose: bool = False) -> str:
    return json.dumps([v.as_dict(verbose) for v in verdicts], indent=2, ensure_ascii=False)
