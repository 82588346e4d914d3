"""A source file read from disk only when it is a regular file (`minutes build` and `check`).

A FIFO opened for reading waits for a writer for ever, and a device may never end: each is
refused by the stat of the open file, before a byte is read. The file is opened without
following a symbolic link (decision 78) and without blocking (a FIFO's open would block too).
"""
from __future__ import annotations

import errno
import os
import stat

FOLDER = "a folder"
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, FOLDER))


class NotRegularFile(OSError):
    """Where a source file should be there is something else (`kind`: in words)."""

    def __init__(self, path: str, kind: str):
        super().__init__(f"{path} is {kind}, not a regular file")
        self.filename, self.kind = path, kind


class SourceGone(Exception):
    """A source file the scan listed was gone when read (`git checkout` switching branches
    under `minutes build --watch`, say): the build scans again (build.build)."""


def kind_of(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str, limit: int | None = None) -> tuple[bytes | None, os.stat_result]:
    """The file's bytes (None when it is larger than `limit`: not read) and its stat, from the
    open file. OSError as open raises it (ELOOP: a symbolic link), or NotRegularFile (a socket,
    which open refuses with ENXIO, too)."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as failed:   # a socket cannot be opened at all (ENXIO): say what it is
        if failed.errno != errno.ENXIO:
            raise
        raise NotRegularFile(path, kind_of(os.lstat(path).st_mode)) from None
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise NotRegularFile(path, kind_of(found.st_mode))
        data = None if limit is not None and found.st_size > limit else _read_all(fd, found.st_size)
    finally:
        os.close(fd)
    return data, found


def _read_all(fd: int, size: int) -> bytes:
    """Every byte to the end of the open file `fd`, whose stat gave `size` (a file that grew
    since is still read whole): os.read until it returns nothing, with none of a file object's
    own stats, seeks and isatty check (five system calls a source fewer)."""
    parts = []
    while chunk := os.read(fd, max(size + 1, 1 << 16)):
        parts.append(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)
