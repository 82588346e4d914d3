"""One walk of a folder laid out like the bucket's minutes/, shared by `minutes build` (every
file), `minutes check` and `upload DIR` (Markdown and group.yaml) and `minutes sync` (those and
attachments) (decision 99). Each entry is classified once, here; a caller keeps the roles it
reads and reports every refused entry it would have read, and every folder not entered.

- a hidden entry (its name starts with '.'): skipped, with all it holds;
- a regular file, or a symbolic link that does not lead to a folder (one to nothing too, if
  named as a file: _named_as_file): a file (every reader rejects a link, linked-source, and
  never follows it: decision 78);
- a folder: entered, unless it is a symbolic link (refused: ELOOP; so is a link to nothing
  not named as a file), cannot be listed or
  entered (refused: what the system said, so that chmod 644 on a folder is said once, not
  as each file it names; one gone since its parent was listed is as deleted) or
  has the name of a file minutes reads (`x.md`, `group.yaml`, `slides.pdf`: refused, not
  entered: its key stands for a file, and what it holds would be left out in silence);
- anything else (a FIFO, socket or device): refused, by its kind (never opened: a FIFO's
  reader waits for ever).
A refused entry is (relative path, OSError): a folder's path ends with '/' (what it holds is
refused), a file's does not, nor does a folder named as a file (it stands for that file);
meeting.unreadable_source says it in the same words for every caller.
"""
from __future__ import annotations

import errno
import os

from . import keys
from .group import is_group_file
from .problems import Problem, Rejected, warning
from .regular_file import FOLDER, NotRegularFile, kind_of

GROUP_FILE = "group.yaml"
MINUTES, GROUP, ATTACHMENT = "minutes", "group", "attachment"


def role(name: str) -> str | None:
    """What a file named `name` is to minutes, by its name alone: Markdown (MINUTES), GROUP
    (a group's settings, when directly in a group's folder), an ATTACHMENT the site serves,
    or None (a meeting folder's other files: named, never read)."""
    if name.lower().endswith(".md"):
        return MINUTES
    if name == GROUP_FILE:
        return GROUP
    return ATTACHMENT if keys.attachment_type(name) else None


def walk(root: str, refused: list | None = None) -> list[str]:
    """Every file under `root` as a relative POSIX path, in the order sorting Paths gives: what
    `sorted(rglob("*"))` filtered gives, at a third of its cost (no Path per file).
    `refused`: filled with (relative path, OSError) of each entry refused (above). `root`
    itself not listable raises, as os.scandir does."""
    found, folders = [], [""]
    while folders:
        folder = folders.pop()
        try:
            # through '.': a folder that can be listed but not entered (chmod 644) fails here,
            # as one that cannot be listed, not at each file it names (decision 102)
            entries = os.scandir(os.path.join(root, folder, "."))
        except (FileNotFoundError, NotADirectoryError) as failed:
            if not folder:
                failed.filename = root
                raise
            continue
        except OSError as failed:
            failed.filename = os.path.join(root, folder.rstrip("/")) if folder else root
            if not folder:
                raise
            if refused is not None:
                refused.append((folder, failed))
            continue
        with entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                rel = folder + entry.name
                if entry.is_dir(follow_symlinks=False):
                    # every name role() knows has a dot: most folders' names are not looked at
                    if "." not in entry.name or role(entry.name) is None:
                        folders.append(rel + "/")
                    elif refused is not None:
                        refused.append((rel, NotRegularFile(os.path.join(root, rel), FOLDER)))
                elif entry.is_file() or entry.is_symlink() and not entry.is_dir() and \
                        _named_as_file(rel):
                    found.append(rel)
                elif refused is not None:
                    _refuse(os.path.join(root, rel), rel, entry, refused)
    return sorted(found, key=lambda rel: rel.split("/"))


def _named_as_file(rel: str) -> bool:
    """Whether a symbolic link that leads to no file or folder (to nothing, say) is taken for a
    file, by its name: one minutes reads (role), or any in a dated folder (may_be_minutes).
    Another may stand for a folder (`minutes/linkedgroup` -> a group moved away): refused as a
    linked folder, never left out in silence (decision 102)."""
    return role(rel.rsplit("/", 1)[-1]) is not None or may_be_minutes(rel)


def _refuse(path: str, rel: str, entry: os.DirEntry, refused: list) -> None:
    if entry.is_symlink():   # to a folder, or to nothing with a folder's name (_named_as_file)
        refused.append((rel + "/", OSError(errno.ELOOP, "a symbolic link", path)))
        return
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except FileNotFoundError:   # gone since listed: as deleted
        return
    refused.append((rel, NotRegularFile(path, kind_of(mode))))


def holds_files(rel: str, failed: OSError) -> bool:
    """Whether a refused entry is a folder not entered (linked, not listable, or named as a
    file): every caller reports it, whatever it reads, since what it holds is left out."""
    return rel.endswith("/") or isinstance(failed, NotRegularFile) and failed.kind == FOLDER


def build_reads(rel: str) -> bool:
    """Whether `minutes build` reads the bytes of the file at `rel` (under SRC), so that it
    reports one it cannot read: a group's group.yaml, Markdown, an attachment the site serves
    in a meeting folder (or one whose key is refused there: a meeting of its own, rejected). A
    meeting folder's other files are only named (decision 95): a FIFO `NOTES.md.tmp` is left
    alone, as a regular one is not read."""
    key = keys.PREFIX + rel
    if is_group_file(key) or rel.lower().endswith(".md"):
        return True
    if not keys.attachment_type(rel):
        return False
    try:
        return keys.parse_key(key).is_folder
    except Rejected:
        return may_be_minutes(rel)


def may_be_minutes(rel: str) -> bool:
    """Whether a file whose key is refused would be part of a meeting with a good key: Markdown,
    or any file in a dated folder. Another one (`notes.txt` or `logo.pdf` at the top of SRC or
    in a group folder named with a space) is left alone as it is under a good key
    (`g/notes.txt`), by build, check and sync alike (decision 100)."""
    folder = rel.rsplit("/", 2)[-2] if "/" in rel else ""
    return rel.lower().endswith(".md") or keys.find_date(folder) is not None


ALONE = "attachment-alone"


def alone(rel: str) -> bool:
    """Whether the file at `rel` is one the site would serve (a PDF, an image) that is part of
    no meeting: not directly in a meeting folder (`g/deck.pdf`, `g/2024-01-02-m/sub/x.pdf`,
    `logo.pdf` at SRC's top). No build publishes it; build, check, upload and sync warn of it
    (attached_to_nothing) and never upload it, so it is neither lost in silence nor sent to a
    bucket that publishes it nowhere (decision 108)."""
    return bool(keys.attachment_type(rel)) and not build_reads(rel)


def attached_to_nothing(key: str) -> Problem:
    name = key.rsplit("/", 1)[-1]
    return warning(ALONE, f"'{name}' is not published: attachments are published from a "
                   "meeting's folder (<group>/<date>-<topic>/, beside its minutes), and this one "
                   "is not directly in one",
                   "Move it into its meeting's folder (minutes/<group>/2024-05-07-sync/ holding "
                   "NOTES.md and the file), or delete it.", file=key)
