"""`minutes check` and `minutes build` on odd entries in a folder meeting and in the
<yyyy>/<mm>/<dd>/ layout: the same problems (code, message, hint, file), the same verdict
(decision 95; the reviewer's att.sh, nb.sh and ymd_check.sh)."""
from __future__ import annotations

import os
import socket

import pytest

from minutes.build import build
from minutes.check import check_paths
from tests.support.sources import write

NOTES = "# B\n\nSee [slides](slides.pdf) and ![x](pic.png).\n\n- one\n- two\n- three\n"
LIST = "# M\n\n- a\n- b\n- c\n"


def _socket(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()


CASES = {
    "link-broken": lambda m, t: (m / "slides.pdf").symlink_to(t / "nothing.pdf"),
    "link-device": lambda m, t: (m / "pic.png").symlink_to("/dev/zero"),
    "link-other-name": lambda m, t: (m / "NOTES.md.tmp").symlink_to(t / "nothing"),
    "fifo-pdf": lambda m, t: os.mkfifo(m / "slides.pdf"),
    "socket-pdf": lambda m, t: _socket(m / "slides.pdf"),
    "fifo-tmp": lambda m, t: os.mkfifo(m / "NOTES.md.tmp"),
    "fifo-docx": lambda m, t: os.mkfifo(m / "agenda.docx"),
    "regular-tmp": lambda m, t: write(m / "NOTES.md.tmp", "x\n"),
    "dir-pdf": lambda m, t: (m / "slides.pdf").mkdir(),
    "linked-subfolder": lambda m, t: (m / "sub").symlink_to(t),
    "group-yaml-folder": lambda m, t: (m.parent / "group.yaml").mkdir(),
    "group-yaml-fifo": lambda m, t: os.mkfifo(m.parent / "group.yaml"),
}


def _said(problems) -> set[tuple]:
    return {(p.code, p.message, p.hint, p.file) for p in problems if p.is_error}


def _both(src, tmp_path):
    by_build = build(src, tmp_path / "site", site_url="https://minutes.example.org", workers=1)
    verdicts = check_paths([src], workers=1)
    return by_build, verdicts


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("root", ["minutes", "scribe"])
def test_check_rejects_what_build_rejects_in_a_folder_meeting(tmp_path, case, root):
    src = tmp_path / root
    meeting = src / "g" / "2024-01-08-b"
    write(meeting / "NOTES.md", NOTES)
    CASES[case](meeting, tmp_path / "elsewhere")
    by_build, verdicts = _both(src, tmp_path)
    built = _said(p for problems in by_build.rejected.values() for p in problems)
    checked = _said(p for v in verdicts for p in v.problems)
    assert checked == built
    assert all(v.valid for v in verdicts) == (not by_build.rejected)
    # What is only odd by its kind, with a name no build reads, is left alone by both.
    if case in ("fifo-tmp", "fifo-docx", "regular-tmp"):
        assert not built and len(by_build.records) == 1
    # A folder named as an attachment is not entered, and said (decision 99: it was entered
    # by both, in silence, and refused by sync); the meeting is built without it.
    if case == "dir-pdf":
        assert {code for code, *_ in built} == {"source-not-a-file"} and len(by_build.records) == 1
    # A file of a type the site does not serve: build's warning, from check too (decision 99).
    if case == "regular-tmp":
        warned = {(p.code, p.message, p.file) for problems in by_build.warnings.values()
                  for p in problems}
        assert warned == {(p.code, p.message, p.file) for v in verdicts for p in v.problems
                          if not p.is_error} != set()


@pytest.mark.parametrize("root", ["minutes", "scribe"])
def test_check_keys_the_date_folder_layout_as_build_does(tmp_path, root):
    src = tmp_path / root
    write(src / "g" / "2024" / "01" / "02" / "notes.md", LIST)
    write(src / "g" / "9999" / "12" / "31" / "notes.md", LIST)
    by_build, verdicts = _both(src, tmp_path)
    assert [r.url_path for r in by_build.records] == ["/g/2024-01-02-notes/"] or \
        len(by_build.records) == 1
    assert sorted(v.key for v in verdicts) == ["minutes/g/2024/01/02/notes.md",
                                               "minutes/g/9999/12/31/notes.md"]
    assert [v.valid for v in sorted(verdicts, key=lambda v: v.key)] == [True, False]
    built = _said(p for problems in by_build.rejected.values() for p in problems)
    assert _said(p for v in verdicts for p in v.problems) == built
    # The year no meeting can have is named, as in a file name (decision 89), not "no date".
    assert [code for code, *_ in built] == ["date-invalid"]
    assert "'9999/12/31' in the key is not in the years 1900-2099" in next(iter(built))[1]


def test_only_date_folders_of_a_year_no_meeting_can_have_are_named():
    from minutes import keys
    assert keys.out_of_range_date_in("minutes/g/9999/12/31/notes.md") == "9999/12/31"
    assert keys.out_of_range_date_in("minutes/g/x/1066/10/14/y.md") == "1066/10/14"
    assert keys.out_of_range_date_in("minutes/g/2024/01/02/notes.md") is None
    assert keys.out_of_range_date_in("minutes/g/9999/13/31/notes.md") is None
    assert keys.ymd_folders("2024/01/02") and not keys.ymd_folders("2024/01/02/x")


@pytest.mark.parametrize("root", ["minutes", "scribe"])
def test_check_of_a_folder_refuses_the_group_names_build_refuses(tmp_path, root):
    """`minutes check src` (a folder not named `minutes`) made each group folder's name URL-safe
    (`bad group` -> minutes/bad-group/...) and passed it, while build and sync of it reject the
    group (group-name). A file found by walking keeps its folder's name (decision 108); a FILE
    given alone keeps key_for's guess, the key `minutes upload FILE` sends it under."""
    from minutes.check import check_file
    from minutes.services.upload import scan_paths
    src = tmp_path / root
    write(src / "bad group" / "2024-01-02-x.md", LIST)
    write(src / "Good" / "2024-01-03-f" / "NOTES.md", LIST)
    write(src / "Dates" / "2024" / "01" / "04" / "notes.md", LIST)
    write(src / "ok" / "2024-01-05-y.md", LIST)
    by_build, verdicts = _both(src, tmp_path)
    built = {said[:3] for said in _said(p for problems in by_build.rejected.values() for p in problems)}
    assert {said[:3] for said in _said(p for v in verdicts for p in v.problems)} == built
    assert sorted(code for code, *_ in built) == ["group-name"] * 3
    assert sorted((v.key, v.valid) for v in verdicts) == [
        ("minutes/Dates/2024/01/04/notes.md", False), ("minutes/Good/2024-01-03-f/NOTES.md", False),
        ("minutes/bad group/2024-01-02-x.md", False), ("minutes/ok/2024-01-05-y.md", True)]
    assert [r.url_path for r in by_build.records] == ["/ok/2024-01-05-y/"]
    assert sorted(scan_paths([src]).files) == sorted(v.key for v in verdicts)   # upload DIR
    alone = check_file(src / "bad group" / "2024-01-02-x.md")
    assert (alone.key, alone.valid) == (
        ("minutes/bad-group/2024-01-02-x.md", True) if root == "scribe" else
        ("minutes/bad group/2024-01-02-x.md", False))
    assert sorted(scan_paths([src / "bad group" / "2024-01-02-x.md"]).files) == [alone.key]
