"""The cache folder of `minutes build`: what a rebuild may reuse, keyed by content hash.

- state.pickle, small and read whole by every build:
  - sources: each source file's stat (size, mtime_ns, ctime_ns, inode) and sha256, so a rebuild
    hashes only the files whose stat changed (git's index does the same). ctime cannot be set
    back by a program, so rewriting a file and restoring its mtime is still seen; a file
    changed within a moment of the last scan ("racily clean", as git calls it) is hashed again;
  - meetings: per source meeting (keyed by the sha256 of its files' keys and bytes, the options
    and the code version) its outcome in light form: each record without its rendered content
    (what listings and prev/next links need), its warnings, or the problems rejecting it;
  - files: every file the last build wrote (the inputs it was made from, sha256 of its bytes,
    size, mtime), so a page whose inputs are the same is not rendered again, a file whose bytes
    are the same is not written again, and the files the site no longer has can be removed.
- records/<key>.pickle: one meeting's whole outcome (content included), written by the worker
  that assembled it and read only when a page or feed made from it is rendered again.
- templates/: the site's templates compiled (jinja2's bytecode cache, which checks each against
  its source), so that a rebuild does not compile them again.
Everything here can be deleted at any time: the next build is then a cold one. Entries the
last build did not use are removed, so the folder holds one site.

Without a cache folder (`build(cache_dir=None)`, the tests, the soak) the same store lives in a
temporary folder for the length of the build: the main process still never holds every
meeting's content at once.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

FORMAT = 2
# Libraries whose version changes what a page looks like.
_DEPENDENCIES = ("comrak-ext", "nh3", "Jinja2", "feedgen", "PyYAML", "lxml")
# A file whose mtime or ctime is this close to the last scan may have changed again within the
# file system's timestamp granularity without its stat showing it: it is hashed again.
_RACY_NS = 2_000_000_000


@functools.cache
def code_version() -> str:
    """sha256 of the minutes package's own files (code, templates, assets) and of the versions
    of the libraries that shape the output."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for name in _DEPENDENCIES:
        try:
            digest.update(f"{name}=={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()


class Written(NamedTuple):
    inputs: str        # what the file was made from ("" when only its bytes count)
    sha256: str
    size: int
    mtime_ns: int


class Seen(NamedTuple):
    """A source file as the last scan found it."""
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class BuildCache:
    def __init__(self, folder: Path | None, *, options: tuple):
        """`folder` None: a temporary store for this build only (no manifest, nothing kept)."""
        self.keeps = folder is not None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="minutes-build-"))
        self.version = hashlib.sha256(f"{code_version()}|{options!r}".encode()).hexdigest()
        self._records = self.folder / "records"
        self._records.mkdir(parents=True, exist_ok=True)
        # Compiled templates (pages.py), checked against their source by jinja2 itself.
        self.templates = str(self.folder / "templates") if self.keeps else None
        if self.templates:
            os.makedirs(self.templates, mode=0o700, exist_ok=True)
        state = self._load_state() if self.keeps else {}
        self._old: dict[str, Written] = state.get("files", {})
        self._sources: dict[str, Seen] = state.get("sources", {})
        self._meetings: dict[str, tuple] = state.get("meetings", {})
        self._scanned_ns = state.get("scanned_ns", 0)
        self._listing = state.get("listing")
        self._new_listing: dict | None = None
        self._started_ns = time.time_ns()
        self._new: dict[str, Written] = {}
        self._new_sources: dict[str, Seen] = {}
        self._new_meetings: dict[str, tuple] = {}
        self.hashed = 0     # source files read to hash them (a rebuild reads only changed ones)

    # -- sources ---------------------------------------------------------------------------

    def source_sha256(self, key: str, path: Path) -> str:
        """sha256 of a source file's bytes: from the last scan when its stat is unchanged."""
        stat = os.stat(path)
        old = self._sources.get(key)
        racy = max(stat.st_mtime_ns, stat.st_ctime_ns) >= self._scanned_ns - _RACY_NS
        if old is not None and not racy and old[:4] == (
                stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino):
            self._new_sources[key] = old
            return old.sha256
        sha = file_sha256(path)
        self.hashed += 1
        self._new_sources[key] = Seen(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, sha)
        return sha

    # -- meetings --------------------------------------------------------------------------

    def _key(self, digest: str) -> str:
        return hashlib.sha256(f"{self.version}|{digest}".encode()).hexdigest()

    def record_path(self, digest: str) -> str:
        """Where the whole outcome of the meeting with this digest is stored."""
        return str(self._records / (self._key(digest) + ".pickle"))

    def meeting(self, digest: str):
        """The light outcome stored under `digest` (its whole one is at record_path), or None."""
        key = self._key(digest)
        light = self._meetings.get(key)
        if light is None or not os.path.exists(self._records / (key + ".pickle")):
            return None
        self._new_meetings[key] = light
        return light

    def keep_meeting(self, digest: str, light) -> None:
        """Remember the light outcome of a meeting whose whole one the worker has stored."""
        self._new_meetings[self._key(digest)] = light

    # -- what the last build listed ----------------------------------------------------------

    def previous_listing(self) -> dict | None:
        """(group, meeting) -> (ident, date ordinal, listed) of every record of the last build
        (ident names the whole record: its meeting's digest and URL segment); None without one."""
        return self._listing

    def keep_listing(self, listing: dict) -> None:
        self._new_listing = listing

    # -- written files ---------------------------------------------------------------------

    def old_paths(self) -> list[str]:
        return list(self._old)

    def previous(self, path: str) -> Written | None:
        return self._old.get(path)

    def still_written(self, path: str, target: str, *, inputs: str | None = None,
                      body: bytes | None = None) -> bool:
        """The file the last build wrote at `path`, from the same inputs (or with the same
        bytes), is still there untouched. With `inputs`, it is carried into this build."""
        old = self._old.get(path)
        if old is None or (inputs is not None and old.inputs != inputs):
            return False
        if body is not None and (len(body) != old.size or hashlib.sha256(body).hexdigest() != old.sha256):
            return False
        try:
            stat = os.stat(target)
        except OSError:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (old.size, old.mtime_ns):
            return False
        if inputs is not None:
            self._new[path] = old
        return True

    def wrote(self, path: str, target: str, body: bytes, inputs: str) -> None:
        stat = os.stat(target)
        self._new[path] = Written(inputs, hashlib.sha256(body).hexdigest(), stat.st_size, stat.st_mtime_ns)

    def carried(self, path: str, written: Written) -> None:
        """A file a worker wrote (or found already there) for this build."""
        self._new[path] = written

    def finish(self) -> list[str]:
        """Save the state, drop unused records; returns the paths the last build wrote that
        this one did not (the caller removes them)."""
        stale = sorted(p for p in self._old if p not in self._new)
        if not self.keeps:
            shutil.rmtree(self.folder, ignore_errors=True)
            return stale
        _atomic_write(self.folder / "state.pickle", pickle.dumps(
            {"version": self.version, "files": self._new, "sources": self._new_sources,
             "meetings": self._new_meetings, "scanned_ns": self._started_ns,
             "listing": self._new_listing},
            protocol=pickle.HIGHEST_PROTOCOL))
        for entry in os.scandir(self._records):
            if entry.name.removesuffix(".pickle") not in self._new_meetings:
                os.unlink(entry.path)
        (self.folder / "manifest.pickle").unlink(missing_ok=True)   # format 1
        shutil.rmtree(self.folder / "meetings", ignore_errors=True)  # format 1
        return stale

    def discard(self) -> None:
        """A build that failed: a temporary store goes; a kept one stays as the last build left it."""
        if not self.keeps:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _load_state(self) -> dict:
        try:
            saved = pickle.loads((self.folder / "state.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError,
                ImportError, IndexError, TypeError):
            saved = None
        if not isinstance(saved, dict) or not isinstance(saved.get("files"), dict):
            return {}
        if saved.get("version") != self.version:
            # Other code or options: every page is made again, but files the last build
            # wrote and this one does not are still removed.
            return {"files": {p: Written("\0stale", "", -1, -1) for p in saved["files"]}}
        return saved


def load_record(path: str):
    """The whole outcome a worker stored (build.py's workers and main process both read it)."""
    with open(path, "rb") as handle:
        return pickle.load(handle)


def store_record(path: str, value) -> None:
    _atomic_write(Path(path), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
