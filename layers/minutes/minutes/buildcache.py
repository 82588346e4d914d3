"""The cache folder of `minutes build`: what a rebuild may reuse, keyed by content hash.

- meetings/<sha256>.pickle: one meeting assembled (record, warnings; or its problems), keyed by
  the sha256 of its files' keys and bytes, the build options and the code version, so a
  changed file, option, library file or dependency version is simply a miss;
- manifest.pickle: every file the last build wrote (sha256 of its bytes, size, mtime and the
  inputs it was made from), so a page whose inputs are the same is not rendered again and a
  file whose bytes are the same is not written again, and the files the site no longer has
  can be removed.
Everything here can be deleted at any time: the next build is then a cold one. Entries the
last build did not use are removed, so the folder holds one site.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

FORMAT = 1
# Libraries whose version changes what a page looks like.
_DEPENDENCIES = ("markdown-it-py", "mdit-py-plugins", "linkify-it-py", "nh3", "Jinja2", "feedgen",
                 "PyYAML", "lxml")


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


@dataclass(frozen=True)
class Written:
    inputs: str        # what the file was made from ("" when only its bytes count)
    sha256: str
    size: int
    mtime_ns: int


class BuildCache:
    def __init__(self, folder: Path, *, options: tuple):
        self.folder = folder
        self.version = hashlib.sha256(f"{code_version()}|{options!r}".encode()).hexdigest()
        self._meetings = folder / "meetings"
        self._meetings.mkdir(parents=True, exist_ok=True)
        self._old = self._load_manifest()
        self._new: dict[str, Written] = {}
        self._used: set[str] = set()

    # -- meetings --------------------------------------------------------------------------

    def _entry(self, digest: str) -> Path:
        return self._meetings / (hashlib.sha256(f"{self.version}|{digest}".encode()).hexdigest() + ".pickle")

    def meeting(self, digest: str):
        """The assembled meeting stored under `digest`, or None."""
        path = self._entry(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            value = pickle.loads(data)
        except Exception:   # a damaged entry is a miss, not a failed build
            return None
        self._used.add(path.name)
        return value

    def keep_meeting(self, digest: str, value) -> None:
        path = self._entry(digest)
        _atomic_write(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        self._used.add(path.name)

    # -- written files ---------------------------------------------------------------------

    def still_written(self, path: str, target: Path, *, inputs: str | None = None,
                      body: bytes | None = None) -> bool:
        """The file the last build wrote at `path`, from the same inputs (or with the same
        bytes), is still there untouched. With `inputs`, it is carried into this build."""
        old = self._old.get(path)
        if old is None or (inputs is not None and old.inputs != inputs):
            return False
        if body is not None and (len(body) != old.size or hashlib.sha256(body).hexdigest() != old.sha256):
            return False
        try:
            stat = target.stat()
        except OSError:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (old.size, old.mtime_ns):
            return False
        if inputs is not None:
            self._new[path] = old
        return True

    def wrote(self, path: str, target: Path, body: bytes, inputs: str) -> None:
        stat = target.stat()
        self._new[path] = Written(inputs, hashlib.sha256(body).hexdigest(), stat.st_size, stat.st_mtime_ns)

    def finish(self) -> list[str]:
        """Save what this build wrote, drop unused meeting entries; returns the paths the last
        build wrote that this one did not (the caller removes them)."""
        stale = sorted(p for p in self._old if p not in self._new)
        _atomic_write(self.folder / "manifest.pickle", pickle.dumps(
            {"version": self.version, "files": self._new}, protocol=pickle.HIGHEST_PROTOCOL))
        for entry in os.scandir(self._meetings):
            if entry.name not in self._used:
                os.unlink(entry.path)
        return stale

    def _load_manifest(self) -> dict[str, Written]:
        try:
            saved = pickle.loads((self.folder / "manifest.pickle").read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            return {}
        if not isinstance(saved, dict) or saved.get("version") != self.version:
            # Other code or options: every page is made again, but files the last build
            # wrote and this one does not are still removed.
            files = saved.get("files", {}) if isinstance(saved, dict) else {}
            return {p: Written("\0stale", "", -1, -1) for p in files}
        return saved["files"]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
