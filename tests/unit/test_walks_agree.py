"""`minutes build`, `check`, `upload DIR` and `sync` on the same hostile trees say the same
(decision 99: one folder walk, folder_walk.py): the same errors (code, message, hint, file)
and the same warnings on files they do not publish. Each tree is the same small folder with
one odd entry added; the unreadable ones run without root's power to read any file."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from minutes.services.upload import scan_local
from tests.support.sources import PDF, write
from tests.support.walks import said_by_all
from tests.unit.test_hostile_filesystem import _unprivileged

ROOT = Path(__file__).resolve().parents[2]
NOTES = "# B\n\nSee [slides](slides.pdf).\n\n- one\n- two\n- three\n"
LIST = "# M\n\n- a\n- b\n- c\n"
MEETING = "g/2024-01-08-b"


def _base(src: Path) -> None:
    write(src / "g" / "2024-01-02-a.md", LIST)
    write(src / MEETING / "NOTES.md", NOTES)
    write(src / MEETING / "slides.pdf", PDF)
    write(src / "g2" / "2024-01-03-c.md", LIST)
    write(src / "g2" / "group.yaml", "name: Group two\n")


def _socket(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()


def _elsewhere(t: Path) -> Path:
    write(t / "real.md", LIST)
    write(t / "2024-02-01-secret.md", "# Secret\n\n- hunter2\n")
    return t


def _name(raw: bytes) -> str:
    return os.fsdecode(raw)


# tree -> (src, elsewhere) -> None: one odd entry added to the base
TREES = {
    "linked-group": lambda s, t: (s / "linked").symlink_to(_elsewhere(t), target_is_directory=True),
    "linked-meeting-folder": lambda s, t: (s / "g" / "2024-01-10-x").symlink_to(_elsewhere(t)),
    "linked-subfolder": lambda s, t: (s / MEETING / "sub").symlink_to(_elsewhere(t)),
    "dangling-md": lambda s, t: (s / "g" / "2024-01-05-d.md").symlink_to(t / "nothing.md"),
    "linked-md": lambda s, t: (s / "g" / "2024-01-05-d.md").symlink_to(_elsewhere(t) / "real.md"),
    "linked-device-png": lambda s, t: (s / MEETING / "pic.png").symlink_to("/dev/zero"),
    "fifo-md": lambda s, t: os.mkfifo(s / "g" / "2024-01-05-pipe.md"),
    "fifo-group-yaml": lambda s, t: os.mkfifo(s / "g" / "group.yaml"),
    "fifo-pdf": lambda s, t: os.mkfifo(s / MEETING / "deck.pdf"),
    "fifo-tmp": lambda s, t: os.mkfifo(s / MEETING / "NOTES.md.tmp"),
    "fifo-pdf-in-group": lambda s, t: os.mkfifo(s / "g" / "deck.pdf"),
    "socket-md": lambda s, t: _socket(s / "g" / "2024-01-05-sock.md"),
    "regular-tmp": lambda s, t: write(s / MEETING / "NOTES.md.tmp", "draft\n"),
    "regular-docx": lambda s, t: write(s / MEETING / "agenda.docx", b"PK\x03\x04"),
    "folder-x-md": lambda s, t: (s / "g" / "x.md").mkdir(),
    "folder-dated-md": lambda s, t: write(s / "g" / "2024-01-11-y.md" / "NOTES.md", LIST),
    "folder-group-yaml": lambda s, t: (s / "g" / "group.yaml").mkdir(),
    "folder-group-yaml-with-file": lambda s, t: write(s / "g" / "group.yaml" / "a.md", LIST),
    "folder-pdf": lambda s, t: (s / MEETING / "deck.pdf").mkdir(),
    "case-duplicate": lambda s, t: write(s / "g" / "2024-01-02-a.MD", LIST),
    "case-duplicate-in-folder": lambda s, t: write(s / MEETING / "notes.md", LIST),
    "non-utf8-md": lambda s, t: write(s / "g" / _name(b"2024-01-05-caf\xe9.md"), LIST),
    "non-utf8-pdf": lambda s, t: write(s / MEETING / _name(b"caf\xe9.pdf"), PDF),
    "non-utf8-other-in-meeting": lambda s, t: write(s / MEETING / _name(b"caf\xe9.txt"), "x\n"),
    "non-utf8-other-in-group": lambda s, t: write(s / "g" / _name(b"caf\xe9.txt"), "x\n"),
    "non-utf8-pdf-in-group": lambda s, t: write(s / "g" / _name(b"caf\xe9.pdf"), PDF),
    "non-utf8-group-other": lambda s, t: write(s / _name(b"w\xe9g") / "notes.txt", "x\n"),
    "bad-group-other": lambda s, t: write(s / "a b" / "notes.txt", "x\n"),
    "pdf-at-top": lambda s, t: write(s / "logo.pdf", PDF),
    # Attachments part of no meeting: published by no build, warned of (attachment-alone) and
    # never uploaded by all four (decision 108; sync passed them over in silence).
    "pdf-in-group": lambda s, t: write(s / "g" / "deck.pdf", PDF),
    "png-in-meeting-subfolder": lambda s, t: write(s / MEETING / "img" / "pic.png", PDF),
    "pdf-in-date-folders": lambda s, t: (write(s / "g" / "2024" / "01" / "04" / "notes.md", LIST),
                                         write(s / "g" / "2024" / "01" / "04" / "deck.pdf", PDF)),
    "non-utf8-group": lambda s, t: write(s / _name(b"w\xe9g") / "2024-01-05-e.md", LIST),
    "date-folders": lambda s, t: (write(s / "g" / "2024" / "01" / "04" / "notes.md", LIST),
                                  write(s / "g" / "9999" / "12" / "31" / "notes.md", LIST)),
    "dated-folder-no-md": lambda s, t: write(s / "g" / "2024-01-16-nomd" / "slides.pdf", PDF),
    "dated-folder-other-only": lambda s, t: write(s / "g" / "2024-01-16-nomd" / "notes.txt", "x\n"),
    "md-in-src": lambda s, t: write(s / "toplevel.md", LIST),
    "dated-md-in-src": lambda s, t: write(s / "2024-01-05-top.md", LIST),
    "fifo-md-in-src": lambda s, t: os.mkfifo(s / "2024-01-05-pipe.md"),
    "folder-md-in-src": lambda s, t: write(s / "2024-01-05-x.md" / "NOTES.md", LIST),
    "group-yaml-in-src": lambda s, t: write(s / "group.yaml", "name: Top\n"),
    "dangling-link-as-group": lambda s, t: (s / "linked").symlink_to(t / "gone"),
    "dangling-group-yaml": lambda s, t: (s / "g" / "group.yaml").symlink_to(t / "gone.yaml"),
    "hidden": lambda s, t: (write(s / ".git" / "2024-01-05-x.md", "\x00"),
                            os.mkfifo(s / "g" / ".2024-01-05-pipe.md")),
}
# tree -> (what, its mode): one entry the reader may not read (or enter: 0o644, decision 102)
UNREADABLE = {"unreadable-md": ("g/2024-01-02-a.md", 0), "unreadable-meeting-folder": (MEETING, 0),
              "unreadable-group-folder": ("g2", 0), "unreadable-pdf": (f"{MEETING}/slides.pdf", 0),
              "unenterable-meeting-folder": (MEETING, 0o644),
              "unenterable-group-folder": ("g2", 0o644)}


def _agree(said: dict) -> None:
    build = said["build"]
    for command in ("check", "upload", "sync"):
        assert said[command] == build, command


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("tree", sorted(TREES))
def test_build_check_upload_and_sync_say_the_same_of_each_tree(tmp_path, tree):
    src = tmp_path / "minutes"
    _base(src)
    TREES[tree](src, tmp_path / "elsewhere")
    said = said_by_all(src, tmp_path / "site")
    _agree(said)
    if tree not in ("fifo-tmp", "hidden", "fifo-pdf-in-group", "non-utf8-other-in-group",
                    "non-utf8-group-other", "bad-group-other",
                    "group-yaml-in-src"):   # each other tree is odd: said
        assert said["build"]["errors"] or said["build"]["unpublished"], said
    if tree in ("pdf-at-top", "pdf-in-group", "png-in-meeting-subfolder", "pdf-in-date-folders",
                "non-utf8-pdf-in-group"):
        assert [code for code, *_ in said["build"]["unpublished"]] == ["attachment-alone"], said


@pytest.mark.parametrize("tree", sorted(UNREADABLE))
def test_build_check_upload_and_sync_say_the_same_of_what_cannot_be_read(tmp_path, tree):
    src = tmp_path / "minutes"
    _base(src)
    said = _unprivileged_run(src, tmp_path / "site", *UNREADABLE[tree], "main")
    _agree(said)
    assert [code for code, *_ in said["build"]["errors"]] == ["source-unreadable"]


def _unprivileged_run(src: Path, argument, what: str, mode: int, function: str):
    """tests.support.walks.<function>()'s JSON, given src and `argument`, run without root's
    power to read any file while `what` (under src) has `mode`."""
    (src / what).chmod(mode)
    try:
        done = subprocess.run([*_unprivileged(), sys.executable, "-c",
                               f"from tests.support.walks import {function}; {function}()",
                               str(src), str(argument)], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
    finally:
        (src / what).chmod(0o755)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("tree", sorted(UNREADABLE))
def test_sync_delete_keeps_what_it_cannot_read(tmp_path, tree):
    """`sync --delete` to a bucket holding the whole base tree, with one entry unreadable (or a
    folder not enterable): it is refused, and what the bucket holds of it is kept (decision
    93); nothing else is gone either."""
    src = tmp_path / "minutes"
    _base(src)
    what, _ = UNREADABLE[tree]
    held = sorted(scan_local(src).files)   # all of it, as root reads it
    assert len(held) == 5
    synced = _unprivileged_run(src, json.dumps(held), *UNREADABLE[tree], "sync_deleting")
    assert synced["deleted"] == []
    stands_for = "minutes/" + what + ("" if what.endswith((".md", ".pdf")) else "/")
    assert synced["refused"] == [stands_for], synced


def test_the_base_tree_is_said_nothing_of(tmp_path):
    src = tmp_path / "minutes"
    _base(src)
    said = said_by_all(src, tmp_path / "site")
    assert all(s == {"errors": [], "unpublished": []} for s in said.values()), said
