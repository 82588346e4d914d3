"""The cache folder of `minutes build`: what a rebuild may reuse, keyed by content hash.

- state.pickle, read whole by every build, and the journal that follows it (state-<n>.pickle:
  what each later build changed; see _State):
  - sources: each source file's stat (size, mtime_ns, ctime_ns, inode) and digest, so a rebuild
    hashes only the files whose stat changed (git's index does the same). ctime cannot be set
    back by a program, so rewriting a file and restoring its mtime is still seen; a file
    changed within a moment of the last scan ("racily clean", as git calls it) is hashed again;
  - kinds: what each source path's key says (the meeting it belongs to), so a rebuild parses
    only the keys of new paths; looks: per meeting, a hash of each light record (what listings
    and prev/next links show), computed once per meeting; front: per meeting (its first source
    key), the front matter it read (yaml text -> value, pickled), so that a correction that
    leaves the front matter alone is assembled without importing YAML (frontmatter.remembering);
  - meetings: per source meeting (keyed by the digest of its files' keys and bytes, the options
    and the code version) its outcome in light form: each record without its rendered content
    (what listings and prev/next links need), its warnings, or the problems rejecting it;
  - files: every file the last build wrote (the inputs it was made from, digest of its bytes,
    size, mtime), so a page whose inputs are the same is not rendered again, a file whose bytes
    are the same is not written again, and the files the site no longer has can be removed.
- records/<build token>-<token>.pack: the whole outcomes (content included) of up to
  PACK_MEETINGS meetings one process assembled, one pickle after another, appended only by
  that process during one build (creating a file cost more CPU than anything else a meeting's
  assembly did but its parse, walk, render and summary: one file per meeting, through a
  temporary file and a rename, was ~0.5-0.8 s per 1,000 meetings). Each meeting's place (pack, offset, length, CRC-32 of its bytes) is kept
  with its light outcome; a record is read only when a page, feed or search day made from it
  is made again, and one whose bytes are not those written (a build that died while writing,
  a damaged disk) is refused, never unpickled: the build then starts again cold. A pack stays
  while any of its meetings is in the state, so a pack of N meetings holds at most N - 1 dead
  ones. A listed meeting's search words follow its whole outcome as a record of their own, so
  the index reads them without unpickling the content (decision 65).
- feeds/<scope hash>.pickle: the entries a scope's feeds show (each one's RSS item and Atom
  entry, by the place of its whole record in its pack, which names the record for good: packs
  are never rewritten and their names never reused), so that a rebuild makes again only the entries
  whose record changed, not the fifty a feed shows.
- code.pickle: the stat of each file of the package when its code version (code_version) was
  last computed, so that a rebuild takes it from there instead of reading and hashing them all.
- templates/: the site's templates compiled (jinja2's bytecode cache, which checks each against
  its source), so that a rebuild does not compile them again.
Everything here can be deleted at any time: the next build is then a cold one. Entries the
last build did not use are removed, so the folder holds one site.

Without a cache folder (`build(cache_dir=None)`, the tests, the soak) the same store lives in a
temporary folder for the length of the build: the main process still never holds every
meeting's content at once.
Every digest here is hashes.digest (BLAKE2b, no OpenSSL; decision 82).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import pickle
import re
import secrets
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from typing import NamedTuple

from . import hashes
from .regular_file import SourceGone, read_regular

FORMAT = 6   # 6: digests are BLAKE2b (decision 82), no longer sha256
# Libraries whose version changes what a page looks like.
_DEPENDENCIES = ("comrak-ext", "nh3", "Jinja2", "feedgen", "PyYAML", "lxml")
# A file whose mtime or ctime is this close to the last scan may have changed again within the
# file system's timestamp granularity without its stat showing it: it is hashed again.
_RACY_NS = 2_000_000_000


_PACKAGE = os.path.dirname(os.path.realpath(__file__))


@functools.cache
def code_version() -> str:
    """The digest of the minutes package's own files (code, templates, assets) and of the versions
    of the libraries that shape the output."""
    return _hashed(_PACKAGE)["version"]


@functools.cache
def _hashed(package: str) -> dict:
    """What the package's files and the installed versions were when this process read them
    (_looked), with their digest: once per process."""
    scanned_ns = time.time_ns()
    found = _looked(package)
    return {**found, "scanned_ns": scanned_ns,
            "version": _code_digest(package, list(found["stats"]), found["versions"])}


def _looked(package: str) -> dict:
    """The stat of every file of the package (no bytecode), in the order the digest takes
    them, and the installed versions."""
    found = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        found += [os.path.relpath(os.path.join(folder, name), package) for name in names]
    stats = {}
    for path in sorted(found, key=lambda path: path.split(os.sep)):
        stat = os.stat(os.path.join(package, path))
        stats[path] = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    return {"stats": stats, "versions": installed_versions()}


def _code_digest(package: str, files: list[str], versions: dict[str, str]) -> str:
    digest = hashes.new_digest()
    digest.update(f"format {FORMAT}".encode())
    for path in files:
        with open(os.path.join(package, path), "rb") as handle:
            digest.update(path.replace(os.sep, "/").encode() + b"\0" + handle.read())
    for name in _DEPENDENCIES:
        version = versions.get(_normal(name))
        digest.update(f"{name}=={version}".encode() if version else f"{name} missing".encode())
    return digest.hexdigest()


@functools.cache
def remembered_code_version(memo: Path, package: str = _PACKAGE) -> str:
    """code_version(), taken from `memo` (a file of the cache folder) when every package file
    has the stat it had when the memo was written and the installed versions are the same, as
    a rebuild takes a source's hash (a file changed within _RACY_NS of the memo is read again):
    reading and hashing the package's ~100 files (~0.9 MB) cost a one-shot rebuild ~4 ms, their
    stats ~0.3 ms. Otherwise the digest this process made (each cache folder of a process that
    builds many is not a new read), or a new one; the memo then holds it. Once per process,
    as code_version: a long-running `--watch` keeps the version of the code it runs."""
    now = _looked(package)
    try:
        with open(memo, "rb") as handle:
            known = pickle.load(handle)
        if (known["stats"], known["versions"]) == (now["stats"], now["versions"]) and all(
                max(stat[1:3]) < known["scanned_ns"] - _RACY_NS for stat in now["stats"].values()):
            return known["version"]
    except Exception:   # none yet, or unreadable: made again
        pass
    made = _hashed(package)
    if (made["stats"], made["versions"]) != (now["stats"], now["versions"]):   # changed since
        made = _hashed.__wrapped__(package)
    _atomic_dump(memo, made)
    return made["version"]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """Normalised distribution name -> version of what is installed on sys.path, the first
    found winning, as importlib.metadata.version answers it, read from the names of the
    .dist-info (or .egg-info) folders: importlib.metadata itself costs a rebuild ~20-70 ms
    (its import and a search of sys.path per name)."""
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                parts = name.rsplit(".", 1)[0].split("-")
                if len(parts) >= 2:
                    found.setdefault(_normal(parts[0]), parts[1])
    return found


class Written(NamedTuple):
    inputs: str        # what the file was made from ("" when only its bytes count)
    digest: str        # "": a build compares a file's bytes by reading them back (decision 114)
    size: int
    mtime_ns: int


class Seen(NamedTuple):
    """A source file as the last scan found it."""
    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    digest: str        # of its bytes


def read_source(path: str, limit: int | None = None) -> tuple[bytes | None, Seen]:
    """A source file's bytes and what a scan notes of it (its stat, from the open file, and the
    digest of exactly these bytes); None for the bytes of a file larger than `limit`, which is
    not read (its digest is its size's, unread_digest). A symbolic link is not followed
    (OSError, errno ELOOP): a link planted in SRC would publish a file from anywhere on the
    machine that builds. Nor is anything but a regular file read (NotRegularFile: a FIFO would
    wait for ever). A file gone since the scan raises SourceGone: the build scans again."""
    try:
        data, stat = read_regular(path, limit)
    except FileNotFoundError:
        raise SourceGone(path) from None
    return data, Seen(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino,
                      unread_digest(stat.st_size) if data is None else hashes.digest(data))


def refused_seen(path: str, failed: OSError) -> Seen:
    """What a scan notes of a source it could not read (`failed`: why): its own stat and a hash
    of the reason, so the rejection is kept until its stat changes (chmod changes its ctime)."""
    if failed.errno == errno.ELOOP:
        return link_seen(path)
    try:
        stat = os.lstat(path)
    except FileNotFoundError:
        raise SourceGone(path) from None
    return Seen(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino,
                hashes.digest(f"not read: {failed}".encode()))


def unread_digest(size: int) -> str:
    """The digest noted for a file not read (over its read limit): only its size tells what
    its meeting becomes (meeting.read_limit)."""
    return hashes.digest(b"not read: %d bytes" % size)


def link_seen(path: str) -> Seen:
    """What a scan notes of a symbolic link, without following it: its own stat, and a hash of
    where it leads (a link is rejected, and the rejection is remembered until the link changes;
    a file put in its place has its own stat, so it is read)."""
    stat = os.lstat(path)
    where = hashes.digest(b"symbolic link to " + os.fsencode(os.readlink(path)))
    return Seen(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, where)


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, hashes.new_digest).hexdigest()


MEMOS = ("kinds", "looks", "front")
_NO_MEMO = pickle.dumps({})
_PARTS = ("files", "sources", "meetings", "listing", *MEMOS)
# A file a build may have written, with nothing known of it: made again if it is part of the
# next build's site, else removed.
_STALE = ("\0stale", "", -1, -1)


class _State:
    """The state as saved: a base (state.pickle) and a journal of what each later build
    changed (state-<n>.pickle, n = 1, 2, ...), so that a rebuild that changed a few entries
    writes a few entries, not the whole site's (at 10,000 meetings the base is ~15 MB and took
    ~1 s to write). Each part is a dict; in the journal an entry None removes it. A journal
    file names the base it follows (a random token), so one left by a build that died before
    removing it is never applied to a newer base. The journal is folded into a new base when
    it grows past a fraction of the base. Values are plain tuples (pickle writes and reads a
    NamedTuple per entry through a Python call: 3-4x slower)."""

    JOURNAL_SHARE = 8     # a new base once the journal is an eighth of its size
    JOURNAL_FILES = 64

    def __init__(self, folder: Path):
        self.folder = folder
        self.base_token: str | None = None
        self.base_size = 0
        self.journal: list[Path] = []
        self.journal_size = 0

    def load(self, version: str) -> dict | None:
        """The saved parts (dicts) and scanned_ns; None without a usable state; {"stale": paths}
        when it was made by other code or options."""
        try:
            data = (self.folder / "state.pickle").read_bytes()
            saved = pickle.loads(data)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError,
                ImportError, IndexError, TypeError, KeyError):
            return None
        if not isinstance(saved, dict) or not isinstance(saved.get("files"), dict):
            return None
        if saved.get("format") != FORMAT or saved.get("version") != version:
            return {"stale": list(saved["files"])}
        self.base_token, self.base_size = saved["token"], len(data)
        for path in self._journal_files():
            try:
                data = path.read_bytes()
                change = pickle.loads(data)
            except Exception:    # a damaged entry and all after it: as if not saved
                break
            if not isinstance(change, dict) or change.get("token") != self.base_token:
                break
            for part in _PARTS:
                target = saved[part]
                for key, value in change[part].items():
                    if value is None:
                        target.pop(key, None)
                    else:
                        target[key] = value
            saved["scanned_ns"] = change["scanned_ns"]
            self.journal.append(path)
            self.journal_size += len(data)
        return saved

    def _journal_files(self) -> list[Path]:
        found = []
        for entry in os.scandir(self.folder):
            number = entry.name.removeprefix("state-").removesuffix(".pickle")
            if entry.name.startswith("state-") and number.isdigit():
                found.append((int(number), Path(entry.path)))
        return [path for _, path in sorted(found)]

    def save(self, version: str, old: dict, new: dict, scanned_ns: int) -> bool:
        """Save `new` (parts), as a journal entry of its differences from `old` when the base
        is still the one `old` came from; returns True when a new base was written."""
        if self.base_token is not None:
            change = {part: _changes(old.get(part) or {}, new[part]) for part in _PARTS}
            change.update(token=self.base_token, scanned_ns=scanned_ns)
            data = pickle.dumps(change, protocol=pickle.HIGHEST_PROTOCOL)
            if (len(self.journal) < self.JOURNAL_FILES
                    and (self.journal_size + len(data)) * self.JOURNAL_SHARE < self.base_size):
                number = int(self.journal[-1].stem.removeprefix("state-")) + 1 if self.journal else 1
                _atomic_write(self.folder / f"state-{number}.pickle", data)
                return False
        base = {part: {key: tuple(value) if isinstance(value, tuple) else value
                       for key, value in new[part].items()} for part in _PARTS}
        base.update(format=FORMAT, version=version, token=secrets.token_hex(8), scanned_ns=scanned_ns)
        _atomic_dump(self.folder / "state.pickle", base)
        for path in self._journal_files():   # they followed the base just replaced
            path.unlink(missing_ok=True)
        return True


def _changes(old: dict, new: dict) -> dict:
    """The entries of `new` that `old` lacks or holds otherwise (as plain tuples), and None for
    each key of `old` that `new` lacks."""
    out = {}
    for key, value in new.items():
        before = old.get(key)
        if before is not value and before != value:
            out[key] = tuple(value) if isinstance(value, tuple) else value
    for key in old.keys() - new.keys():
        out[key] = None
    return out


class BuildCache:
    def __init__(self, folder: Path | None, *, options: tuple):
        """`folder` None: a temporary store for this build only (no manifest, nothing kept)."""
        self.keeps = folder is not None
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="minutes-build-"))
        try:
            self._open(options)
        except BaseException:   # a Ctrl-C while the code's digest is taken: no store left behind
            if not self.keeps:
                shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def _open(self, options: tuple) -> None:
        self._records = self.folder / "records"
        self._records.mkdir(parents=True, exist_ok=True)
        code = remembered_code_version(self.folder / "code.pickle") if self.keeps else code_version()
        self.version = hashes.digest(f"{code}|{options!r}".encode())
        self._records_prefix = os.path.join(self._records, "")
        # One string per pack for its name and its path, whatever the meetings in it: a build
        # asks for ~3 places per meeting, held until its end (decision 86).
        self._pack_names: dict[str, str] = {}
        self._pack_paths: dict[str, str] = {}
        self._feeds = self.folder / "feeds"
        self._feed_memos: set[str] | None = None
        if self.keeps:
            self._feeds.mkdir(exist_ok=True)
        # Compiled templates (pages.py), checked against their source by jinja2 itself.
        self.templates = str(self.folder / "templates") if self.keeps else None
        if self.templates:
            os.makedirs(self.templates, mode=0o700, exist_ok=True)
        self._state = _State(self.folder)
        state = (self._state.load(self.version) if self.keeps else None) or {}
        if "stale" in state:
            # Other code or options: every page is made again, but files the last build
            # wrote and this one does not are still removed.
            state = {"files": dict.fromkeys(state["stale"], _STALE)}
        self._saved = state
        # Plain tuples as loaded (a Written or Seen is made only for the entries asked for).
        self._old: dict[str, tuple] = state.get("files", {})
        self._sources: dict[str, tuple] = state.get("sources", {})
        self._memos = {name: state.get(name, {}) for name in MEMOS}
        self._new_memos = {name: _NO_MEMO for name in MEMOS}
        # meeting key -> (light outcome, (pack name, offset, length, crc32) of its whole one,
        #                 (offset, length, crc32) of its search words in that pack, or None)
        self._meetings: dict[str, tuple] = state.get("meetings", {})
        self._packs: dict[str, bool] = {}   # pack name -> exists (asked once per build)
        self._keys: dict[str, str] = {}     # meeting digest -> its key in meetings
        self._scanned_ns = state.get("scanned_ns", 0)
        self._listing = state.get("listing")
        self._new_listing: dict | None = None
        self._started_ns = time.time_ns()
        self._new: dict[str, Written] = {}
        self._new_sources: dict[str, Seen] = {}
        self._new_meetings: dict[str, tuple] = {}
        self.hashed = 0     # source files read to hash them (a rebuild reads only changed ones)

    @property
    def cold(self) -> bool:
        """No source of a last build is known (no cache folder, a new one, or other code): the
        build assembles every meeting."""
        return not self._sources

    # -- sources ---------------------------------------------------------------------------

    def source_digest(self, key: str, path: str, limit: int | None = None) -> str | None:
        """The digest of a source file's bytes: from the last scan when its stat is unchanged;
        None for a key the last build did not see (no stored meeting can hold it, so its
        meeting is assembled whatever its hash: the process that reads it to assemble it
        hashes it too, read_source, and the main process notes it, saw_source). A file larger
        than `limit` is not read (read_source)."""
        old = self._sources.get(key)
        if old is None:
            return None
        try:
            stat = os.lstat(path)   # a symbolic link is not followed (read_source refuses it)
        except FileNotFoundError:
            raise SourceGone(path) from None
        racy = max(stat.st_mtime_ns, stat.st_ctime_ns) >= self._scanned_ns - _RACY_NS
        if not racy and old[:4] == (
                stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino):
            self._new_sources[key] = old
            return old[4]
        if S_ISLNK(stat.st_mode):
            seen = link_seen(path)
        elif not S_ISREG(stat.st_mode):
            return None   # a FIFO, say: never opened here; the assembling process says why
        else:
            try:
                digest = unread_digest(stat.st_size) if limit is not None and stat.st_size > limit \
                    else file_digest(path)
            except FileNotFoundError:
                raise SourceGone(path) from None
            except OSError:   # not readable: the assembling process rejects it, saying why
                return None
            seen = Seen(stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, digest)
        self.hashed += 1
        self._new_sources[key] = seen
        return seen.digest

    def saw_source(self, key: str, seen: "Seen") -> None:
        """A source file another process read and hashed for this build (read_source)."""
        self.hashed += 1
        self._new_sources[key] = seen

    def memo(self, name: str) -> dict:
        """One of MEMOS as the last build left it: what a value of the same code gives for a
        key (kinds: source path -> its meeting; looks: meeting digest -> hashes of its light
        records; front: a meeting's first source key -> {yaml text: value pickled})."""
        return self._memos[name]

    def keep_memo(self, name: str, memo: dict) -> None:
        """What this build used of a memo (the rest is forgotten): kept pickled until the state
        is saved (finish), as nothing reads it before; its objects were ~0.6 MiB at 1,000
        meetings, held through the second phase (decision 96)."""
        self._new_memos[name] = pickle.dumps(memo, protocol=pickle.HIGHEST_PROTOCOL)

    # -- meetings --------------------------------------------------------------------------

    def _key(self, digest: str) -> str:
        key = self._keys.get(digest)
        if key is None:   # asked twice per meeting (meeting, record_at): hashed once
            key = self._keys[digest] = hashes.digest(f"{self.version}|{digest}".encode())
        return key

    def new_packs(self) -> str:
        """The start of the names of this build's packs (store_records): a random token, so a
        pack is never written by two builds and its name is never used again."""
        return f"{self._records_prefix}{secrets.token_hex(8)}"

    def meeting(self, digest: str):
        """The light outcome stored under `digest` (its whole one is at record_at), or None."""
        key = self._key(digest)
        saved = self._meetings.get(key)
        if saved is None or not self._pack_exists(saved[1][0]):
            return None
        self._new_meetings[key] = saved
        return saved[0]

    def _pack_exists(self, name: str) -> bool:
        found = self._packs.get(name)
        if found is None:
            found = self._packs[name] = os.path.exists(self._records_prefix + name)
        return found

    def keep_meeting(self, digest: str, light, where: tuple, words: tuple | None = None) -> None:
        """Remember the light outcome of a meeting whose whole one a process has stored at
        `where` (store_records), and its search words at `words` (in the same pack) if any."""
        pack, offset, length, crc = where
        name = self._pack_names.get(pack) or self._pack_names.setdefault(pack, os.path.basename(pack))
        self._new_meetings[self._key(digest)] = (light, (name, offset, length, crc), words and words[1:])

    def record_at(self, digest: str) -> tuple | None:
        """Where the whole outcome of the meeting with this digest is stored (for load_record):
        by this build, or else by the last one (until this one finishes)."""
        key = self._key(digest)
        saved = self._new_meetings.get(key) or self._meetings.get(key)
        if saved is None:
            return None
        name, offset, length, crc = saved[1]
        return (self._pack_path(name), offset, length, crc)

    def words_at(self, digest: str) -> tuple | None:
        """Where the search words of the meeting with this digest are stored (for load_record),
        or None when none were: a record of their own beside its whole outcome, so the index
        reads ~5 KB of words instead of unpickling ~20 KB of content per meeting."""
        key = self._key(digest)
        saved = self._new_meetings.get(key) or self._meetings.get(key)
        if saved is None or saved[2] is None:
            return None
        return (self._pack_path(saved[1][0]), *saved[2])

    def _pack_path(self, name: str) -> str:
        return self._pack_paths.get(name) or self._pack_paths.setdefault(name, self._records_prefix + name)

    # -- what the last build listed ----------------------------------------------------------

    def previous_listing(self) -> dict | None:
        """(group, meeting) -> (ident, date ordinal, listed) of every record of the last build
        (ident names the whole record: its meeting's digest and URL segment); None without one."""
        return self._listing

    def keep_listing(self, listing: dict) -> None:
        self._new_listing = listing

    # -- feed entries ----------------------------------------------------------------------

    def feed_memo(self, scope: str) -> str | None:
        """The file of the entries the feeds of `scope` show (build._render_feeds), or None
        without a kept cache."""
        if not self.keeps:
            return None
        return str(self._feeds / f"{hashes.digest(scope.encode())[:32]}.pickle")

    def keep_feed_memos(self, scopes: set[str]) -> None:
        """The scopes this build has feeds for: the memos of others are removed."""
        self._feed_memos = {os.path.basename(self.feed_memo(scope) or "") for scope in scopes}

    # -- written files ---------------------------------------------------------------------

    def old_paths(self) -> list[str]:
        return list(self._old)

    def previous(self, path: str) -> Written | None:
        old = self._old.get(path)
        return None if old is None else Written._make(old)

    def still_written(self, path: str, target: str, *, inputs: str | None = None,
                      body: bytes | None = None) -> bool:
        """The file the last build wrote at `path`, from the same inputs (or with the same
        bytes), is still there untouched. With `inputs`, it is carried into this build."""
        old = self._old.get(path)
        if old is None or (inputs is not None and old[0] != inputs):
            return False
        inputs_, sha, size, mtime_ns = old
        if body is not None and (len(body) != size or hashes.digest(body) != sha):
            return False
        try:
            stat = os.stat(target)
        except OSError:
            return False
        if stat.st_size != size or stat.st_mtime_ns != mtime_ns:
            return False
        if inputs is not None:
            self._new[path] = old
        return True

    def wrote(self, path: str, target: str, body: bytes, inputs: str) -> None:
        stat = os.stat(target)
        self._new[path] = Written(inputs, hashes.digest(body), stat.st_size, stat.st_mtime_ns)

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
        new = {"files": self._new, "sources": self._new_sources, "meetings": self._new_meetings,
               "listing": self._new_listing or {},
               **{name: pickle.loads(memo) for name, memo in self._new_memos.items()}}
        self._state.save(self.version, self._saved, new, self._started_ns)
        # The packs this build's state names stay; any other (an older build's, or one left
        # by a build that died) goes.
        live = {saved[1][0] for saved in self._new_meetings.values()}
        for entry in os.scandir(self._records):
            if entry.name not in live:
                os.unlink(entry.path)
        if self._feed_memos is not None and self._feeds.is_dir():
            for entry in os.scandir(self._feeds):
                if entry.name not in self._feed_memos:
                    os.unlink(entry.path)
        return stale

    def discard(self, written: list[str] | tuple = ()) -> None:
        """A build that failed: a temporary store goes; a kept one stays as the last finished
        build left it, but for the site files this one may have written (`written`) that the
        last one had not: they are remembered as stale, so the next build removes those it does
        not make (the page of a meeting deleted before the next build would stay for good)."""
        if not self.keeps:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        old = self._saved.get("files", {})
        unknown = [path for path in written if path not in old]
        if not unknown:
            return
        new = {part: self._saved.get(part) or {} for part in _PARTS}
        new["files"] = {**old, **dict.fromkeys(unknown, _STALE)}
        try:
            self._state.save(self.version, self._saved, new, self._saved.get("scanned_ns", 0))
        except OSError:   # the failure being reported matters more (the cache can be deleted)
            pass


def start_again(folder: Path, *, options: tuple) -> None:
    """Empty a cache whose records could not be read, keeping only the paths the last build
    wrote, as a state of other code would leave them (every page is made again): the cold
    build that follows still removes the files it no longer makes, such as the page of a
    meeting deleted since. Without them a deleted meeting's page would stay for good."""
    written = BuildCache(folder, options=options).old_paths()
    shutil.rmtree(folder, ignore_errors=True)
    if written:
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / "state.pickle",
                      pickle.dumps({"format": None, "files": dict.fromkeys(written)},
                                   protocol=pickle.HIGHEST_PROTOCOL))


class DamagedRecord(Exception):
    """A stored record whose bytes are not those written."""


def load_record(where: tuple):
    """The whole outcome a process stored (build.py's workers and main process both read it):
    `where` is (pack path, offset, length, crc32), as record_at gives it. Raises OSError or
    DamagedRecord when the bytes there are not those written."""
    path, offset, length, crc = where
    fd = _reading.get(path)
    if fd is None:
        if len(_reading) >= _READING_MAX:
            close_packs()
        fd = _reading[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    data = os.pread(fd, length, offset)
    if len(data) != length or zlib.crc32(data) != crc:
        raise DamagedRecord(f"{path} at {offset}: not the {length} bytes stored there")
    return pickle.loads(data)


# The packs this process has open for reading, path -> descriptor, until close_packs (build.build
# calls it when a build ends): a cold build reads ~5,000 records back at 1,000 meetings (pages,
# feed entries, the search index's passes), an open and a close each before. A pack is only ever
# appended to under a name no other pack has, so an open one reads what its path holds; a
# forked process reads through the descriptors it inherits (pread moves no shared offset).
_reading: dict[str, int] = {}
_READING_MAX = 64


def close_packs() -> None:
    while _reading:
        os.close(_reading.popitem()[1])


PACK_MEETINGS = 32
# The pack each process is filling, by the build's pack names (new_packs) and the process:
# [path, size, meetings]. A forked process inherits its parent's entries under the parent's id.
_filling: dict[tuple[str, int], list] = {}


def store_records(packs: str, values: list, *, meetings: int = 1) -> list[tuple]:
    """Write every value, pickled, at the end of the pack this process is filling for this
    build (`packs`: new_packs), or of a new one once it holds PACK_MEETINGS meetings; returns
    where each is (for load_record). A pack is written directly, by one process, and only
    appended to: it is named by no state until the build that wrote it finishes, and each
    record carries its length and CRC, so a pack cut short is never read as a record. Files
    are the dearest thing a build makes here (~0.5 ms of kernel time each): a pack per batch of
    eight meetings was 125 files at 1,000 meetings; a pack stays while the state names any of
    its meetings, so it holds at most PACK_MEETINGS - 1 dead records."""
    parts, sizes = [], []
    for value in values:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        parts.append(data)
        sizes.append((len(data), zlib.crc32(data)))
    body = memoryview(b"".join(parts))
    process = (packs, os.getpid())
    filling = _filling.get(process)
    fd = -1
    if filling is not None and filling[2] + meetings <= PACK_MEETINGS:
        fd = os.open(filling[0], os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        if os.fstat(fd).st_size != filling[1]:   # not as this process left it: start another
            os.close(fd)
            fd = -1
    if fd < 0:
        for key in [key for key in _filling if key[0] != packs]:   # an earlier build's
            del _filling[key]
        filling = _filling[process] = [f"{packs}-{secrets.token_hex(4)}.pack", 0, 0]
        fd = os.open(filling[0], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        done = 0
        while done < len(body):
            done += os.write(fd, body[done:])
    finally:
        os.close(fd)
    where, offset = [], filling[1]
    for length, crc in sizes:
        where.append((filling[0], offset, length, crc))
        offset += length
    filling[1], filling[2] = offset, filling[2] + meetings
    return where


def load_memo(path: str) -> dict:
    """The entries store_memo or memo_writer kept (a scope's feed entries: name -> entry)."""
    memo = {}
    with open(path, "rb") as handle:
        while handle.peek(1):
            item = pickle.load(handle)
            if not (isinstance(item, tuple) and len(item) == 2):
                raise ValueError(f"{path} is not a memo of entries")
            memo[item[0]] = item[1]
    return memo


def store_memo(path: str, value: dict) -> None:
    with memo_writer(path) as add:
        for name, entry in value.items():
            add(name, entry)


@contextlib.contextmanager
def memo_writer(path: str):
    """add(name, entry): each entry pickled into the memo at `path` as it is given, never held
    here (a scope's feed entries, 1.6 MB at 1,000 meetings: decisions 72, 97); the file
    replaces the old one once all are in, and a failure leaves the old one as it was."""
    with _replacing(Path(path)) as handle:
        yield lambda name, entry: pickle.dump((name, entry), handle,
                                              protocol=pickle.HIGHEST_PROTOCOL)


def _atomic_write(path: Path, data: bytes) -> None:
    with _replacing(path) as handle:
        handle.write(data)


def _atomic_dump(path: Path, value) -> None:
    """`value` pickled into `path`, frame by frame: a build's state is never one bytes object
    beside the value (decision 72)."""
    with _replacing(path) as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


@contextlib.contextmanager
def _replacing(path: Path):
    """A file to write that becomes `path` once the block ends: written as a temporary file
    beside it and renamed over it (os.replace), so `path` is never seen half written; on a
    failure the temporary file is removed and `path` left as it was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
